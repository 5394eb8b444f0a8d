"""Requests on ONE kept-alive HTTP/1.1 connection, for the L7 authorization tests, run inside a
lab pod: sends GET PATH every 0.1 s on the same connection until the status is --until (or
--timeout passes); prints {"first": status} after the first and {"statuses": [...],
"reconnected": bool} at the end. `reconnected` is true when
the connection had to be opened again (the server closed it), which the test forbids: a policy
change must apply to the next request on a connection that stays open."""
from __future__ import annotations

import argparse
import http.client
import json
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--until", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()
    conn = http.client.HTTPConnection(args.host, args.port, timeout=10)
    statuses, socks = [], set()  # the local address of every request's connection
    deadline = time.monotonic() + args.timeout
    while True:
        conn.request("GET", args.path)
        socks.add(conn.sock.getsockname())
        r = conn.getresponse()
        r.read()
        statuses.append(r.status)
        if len(statuses) == 1:
            print(json.dumps({"first": r.status}), flush=True)
        if r.status == args.until or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    print(json.dumps({"statuses": statuses, "reconnected": len(socks) > 1}))


if __name__ == "__main__":
    main()
