#!/usr/bin/env python3
"""The lab's in-pod application: one TCP server that speaks a few line commands, and clients.

Server:  podtool.py serve --port 8080 --name POD [--results FILE]
  Each connection starts with one command line:
    WHO\\n            -> one JSON line {"pod", "peer", "local"}, then close
    XFER <n> <id> [<rate>]\\n
                    -> full duplex: the server sends n random bytes (at most <rate> bytes/s if given)
                       while it reads the client's bytes until EOF; then it appends {"id","peer",
                       "recv_len","recv_sha","sent_len","sent_sha"} to the results file (JSON lines)
    ECHO\\n           -> echo everything until EOF
    HOLD\\n           -> "OK\\n", then read until EOF
Clients (print one JSON line, exit 0 on success):
  podtool.py who HOST PORT
  podtool.py xfer HOST PORT NBYTES [--id ID] [--rate BYTES_PER_S]   (a paced, long-lived stream
                                     both ways: NBYTES/RATE seconds)
  podtool.py hold HOST PORT SECONDS     (prints {"connected":..} at once, holds, then closes)
  podtool.py echo HOST PORT TEXT
Stdlib only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import socketserver
import sys
import threading
import time

CHUNK = 256 * 1024


def _addr(a) -> str:
    return f"{a[0]}:{a[1]}"


def _send_random(sock: socket.socket, n: int, box: dict, rate: float = 0) -> None:
    h = hashlib.sha256()
    sent = 0
    chunk = CHUNK if rate <= 0 else max(1, min(CHUNK, int(rate / 20)))
    t0 = time.monotonic()
    try:
        while sent < n:
            if rate > 0:  # pace: never ahead of rate * elapsed
                ahead = sent / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            b = os.urandom(min(chunk, n - sent))
            sock.sendall(b)
            h.update(b)
            sent += len(b)
        sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        box["error"] = str(e)
    box["sent_len"] = sent
    box["sent_sha"] = h.hexdigest()


def _recv_all(sock: socket.socket) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        k = sock.recv_into(view)
        if not k:
            break
        h.update(view[:k])
        n += k
    return n, h.hexdigest()


def _readline(sock: socket.socket, limit: int = 256) -> str:
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        c = sock.recv(1)
        if not c:
            break
        data += c
    return data.decode("ascii", "replace").strip()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s: socket.socket = self.request
        srv = self.server
        try:
            cmd = _readline(s).split()
            if not cmd:
                return
            if cmd[0] == "WHO":
                s.sendall((json.dumps({"pod": srv.podname, "peer": _addr(self.client_address),
                                       "local": _addr(s.getsockname())}) + "\n").encode())
            elif cmd[0] == "XFER":
                n = int(cmd[1])
                cid = cmd[2] if len(cmd) > 2 else ""
                rate = float(cmd[3]) if len(cmd) > 3 else 0.0
                box: dict = {}
                t = threading.Thread(target=_send_random, args=(s, n, box, rate), daemon=True)
                t.start()
                rl, rs = _recv_all(s)
                t.join()
                rec = {"id": cid, "pod": srv.podname, "peer": _addr(self.client_address),
                       "local": _addr(s.getsockname()), "recv_len": rl, "recv_sha": rs, **box}
                if srv.results:
                    with srv.lock, open(srv.results, "a") as f:
                        f.write(json.dumps(rec) + "\n")
            elif cmd[0] == "ECHO":
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    s.sendall(b)
            elif cmd[0] == "HOLD":
                s.sendall(b"OK\n")
                while s.recv(65536):
                    pass
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


def serve(args) -> int:
    srv = Server(("0.0.0.0", args.port), Handler)
    srv.podname = args.name
    srv.results = args.results
    srv.lock = threading.Lock()
    print(json.dumps({"listening": args.port, "pod": args.name}), flush=True)
    srv.serve_forever()
    return 0


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def who(args) -> int:
    s = _connect(args.host, args.port, args.timeout)
    s.sendall(b"WHO\n")
    line = _readline(s, 4096)
    s.close()
    d = json.loads(line)
    print(json.dumps(d), flush=True)
    return 0


def xfer(args) -> int:
    t0 = time.monotonic()
    s = _connect(args.host, args.port, args.timeout)
    local = _addr(s.getsockname())
    rate = f" {args.rate}" if args.rate > 0 else ""
    s.sendall(f"XFER {args.nbytes} {args.id}{rate}\n".encode())
    box: dict = {}
    t = threading.Thread(target=_send_random, args=(s, args.nbytes, box, args.rate), daemon=True)
    t.start()
    rl, rs = _recv_all(s)
    t.join()
    s.close()
    out = {"id": args.id, "local": local, "recv_len": rl, "recv_sha": rs, **box,
           "seconds": round(time.monotonic() - t0, 3)}
    print(json.dumps(out), flush=True)
    return 0 if rl == args.nbytes and box.get("sent_len") == args.nbytes and "error" not in box else 1


def hold(args) -> int:
    s = _connect(args.host, args.port, args.timeout)
    s.sendall(b"HOLD\n")
    ok = _readline(s)
    print(json.dumps({"connected": ok == "OK", "local": _addr(s.getsockname()),
                      "remote": _addr(s.getpeername())}), flush=True)
    s.settimeout(None)
    time.sleep(args.seconds)
    s.close()
    return 0


def echo(args) -> int:
    s = _connect(args.host, args.port, args.timeout)
    s.sendall(b"ECHO\n" + args.text.encode())
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    print(json.dumps({"echo": data.decode("utf-8", "replace")}), flush=True)
    return 0 if data == args.text.encode() else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="podtool")
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("serve")
    a.add_argument("--port", type=int, default=8080)
    a.add_argument("--name", default=os.environ.get("ZLAB_POD", "?"))
    a.add_argument("--results")
    a.set_defaults(fn=serve)
    for name, fn in (("who", who), ("xfer", xfer), ("hold", hold), ("echo", echo)):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        if name == "xfer":
            c.add_argument("nbytes", type=int)
            c.add_argument("--id", default="x")
            c.add_argument("--rate", type=float, default=0.0, help="bytes per second each way (0: as fast as possible)")
        if name == "hold":
            c.add_argument("seconds", type=float)
        if name == "echo":
            c.add_argument("text")
        c.add_argument("--timeout", type=float, default=30.0)
        c.set_defaults(fn=fn)
    args = p.parse_args(argv)
    try:
        return args.fn(args)
    except (OSError, ValueError) as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
