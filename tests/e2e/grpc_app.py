"""A real gRPC server and client (grpcio) for the HTTP/2 + gRPC e2e tests, run inside lab pods.

No protoc: both sides use generic handlers with raw-bytes messages, so any method name works.

  grpc_app.py serve --port P --version V [--fail-every N]
      Answers every unary call on every method (the server never says UNIMPLEMENTED itself, so
      an UNIMPLEMENTED the client sees came from the proxy) with a JSON body {"version", "method",
      "n", "metadata"} and initial metadata x-version: V. --fail-every N fails every Nth call
      (1-based: N=2 fails the 1st, 3rd, ...) with UNAVAILABLE before any message or header,
      i.e. as a trailers-only response, which is what a proxy's retryOn "unavailable" inspects.
      Request metadata `x-sleep: SECONDS` delays the answer (a slow backend). Prints
      {"listening": P} once bound.

  grpc_app.py call HOST PORT METHOD [--count N] [--metadata k:v]... [--deadline S]
      N unary calls on one channel (one HTTP/2 connection, as a real client keeps it) and prints
      one JSON summary: {"codes": {name: n}, "version": {v: n}, "sample": {code name: first
      call's details/metadata/body}, "times": [[code, seconds, version], ...], "seconds"}.
      --deadline 0 (the default) sends no grpc-timeout, so only the proxy can cut a call short.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from concurrent import futures

import grpc

# No HTTP proxy from the environment, no client-side retries: every call is one attempt.
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0), ("grpc.enable_retries", 0)]


def serve(args) -> None:
    lock, count = threading.Lock(), [0]

    def handle(request: bytes, context) -> bytes:
        with lock:
            count[0] += 1
            n = count[0]
        md = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        sleep = float(md.get("x-sleep") or 0)
        if sleep > 0:
            time.sleep(sleep)
        if args.fail_every and n % args.fail_every == 1 % args.fail_every:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"{args.version} fails call {n}")
        context.send_initial_metadata((("x-version", args.version),))
        return json.dumps({"version": args.version, "method": method_of(context), "n": n, "metadata": md,
                           "request_len": len(request)}).encode()

    def method_of(context) -> str:
        try:
            return context._rpc_event.call_details.method.decode()  # noqa: SLF001 (grpcio has no public getter)
        except AttributeError:
            return ""

    class AnyMethod(grpc.GenericRpcHandler):
        def service(self, handler_call_details):
            return grpc.unary_unary_rpc_method_handler(handle)  # no (de)serializers: raw bytes

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), handlers=[AnyMethod()],
                         options=[("grpc.so_reuseport", 0)])
    if server.add_insecure_port(f"0.0.0.0:{args.port}") != args.port:
        sys.exit(f"cannot bind port {args.port}")
    server.start()
    print(json.dumps({"listening": args.port}), flush=True)
    server.wait_for_termination()


def call(args) -> None:
    metadata = tuple((k.strip().lower(), v.strip()) for k, v in (m.split(":", 1) for m in args.metadata))
    codes, versions, sample, times = Counter(), Counter(), {}, []
    t0 = time.monotonic()
    with grpc.insecure_channel(f"{args.host}:{args.port}", options=CHANNEL_OPTIONS) as channel:
        stub = channel.unary_unary(args.method)  # bytes in, bytes out
        for i in range(args.count):
            start = time.monotonic()
            body, initial, trailing, details = b"", (), (), ""
            try:
                body, c = stub.with_call(args.payload.encode(), metadata=metadata,
                                         timeout=args.deadline or None)
                code = grpc.StatusCode.OK
                initial, trailing = c.initial_metadata(), c.trailing_metadata()
            except grpc.RpcError as e:
                code, details = e.code(), e.details()
                initial, trailing = e.initial_metadata() or (), e.trailing_metadata() or ()
            version = dict(initial).get("x-version", "-")
            codes[code.name] += 1
            versions[version] += 1
            times.append([code.name, round(time.monotonic() - start, 4), version])
            if code.name not in sample:
                sample[code.name] = {"details": details, "initial": dict(initial), "trailing": dict(trailing),
                                     "body": body.decode(errors="replace")[:2000]}
    print(json.dumps({"seconds": round(time.monotonic() - t0, 3), "codes": codes, "version": versions,
                      "sample": sample, "times": times}))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--version", required=True)
    s.add_argument("--fail-every", type=int, default=0)
    c = sub.add_parser("call")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("method", help="/package.Service/Method")
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--metadata", action="append", default=[], help="name:value")
    c.add_argument("--deadline", type=float, default=0, help="seconds; 0 = none")
    c.add_argument("--payload", default="hello")
    args = ap.parse_args()
    serve(args) if args.cmd == "serve" else call(args)


if __name__ == "__main__":
    main()
