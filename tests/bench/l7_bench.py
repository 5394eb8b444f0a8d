#!/usr/bin/env python3
"""L7 benchmark (issue 5): HTTP/1.1 keep-alive requests and gRPC unary calls across nodes, routed
by a VirtualService.

    sudo tests/bench/l7_bench.py [--reps 5] [--dur 5] [--conns 24,50] [--grpc-load 24x1,4x16]
                                 [--grpc-only | --no-grpc] [--perf] [--out DIR]
    (defaults: about 6 minutes; installs wrk and nginx (and linux-perf for --perf) when missing;
    builds the gRPC backend (tests/bench/grpc_server, Go) once into /var/cache/zmesh/grpc-bench)
    Under the build lock, so no compile disturbs the runs (the script then skips its own lock):
    flock /tmp/zmesh-build.lock env ZMESH_BUILD_LOCK_HELD=1 tests/bench/l7_bench.py ...

  direct        plain-0-0 -> nginx in plain-1-0 (no proxy, no routing: the ceiling)
  mesh          pod-0-0 -> Service reviews (port name http) -> ztunnel node0 L7: VirtualService
                (route 1: header x-canary: yes -> v2; route 2: 90% v1 / 10% v2; retries 2 on 5xx on
                both) -> HBONE (HTTP/2 CONNECT over TLS 1.3 mTLS) -> ztunnel node1 -> nginx in
                pod-1-0 (v1) or pod-1-1 (v2)
  haproxy-mtls  plain-0-0 -> HAProxy A (node0 netns, mode http: the same header match, 90/10
                weighted servers, `retries 2` + `retry-on` 5xx and connection failures) -> TLS 1.3
                with a client certificate (lab CA, verifyhost) -> HAProxy B (node1 netns, mode tcp,
                verify required) -> nginx in plain-1-0 (v1) or plain-1-1 (v2)

Load: wrk (HTTP/1.1 keep-alive, -t1 -c N for each N of --conns) for --dur seconds, GET / without
x-canary, so every request is matched against the header route, then split 90/10. The default
levels sit either side of 32 concurrent requests per endpoint (ztunnel's idle-pool cap per key,
kMaxIdlePerKey in ztunnel/l7/upstream_pool.h): 24 connections put ~22 on v1, 50 put ~45.
Backends: nginx, one worker per pod, a fixed 64-byte body naming its version. The same client,
backends and concurrency in every path; paths interleaved in each repetition (order reversed on
even ones).
Method as in shared/reference/performance.md and tests/bench/l4_bench.py (whose helpers this
imports): backends, both ztunnels (--workers 1) and both HAProxies (nbthread 1) pinned to CPU 0,
wrk to CPU 1; medians of per-repetition ratios with min-max; proxy CPU time (both ztunnels, or
both HAProxies) from /proc/<pid>/stat around every run, reported as vCPU per 1,000 requests/s;
TCP connects in all the lab's namespaces around every run, less wrk's own, per request ("upstream
TCP opens per request": ~0 when the proxies keep their upstream connections alive).
Before measuring, the script checks that the routing is real on both proxied paths (the header
sends every request to v2, the split gives v2 about 10%), that the mesh requests are counted by
ztunnel node0 as L7 requests with connection_security_policy="mutual_tls", and that HAProxy B
terminates TLS and refuses a client without a certificate; it stops if any of these is not so.
A mesh run in which node0 did not count (at least) as many L7 requests as wrk sent, or any run
with socket errors or non-2xx answers, is shown as an ERROR and left out of the medians.
Targets: mesh >= 1.3x the HAProxy pair's requests/s at equal or lower p99; mesh vCPU per 1k rps
below the pair's.

gRPC unary (the same three paths, HTTP/2 end to end; --grpc-only runs just this part):
  direct        plain-0-0 -> grpc_server in plain-1-0 (h2c)
  mesh          pod-0-0 -> Service greeter (port name grpc) -> ztunnel node0 L7 (a VirtualService
                with the same routes as reviews) -> HBONE -> ztunnel node1 -> grpc_server in
                pod-1-0 (v1) or pod-1-1 (v2), HTTP/2 upstream
  haproxy-mtls  plain-0-0 -> HAProxy A (`mode http`, `proto h2` on the bind and the servers: the
                same header route and 90/10 split) -> TLS 1.3 + client certificate -> HAProxy B
                (mode tcp) -> grpc_server in plain-1-0 / plain-1-1
Load: h2load -t1 -c C -m M (each --grpc-load level CxM: C connections, M calls in flight on each)
POSTing one gRPC-framed 5-byte message (5-byte length prefix; content-type application/grpc,
te: trailers) to /zmesh.Bench/Unary for --dur seconds; p50/p99 from h2load's per-request log.
Backend: grpc_server (google.golang.org/grpc, GOMAXPROCS=1, pinned like nginx): a real gRPC server
answering any method with a 64-byte message and grpc-status 0 in trailers. Before measuring, the
routing is checked with a real gRPC client (tests/e2e/grpc_app.py: header -> v2, split ~10% v2,
every call OK) on both proxied paths; a mesh run is an ERROR unless node0 counted at least as many
L7 requests with request_protocol="grpc" and grpc_response_status="0" as h2load completed. h2load
itself does not read trailers, hence these checks. The gRPC part reports the same ratios as the
HTTP/1.1 part; it has no targets of its own yet.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
sys.path.insert(0, HERE)

from l4_bench import HZ, core_busy, core_snap, cpu_ticks, hap_info, haproxy_cert, netns_tcp  # noqa: E402
from zlab import MESH_NS, Lab, kube, metric_sum, wait_for  # noqa: E402
from zlab.host import cgroup_procs, run  # noqa: E402

CPU_SRV, CPU_GEN = "0", "1"   # --no-pin sets both to every CPU
MODES = ("direct", "mesh", "haproxy-mtls")
SVC_IP, PORT = "10.96.50.10", 9080
HAP_A_PORT, HAP_B_PORT = 15301, {"v1": 15311, "v2": 15312}
REQUESTS = "istio_requests_total"
BUILD_LOCK = "/tmp/zmesh-build.lock"  # held by whoever rebuilds build/ (notes/preamble.md)
BODY_LEN = 64  # response body bytes, as the yardstick's /small
# gRPC part
GRPC_SVC_IP, GRPC_PORT, GRPC_METHOD = "10.96.50.20", 50051, "/zmesh.Bench/Unary"
HAP_A_GRPC_PORT, HAP_B_GRPC_PORT = 15302, {"v1": 15321, "v2": 15322}
GRPC_SERVER_SRC = os.path.join(HERE, "grpc_server")
GRPC_CACHE = os.environ.get("ZMESH_GRPC_BENCH_CACHE", "/var/cache/zmesh/grpc-bench")
GRPC_APP = os.path.join(HERE, "..", "e2e", "grpc_app.py")  # the e2e tests' grpcio client
GRPC_PY = "/usr/bin/python3"  # Debian's, with python3-grpcio (scripts/setup)
GRPC_BODY = b"\x00\x00\x00\x00\x05hello"  # one uncompressed gRPC message of 5 bytes


def l7_objects() -> list[dict]:
    """The Services, VirtualServices and DestinationRules of the mesh paths (as in
    test_l7_routing): reviews (HTTP/1.1, port name http) and greeter (gRPC, port name grpc),
    routed alike."""
    return (routing_objects("reviews", SVC_IP, PORT, "http", "5xx")
            + routing_objects("greeter", GRPC_SVC_IP, GRPC_PORT, "grpc", "5xx,unavailable"))


def routing_objects(name: str, ip: str, port: int, port_name: str, retry_on: str) -> list[dict]:
    svc = kube.service(name, MESH_NS, ip, {"l7app": "reviews"}, [(port, port)])
    svc["spec"]["ports"][0]["name"] = port_name
    retries = {"attempts": 2, "retryOn": retry_on}
    vs = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
          "metadata": {"name": name, "namespace": MESH_NS},
          "spec": {"hosts": [name], "http": [
              {"name": "canary", "match": [{"headers": {"x-canary": {"exact": "yes"}}}], "retries": retries,
               "route": [{"destination": {"host": name, "subset": "v2"}}]},
              {"name": "split", "retries": retries,
               "route": [{"destination": {"host": name, "subset": "v1"}, "weight": 90},
                         {"destination": {"host": name, "subset": "v2"}, "weight": 10}]}]}}
    dr = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
          "metadata": {"name": name, "namespace": MESH_NS},
          "spec": {"host": name, "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                             {"name": "v2", "labels": {"version": "v2"}}]}}
    return [svc, vs, dr]


def nginx_config(d: str, version: str) -> str:
    body = f"{version} zmesh l7 bench backend".ljust(BODY_LEN - 1, ".") + "\\n"  # nginx turns \\n into a newline
    return f"""daemon off;
