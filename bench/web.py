"""
Benchmarks of the public pages, search and the admin, against baselines
measured in the same run. Writes its figures to docs/benchmarks.md.

    .venv/bin/python -m bench.web [--claims 100000] [--duration 15]

1. Public pages under load: gunicorn (production settings, Redis cache) and
   wrk from another process. Baseline: /ping, a constant answer through the same
   stack and middleware. Then the uncached claim page part by part, in one
   process (bench.measure uncached-page), against what 0.3 × the baseline
   allows.
2. Queries per page at 10 and at 1,000 claims.
3. Search: 200 German and English queries over the synthetic claims, full-text
   search against the same queries as case-insensitive substring matching.
4. The admin's claim list and review queue at that size.

The synthetic database (bench_web_<N>) is kept between runs; generating 100,000
claims takes a while, so a second run starts at once. --fresh rebuilds it.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.stack import ROOT, machine, project_env, service_versions, with_database

DOCS = ROOT / "docs" / "benchmarks.md"
HEADER = "## Pages, search and admin"
SECTIONS = [
    "### Public pages under load",
    "### The uncached claim page, part by part",
    "### Queries per page",
    "### Search",
    "### Admin at scale",
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    parser.add_argument("--no-docs", action="store_true", help="don't touch docs/")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: sudo apt-get install wrk (make bench does this).")
    workdir = Path(tempfile.mkdtemp(prefix="bench-web-"))
    name = f"bench_web_{args.claims}"
    env = {
        **os.environ,
        **project_env(
            database_url=with_database(args.database_url, name),
            redis_url=args.redis_url,
            name=name,
            workdir=workdir,
        ),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    results = {
        "machine": machine(),
        "versions": service_versions(args.database_url, args.redis_url),
    }
    results["generation"] = prepare(args, name, env)
    results["load"] = load_test(args, env, workdir)
    uncached = {**env, "PUBLIC_CACHE_SECONDS": "0"}
    slug = results["load"]["claim"]
    results["parts"] = measure_in_django("uncached-page", args, uncached, slug)
    results["queries"] = query_counts(args, env)
    results["search"] = measure_in_django("search", args, env)
    results["admin"] = measure_in_django("admin", args, env)
    report = render(args, results)
    print(report)
    if not args.no_docs:
        update_docs(report)
    shutil.rmtree(workdir, ignore_errors=True)


def manage(env, *command, capture=False):
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )


def prepare(args, name, env):
    """Create and fill the database unless a run left it ready; return how long
    generating took (None if it was reused)."""
    exists = False
    with psycopg.connect(args.database_url, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        )
        exists = found.fetchone() is not None
        if exists and args.fresh:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "migrate", "--noinput", "-v0")
    if exists:
        return None
    started = time.monotonic()
    manage(env, "loaddemo", "--synthetic", str(args.claims), capture=True)
    took = time.monotonic() - started
    manage(
        env,
        "shell",
        "-c",
        "from django.db import connection; "
        "connection.cursor().execute('VACUUM ANALYZE')",
    )
    return took


# 1. Load


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, args, env, workdir, label, **overrides):
        self.port = free_port()
        log = open(workdir / f"gunicorn-{label}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "factcheck.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(args.gunicorn_workers),
            ],
            cwd=ROOT,
            env={**env, **overrides},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_until_listening(self.port)

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def wait_until_listening(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def wrk(url, args):
    """Requests per second, p50 and p99 latency (ms) and errors, from wrk."""
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(map(int, socket_errors.groups())) if socket_errors else 0
    return {
        "rps": rps,
        "p50": latency(output, "50%"),
        "p99": latency(output, "99%"),
        "requests": requests,
        "errors": errors,
    }


def latency(output, percentile):
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def sample_claim(env, sources):
    """The slug of a synthetic claim with exactly `sources` sources."""
    code = (
        "from django.db.models import Count; from claims.models import Claim;"
        "print(Claim.objects.public().annotate(n=Count('sources'))"
        f".filter(n={sources}).values_list('slug', flat=True)[0])"
    )
    return (
        manage(env, "shell", "-c", code, capture=True).stdout.strip().splitlines()[-1]
    )


def load_test(args, env, workdir):
    slug = sample_claim(env, 30)
    pages = {"claim page": f"/claims/{slug}/", "claim list": "/"}
    results = {"claim": slug}
    for label, cache_seconds in (("cached", "600"), ("uncached", "0")):
        server = Gunicorn(args, env, workdir, label, PUBLIC_CACHE_SECONDS=cache_seconds)
        try:
            for path in ["/ping", *pages.values()]:
                subprocess.run(
                    ["curl", "-s", "-o", "/dev/null", server.url + path], check=True
                )
            results[f"baseline {label}"] = wrk(server.url + "/ping", args)
            for page, path in pages.items():
                results[f"{page} {label}"] = wrk(server.url + path, args)
            if label == "cached":
                others = [other for other in OTHER_CLAIMS if other != slug]
                for changing, slugs in (("others", others), ("itself", [slug])):
                    with claims_changing(env, CHANGES_PER_SECOND, slugs):
                        results[f"claim page, {changing} changing"] = wrk(
                            server.url + pages["claim page"], args
                        )
        finally:
            server.stop()
    return results


# About the rate at which bench.capture's batch finishes captures, each of
# which changes its claim's page and the lists.
CHANGES_PER_SECOND = 10
# A batch of captures for other claims than the one under load.
OTHER_CLAIMS = [f"synthetic-{n}" for n in range(1000, 1040)]


@contextlib.contextmanager
def claims_changing(env, rate, slugs):
    """Tell the cache that these claims changed, one after the other, `rate`
    times a second, as the desk's changes and finished captures do."""
    code = (
        "import itertools, time\nfrom claims.caching import claims_changed\n"
        f"for slug in itertools.cycle({slugs!r}):\n"
        f"    claims_changed(slug)\n    time.sleep({1 / rate})"
    )
    changer = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env
    )
    time.sleep(3)  # Django is set up and changing
    try:
        yield
    finally:
        changer.kill()
        changer.wait()


