#!/usr/bin/env python3
"""Tracing cost on the L7 path (issue 15): HTTP/1.1 keep-alive requests across nodes through
node0's ztunnel (l7_bench.py's mesh path: VirtualService routes, HBONE mTLS to node1, nginx), with
tracing off, at 1% and at 100% sampling.

    sudo tests/bench/tracing_bench.py [--reps 5] [--dur 5] [--conns 24,50] [--out DIR]
    (defaults: about 3 minutes; installs wrk and nginx when missing, as l7_bench.py)
    Under the build lock, so no compile disturbs the runs (the script then skips its own lock):
    flock /tmp/zmesh-build.lock env ZMESH_BUILD_LOCK_HELD=1 tests/bench/tracing_bench.py ...

  mesh            meshConfig names no tracing provider: ztunnel still propagates the trace headers
                  and sets x-request-id (it always does), and writes no span
  mesh-trace-1    defaultProviders.tracing [sink], defaultConfig.tracing.sampling 1: 1% of the
                  requests (no incoming decision: wrk sends no trace headers) get a client span,
                  exported over OTLP/HTTP (protobuf) in batches
  mesh-trace-100  the same at 100%: every request's span is exported

The collector is a sink: a Python HTTP server in plain-1-1 (Service plain/trace-sink, port 4318)
answering 200 to every POST, on the load generator's CPU. It stands in for a collector because
the benchmark measures the proxy's cost, not a collector's ingestion (tests/e2e/test_tracing.py
proves the same bytes against a real Jaeger). Before measuring, one request at 100% must raise
node0's zmesh_trace_spans_exported_total, and in every mesh-trace-100 run node0 must count as
many exported spans as wrk completed requests (minus the queue's last batch: --conns of slack),
else the run is an ERROR.
Method as l7_bench.py (whose L7Bench this subclasses): both ztunnels (--workers 1) and the
backends on CPU 0, wrk on CPU 1; modes interleaved in each repetition (order reversed on even
ones); medians of per-repetition ratios with min-max; proxy CPU from /proc/<pid>/stat.
Targets: mesh-trace-100 >= 0.90x and mesh-trace-1 >= 0.98x mesh requests/s.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lab"))

import l7_bench as l7  # noqa: E402
from l7_bench import L7Bench, fmt, install_tools  # noqa: E402
from zlab import PLAIN_NS, kube, metric_sum, wait_for  # noqa: E402
from zlab.host import run  # noqa: E402

MODES = ("mesh", "mesh-trace-1", "mesh-trace-100")
SINK_IP, SINK_PORT = "10.96.50.40", 4318
MESH_FILE = "tracing-bench.yaml"
EXPORTED = "zmesh_trace_spans_exported_total"
SINK = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
"""


