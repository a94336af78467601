"""Capture pipeline benchmark: throughput of the workers and memory of one capture.

    .venv/bin/python -m bench.capture [--urls 200] [--concurrency 4] ...

Everything runs on the real stack: a PostgreSQL database of its own (created,
migrated and dropped again), Redis under a queue name and key prefix of its
own, and real `celery -A factcheck worker` processes with the prefork pool,
started and stopped by the harness. The sites are HTTP servers on 127.0.0.1,
127.0.0.2, … in a separate process (bench/servers.py).

1. Throughput. Sources for N article URLs spread over the sites are saved the
   way the application saves them (each save queues its capture job); the
   clock runs from the first save to the last capture's finished_at. Runs: one
   pool child (the baseline), the chosen concurrency with the chosen
   politeness, the same with the project's default politeness, and any
   concurrencies given with --also.
2. Memory. A worker with one pool child captures a single large response; its
   peak RSS is the child's VmHWM from /proc, read after the capture, next to
   the same child's RSS while idle, before its first task.

The figures are printed and written to the "## Capture pipeline" section of
docs/benchmarks.md; other sections are left as they are.
"""

import argparse
import contextlib
import datetime
import math
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import stack
from bench.servers import Sites, per_host_limits, read_log

MiB = 1024 * 1024
TARGET_RATIO = 1.5  # measured ≤ 1.5 × ideal
TARGET_RSS = 100 * MiB
DOCS = stack.ROOT / "docs" / "benchmarks.md"
SECTION = "## Capture pipeline"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.capture", description=__doc__.split("\n")[0]
    )
    add = parser.add_argument
    add("--urls", type=int, default=200, help="article URLs to capture (200)")
    add("--hosts", type=int, default=20, help="sites, on 127.0.0.1 … (20)")
    add("--delay", type=float, default=0.2, help="seconds before each answer (0.2)")
    add("--concurrency", type=int, default=4, help="worker pool size (4)")
    add("--also", default="", help="more pool sizes to measure, e.g. 2,8")
    add("--per-host-concurrency", type=int, default=2, help="politeness (2)")
    add("--per-host-interval", type=float, default=0.25, help="politeness (0.25 s)")
    add("--sources-per-claim", type=int, default=5, help="sources per claim (5)")
    add("--seed", type=int, default=0, help="order in which sources are saved (0)")
    add("--big-mb", type=int, default=200, help="size of the large response (200)")
    add("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    add("--database", default="factcheck_bench", help="(re)created, then dropped")
    add("--redis", default="redis://127.0.0.1:6379/0")
    add("--keep", action="store_true", help="keep the database and the logs")
    add(
        "--skip",
        action="append",
        default=[],
        choices=["baseline", "defaults", "throughput", "memory"],
        help="leave out a part (repeatable); docs/benchmarks.md is then not updated",
    )
    add("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    return parser.parse_args(argv)


@dataclass
class Throughput:
    label: str
    concurrency: int
    per_host: tuple[int, float]  # CAPTURE_PER_HOST_CONCURRENCY, …_INTERVAL
    urls: int
    ideal: float  # urls × delay ÷ concurrency
    wall: float  # first source saved → last capture finished
    saving: float  # time to save all sources (their jobs are queued meanwhile)
    tasks: int  # task runs, including those that only postponed their job
    rebuilds: tuple[int, float]  # search rebuilds, seconds of refresh_search runs
    cpu: dict  # CPU seconds: worker, harness, sites, postgres, machine, steal
    service_median: float  # per capture: start of the fetch → result recorded
    service_p95: float
    requests: int  # requests the sites answered
    most_at_once: int  # most requests one site had in progress at once
    min_gap: float | None  # shortest time between two request starts on a site

    @property
    def ratio(self):
        return self.wall / self.ideal


@dataclass
class Memory:
    kind: str  # "big" (an HTML page) or "blob" (application/octet-stream)
    size: int
    idle_rss: int  # the pool child before its first task
    idle_private: int
    peak_rss: int  # VmHWM of the pool child after the capture
    private_after: int
    seconds: float
    text_chars: int
    warc_size: int


def main(argv=None):
    args = parse_args(argv)
    name = f"bench-capture-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    env = stack.project_env(
        database_url=stack.with_database(args.postgres, args.database),
        redis_url=args.redis,
        name=name,
        workdir=workdir,
    )
    os.environ.update(env)
    for key in stack.POLITENESS:
        os.environ.pop(key, None)  # each worker gets its own, see worker_env()
    os.environ["LOG_LEVEL"] = "WARNING"  # the harness's own logs; workers log INFO
    ok = False
    try:
        print(f"Creating database {args.database} …", flush=True)
        stack.create_database(args.postgres, args.database, env)
        import django

        django.setup()
        results = run(args, workdir)
        ok = True
    finally:
        cleanup(args, name, workdir, ok)
    section = render(args, results)
    print()
    print(section)
    if args.no_docs:
        return
    if args.skip:
        print("Partial run: docs/benchmarks.md left as it was.")
        return
    update_docs(DOCS, section, history_row(results))
    print(f"Updated {DOCS.relative_to(stack.ROOT)}")


def run(args, workdir):
    chosen = (args.per_host_concurrency, args.per_host_interval)
    defaults = project_defaults()
    results = {
        "started": datetime.datetime.now(datetime.UTC),
        "machine": stack.machine(),
        "services": stack.service_versions(args.postgres, args.redis),
        "commit": git_commit(),
        "throughput": [],
        "memory": [],
    }
    phases = [
        ("baseline", 1, chosen),
        ("measured", args.concurrency, chosen),
        ("defaults", args.concurrency, None),
    ]
    phases += [(f"also-{n}", int(n), chosen) for n in args.also.split(",") if n]
    if "throughput" in args.skip:
        phases = []
    phases = [phase for phase in phases if phase[0] not in args.skip]
    with Sites(args.hosts, delay=args.delay, log_path=workdir / "sites.log") as sites:
        for label, concurrency, politeness in phases:
            print(f"Throughput: {label}, concurrency {concurrency} …", flush=True)
            result = throughput(
                args, workdir, sites, label, concurrency, politeness or defaults
            )
            print(f"  {result.wall:.2f} s, {result.ratio:.2f} × ideal", flush=True)
            results["throughput"].append(result)
        if "memory" not in args.skip:
            for kind in ("big", "blob"):
                print(f"Memory: {args.big_mb} MB {kind} …", flush=True)
                result = memory(args, workdir, sites, kind, chosen)
                print(f"  peak RSS {mib(result.peak_rss)}", flush=True)
                results["memory"].append(result)
    return results


def worker_env(politeness):
    """A worker's environment; politeness None leaves the project's defaults."""
    env = dict(os.environ, LOG_LEVEL="INFO")  # Worker.tasks_run() reads the log
    if politeness:
        env["CAPTURE_PER_HOST_CONCURRENCY"] = str(politeness[0])
        env["CAPTURE_PER_HOST_INTERVAL"] = str(politeness[1])
    return env


def project_defaults():
    """The politeness settings when the environment does not set them."""
    code = (
        "from factcheck import settings as s;"
        "print(s.CAPTURE_PER_HOST_CONCURRENCY, s.CAPTURE_PER_HOST_INTERVAL)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=stack.ROOT,
        env=worker_env(None),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(output[0]), float(output[1])


def new_claims(label, count):
    """A party and `count` claims it made; their sources speak for the party."""
    from claims.models import Claim, Party

    party = Party.objects.create(
        name=f"Benchmark {label}", slug=f"bench-{label}", kind="organisation"
    )
    claims = [
        Claim.objects.create(
            statement=f"Benchmark claim {number} ({label})",
            slug=f"bench-{label}-{number}",
            language="de",
            claimant=party,
        )
        for number in range(count)
    ]
    return party, claims


def add_sources(party, claims, urls):
    """Cite the URLs in the given order, claim by claim, as an editor adds a
    claim's sources one after the other."""
    from claims.models import Source

    per_claim = math.ceil(len(urls) / len(claims))
    for number, url in enumerate(urls):
        Source.objects.create(
            claim=claims[number // per_claim], party=party, stance="asserts", url=url
        )


def captures_of(party):
    from claims.models import Capture

    return Capture.objects.filter(source__party=party)


def wait_for_captures(party, count, timeout, poll=0.05, each=None):
    """Wait until `count` captures succeeded; raise on any failure. `each()` is
    called on every poll."""
    from django.db.models import Count

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if each:
            each()
        states = dict(
            captures_of(party).values_list("state").annotate(count=Count("id"))
        )
        if states.get("failed"):
            failed = captures_of(party).filter(state="failed")
            errors = sorted({capture.error for capture in failed})
            raise RuntimeError(f"captures failed: {errors}")
        if states.get("succeeded", 0) >= count:
            return
        time.sleep(poll)
    raise RuntimeError(f"captures not finished after {timeout:.0f} s: {states}")


def cpu_snapshot(worker, search_worker, sites):
    machine = stack.cpu_times()
    return {
        "worker": worker.cpu_seconds(),
        "search worker": search_worker.cpu_seconds(),
        "harness": stack.cpu_seconds(os.getpid()),
        "sites": stack.cpu_seconds(sites.process.pid),
        "machine": machine["busy"],
        "steal": machine["steal"],
    }


def throughput(args, workdir, sites, label, concurrency, politeness):
    from django.conf import settings
    from django.db.models import Max

    from factcheck.celery import search_queue

    claims_needed = math.ceil(args.urls / args.sources_per_claim)
    party, claims = new_claims(label, claims_needed)
    origins = sites.origins
    urls = [
        f"{origins[number % len(origins)]}/article/{label}/{number}"
        for number in range(args.urls)
    ]
    random.Random(args.seed).shuffle(urls)
    # One pool child needs about urls × (delay + processing); allow plenty.
    timeout = 120 + 4 * args.urls * args.delay / concurrency
    log = workdir / f"worker-{label}.log"
    env = worker_env(politeness)
    # As docs/deployment.md runs them: captures and search rebuilds apart.
    with (
        stack.Worker(
            env,
            concurrency=1,
            name=f"{label}-search",
            log_path=workdir / f"worker-{label}-search.log",
            queues=[search_queue()],
        ) as search_worker,
        stack.Worker(
            env,
            concurrency=concurrency,
            name=label,
            log_path=log,
            queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
        ) as worker,
    ):
        before = cpu_snapshot(worker, search_worker, sites)
        with stack.PostgresMeter(args.database) as postgres:
            started = time.time()
            add_sources(party, claims, urls)
            saved = time.time()
            wait_for_captures(party, args.urls, timeout)
        after = cpu_snapshot(worker, search_worker, sites)
        let_search_refreshes_run()
    tasks = worker.tasks_run()  # once stopped: it logs a task after recording it
    rebuilds = search_worker.search_rebuilds()
    cpu = {key: after[key] - before[key] for key in before}
    cpu["postgres"] = postgres.seconds()
    captures = captures_of(party)
    finished = captures.aggregate(last=Max("finished_at"))["last"].timestamp()
    service = sorted(
        (capture.finished_at - capture.fetch_started_at).total_seconds()
        for capture in captures
    )
    requests = [r for r in read_log(workdir / "sites.log") if f"/{label}/" in r["path"]]
    most, gap = per_host_limits(requests)
    return Throughput(
        label=label,
        concurrency=concurrency,
        per_host=politeness,
        urls=args.urls,
        ideal=args.urls * args.delay / concurrency,
        wall=finished - started,
        saving=saved - started,
        tasks=tasks,
        rebuilds=rebuilds,
        cpu=cpu,
        service_median=statistics.median(service),
        service_p95=service[round(0.95 * (len(service) - 1))],
        requests=len(requests),
        most_at_once=most,
        min_gap=gap,
    )


def let_search_refreshes_run():
    """The last captures queue search refreshes due SEARCH_REFRESH_DELAY + 1 s
    later. Let this run's worker do them (outside the measured time): on the
    shared queue they would otherwise fall into the next run."""
    from django.conf import settings

    time.sleep(settings.SEARCH_REFRESH_DELAY + 3)


def memory(args, workdir, sites, kind, politeness):
    party, claims = new_claims(f"memory-{kind}", 1)
    size = args.big_mb * MiB
    log = workdir / f"worker-memory-{kind}.log"
    with stack.Worker(
        worker_env(politeness), concurrency=1, name=f"memory-{kind}", log_path=log
    ) as worker:
        [child] = worker.children()
        time.sleep(1)  # let the fresh child settle
        idle = stack.memory(child)
        seen = [idle]

        def look():
            # The only child runs the only task. Should the child end right
            # after it (CELERY_WORKER_MAX_MEMORY_PER_CHILD), the last look
            # before then stands: VmHWM only grows.
            with contextlib.suppress(FileNotFoundError):
                status = stack.memory(child)
                if "VmHWM" in status:  # not yet a zombie
                    seen.append(status)

        started = time.time()
        add_sources(party, claims, [f"{sites.origins[0]}/{kind}/{size}"])
        wait_for_captures(party, 1, timeout=300, poll=0.1, each=look)
        seconds = time.time() - started
        look()
        after = seen[-1]
    capture = captures_of(party).get()
    if capture.payload_size != size:
        raise RuntimeError(f"captured {capture.payload_size} bytes, not {size}")
    return Memory(
        kind=kind,
        size=size,
        idle_rss=idle["VmRSS"],
        idle_private=idle["RssAnon"],
        peak_rss=after["VmHWM"],
        private_after=after["RssAnon"],
        seconds=seconds,
        text_chars=len(capture.text),
        warc_size=capture.warc_size,
    )


def cleanup(args, name, workdir, ok):
    from django.conf import settings
    from django.db import connections

    if settings.configured:
        connections.close_all()
    stack.forget_redis_keys(args.redis, name)
    if args.keep or not ok:
        print(f"Logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        print(f"Database {args.database} kept")
    else:
        stack.drop_database(args.postgres, args.database)


def git_commit():
    def git(*arguments):
        return subprocess.run(
            ["git", *arguments],
            cwd=stack.ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        # The figures file itself: bench.web writes it first under `make bench`.
        changed = git(
            "status", "--porcelain", "--untracked-files=no", ":!docs/benchmarks.md"
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} with uncommitted changes" if changed else head


# The report


def mib(size):
    return f"{size / MiB:.1f} MiB"


def seconds(value):
    return "—" if value is None else f"{value:.2f} s"


def render(args, results):
    machine, services = results["machine"], results["services"]
    command = shlex.join([".venv/bin/python", "-m", "bench.capture", *sys.argv[1:]])
    lines = [
        SECTION,
        "",
        f"Measured {results['started']:%Y-%m-%d %H:%M %Z} at commit "
        f"{results['commit']} with",
        "",
        "```",
        command,
        "```",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), "
        f"{machine['memory'] / 1024**3:.1f} GiB memory, Linux {machine['kernel']}, "
        f"Python {machine['python']}, PostgreSQL {services['postgresql']}, "
        f"Redis {services['redis']}. Load average {machine['load'][0]:.2f} when the "
        "run started: the machine is shared, and the CPU columns below show how "
        "much of it went elsewhere.",
        "",
    ]
    if results["throughput"]:
        lines += render_throughput(args, results["throughput"], machine["nproc"])
    if results["memory"]:
        lines += render_memory(args, results["memory"])
    return "\n".join(lines)


def render_throughput(args, runs, cores):
    lines = [
        "### Throughput",
        "",
        f"{args.urls} article pages (about 100 kB of German or English HTML, "
        f"different for every URL) on {args.hosts} sites, 127.0.0.1 … "
        f"127.0.0.{args.hosts}, each answering every request after "
        f"{args.delay * 1000:.0f} ms. The harness saves one source per URL, "
        f"claim by claim, {args.sources_per_claim} per claim, with the URLs in "
        f"a shuffled order (seed {args.seed}); each save queues its capture "
        "job, as in the application. "
        "Per run, as docs/deployment.md runs them, a capture worker (`celery -A "
        "factcheck worker --pool=prefork --queues <queue>`) and a search worker "
        "for the search rebuilds (`--queues <queue>.search --concurrency 1`), "
        "DEBUG off. Wall "
        "time runs from the first save to the last capture's `finished_at`; "
        "ideal = URLs × delay ÷ concurrency.",
        "",
        "| run | concurrency | per host | wall time | ideal | wall ÷ ideal "
        "| sources saved in | task runs | search rebuilds "
        "| CPU s: capture worker / search worker / harness / PostgreSQL / rest "
        "(stolen) "
        "| per capture median / p95 | site max at once / min gap |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- "
        "| --- |",
    ]
    for run in runs:
        cpu = run.cpu
        own = cpu["harness"] + cpu["sites"]
        rest = cpu["machine"] - own_cpu(run)
        lines.append(
            f"| {run.label} | {run.concurrency} | "
            f"{run.per_host[0]} / {run.per_host[1]:g} s | {seconds(run.wall)} | "
            f"{seconds(run.ideal)} | {run.ratio:.2f} | {seconds(run.saving)} | "
            f"{run.tasks} | {run.rebuilds[0]} in {run.rebuilds[1]:.1f} s | "
            f"{cpu['worker']:.1f} / {cpu['search worker']:.1f} / {own:.1f} / "
            f"{cpu['postgres']:.1f} / {rest:.1f} ({cpu['steal']:.1f}) | "
            f"{run.service_median * 1000:.0f} / {run.service_p95 * 1000:.0f} ms | "
            f"{run.most_at_once} / {seconds(run.min_gap)} |"
        )
    lines += [
        "",
        '"per host": CAPTURE_PER_HOST_CONCURRENCY / CAPTURE_PER_HOST_INTERVAL. '
        '"sources saved in": how long the harness took to save the sources, '
        'which is also when the last job was queued. "task runs": every run of '
        "`capture_source`, including runs that found the site busy and postponed "
        'the job. "search rebuilds": runs of `refresh_search` that rebuilt '
        "claims' search vectors, and the seconds all its runs took (those that "
        "waited for a claim's other archived copies included), until the search "
        'worker stopped. "CPU s": CPU seconds during the run used by the capture '
        "worker (main process and pool children), by the search worker, by the "
        "harness and its sites, by the "
        "PostgreSQL backends of the benchmark database (sampled every 50 ms, so "
        "a little low), and by everything else on the machine (Redis, other "
        "users), with the time the hypervisor gave to other guests in brackets. "
        '"per capture": from the start of the fetch to the recorded result '
        "(fetch, extraction, WARC, database). The last column is what the sites "
        "saw.",
        "",
    ]
    runs = {run.label: run for run in runs}
    measured, baseline = runs.get("measured"), runs.get("baseline")
    if measured:
        lines += render_choices(args, measured, runs.get("defaults"), cores)
        verdict = "met" if measured.ratio <= TARGET_RATIO else "**missed**"
        floor = cpu_floor(measured, cores)
        lines.append(
            f"**Target** wall ≤ {TARGET_RATIO} × ideal = "
            f"{seconds(TARGET_RATIO * measured.ideal)} at concurrency "
            f"{measured.concurrency}: {verdict} ({seconds(measured.wall)}, "
            f"{measured.ratio:.2f} × ideal). The benchmark's own CPU time (workers, "
            f"harness and sites, PostgreSQL) was {own_cpu(measured):.1f} s, so even "
            "with the whole machine to itself this run could not have finished "
            f"in under {seconds(floor)} on {cores} cores."
        )
    if measured and baseline:
        lines.append(
            f"Baseline ÷ measured: {baseline.wall / measured.wall:.1f} "
            f"({seconds(baseline.wall)} one at a time, {seconds(measured.wall)} "
            f"with {measured.concurrency} at once)."
        )
    lines.append("")
    return lines


def own_cpu(run):
    """CPU seconds of the benchmark itself: workers, harness, sites, PostgreSQL."""
    cpu = run.cpu
    own = cpu["worker"] + cpu["search worker"] + cpu["harness"] + cpu["sites"]
    return own + cpu["postgres"]


def cpu_floor(run, cores):
    """Shortest wall time the run's own CPU time allows on `cores` cores."""
    return own_cpu(run) / cores


def render_choices(args, measured, defaults, cores):
    """Why the politeness and the concurrency are what they are."""
    from django.conf import settings

    per_site = math.ceil(args.urls / args.hosts)
    interval = measured.per_host[1]
    worker_ms = measured.cpu["worker"] / measured.urls * 1000
    lines = [
        f"**Politeness** for the measured run: CAPTURE_PER_HOST_CONCURRENCY="
        f"{measured.per_host[0]}, CAPTURE_PER_HOST_INTERVAL={interval:g}: at most "
        f"{measured.per_host[0]} fetches in flight and {1 / interval:g} started "
        "per second per site. Every capture is a single GET for one page (no "
        "images, scripts or styles), so this stays well below what one browser "
        "does to open one article (up to 6 connections and dozens of requests "
        "within a second).",
    ]
    if defaults:
        floor = (per_site - 1) * defaults.per_host[1] + args.delay
        lines[-1] += (
            f" The project's defaults ({defaults.per_host[0]} at once, "
            f"{defaults.per_host[1]:g} s apart) allow one site's {per_site} URLs "
            f"no less than ({per_site} − 1) × {defaults.per_host[1]:g} s + "
            f"{args.delay:g} s = {floor:.1f} s on their own, and in a queue "
            "not sorted by site the jobs that find their site busy are postponed "
            "and run again later. The defaults row shows what they give here: "
            f"{seconds(defaults.wall)} ({defaults.ratio:.2f} × ideal, "
            f"{defaults.tasks} task runs for {defaults.urls} captures)."
        )
    lines += [
        "",
        f"**Concurrency** {measured.concurrency}"
        + (
            " (also the settings' default CELERY_WORKER_CONCURRENCY)"
            if measured.concurrency == settings.CELERY_WORKER_CONCURRENCY
            else ""
        )
        + f": a capture waits {args.delay * 1000:.0f} ms for its site, then "
        f"needs about {worker_ms:.0f} ms of CPU in its pool child (worker CPU ÷ "
        "captures), besides PostgreSQL's share and that of the process saving "
        f"the sources. {measured.concurrency} children on {cores} cores keep "
        "the cores busy while most of them wait on the network; more children "
        "would mostly queue for the CPU, and each is another process of the "
        "size shown under Memory.",
        "",
    ]
    return lines


def render_memory(args, runs):
    lines = [
        "### Memory",
        "",
        f"A single {args.big_mb} MB response (MB = MiB, as in docs/capture.md) "
        "captured by a worker with one prefork child. Peak RSS is the child's "
        "VmHWM from /proc after the capture; idle is the same child before its "
        'first task; "private" is its RssAnon. Target: peak RSS under '
        f"{mib(TARGET_RSS)}.",
        "",
        "| response | idle child RSS (private) | peak RSS | peak − idle "
        "| private after | time | text kept | WARC | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        kind = "HTML page" if run.kind == "big" else "binary file"
        verdict = "met" if run.peak_rss < TARGET_RSS else "**missed**"
        lines.append(
            f"| {kind} | {mib(run.idle_rss)} ({mib(run.idle_private)}) | "
            f"{mib(run.peak_rss)} | {mib(run.peak_rss - run.idle_rss)} | "
            f"{mib(run.private_after)} | {run.seconds:.1f} s | "
            f"{run.text_chars:,} chars | {mib(run.warc_size)} | {verdict} |"
        )
    lines.append("")
    return lines


HISTORY = [
    "### All runs",
    "",
    "Each run of the harness adds a line here; the tables above show the latest.",
    "",
    "| date (UTC) | commit | load | concurrency | per host | baseline | measured "
    "| ideal | measured ÷ ideal | baseline ÷ measured | default politeness "
    "| idle child | peak RSS HTML | peak RSS binary "
    "| CPU s used elsewhere during measured |",
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | ---: | ---: | ---: |",
]


def history_row(results):
    runs = {run.label: run for run in results["throughput"]}
    baseline, measured, defaults = runs["baseline"], runs["measured"], runs["defaults"]
    peaks = {run.kind: mib(run.peak_rss) for run in results["memory"]}
    elsewhere = measured.cpu["machine"] - own_cpu(measured)
    return (
        f"| {results['started']:%Y-%m-%d %H:%M} | {results['commit']} | "
        f"{results['machine']['load'][0]:.2f} | {measured.concurrency} | "
        f"{measured.per_host[0]} / {measured.per_host[1]:g} s | "
        f"{seconds(baseline.wall)} | {seconds(measured.wall)} | "
        f"{seconds(measured.ideal)} | {measured.ratio:.2f} | "
        f"{baseline.wall / measured.wall:.1f} | {seconds(defaults.wall)} | "
        f"{mib(results['memory'][0].idle_rss)} | {peaks['big']} | {peaks['blob']} | "
        f"{elsewhere:.1f} s |"
    )


def update_docs(path, section, row):
    """Replace the capture section of `path`, keeping its lines of earlier runs."""
    lines = path.read_text().splitlines() if path.exists() else ["# Benchmarks"]
    if SECTION in lines:
        start = lines.index(SECTION)
        end = next(
            (
                number
                for number in range(start + 1, len(lines))
                if lines[number].startswith(("# ", "## "))
            ),
            len(lines),
        )
    else:
        start = end = len(lines)
    old = lines[start:end]
    earlier = []
    if HISTORY[0] in old:
        earlier = [line for line in old[old.index(HISTORY[0]) :] if line[:3] == "| 2"]
    before = "\n".join(lines[:start]).rstrip()
    after = "\n".join(lines[end:]).strip()
    new = "\n".join([section.rstrip(), "", *HISTORY, *earlier, row])
    text = f"{before}\n\n{new}\n" + (f"\n{after}\n" if after else "")
    path.write_text(text.lstrip("\n"))


if __name__ == "__main__":
    main()
