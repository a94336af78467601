"""CPU time per request of pages, through the WSGI handler in this process (no
HTTP, no test client, which copies every template context it sees).

    DATABASE_URL=… .venv/bin/python -m bench.profile /ping /claims/<slug>/ [--cprofile]
    DATABASE_URL=… .venv/bin/python -m bench.profile --claim <slug>

Run it with the benchmark database's environment (bench.web's, DEBUG off);
--cprofile prints the functions that took most time for the last path.
--claim splits one claim page's CPU time into its queries (and the model
instances they build), its context and its template.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time

from django.core.wsgi import get_wsgi_application


def call(app, path):
    status = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    body = b"".join(app(environ, lambda code, headers, exc=None: status.append(code)))
    return status[0], len(body)


def cpu_ms(function, requests):
    for _ in range(10):
        function()
    started = time.process_time()
    for _ in range(requests):
        function()
    return (time.process_time() - started) / requests * 1000


def fetch_claim(slug):
    """A claim as its page fetches it: the four queries and their models."""
    from claims.views import reviewed_claims

    return reviewed_claims().get(slug=slug)


def split_claim_page(slug, requests):
    """CPU ms of a claim page's queries (with the models they build), of its
    context and of its template."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from claims.views import ClaimDetailView

    def fetch():
        return fetch_claim(slug)

    view = ClaimDetailView()
    view.setup(RequestFactory().get(f"/claims/{slug}/"), slug=slug)
    view.object = fetch()
    context = view.get_context_data(object=view.object)
    return {
        "queries and models": cpu_ms(fetch, requests),
        "context": cpu_ms(lambda: view.get_context_data(object=view.object), requests),
        "template": cpu_ms(
            lambda: render_to_string(view.template_name, context, view.request),
            requests,
        ),
    }


def per_request(app, path, requests):
    """Status, size, and CPU and wall time (ms) per request of `path`."""
    for _ in range(10):
        status, size = call(app, path)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        call(app, path)
    cpu = (time.process_time() - cpu) / requests * 1000
    wall = (time.perf_counter() - wall) / requests * 1000
    return status, size, cpu, wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--claim", help="a claim's slug: split its page's time")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    app = get_wsgi_application()
    if args.claim:
        args.paths = ["/ping", f"/claims/{args.claim}/", *args.paths]
    for path in args.paths:
        status, size, cpu, wall = per_request(app, path, args.requests)
        print(f"{path}: {status}, {size} bytes, CPU {cpu:.2f} ms, wall {wall:.2f} ms")
    if args.claim:
        for part, cpu in split_claim_page(args.claim, args.requests).items():
            print(f"{args.claim} {part}: CPU {cpu:.2f} ms")
    if args.cprofile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [call(app, args.paths[-1]) for _ in range(100)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
