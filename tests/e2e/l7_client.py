"""HTTP/1.1 client for the L7 tests, run inside a lab pod: sends COUNT requests on keep-alive
connections (reconnecting when the proxy closes one) and prints one JSON summary:
{"status": {code: n}, "version": {v: n}, "sample": {first response per status}}."""
from __future__ import annotations

import argparse
import http.client
import json
import time
from collections import Counter


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--method", default="GET")
    ap.add_argument("--header", action="append", default=[], help="name:value")
    ap.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    status, version, sample, errors = Counter(), Counter(), {}, []
    conn = None
    t0 = time.monotonic()
    for _ in range(args.count):
        try:
            if conn is None:
                conn = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout)
            conn.request(args.method, args.path, headers=headers)
            r = conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))
            conn = None
            continue
        status[r.status] += 1
        version[r.getheader("x-version") or "-"] += 1
        if r.status not in sample:
            sample[r.status] = {"headers": {k.lower(): v for k, v in r.getheaders()},
                                "body": body.decode(errors="replace")[:2000]}
        if r.will_close:
            conn.close()
            conn = None
    print(json.dumps({"seconds": round(time.monotonic() - t0, 3), "status": status, "version": version, "sample": sample, "errors": errors[:5],
                      "n_errors": len(errors)}))


if __name__ == "__main__":
    main()
