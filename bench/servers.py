"""The sites the benchmark captures: one HTTP server per loopback address.

The servers run in a process of their own (`Sites`), so that serving pages
never competes with the harness for its interpreter lock. Every request is
answered after a fixed delay, counted from its arrival, and logged (host,
path, start, end) so the harness can check what the sites saw, for instance
that no host had more fetches at once than the politeness settings allow.

Routes:
  /article/<anything>   an article page of about 100 kB, different per path
  /big/<bytes>          one page of <bytes> bytes, streamed in 64 kB pieces
  /blob/<bytes>         the same size as application/octet-stream
"""

import itertools
import json
import multiprocessing
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.pages import article

PIECE = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    server_version = "BenchSite/1.0"

    def do_GET(self):
        started = time.time()
        kind, _, argument = self.path.lstrip("/").partition("/")
        if kind == "article":
            body = article(self.path)
            self.wait_until(started + self.server.delay)
            self.send_page(body)
        elif kind in ("big", "blob"):
            self.wait_until(started + self.server.delay)
            self.send_stream(int(argument), html=kind == "big")
        else:
            self.send_error(404)
        self.server.log(self.server.server_address[0], self.path, started, time.time())

    def wait_until(self, moment):
        time.sleep(max(0.0, moment - time.time()))

    def send_page(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_stream(self, size, html):
        kind = "text/html; charset=utf-8" if html else "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        for piece in big_body(size, html):
            self.wfile.write(piece)

    def log_message(self, format, *args):
        pass


def big_body(size, html):
    """`size` bytes in pieces: a long article, or pseudo-random bytes."""
    if html:
        page = article("big", size=1024 * 1024)
        start = page[: page.rindex(b"</article>")]
        filler = start[start.index(b"</strong></p>") + len(b"</strong></p>") :]
    else:
        start = b""
        filler = random.Random(size).randbytes(1024 * 1024)
    sent = 0
    for data in itertools.chain([start], itertools.repeat(filler)):
        offset = 0
        while offset < len(data) and sent < size:
            piece = data[offset : offset + min(PIECE, size - sent)]
            offset += len(piece)
            sent += len(piece)
            yield piece
        if sent >= size:
            return


class Site(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, delay, log):
        super().__init__(address, Handler)
        self.delay = delay
        self.log = log


def serve(hosts, delay, log_path, ready):
    """Run one site per address until the process is terminated."""
    lock = threading.Lock()
    with open(log_path, "a") as log_file:

        def log(host, path, started, ended):
            line = json.dumps({"host": host, "path": path, "t0": started, "t1": ended})
            with lock:
                log_file.write(line + "\n")
                log_file.flush()

        sites = [Site((host, 0), delay, log) for host in hosts]
        for site in sites:
            threading.Thread(target=site.serve_forever, daemon=True).start()
        ready.send(
            [f"http://{site.server_address[0]}:{site.server_port}" for site in sites]
        )
        threading.Event().wait()


class Sites:
    """Sites on 127.0.0.1 … 127.0.0.<count>, in their own process.

    `with Sites(20, delay=0.2, log_path=...) as sites:` starts them;
    `sites.origins` are their base URLs, `sites.process.pid` their process.
    """

    def __init__(self, count, *, delay, log_path):
        self.hosts = [f"127.0.0.{number}" for number in range(1, count + 1)]
        self.delay = delay
        self.log_path = log_path
        self.process = None

    def __enter__(self):
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=serve,
            args=(self.hosts, self.delay, self.log_path, send),
            daemon=True,
        )
        self.process.start()
        if not receive.poll(30):
            self.process.terminate()
            raise RuntimeError("the benchmark's HTTP servers did not start")
        self.origins = receive.recv()
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join(10)


def read_log(log_path):
    with open(log_path) as log_file:
        return [json.loads(line) for line in log_file if line.strip()]


def per_host_limits(requests):
    """Most requests one host had at once, and the shortest gap between starts."""
    by_host = {}
    for request in requests:
        by_host.setdefault(request["host"], []).append(request)
    most, gap = 0, None
    for items in by_host.values():
        events = sorted(
            [(r["t0"], 1) for r in items] + [(r["t1"], -1) for r in items],
            key=lambda event: (event[0], event[1]),
        )
        running = 0
        for _, change in events:
            running += change
            most = max(most, running)
        starts = sorted(r["t0"] for r in items)
        gaps = [
            later - earlier for earlier, later in zip(starts, starts[1:], strict=False)
        ]
        if gaps:
            gap = min(gaps) if gap is None else min(gap, min(gaps))
    return most, gap
