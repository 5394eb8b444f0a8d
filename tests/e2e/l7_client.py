"""HTTP/1.1 client for the L7 tests, run inside a lab pod: sends COUNT requests on keep-alive
connections (reconnecting when the proxy closes one) and prints one JSON summary:
{"status": {code: n}, "version": {v: n}, "sample": {first response per status}}.
--concurrency N spreads them over N threads, each with its own connection (circuit breakers);
--new-connection opens a connection per request (TCP routes);
--times adds "times": [[status, seconds, version], ...] in completion order (timeouts, delays).
--raw TEXT instead sends TEXT (Python escapes such as \\r\\n understood) on one connection
and prints {"raw": what came back} (malformed requests)."""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import threading
import time
from collections import Counter


def raw_exchange(host: str, port: int, text: str, timeout: float) -> str:
    data = text.encode().decode("unicode_escape").encode("latin-1")
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
        except OSError:
            pass
    return got.decode(errors="replace")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--method", default="GET")
    ap.add_argument("--header", action="append", default=[], help="name:value")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--times", action="store_true")
    ap.add_argument("--raw", default=None)
    ap.add_argument("--new-connection", action="store_true", help="one TCP connection per request")
    args = ap.parse_args()
    if args.raw is not None:
        print(json.dumps({"raw": raw_exchange(args.host, args.port, args.raw, args.timeout)}))
        return
    headers = dict(h.split(":", 1) for h in args.header)
    status, version, sample, errors, times = Counter(), Counter(), {}, [], []
    lock = threading.Lock()

    def run(count: int) -> None:
        conn = None
        for _ in range(count):
            start = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout)
                conn.request(args.method, args.path, headers=headers)
                r = conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(repr(e))
                conn = None
                continue
            with lock:
                status[r.status] += 1
                v = r.getheader("x-version") or "-"
                version[v] += 1
                times.append([r.status, round(time.monotonic() - start, 4), v])
                if r.status not in sample:
                    sample[r.status] = {"headers": {k.lower(): v for k, v in r.getheaders()},
                                        "body": body.decode(errors="replace")[:2000]}
            if r.will_close or args.new_connection:
                conn.close()
                conn = None

    t0 = time.monotonic()
    shares = [args.count // args.concurrency + (i < args.count % args.concurrency)
              for i in range(args.concurrency)]
    threads = [threading.Thread(target=run, args=(n,)) for n in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {"seconds": round(time.monotonic() - t0, 3), "status": status, "version": version,
           "sample": sample, "errors": errors[:5], "n_errors": len(errors)}
    if args.times:
        out["times"] = times
    print(json.dumps(out))


if __name__ == "__main__":
    main()