def mesh_config(mode: str) -> dict:
    mesh = {"extensionProviders": [{"name": "sink", "opentelemetry": {
        "service": f"trace-sink.{PLAIN_NS}.svc.cluster.local", "port": SINK_PORT, "http": {"path": "/v1/traces"}}}]}
    if mode != "mesh":
        mesh["defaultProviders"] = {"tracing": ["sink"]}
        mesh["defaultConfig"] = {"tracing": {"sampling": 100 if mode == "mesh-trace-100" else 1}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": json.dumps(mesh)}}


class TracingBench(L7Bench):
    def __init__(self, args):
        super().__init__(args)
        self.mode_on: str | None = None

    def start(self):
        super().start()
        sink_pod = self.lab.pod("plain-1-1")
        svc = kube.service("trace-sink", PLAIN_NS, SINK_IP, {"app": sink_pod.name}, [(SINK_PORT, SINK_PORT)])
        svc["spec"]["ports"][0]["name"] = "http"
        for n in self.lab.nodes:
            n.write_config("tracing-bench-svc.yaml", kube.dump_all([svc]))
        sink = os.path.join(self.a.out, "sink.py")
        with open(sink, "w") as f:
            f.write(SINK)
        self.sink = sink_pod.spawn(["taskset", "-c", l7.CPU_GEN, sys.executable, sink, str(SINK_PORT)])

    def stop(self):
        if getattr(self, "sink", None):
            self.sink.kill()
        super().stop()

    def client(self, mode: str):
        return super().client("mesh")

    def url(self, mode: str) -> str:
        return super().url("mesh")

    def proxy_pids(self, mode: str) -> list[int]:
        return super().proxy_pids("mesh")

    def exported(self) -> float:
        return metric_sum(self.lab.node(0).metrics(), EXPORTED)

    def set_mode(self, mode: str):
        if self.mode_on == mode:
            return
        text = kube.dump_all([mesh_config(mode)])
        for n in self.lab.nodes:
            n.write_config(MESH_FILE, text)
        want = [] if mode == "mesh" else ["sink"]
        sampling = {"mesh": None, "mesh-trace-1": 1, "mesh-trace-100": 100}[mode]

        def loaded():
            m = self.lab.node(0).config_dump().get("meshConfig") or {}
            got = m.get("defaultConfig", {}).get("tracing", {}).get("sampling")
            return m.get("defaultProviders", {}).get("tracing", []) == want and (sampling is None or got == sampling)
        wait_for(loaded, 15, 0.05, f"node0 to serve tracing mode {mode}")
        self.mode_on = mode

    def check(self):
        self.set_mode("mesh-trace-100")
        e0 = self.exported()
        cp = self.client("mesh").run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", self.url("mesh")],
                                     timeout=30, check=False)
        if cp.stdout.strip() != "200":
            raise RuntimeError(f"the benchmark request should get 200, got {cp.stdout!r} {cp.stderr[-300:]}")
        wait_for(lambda: self.exported() > e0, 10, 0.05, "node0 to export the request's span to the sink")
        print("  verified: a traced request's span reaches the sink (zmesh_trace_spans_exported_total)", flush=True)

    def measure(self, rep: int, mode: str, conns) -> dict:
        self.set_mode(mode)
        e0 = self.exported()
        rec = super().measure(rep, "mesh", conns)
        rec["mode"] = mode
        time.sleep(0.5)  # the exporter's last batch (200 ms)
        rec["spans_exported"] = self.exported() - e0
        if mode == "mesh-trace-100" and rec.get("requests") and rec["spans_exported"] + conns < rec["requests"]:
            rec["error"] = (rec.get("error", "") + f" node0 exported {rec['spans_exported']:.0f} spans for "
                            f"{rec['requests']} requests").strip()
            print(f"  !! rep {rep} c{conns} {mode}: ERROR {rec['error']}", flush=True)
        if mode != "mesh":
            print(f"     node0 spans exported: {rec['spans_exported']:.0f} for {rec.get('requests')} requests",
                  flush=True)
        return rec

    def run(self) -> int:
        self.check()
        for m in self.a.modes:  # warm-up
            self.set_mode(m)
            self.wrk(m, 1, max(self.a.conns))
        try:
            for rep in range(1, self.a.reps + 1):
                print(f"== rep {rep}/{self.a.reps} {time.strftime('%H:%M:%S')}", flush=True)
                for c in self.a.conns:
                    for m in (self.a.modes if rep % 2 else list(reversed(self.a.modes))):
                        self.measure(rep, m, c)
                        time.sleep(0.5)
        finally:
            with open(os.path.join(self.a.out, "raw.json"), "w") as f:
                json.dump(self.raw, f, indent=1)
        return self.summary()

    def summary(self) -> int:
        vals, ratio = self.vals, self.ratio

        wv = run(["wrk", "-v"], check=False).stdout.split("\n")[0].split(" [")[0]
        lines = [f"environment: kernel {os.uname().release}; {os.cpu_count()} CPUs; load average at the end "
                 f"{os.getloadavg()[0]:.2f}; reps={self.a.reps} dur={self.a.dur}s; ztunnel (sha256 "
                 f"{self.ztunnel_sha}) --workers {self.a.workers}; {wv} -t1; backends/proxies on CPU {l7.CPU_SRV}, "
                 f"wrk and the sink on CPU {l7.CPU_GEN}; command: tests/bench/tracing_bench.py "
                 f"{' '.join(sys.argv[1:])}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"]
        checks = []
        targets = {"mesh-trace-100": 0.90, "mesh-trace-1": 0.98}
        for c in self.a.conns:
            lines += ["", f"wrk -t1 -c{c}, {self.a.dur} s, GET / (64 B body), keep-alive, through node0's L7 routes:",
                      "", "| mode | requests/s | p50 us | p99 us | proxy vCPU per 1k req/s | spans exported |",
                      "|---|---|---|---|---|---|"]
            for m in self.a.modes:
                lines.append(f"| {m} | {fmt(vals(m, c, 'rps').values())} | {fmt(vals(m, c, 'p50_us').values())} | "
                             f"{fmt(vals(m, c, 'p99_us').values())} | {fmt(vals(m, c, 'vcpu_per_krps').values(), 4)} | "
                             f"{fmt(vals(m, c, 'spans_exported').values())} |")
            lines.append("")
            for m, target in targets.items():
                if m in self.a.modes and "mesh" in self.a.modes:
                    rr = ratio(m, "mesh", c, "rps")
                    lines.append(f"c{c} {m}/mesh: requests/s {fmt(rr, 3)}x   p99 {fmt(ratio(m, 'mesh', c, 'p99_us'), 2)}x"
                                 f"   vCPU per 1k req/s {fmt(ratio(m, 'mesh', c, 'vcpu_per_krps'), 2)}x")
                    checks.append((f"c{c} requests/s {m}/mesh >= {target}", bool(rr) and statistics.median(rr) >= target))
        return self.write_summary(lines, checks)


def main() -> int:
    repo = os.path.abspath(os.path.join(HERE, "..", ".."))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--dur", type=int, default=5, help="seconds per measurement")
    p.add_argument("--conns", default="24,50", help="wrk connections (keep-alive)")
    p.add_argument("--workers", type=int, default=1, help="ztunnel --workers")
    p.add_argument("--modes", default=",".join(MODES), help=f"a subset of {','.join(MODES)}")
    p.add_argument("--build-dir", default=os.environ.get("ZMESH_BUILD_DIR", os.path.join(repo, "build")))
    p.add_argument("--out", default=f"/tmp/zmesh-bench/tracing-{time.strftime('%Y%m%d-%H%M%S')}")
    p.add_argument("--lab-name", default="bench-trace")
    p.add_argument("--no-pin", action="store_true", help="let the scheduler place everything (not the method)")
    a = p.parse_args()
    a.modes = [m for m in a.modes.split(",") if m]
    a.conns = [int(c) for c in a.conns.split(",") if c]
    a.parts, a.grpc_load, a.perf = ["http1"], [], False  # what L7Bench reads
    if bad := [m for m in a.modes if m not in MODES]:
        print(f"unknown modes: {bad}", file=sys.stderr)
        return 1
    if a.no_pin:
        l7.CPU_SRV = l7.CPU_GEN = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 1
    install_tools(("wrk", "nginx"))
    for tool in ("curl", "taskset", "wrk", "nginx"):
        if not shutil.which(tool):
            print(f"missing {tool}: run scripts/setup, then apt-get install wrk nginx", file=sys.stderr)
            return 1
    b = TracingBench(a)
    try:
        b.start()
        return b.run()
    finally:
        b.stop()


if __name__ == "__main__":
    sys.exit(main())