master_process on;
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{
    listen {PORT} backlog=4096;
    location / {{ default_type text/plain; add_header x-version {version}; return 200 "{body}"; }}
  }}
}}
"""


def hap_a_config(bind: str, b_ip: str, srv_ssl: str, sock: str, grpc_bind: str | None = None) -> str:
    """HAProxy A: the routing of the VirtualService, in HAProxy's words. `retry-on` with status
    codes makes HAProxy keep a copy of each request to replay it, as ztunnel does for retries.
    With grpc_bind, the same routing for gRPC: HTTP/2 in (`proto h2`: h2c from the client) and
    HTTP/2 over the TLS to B (`proto h2` on the servers; B is mode tcp, as for HTTP/1.1)."""
    tls = lambda v: f"server {v} {b_ip}:{HAP_B_PORT[v]} {srv_ssl}"  # noqa: E731
    gtls = lambda v: f"server {v} {b_ip}:{HAP_B_GRPC_PORT[v]} {srv_ssl} proto h2"  # noqa: E731
    grpc = [] if not grpc_bind else [
        "frontend fe_grpc", f"  bind {grpc_bind} proto h2 backlog 4096",
        "  use_backend be_grpc_v2 if { req.hdr(x-canary) -m str yes }", "  default_backend be_grpc_split",
        "backend be_grpc_v2", f"  {gtls('v2')}",
        "backend be_grpc_split", "  balance roundrobin", f"  {gtls('v1')} weight 90", f"  {gtls('v2')} weight 10",
    ]
    return "\n".join([
        "global", "  nbthread 1", "  maxconn 8000", f"  stats socket {sock} mode 600 level admin",
        "defaults", "  mode http", "  timeout connect 5s", "  timeout client 300s", "  timeout server 300s",
        "  timeout http-keep-alive 300s", "  retries 2",
        "  retry-on conn-failure empty-response response-timeout 500 501 502 503 504",
        "frontend fe", f"  bind {bind} backlog 4096",
        "  use_backend be_v2 if { req.hdr(x-canary) -m str yes }", "  default_backend be_split",
        "backend be_v2", f"  {tls('v2')}",
        "backend be_split", "  balance roundrobin", f"  {tls('v1')} weight 90", f"  {tls('v2')} weight 10",
    ] + grpc) + "\n"


def hap_b_config(b_ip: str, bind_ssl: str, backends: dict, sock: str, grpc: bool = False) -> str:
    """HAProxy B: terminates the mTLS like ztunnel node1 (L4), one listener per backend (and per
    gRPC backend with grpc)."""
    s = ["global", "  nbthread 1", "  maxconn 8000", f"  stats socket {sock} mode 600 level admin",
         "defaults", "  mode tcp", "  timeout connect 5s", "  timeout client 300s", "  timeout server 300s"]
    for v, ip in backends.items():
        s += [f"listen b_{v}", f"  bind {b_ip}:{HAP_B_PORT[v]} backlog 4096 {bind_ssl}", f"  server s1 {ip}:{PORT}"]
        if grpc:
            s += [f"listen b_grpc_{v}", f"  bind {b_ip}:{HAP_B_GRPC_PORT[v]} backlog 4096 {bind_ssl}",
                  f"  server s1 {ip}:{GRPC_PORT}"]
    return "\n".join(s) + "\n"


def parse_wrk(text: str) -> dict:
    """Requests/s, request count, latency percentiles (µs), errors from `wrk --latency`."""
    def us(v: str) -> float:
        m = re.fullmatch(r"([\d.]+)(us|ms|s)", v)
        return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)] if m else None
    d = {}
    if m := re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M):
        d["rps"] = float(m.group(1))
    if m := re.search(r"^\s*(\d+) requests in ([\d.]+)(m?s)", text, re.M):
        d["requests"] = int(m.group(1))
    for p in ("50", "90", "99"):
        if m := re.search(rf"^\s+{p}%\s+(\S+)", text, re.M):
            d[f"p{p}_us"] = us(m.group(1))
    errs = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        errs += sum(int(x) for x in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errs += int(m.group(1))
    d["errors"] = errs
    return d


def parse_h2load(text: str, log_path: str) -> dict:
    """Requests/s, completed requests, errors from h2load's summary; latency percentiles (µs)
    from its --log-file (one line per request: start µs, status, duration µs). h2load prints no
    percentiles itself."""
    d = {}
    if m := re.search(r"^finished in [\d.]+m?s, ([\d.]+) req/s", text, re.M):
        d["rps"] = float(m.group(1))
    errs = 0
    if m := re.search(r"^requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                      r"(\d+) errored, (\d+) timeout", text, re.M):
        d["requests"] = int(m.group(2))
        errs += int(m.group(3)) + int(m.group(4)) + int(m.group(5))
    if m := re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M):
        errs += sum(int(x) for x in m.groups()[1:])
    d["errors"] = errs
    try:
        with open(log_path) as f:
            us = sorted(int(line.split("\t")[2]) for line in f if line.count("\t") == 2)
    except (FileNotFoundError, ValueError, IndexError):
        us = []
    if us:
        for p in (50, 90, 99):
            d[f"p{p}_us"] = float(us[min(len(us) - 1, len(us) * p // 100)])
    return d


def build_grpc_server() -> str:
    """tests/bench/grpc_server built with the machine's Go from the module proxy (go.mod and go.sum
    pin every module), cached by a hash of its sources and the Go version."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not os.path.exists(go):
        raise RuntimeError("the gRPC part needs Go (/usr/local/go/bin/go) to build tests/bench/grpc_server")
    h = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        with open(os.path.join(GRPC_SERVER_SRC, name), "rb") as f:
            h.update(f.read())
    h.update(subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout.encode())
    binary = os.path.join(GRPC_CACHE, h.hexdigest()[:16], "grpc_server")
    if os.path.exists(binary):
        return binary
    print(f"  building the gRPC backend (Go, nice 19) into {binary}", flush=True)
    env = dict(os.environ, GOMODCACHE=os.path.join(GRPC_CACHE, "go", "mod"), GOCACHE=os.path.join(GRPC_CACHE, "go", "build"),
               GOFLAGS="-mod=readonly", CGO_ENABLED="0", GOTOOLCHAIN="local")
    tmp = binary + f".tmp{os.getpid()}"
    os.makedirs(os.path.dirname(binary), exist_ok=True)
    subprocess.run(["nice", "-n", "19", go, "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, "."],
                   cwd=GRPC_SERVER_SRC, env=env, check=True)
    os.rename(tmp, binary)
    return binary


def fmt(xs, nd: int = 0) -> str:
    """median (min-max) of the values that are not None, nd decimals; "n/a" for none."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    return f"{statistics.median(xs):.{nd}f} ({min(xs):.{nd}f}-{max(xs):.{nd}f})"


class L7Bench:
    def __init__(self, args):
        self.a = args
        self.lab = Lab(args.lab_name, nodes=2, pods_per_node=2, plain_per_node=2, build_dir=args.build_dir,
                       workers=args.workers, daemon_cpus=CPU_SRV, servers=False, log_level="warn")
        for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
            self.lab.pod(name).labels.update(version=version, l7app="reviews")
        self.raw: list[dict] = []
        self.haps: list = []
        self.ztunnel_sha = "-"

    # ------------------------------------------------------------ setup
    def start(self):
        lab, out = self.lab, self.a.out
        os.makedirs(out, exist_ok=True)
        snap = os.path.join(out, "ztunnel")  # a rebuild during the run must not change the daemons
        with open(BUILD_LOCK, "a") as lock:  # nor may we copy a binary that is being linked
            if not os.environ.get("ZMESH_BUILD_LOCK_HELD"):  # set by a caller running us under `flock`
                fcntl.flock(lock, fcntl.LOCK_EX)
            shutil.copy2(lab.ztunnel, snap)
        lab.ztunnel = snap
        if "grpc" in self.a.parts:
            self.grpc_server = build_grpc_server()
        self.ztunnel_sha = hashlib.sha256(open(snap, "rb").read()).hexdigest()[:12]
        if not lab.mtls:
            raise RuntimeError(f"{lab.ztunnel} does not know --ca-dir: no HBONE mTLS to measure")
        lab.up()
        text = kube.dump_all(l7_objects())
        for n in lab.nodes:
            n.write_config("l7.yaml", text)
        for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2"), ("plain-1-0", "v1"), ("plain-1-1", "v2")):
            if "http1" in self.a.parts:
                self.start_nginx(lab.pod(name), version)
            if "grpc" in self.a.parts:
                self.start_grpc_server(lab.pod(name), version)
        for n in lab.nodes:
            wait_for(lambda n=n: len(n.config_dump().get("virtualServices") or []) >= 2, 15, 0.2,
                     f"the VirtualServices loaded on {n.name}")
        self.start_haproxies()

    def start_nginx(self, pod, version: str):
        d = os.path.join(self.lab.state_dir, f"nginx-{pod.name}")  # removed with the lab
        for sub in ("", "body", "proxy", "fcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        cfg = os.path.join(d, "nginx.conf")
        with open(cfg, "w") as f:
            f.write(nginx_config(d, version))
        log = open(os.path.join(self.a.out, f"nginx-{pod.name}.log"), "w")
        pod.spawn(["taskset", "-c", CPU_SRV, "nginx", "-c", cfg], stdout=log, stderr=subprocess.STDOUT,
                  start_new_session=True)
        log.close()
        wait_for(lambda: f":{PORT} " in pod.run(["ss", "-Hltn"], check=False).stdout, 10, 0.1,
                 f"nginx ({version}) listening in {pod.name}")

    def start_grpc_server(self, pod, version: str):
        log_path = os.path.join(self.a.out, f"grpc-{pod.name}.log")
        with open(log_path, "w") as log:
            pod.spawn(["taskset", "-c", CPU_SRV, self.grpc_server, "-addr", f":{GRPC_PORT}", "-version", version],
                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={"GOMAXPROCS": "1"})
        wait_for(lambda: "listening" in open(log_path).read(), 10, 0.1, f"grpc_server ({version}) in {pod.name}")

    def start_haproxies(self):
        lab = self.lab
        n0, n1 = lab.node(0), lab.node(1)
        certs = os.path.join(lab.state_dir, "haproxy-certs")
        os.makedirs(certs, mode=0o700, exist_ok=True)
        roots = os.path.join(lab.ca_dir, "root-cert.pem")
        crt_a = haproxy_cert(lab.ca_dir, certs, "haproxy-a", "spiffe://cluster.local/ns/plain/sa/haproxy-a")
        crt_b = haproxy_cert(lab.ca_dir, certs, "haproxy-b", "spiffe://cluster.local/ns/plain/sa/haproxy-b")
        tls13 = "ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3"
        self.hap_socks = {n.name: os.path.join(self.a.out, f"hap-{n.name}.sock") for n in (n0, n1)}
        cfgs = {
            n0: hap_a_config(f"{n0.ip}:{HAP_A_PORT}", n1.ip,
                             f"ssl crt {crt_a} ca-file {roots} verify required verifyhost haproxy-b {tls13}",
                             self.hap_socks[n0.name], grpc_bind=f"{n0.ip}:{HAP_A_GRPC_PORT}"),
            n1: hap_b_config(n1.ip, f"ssl crt {crt_b} ca-file {roots} verify required {tls13}",
                             {"v1": lab.pod("plain-1-0").ip, "v2": lab.pod("plain-1-1").ip},
                             self.hap_socks[n1.name], grpc="grpc" in self.a.parts),
        }
        for node, text in cfgs.items():
            cfg = os.path.join(self.a.out, f"haproxy-{node.name}.cfg")
            with open(cfg, "w") as f:
                f.write(text)
            run(["haproxy", "-c", "-q", "-f", cfg])
            log = open(os.path.join(self.a.out, f"haproxy-{node.name}.log"), "w")
            p = subprocess.Popen(["nsenter", f"--net={node.netns_path}", "--", "taskset", "-c", CPU_SRV,
                                  "haproxy", "-db", "-f", cfg], stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            log.close()
            lab._procs.append(p)
            self.haps.append(p)
        time.sleep(1.0)
        if any(p.poll() is not None for p in self.haps):
            raise RuntimeError(f"haproxy exited: see {self.a.out}/haproxy-*.log")

    def stop(self):
        self.lab.down()
        snap = os.path.join(self.a.out, "ztunnel")
        if os.path.exists(snap):
            os.unlink(snap)  # large; its sha256 is in the summary

    # ------------------------------------------------------------ paths
    def client(self, mode: str):
        return self.lab.pod("pod-0-0" if mode == "mesh" else "plain-0-0")

    def url(self, mode: str) -> str:
        host = {"direct": f"{self.lab.pod('plain-1-0').ip}:{PORT}", "mesh": f"{SVC_IP}:{PORT}",
                "haproxy-mtls": f"{self.lab.node(0).ip}:{HAP_A_PORT}"}[mode]
        return f"http://{host}/"

    def grpc_target(self, mode: str) -> tuple[str, int]:
        return {"direct": (self.lab.pod("plain-1-0").ip, GRPC_PORT), "mesh": (GRPC_SVC_IP, GRPC_PORT),
                "haproxy-mtls": (self.lab.node(0).ip, HAP_A_GRPC_PORT)}[mode]

    def proxy_pids(self, mode: str) -> list[int]:
        if mode == "mesh":
            return [pid for n in self.lab.nodes for pid in cgroup_procs(n.daemon_cgroup)]
        if mode == "haproxy-mtls":
            return [p.pid for p in self.haps]
        return []

    def curl(self, pod, url: str, n: int, header: str | None = None) -> list[str]:
        """n keep-alive GETs with curl (one connection); the versions the bodies name."""
        cmd = ["curl", "-s", "--max-time", "20"] + (["-H", header] if header else []) + [url] * n
        out = pod.run(cmd, timeout=30, check=False).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]

    def l7_count(self, proto: str = "http1") -> float:
        if proto == "grpc":  # calls that ended with grpc-status 0 (a trailer, or a trailers-only answer)
            return metric_sum(self.lab.node(0).metrics(), REQUESTS, reporter="source", request_protocol="grpc",
                              grpc_response_status="0")
        return metric_sum(self.lab.node(0).metrics(), REQUESTS, reporter="source")

    def grpc_calls(self, mode: str, n: int, metadata: str | None = None) -> dict:
        """n unary calls with the e2e tests' grpcio client on one channel; its JSON summary."""
        host, port = self.grpc_target(mode)
        cmd = [GRPC_PY, GRPC_APP, "call", host, str(port), GRPC_METHOD, "--count", str(n), "--deadline", "10"]
        if metadata:
            cmd += ["--metadata", metadata]
        cp = self.client(mode).run(cmd, timeout=120, check=False)
        try:
            return json.loads(cp.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            raise RuntimeError(f"{mode}: grpc client failed: {cp.stdout[-500:]} {cp.stderr[-1500:]}") from None

    def check_grpc_routing(self, mode: str, n: int = 400):
        canary = self.grpc_calls(mode, 20, "x-canary:yes")
        if canary["codes"] != {"OK": 20} or canary["version"] != {"v2": 20}:
            raise RuntimeError(f"{mode} gRPC: x-canary: yes should reach v2 with OK every time, got "
                               f"{canary['codes']} {canary['version']} {canary['sample']}")
        got = self.grpc_calls(mode, n)
        v2 = got["version"].get("v2", 0)
        if got["codes"] != {"OK": n} or not 0.04 * n <= v2 <= 0.18 * n:
            raise RuntimeError(f"{mode} gRPC: {n} calls should all be OK and split ~90/10, got {got['codes']} "
                               f"{got['version']} {got['sample']}")
        print(f"  {mode} gRPC routing verified: header -> v2 20/20 OK; split v1 {n - v2} / v2 {v2} of {n}, "
              f"all OK", flush=True)

    def check_mesh_grpc(self):
        before = self.l7_count("grpc")
        self.check_grpc_routing("mesh")
        wait_for(lambda: self.l7_count("grpc") >= before + 420, 10, 0.2,
                 'ztunnel node0 to count the 420 check calls as request_protocol="grpc", grpc_response_status="0"')
        print('  mesh gRPC verified: node0 counted the check calls (request_protocol="grpc", grpc_response_status="0")',
              flush=True)

    def check_haproxy_grpc(self):
        b = self.hap_socks["node1"]
        before = int(hap_info(b).get("CumSslConns", 0))
        self.check_grpc_routing("haproxy-mtls")
        if int(hap_info(b).get("CumSslConns", 0)) <= before:
            raise RuntimeError("HAProxy B counted no TLS connection for the gRPC haproxy-mtls path")
        print("  haproxy-mtls gRPC verified: through B's TLS listeners", flush=True)

    # ------------------------------------------------------------ checks (fail the run)
    def check_routing(self, mode: str, n: int = 400):
        c, u = self.client(mode), self.url(mode)
        canary = self.curl(c, u, 20, "x-canary: yes")
        if canary != ["v2"] * 20:
            raise RuntimeError(f"{mode}: x-canary: yes should reach v2 every time, got {canary}")
        got = self.curl(c, u, n)
        v2 = got.count("v2")
        if len(got) != n or got.count("v1") + v2 != n or not 0.04 * n <= v2 <= 0.18 * n:
            raise RuntimeError(f"{mode}: {n} requests should split ~90/10, got v1={got.count('v1')} v2={v2} "
                               f"of {len(got)}")
        print(f"  {mode} routing verified: header -> v2 20/20; split v1 {n - v2} / v2 {v2} of {n}", flush=True)

    def check_mesh(self):
        lab = self.lab
        n0 = lab.node(0)
        match = dict(reporter="source", connection_security_policy="mutual_tls", source_workload="pod-0-0",
                     destination_service="reviews.mesh.svc.cluster.local")
        before = metric_sum(n0.metrics(), REQUESTS, **match)
        self.check_routing("mesh")
        wait_for(lambda: metric_sum(n0.metrics(), REQUESTS, **match) >= before + 420, 10, 0.2,
                 "ztunnel node0 to count the 420 check requests as mutual_tls L7 requests")
        print("  mesh verified: node0 counted the check requests in istio_requests_total (mutual_tls)", flush=True)

    def check_haproxy(self):
        b = self.hap_socks["node1"]
        before = int(hap_info(b).get("CumSslConns", 0))
        self.check_routing("haproxy-mtls")
        if int(hap_info(b).get("CumSslConns", 0)) <= before:
            raise RuntimeError("HAProxy B counted no TLS connection for the haproxy-mtls path")
        r = self.lab.pod("plain-0-0").run(
            ["sh", "-c", f"echo | timeout 5 openssl s_client -connect {self.lab.node(1).ip}:{HAP_B_PORT['v1']} "
             f"-tls1_3 -CAfile {os.path.join(self.lab.ca_dir, 'root-cert.pem')} -quiet"], check=False)
        if "certificate required" not in (r.stderr + r.stdout):
            raise RuntimeError(f"HAProxy B let a client without a certificate in: {r.stdout} {r.stderr}")
        print("  haproxy-mtls verified: B terminated TLS and refused a client without a certificate", flush=True)

    # ------------------------------------------------------------ one measurement
    def wrk(self, mode: str, dur: float, conns: int) -> subprocess.CompletedProcess:
        cmd = ["taskset", "-c", CPU_GEN, "wrk", "-t1", f"-c{conns}", f"-d{dur}s", "--latency",
               "--timeout", "5s", self.url(mode)]
        return self.client(mode).run(cmd, timeout=dur + 30, check=False)

    def h2load(self, mode: str, dur: float, load: str, log_path: str | None = None) -> subprocess.CompletedProcess:
        """gRPC unary calls: h2load -c C -m M for `load` "CxM", one gRPC-framed message per call."""
        c, m = load.split("x")
        body = os.path.join(self.a.out, "grpc-request.bin")
        if not os.path.exists(body):
            with open(body, "wb") as f:
                f.write(GRPC_BODY)
        host, port = self.grpc_target(mode)
        cmd = ["taskset", "-c", CPU_GEN, "h2load", "-t1", f"-c{c}", f"-m{m}", f"-D{dur}", "-d", body,
               "-H", "content-type: application/grpc", "-H", "te: trailers"]
        if log_path:
            cmd += ["--log-file", log_path]
        return self.client(mode).run(cmd + [f"http://{host}:{port}{GRPC_METHOD}"], timeout=dur + 30, check=False)

    def tcp_opens(self) -> int:
        """TCP connects made in every namespace of the lab (pods and nodes): wrk's own --conns
        plus whatever the proxies dial upstream."""
        return sum(netns_tcp(ns)["ActiveOpens"] for ns in [n.netns_path for n in self.lab.nodes]
                   + [p.netns_path for p in self.lab.pods])

    def measure(self, rep: int, mode: str, conns) -> dict:
        """One run: conns is wrk's connection count (HTTP/1.1) or an h2load "CxM" level (gRPC)."""
        proto = "grpc" if isinstance(conns, str) else "http1"
        pids = self.proxy_pids(mode)
        l0 = self.l7_count(proto) if mode == "mesh" else 0
        o0 = self.tcp_opens()
        log_path = os.path.join(self.a.out, "h2load-requests.log")
        c0, s0, t0 = cpu_ticks(pids), core_snap(), time.monotonic()
        if proto == "grpc":
            cp = self.h2load(mode, self.a.dur, conns, log_path)
        else:
            cp = self.wrk(mode, self.a.dur, conns)
        c1, s1, t1 = cpu_ticks(pids), core_snap(), time.monotonic()
        d = parse_h2load(cp.stdout, log_path) if proto == "grpc" else parse_wrk(cp.stdout)
        if proto == "grpc" and os.path.exists(log_path):
            os.unlink(log_path)
        n_conns = int(conns.split("x")[0]) if proto == "grpc" else conns
        rec = {"rep": rep, "proto": proto, "mode": mode, "conns": conns, "rc": cp.returncode,
               "proxy_cpu_s": round((c1 - c0) / HZ, 3), "wall_s": round(t1 - t0, 2), "busy": core_busy(s0, s1), **d}
        rec["tcp_opens"] = self.tcp_opens() - o0
        if d.get("requests"):  # keep-alive all the way would be ~0: the load generator's own connects are excluded
            rec["upstream_opens_per_req"] = round(max(0, rec["tcp_opens"] - n_conns) / d["requests"], 3)
        if d.get("requests"):
            # vCPU per 1,000 req/s = (cpu_s / dur) / (rps / 1000) = cpu_s * 1000 / requests
            rec["vcpu_per_krps"] = round(rec["proxy_cpu_s"] * 1000 / d["requests"], 4)
        if cp.returncode != 0 or not d.get("rps"):
            rec["error"] = (cp.stderr or cp.stdout or "")[-400:]
        elif d["errors"]:
            rec["error"] = f"{d['errors']} socket errors or non-2xx responses"
        if mode == "mesh":
            # every wrk request must have been routed by node0's L7 path (wrk's in-flight requests
            # at the end are counted by ztunnel but not by wrk: allow --conns of slack; for gRPC,
            # the calls in flight: connections x streams)
            time.sleep(0.3)
            counted = self.l7_count(proto) - l0
            rec["l7_counted"] = counted
            slack = 2 * (n_conns * int(conns.split("x")[1]) if proto == "grpc" else conns)
            if d.get("requests") and not d["requests"] <= counted <= d["requests"] + slack:
                rec["error"] = (rec.get("error", "") + f" node0 counted {counted:.0f} L7 requests for "
                                f"{d['requests']} sent").strip()
            for n in self.lab.nodes:
                note = n.exit_note()
                if note:
                    rec["error"] = (rec.get("error", "") + " " + note).strip()
                    print(f"  !! {note}; restarting it", flush=True)
                    n.daemon = None
                    n.start_daemon()
        self.raw.append(rec)
        level = f"grpc {conns}" if proto == "grpc" else f"c{conns:<3}"
        print(f"  rep {rep} {level} {mode:13} {rec.get('rps', 0):9.0f} req/s  p50 {rec.get('p50_us')} p99 {rec.get('p99_us')} us"
              f"  upstream TCP opens/req {rec.get('upstream_opens_per_req')}"
              f"  proxyCPU {rec['proxy_cpu_s']}s ({rec.get('vcpu_per_krps', '-')} vCPU/1k rps)  busy {rec['busy']}"
              + (f"  ERROR {rec['error'].strip().splitlines()[-1]}" if rec.get("error") else ""), flush=True)
        return rec

    def profile(self):
        """perf record -g on both ztunnels during one extra mesh run (not counted)."""
        pids = ",".join(str(p) for p in self.proxy_pids("mesh"))
        data = os.path.join(self.a.out, "perf.data")
        dur = self.a.dur
        perf = subprocess.Popen(["perf", "record", "-g", "-o", data, "-p", pids, "--", "sleep", str(dur)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wrk("mesh", dur + 1, max(self.a.conns))
        perf.wait(timeout=60)
        for name, sort in (("perf-dso.txt", "dso"), ("perf-sym.txt", "dso,sym")):
            with open(os.path.join(self.a.out, name), "w") as f:
                subprocess.run(["perf", "report", "-i", data, "--no-children", "-g", "none", "--sort", sort, "--stdio",
                                "--percent-limit", "0.5"], stdout=f, stderr=subprocess.DEVNULL, timeout=300)
        print(f"  perf profile of both ztunnels: {self.a.out}/perf-dso.txt, perf-sym.txt", flush=True)

    # ------------------------------------------------------------ run + summary
    def levels(self) -> list:
        """The load levels of one repetition: wrk connection counts, then h2load "CxM" levels."""
        return ((self.a.conns if "http1" in self.a.parts else [])
                + (self.a.grpc_load if "grpc" in self.a.parts else []))

    def run(self) -> int:
        modes = self.a.modes
        if "http1" in self.a.parts:
            if "mesh" in modes:
                self.check_mesh()
            if "haproxy-mtls" in modes:
                self.check_haproxy()
            for m in modes:  # warm-up: connections, pools, caches; not recorded
                self.wrk(m, 1, max(self.a.conns))
        if "grpc" in self.a.parts:
            if "direct" in modes:
                got = self.grpc_calls("direct", 20)
                if got["codes"] != {"OK": 20} or got["version"] != {"v1": 20}:
                    raise RuntimeError(f"direct gRPC: 20 calls to v1 should be OK: {got['codes']} {got['sample']}")
            if "mesh" in modes:
                self.check_mesh_grpc()
            if "haproxy-mtls" in modes:
                self.check_haproxy_grpc()
            for m in modes:
                self.h2load(m, 1, self.a.grpc_load[-1])
        try:
            for rep in range(1, self.a.reps + 1):
                print(f"== rep {rep}/{self.a.reps} {time.strftime('%H:%M:%S')}", flush=True)
                for c in self.levels():
                    for m in (modes if rep % 2 else list(reversed(modes))):
                        self.measure(rep, m, c)
                        time.sleep(0.5)
            if self.a.perf and "mesh" in modes and "http1" in self.a.parts:
                self.profile()
        finally:
            with open(os.path.join(self.a.out, "raw.json"), "w") as f:
                json.dump(self.raw, f, indent=1)
        return self.summary()

    def summary(self) -> int:
        vals, ratio = self.vals, self.ratio

        modes = self.a.modes
        hv = run(["haproxy", "-v"], check=False).stdout.split("\n")[0].split(" - ")[0]
        ngv = run(["nginx", "-v"], check=False).stderr.strip().split(": ")[-1]
        wv = (run(["wrk", "-v"], check=False).stdout.split("\n")[0].split(" [")[0] + " -t1"
              if "http1" in self.a.parts else "")
        if "grpc" in self.a.parts:
            h2v = run(["h2load", "--version"], check=False).stdout.strip().split("\n")[0]
            wv = (wv + "; " if wv else "") + f"{h2v} -t1; grpc_server (google.golang.org/grpc) GOMAXPROCS=1"
        lines = [f"environment: kernel {os.uname().release}; {os.cpu_count()} CPUs; load average at the end "
                 f"{os.getloadavg()[0]:.2f}; reps={self.a.reps} dur={self.a.dur}s; "
                 f"ztunnel (sha256 {self.ztunnel_sha}) --workers {self.a.workers}; {hv} nbthread 1; {ngv} "
                 f"1 worker per backend; {wv}; backends/proxies on CPU {CPU_SRV}, load generator on CPU {CPU_GEN}; "
                 f"command: tests/bench/l7_bench.py {' '.join(sys.argv[1:])}; "
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"]
        checks = []
        for c in self.levels():
            tag = f"grpc {c}" if isinstance(c, str) else f"c{c}"
            if isinstance(c, str):
                cc, mm = c.split("x")
                head = (f"gRPC unary, h2load -t1 -c{cc} -m{mm}, {self.a.dur} s, {GRPC_METHOD} "
                        f"(5 B request, 64 B response message):")
            else:
                head = f"wrk -t1 -c{c}, {self.a.dur} s, GET / (64 B body), keep-alive:"
            lines += ["", head, "",
                      "| path | requests/s | p50 us | p90 us | p99 us | proxy vCPU per 1k req/s "
                      "| upstream TCP opens per request | errors |", "|---|---|---|---|---|---|---|---|"]
            for m in modes:
                errs = sum(r.get("errors") or 0 for r in self.raw if r["mode"] == m and r["conns"] == c)
                bad = sum(1 for r in self.raw if r["mode"] == m and r["conns"] == c and r.get("error"))
                lines.append(f"| {m} | {fmt(vals(m, c, 'rps').values())} | {fmt(vals(m, c, 'p50_us').values())} | "
                             f"{fmt(vals(m, c, 'p90_us').values())} | {fmt(vals(m, c, 'p99_us').values())} | "
                             f"{fmt(vals(m, c, 'vcpu_per_krps').values(), 4) if m != 'direct' else '-'} | "
                             f"{fmt(vals(m, c, 'upstream_opens_per_req').values(), 3)} | "
                             f"{errs}" + (f" ({bad} runs discarded)" if bad else "") + " |")
            lines.append("")
            if "mesh" not in modes:
                continue
            for b in ("direct", "haproxy-mtls"):
                if b in modes:
                    lines.append(f"{tag} mesh/{b}: requests/s {fmt(ratio('mesh', b, c, 'rps'), 2)}x   "
                                 f"p99 {fmt(ratio('mesh', b, c, 'p99_us'), 2)}x   "
                                 f"p50 {fmt(ratio('mesh', b, c, 'p50_us'), 2)}x")
            if "haproxy-mtls" in modes:
                rr, pr = ratio("mesh", "haproxy-mtls", c, "rps"), ratio("mesh", "haproxy-mtls", c, "p99_us")
                cr = ratio("mesh", "haproxy-mtls", c, "vcpu_per_krps")
                lines.append(f"{tag} mesh/haproxy-mtls: vCPU per 1k req/s {fmt(cr, 2)}x")
                if isinstance(c, str):
                    continue  # gRPC: ratios reported, no targets yet
                checks += [(f"c{c} requests/s mesh/haproxy-mtls >= 1.3", bool(rr) and statistics.median(rr) >= 1.3),
                           (f"c{c} p99 mesh <= haproxy-mtls", bool(pr) and statistics.median(pr) <= 1.0),
                           (f"c{c} vCPU per 1k req/s mesh < haproxy-mtls", bool(cr) and statistics.median(cr) < 1.0)]
        return self.write_summary(lines, checks)

    # ------------------------------------------------------------ summary pieces (shared by the L7 benches)
    def vals(self, mode: str, conns, key: str) -> dict:
        """{rep: value of key} over the runs of mode at conns that have it and no error."""
        return {r["rep"]: r[key] for r in self.raw if r["mode"] == mode and r["conns"] == conns
                and r.get(key) is not None and not r.get("error")}

    def ratio(self, a: str, b: str, conns, key: str) -> list[float]:
        """Per-repetition ratios a/b of key (repetitions both have)."""
        va, vb = self.vals(a, conns, key), self.vals(b, conns, key)
        return [va[r] / vb[r] for r in va if r in vb and vb[r]]

    def write_summary(self, lines: list[str], checks: list[tuple[str, bool]]) -> int:
        """Adds the PASS/MISS lines, prints and writes summary.md; 0 when every check passed, else 3."""
        lines = lines + [""] + [f"{'PASS' if ok else 'MISS'}  {name}" for name, ok in checks]
        text = "\n".join(lines)
        print("\n" + text)
        with open(os.path.join(self.a.out, "summary.md"), "w") as f:
            f.write(text + "\n")
        print(f"\nraw results: {self.a.out}/raw.json, summary: {self.a.out}/summary.md")
        return 0 if all(ok for _, ok in checks) else 3


def main() -> int:
    repo = os.path.abspath(os.path.join(HERE, "..", ".."))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--dur", type=int, default=5, help="seconds per measurement")
    p.add_argument("--conns", default="24,50", help="wrk connections (keep-alive), the same for every path; "
                   "a list measures each level in every repetition")
    p.add_argument("--grpc-load", default="24x1,4x16", help="gRPC levels CxM: h2load connections x calls in "
                   "flight per connection (24x1: as wrk -c24; 4x16: 64 calls multiplexed on 4 connections)")
    part = p.add_mutually_exclusive_group()
    part.add_argument("--grpc-only", action="store_true", help="only the gRPC unary part")
    part.add_argument("--no-grpc", action="store_true", help="only the HTTP/1.1 part")
    p.add_argument("--workers", type=int, default=1, help="ztunnel --workers")
    p.add_argument("--modes", default=",".join(MODES), help=f"a subset of {','.join(MODES)}")
    p.add_argument("--perf", action="store_true", help="after the runs, perf record -g both ztunnels in one "
                   "more mesh run and write perf-dso.txt / perf-sym.txt")
    p.add_argument("--build-dir", default=os.environ.get("ZMESH_BUILD_DIR", os.path.join(repo, "build")))
    p.add_argument("--out", default=f"/tmp/zmesh-bench/l7-{time.strftime('%Y%m%d-%H%M%S')}")
    p.add_argument("--lab-name", default="bench-l7")
    p.add_argument("--no-pin", action="store_true", help="let the scheduler place everything (not the method)")
    a = p.parse_args()
    a.modes = [m for m in a.modes.split(",") if m]
    a.conns = [int(c) for c in a.conns.split(",") if c]
    a.grpc_load = [x for x in a.grpc_load.split(",") if x]
    if bad := [x for x in a.grpc_load if not re.fullmatch(r"[1-9]\d*x[1-9]\d*", x)]:
        print(f"--grpc-load levels are CxM (e.g. 24x1): {bad}", file=sys.stderr)
        return 1
    a.parts = ["grpc"] if a.grpc_only else ["http1"] if a.no_grpc else ["http1", "grpc"]
    if bad := [m for m in a.modes if m not in MODES]:
        print(f"unknown modes: {bad}", file=sys.stderr)
        return 1
    if a.no_pin:
        global CPU_SRV, CPU_GEN
        CPU_SRV = CPU_GEN = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 1
    install_tools((("wrk", "nginx") if "http1" in a.parts else ()) + (("linux-perf",) if a.perf else ()))
    tools = ("haproxy", "curl", "taskset", "openssl") + (("wrk", "nginx") if "http1" in a.parts else ()) \
        + (("h2load",) if "grpc" in a.parts else ()) + (("perf",) if a.perf else ())
    for tool in tools:
        if not shutil.which(tool):
            print(f"missing {tool}: run scripts/setup (h2load: nghttp2-client), then apt-get install wrk nginx "
                  f"(linux-perf for --perf)",
                  file=sys.stderr)
            return 1
    if "grpc" in a.parts and subprocess.run([GRPC_PY, "-c", "import grpc"], capture_output=True).returncode:
        print(f"the gRPC part's checks need {GRPC_PY} with python3-grpcio: run scripts/setup", file=sys.stderr)
        return 1
    b = L7Bench(a)
    try:
        b.start()
        return b.run()
    finally:
        b.stop()


def install_tools(packages):
    """Installs the benchmark-only tools from Debian when missing, without starting the
    services their packages ship (nginx would take the host's port 80)."""
    binary = {"linux-perf": "perf"}
    missing = [p for p in packages if not shutil.which(binary.get(p, p))]
    if not missing:
        return
    print(f"[l7_bench] apt: installing {' '.join(missing)}", file=sys.stderr)
    policy = "/usr/sbin/policy-rc.d"
    had_policy = os.path.exists(policy)
    if not had_policy:
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")  # invoke-rc.d: do not start services
        os.chmod(policy, 0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                       env=env, check=False, stdout=subprocess.DEVNULL)
    finally:
        if not had_policy:
            os.remove(policy)


if __name__ == "__main__":
    sys.exit(main())
