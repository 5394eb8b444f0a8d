"""A WebSocket server and client for the upgrade tests (python3-websockets), run in lab pods.

serve: greets each connection first with {"hello": VERSION, "path": ..., "x-canary": ...}
(the server speaks first, so its first frame may share a packet with the 101), then echoes
every message back unchanged. Prints {"listening": port} once bound.
call: connects to ws://HOST:PORT/PATH (extra headers with --header k:v), reads the greeting,
sends text and binary messages up to --big bytes (random), checks each echo, closes cleanly,
and prints {"hello": ..., "echoed": n, "ok": true} or {"error": ...}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import websockets


async def serve(port: int, version: str) -> None:
    async def handler(ws, path):
        await ws.send(json.dumps({"hello": version, "path": path,
                                  "x-canary": ws.request_headers.get("x-canary", "")}))
        async for message in ws:
            await ws.send(message)

    async with websockets.serve(handler, "0.0.0.0", port, max_size=None, compression=None):
        print(json.dumps({"listening": port}), flush=True)
        await asyncio.Future()


async def call(host: str, port: int, path: str, headers: list[str], big: int) -> dict:
    extra = [tuple(h.split(":", 1)) for h in headers]
    uri = f"ws://{host}:{port}{path}"
    async with websockets.connect(uri, extra_headers=extra, max_size=None, compression=None,
                                  open_timeout=10, close_timeout=5) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        messages = ["ping", "x" * 1000, os.urandom(64 * 1024), os.urandom(big)]
        for m in messages:
            await ws.send(m)
            back = await asyncio.wait_for(ws.recv(), 20)
            if back != m:
                return {"error": f"echo of a {len(m)}-byte message differs", "hello": hello}
        return {"hello": hello, "echoed": len(messages), "ok": True}


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--version", required=True)
    c = sub.add_parser("call")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("path")
    c.add_argument("--header", action="append", default=[])
    c.add_argument("--big", type=int, default=1 << 20)
    args = ap.parse_args()
    if args.cmd == "serve":
        asyncio.run(serve(args.port, args.version))
        return
    try:
        out = asyncio.run(call(args.host, args.port, args.path, args.header, args.big))
    except Exception as e:  # noqa: BLE001 - the test reads the reason
        out = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
    sys.exit(0 if out.get("ok") else 1)


if __name__ == "__main__":
    main()
