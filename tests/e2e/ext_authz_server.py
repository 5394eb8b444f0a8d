"""An external authorizer speaking Envoy's ext_authz HTTP API, as Istio's samples/extauthz does,
run inside a lab pod: a check request carrying `x-ext-authz: allow` is allowed (200), any other
is denied (403, body "denied by ext_authz for not found header `x-ext-authz: allow` in the
request"); both answers carry `x-ext-authz-check-result: allowed|denied`, and an allowed one
`x-ext-authz-added: <path>` too. Prints {"listening": port} once bound, then one JSON line per
check ({"check": method, "path": ..., "headers": {...}, "body_len": n}) so tests see what the
proxy sent.
"""
from __future__ import annotations

import argparse
import http.server
import json
import sys
import threading


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _check(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                print(json.dumps({"check": self.command, "path": self.path, "headers": headers,
                                  "body_len": len(body)}), flush=True)
            allowed = headers.get("x-ext-authz") == "allow"
            text = b"" if allowed else b"denied by ext_authz for not found header `x-ext-authz: allow` in the request"
            self.send_response(200 if allowed else 403)
            self.send_header("x-ext-authz-check-result", "allowed" if allowed else "denied")
            if allowed:
                self.send_header("x-ext-authz-added", self.path)
            self.send_header("x-not-forwarded", "1")
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(text)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _check

        def log_message(self, *a) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("0.0.0.0", args.port), Handler)
    print(json.dumps({"listening": args.port}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