# 2-4. Measured inside Django (bench.measure runs in the project's environment)


def query_counts(args, env):
    name = "bench_web_counts"
    counts_env = {**env, "DATABASE_URL": with_database(args.database_url, name)}
    with psycopg.connect(args.database_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        manage(counts_env, "migrate", "--noinput", "-v0")
        return measure_in_django("queries", args, counts_env)
    finally:
        with psycopg.connect(args.database_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure_in_django(what, args, env, *arguments):
    result = subprocess.run(
        [sys.executable, "-m", "bench.measure", what, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# Report


def render(args, results):
    m, v = results["machine"], results["versions"]
    generation = results["generation"]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} with "
        f"`.venv/bin/python -m bench.web --claims {args.claims}` (`make bench`).",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory'] / 2**30:.1f} GiB, "
        f"Python {m['python']}, PostgreSQL {v['postgresql']}, Redis {v['redis']}; "
        f"load average {m['load'][0]:.2f} at the start. Data: {args.claims:,} synthetic "
        "published claims with 3 to 30 archived sources each ("
        + (
            f"generated in {generation / 60:.1f} min"
            if generation
            else "reused from an earlier run"
        )
        + ").",
    ]
    return "\n".join(
        [
            *lines,
            "",
            *render_load(args, results["load"]),
            "",
            *render_parts(results["load"], results["parts"], results["machine"]),
            "",
            *render_queries(results["queries"]),
            "",
            *render_search(results["search"]),
            "",
            *render_admin(results["admin"]),
        ]
    )


def render_load(args, load):
    rows = [
        SECTIONS[0],
        "",
        f"gunicorn with {args.gunicorn_workers} sync workers, DEBUG off, Redis cache; "
        f"wrk with 2 threads and {args.connections} connections for {args.duration} s "
        "per row, on the same machine. The baseline is /ping, a constant answer "
        f"through the same middleware. The claim page has 30 sources (`{load['claim']}`).",
        "",
        "| page | cache | requests/s | × baseline | p50 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(page, cache, figures, base):
        return (
            f"| {page} | {cache} | {figures['rps']:.0f} | "
            f"{figures['rps'] / base['rps']:.2f} | "
            f"{figures['p50']:.1f} | {figures['p99']:.1f} | {figures['errors']} |"
        )

    for cache in ("cached", "uncached"):
        base = load[f"baseline {cache}"]
        for page in ("baseline", "claim page", "claim list"):
            rows.append(row(page, cache, load[f"{page} {cache}"], base))
    for changing in ("others", "itself"):
        figures = load[f"claim page, {changing} changing"]
        cache = f"cached, {CHANGES_PER_SECOND} changes/s to {changing}"
        rows.append(row("claim page", cache, figures, load["baseline cached"]))
    cached = load["claim page cached"]["rps"] / load["baseline cached"]["rps"]
    uncached = load["claim page uncached"]["rps"] / load["baseline uncached"]["rps"]
    errors = sum(row["errors"] for key, row in load.items() if isinstance(row, dict))
    rows += [
        "",
        "The last two rows repeat the cached claim page while claims change "
        f"{CHANGES_PER_SECOND} times a second (about the rate at which the capture "
        "benchmark's batch finishes captures): 40 other claims in turn, whose "
        "changes leave this page in the cache, then this claim itself, after each "
        "of whose changes one worker renders the page afresh while the others "
        "serve the copy it replaces.",
        "",
        f"Targets: cached claim page ≥ 0.8 × baseline: **{cached:.2f}** "
        f"({'met' if cached >= 0.8 else 'missed'}); uncached claim page with 30 sources "
        f"≥ 0.3 × baseline: **{uncached:.2f}** ({'met' if uncached >= 0.3 else 'missed'}); "
        f"zero errors: **{errors}** ({'met' if errors == 0 else 'missed'}).",
    ]
    return rows


def render_parts(load, parts, machine):
    """The uncached claim page's CPU time by part, against what 0.3 × allows."""
    split, floor = parts["split"], parts["floor"]
    cpus = machine["nproc"]
    ping = cpus * 1000 / load["baseline uncached"]["rps"]
    page = cpus * 1000 / load["claim page uncached"]["rps"]
    allowed = ping / 0.3
    left = allowed - ping  # for the page's own work beyond /ping's
    by_hand = floor["join"] + floor["by hand"] + floor["join in postgresql"]
    return [
        SECTIONS[1],
        "",
        "CPU per request in one process, through the WSGI handler, with "
        "`PUBLIC_CACHE_SECONDS=0` (`python -m bench.measure uncached-page "
        f"{load['claim']}`): /ping {parts['ping']:.2f} ms, the claim page "
        f"{parts['page']:.2f} ms. Of the page: its queries and the models they "
        f"build {split['queries and models']:.2f} ms, its context "
        f"{split['context']:.2f} ms, its template {split['template']:.2f} ms.",
        "",
        f"Under wrk above, the {cpus} CPUs spent {ping:.2f} ms per /ping request "
        f"({cpus} CPUs ÷ requests/s) and {page:.2f} ms per uncached claim page. "
        "0.3 × baseline allows "
        f"{allowed:.2f} ms per request: {left:.2f} ms for the page's own "
        "work beyond what /ping costs.",
        "",
        f"The page's source list ({floor['sources']} sources) fetched and written "
        "the project's way and by hand (`bench.floor`; the same markup, checked):",
        "",
        "| part | Django | by hand |",
        "| --- | --- | --- |",
        f"| fetch | the ORM: {floor['orm']:.2f} ms | one SQL join: "
        f"{floor['join']:.2f} ms, and {floor['join in postgresql']:.2f} ms in "
        "PostgreSQL |",
        f"| markup | the template: {floor['template']:.2f} ms | `str.format` and "
        f"`html.escape`: {floor['by hand']:.2f} ms |",
        "",
        f"Written by hand, the source list alone takes {by_hand:.2f} ms (this "
        "process's CPU and PostgreSQL's time for the join), "
        f"{'more' if by_hand > left else 'less'} than the "
        f"{left:.2f} ms that 0.3 × leaves, before the rest of the page. "
        '"What the profiles showed" above says what was tried, and why the '
        "project keeps Django's way.",
    ]


def render_queries(queries):
    rows = [
        SECTIONS[2],
        "",
        "| page | at 10 claims | at 1,000 claims |",
        "| --- | ---: | ---: |",
    ]
    for page, small in queries["10"].items():
        rows.append(f"| {page} | {small} | {queries['1000'][page]} |")
    equal = queries["10"] == queries["1000"]
    rows += [
        "",
        f"Equal at both sizes: **{'yes' if equal else 'no'}** "
        "(locked in `tests/test_query_counts.py`).",
    ]
    return rows


def render_search(search):
    fts, base = search["full_text"], search["icontains"]
    return [
        SECTIONS[3],
        "",
        f"{search['queries']} queries ({search['german']} German, "
        f"{search['queries'] - search['german']} English; place and person names, "
        "subjects, alone or two together, common ones more often), each the claim "
        "list's first page: the matching count (capped at 1,000) and 20 rows, ranked. "
        f"Claims matched per query: median "
        f"{search['matches']['median']:,}, most {search['matches']['max']:,}.",
        "",
        "| method | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: |",
        f"| full-text (GIN) | {fts['p50']:.1f} | {fts['p95']:.1f} | {fts['max']:.1f} |",
        f"| icontains baseline | {base['p50']:.1f} | {base['p95']:.1f} | {base['max']:.1f} |",
        "",
        f"p95 full-text ÷ baseline: {fts['p95'] / base['p95']:.3f}. Target p95 < 50 ms: "
        f"**{fts['p95']:.1f} ms** ({'met' if fts['p95'] < 50 else 'missed'}).",
        "",
        f"`EXPLAIN ANALYZE` of “{search['explained']}”:",
        "",
        "```",
        *search["plan"],
        "```",
    ]


def render_admin(admin):
    rows = [
        SECTIONS[4],
        "",
        f"Rendered in-process as a reviewer, median of {admin['runs']} runs after one warm-up.",
        "",
        "| page | median ms | max ms | queries |",
        "| --- | ---: | ---: | ---: |",
    ]
    for page, figures in admin["pages"].items():
        rows.append(
            f"| {page} | {figures['median']:.0f} | {figures['max']:.0f} | "
            f"{figures['queries']} |"
        )
    worst = max(figures["median"] for figures in admin["pages"].values())
    rows += [
        "",
        f"Target < 300 ms: **{worst:.0f} ms** at worst "
        f"({'met' if worst < 300 else 'missed'}).",
    ]
    return rows


def update_docs(report):
    """Replace this harness's section of docs/benchmarks.md, keep the others."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    text = re.sub(rf"\n{re.escape(HEADER)}\n.*?(?=\n## |\Z)", "\n", text, flags=re.S)
    DOCS.write_text(text.rstrip() + f"\n\n{HEADER}\n\n{report}\n")


if __name__ == "__main__":
    main()
