"""A TLS app for the tls[] route tests, run inside lab pods.
server: answers every TLS connection with one JSON line {"version": V, "sni": name} and closes.
client: opens COUNT TLS connections with the given SNI (no verification: the route, not the
certificate, is under test) and prints {"version": {v: n}, "errors": [...]}."""
from __future__ import annotations

import argparse
import json
import socket
import ssl
import sys
import threading
from collections import Counter


def serve(port: int, version: str, cert: str, key: str) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    names: dict[int, str] = {}

    def on_sni(sock, name, _ctx):
        names[id(sock)] = name or ""

    ctx.sni_callback = on_sni
    srv = socket.create_server(("0.0.0.0", port), reuse_port=True)
    print(json.dumps({"listening": port}), flush=True)

    def handle(raw: socket.socket) -> None:
        try:
            with ctx.wrap_socket(raw, server_side=True) as tls:
                tls.sendall((json.dumps({"version": version, "sni": names.pop(id(tls), "")}) + "\n").encode())
        except (OSError, ssl.SSLError):
            pass

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def client(host: str, port: int, sni: str, count: int) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    versions, errors = Counter(), []
    for _ in range(count):
        try:
            with socket.create_connection((host, port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname=sni or None) as tls:
                    line = tls.makefile().readline()
                    versions[json.loads(line)["version"]] += 1
        except (OSError, ssl.SSLError, ValueError) as e:
            errors.append(repr(e))
    print(json.dumps({"version": versions, "errors": errors[:5], "n_errors": len(errors)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--version", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    c = sub.add_parser("client")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--sni", default="")
    c.add_argument("--count", type=int, default=1)
    a = ap.parse_args()
    if a.cmd == "server":
        serve(a.port, a.version, a.cert, a.key)
    else:
        client(a.host, a.port, a.sni, a.count)


if __name__ == "__main__":
    sys.exit(main())
