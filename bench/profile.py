"""CPU time per request of pages, through the WSGI handler in this process (no
HTTP, no test client, which copies every template context it sees).

    DATABASE_URL=… .venv/bin/python -m bench.profile /ping /claims/<slug>/ [--cprofile]

Run it with the benchmark database's environment (bench.web's, DEBUG off);
--cprofile prints the functions that took most time for the last path.
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    app = get_wsgi_application()
    for path in args.paths:
        for _ in range(10):
            status, size = call(app, path)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            call(app, path)
        cpu = (time.process_time() - cpu) / args.requests * 1000
        wall = (time.perf_counter() - wall) / args.requests * 1000
        print(f"{path}: {status}, {size} bytes, CPU {cpu:.2f} ms, wall {wall:.2f} ms")
    if args.cprofile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [call(app, args.paths[-1]) for _ in range(100)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
