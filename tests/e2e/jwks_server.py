"""A real HTTPS server for a JWKS document, run inside a lab pod for the RequestAuthentication
tests: serves the file --jwks (re-read on every request, so a test rotates keys by rewriting it)
at any path, with the certificate and key given. Prints {"listening": port} once bound and one
JSON line per request served ({"served": path})."""
from __future__ import annotations

import argparse
import http.server
import json
import ssl
import sys


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--jwks", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            with open(args.jwks, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            sys.stdout.write(json.dumps({"served": self.path}) + "\n")
            sys.stdout.flush()

        def log_message(self, *a) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("0.0.0.0", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(json.dumps({"listening": args.port}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
