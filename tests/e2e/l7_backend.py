"""A small HTTP/1.1 server for the L7 tests, run inside a lab pod.

Answers every request with its version in the body and in `x-version`, echoes the path it got
in `x-path` and the request headers as JSON (so tests see rewrites and header operations).
--fail-every N answers 503 to every Nth request (1-based: N=2 fails the 1st, 3rd, ...), to test
retries; --fail-file PATH answers 503 while PATH exists (a failing mode a test switches on and
off, for outlier detection). A request header `x-sleep: SECONDS` makes the answer wait that
long (a slow backend, for timeouts and in-flight requests). --log-requests prints one JSON line
per request ({"request": path, "host": ..., "version": ...}) so a test counts what arrived
(mirrors). Prints {"listening": port} once bound.
"""
from __future__ import annotations

import argparse
import http.server
import json
import sys
import os
import threading
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--fail-every", type=int, default=0)
    ap.add_argument("--fail-file", default="")
    ap.add_argument("--log-requests", action="store_true")
    args = ap.parse_args()
    lock, count = threading.Lock(), [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real app server
        # Headers and body go out in two writes: with Nagle the body waits for the proxy's
        # delayed ACK (40 ms a request), which would measure the backend, not the mesh.
        disable_nagle_algorithm = True

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body_in = self.rfile.read(length) if length else b""
            with lock:
                count[0] += 1
                n = count[0]
            if args.log_requests:  # one write per line under the lock: threads interleave
                line = json.dumps({"request": self.path, "host": self.headers.get("host", ""),
                                   "version": args.version}) + "\n"
                with lock:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            sleep = float(self.headers.get("x-sleep") or 0)
            if sleep > 0:
                time.sleep(sleep)
            failing = args.fail_every and n % args.fail_every == 1 % args.fail_every
            failing = failing or (args.fail_file and os.path.exists(args.fail_file))
            status = 503 if failing else 200
            body = json.dumps({"version": args.version, "path": self.path, "n": n,
                               "headers": {k.lower(): v for k, v in self.headers.items()},
                               "body_len": len(body_in)}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("x-version", args.version)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _answer

        def log_message(self, *a) -> None:  # quiet
            pass

    srv = http.server.ThreadingHTTPServer(("0.0.0.0", args.port), Handler)
    srv.daemon_threads = True
    print(json.dumps({"listening": args.port}), flush=True)
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
