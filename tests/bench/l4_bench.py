#!/usr/bin/env python3
"""L4 benchmark: pod -> pod across nodes, three ways, in one node lab.

    sudo tests/bench/l4_bench.py [--reps 5] [--dur 5] [--build-dir build] [--out DIR]

  direct   plain/plain-0-0 -> plain/plain-1-0           (namespace without the ambient label)
  mesh     mesh/pod-0-0    -> mesh/pod-1-0              (both enrolled: BPF -> ztunnel node0 -> ztunnel node1)
  haproxy  plain/plain-0-0 -> HAProxy A (node0 netns) -> HAProxy B (node1 netns) -> plain/plain-1-0
           (the off-the-shelf equivalent, placed where the ztunnels sit; mode tcp, nbthread 1 each)

Per repetition (the three paths interleaved): iperf3 single stream, iperf3 8 streams, and zping
request/response latency (64 B, 1 connection, 2000 req/s paced: low load). Method as in
shared/reference/performance.md: servers, proxies and daemons pinned to CPU 0 (ztunnel --workers 1),
load generators to CPU 1; medians of per-repetition ratios, min-max shown; proxy CPU time per run.
Targets (plaintext L4): mesh >= 0.5x direct and >= 1.3x the HAProxy pair; added p99 < 100 us.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))

from zlab import Lab, metric_sum, wait_for  # noqa: E402
from zlab.host import cgroup_procs, run  # noqa: E402

CPU_SRV, CPU_GEN = "0", "1"   # --no-pin clears both (taskset then spans every CPU)
HZ = os.sysconf("SC_CLK_TCK")
IPERF_PORT, PING_PORT = 5201, 7000
HAP = {"iperf": (15101, 15102), "ping": (15111, 15112)}


def cpu_ticks(pids) -> int:
    t = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            t += int(parts[11]) + int(parts[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return t


def core_snap():
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(("cpu0 ", "cpu1 ")):
                v = [int(x) for x in line.split()[1:]]
                out[line.split()[0]] = (v[3] + v[4], sum(v[:8]))
    return out


def core_busy(a, b) -> dict:
    return {k: round(100 * (1 - (b[k][0] - a[k][0]) / max(1, b[k][1] - a[k][1]))) for k in a}


def hap_config(name: str, binds: list[tuple[str, int, str, int]], sock: str) -> str:
    s = ["global", "  nbthread 1", "  maxconn 8000", f"  stats socket {sock} mode 600 level admin",
         "defaults", "  mode tcp", "  timeout connect 5s", "  timeout client 300s", "  timeout server 300s"]
    for i, (bip, bport, dip, dport) in enumerate(binds):
        s += [f"listen {name}_{i}", f"  bind {bip}:{bport} backlog 4096", f"  server s1 {dip}:{dport}"]
    return "\n".join(s) + "\n"


class Bench:
    def __init__(self, args):
        self.a = args
        self.lab = Lab("bench", nodes=2, pods_per_node=1, plain_per_node=1, build_dir=args.build_dir,
                       workers=args.workers, daemon_cpus=CPU_SRV, servers=False, log_level="warn",
                       start_daemons="mesh" in args.modes)
        self.zping = os.path.join(self.lab.build_dir, "bin", "zping")
        self.raw: list[dict] = []

    # ------------------------------------------------------------ setup
    def start(self):
        lab = self.lab
        lab.up()
        os.makedirs(self.a.out, exist_ok=True)
        for srv in (lab.pod("pod-1-0"), lab.pod("plain-1-0")):
            for cmd, tag in ((["taskset", "-c", CPU_SRV, "iperf3", "-s", "-p", str(IPERF_PORT)], "iperf3"),
                             (["taskset", "-c", CPU_SRV, self.zping, "server", "--port", str(PING_PORT)], "zping")):
                log = open(os.path.join(self.a.out, f"{srv.name}.{tag}.log"), "w")
                srv.spawn(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                log.close()
        n0, n1 = lab.node(0), lab.node(1)
        dst = lab.pod("plain-1-0").ip
        self.haps = []
        for node, binds in (
            (n0, [(n0.ip, HAP["iperf"][0], n1.ip, HAP["iperf"][1]), (n0.ip, HAP["ping"][0], n1.ip, HAP["ping"][1])]),
            (n1, [(n1.ip, HAP["iperf"][1], dst, IPERF_PORT), (n1.ip, HAP["ping"][1], dst, PING_PORT)]),
        ):
            cfg = os.path.join(self.a.out, f"haproxy-{node.name}.cfg")
            with open(cfg, "w") as f:
                f.write(hap_config(node.name, binds, os.path.join(self.a.out, f"hap-{node.name}.sock")))
            run(["haproxy", "-c", "-q", "-f", cfg])
            log = open(os.path.join(self.a.out, f"haproxy-{node.name}.log"), "w")
            p = subprocess.Popen(["nsenter", f"--net={node.netns_path}", "--", "taskset", "-c", CPU_SRV,
                                  "haproxy", "-db", "-f", cfg], stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            log.close()
            lab._procs.append(p)
            self.haps.append(p)
        time.sleep(1.0)
        for p in self.haps:
            if p.poll() is not None:
                raise RuntimeError(f"haproxy exited: see {self.a.out}/haproxy-*.log")

    def stop(self):
        self.lab.down()

    def proxy_pids(self, mode: str) -> list[int]:
        if mode == "mesh":
            return [pid for n in self.lab.nodes for pid in cgroup_procs(n.daemon_cgroup)]
        if mode == "haproxy":
            return [p.pid for p in self.haps]
        return []

    def target(self, mode: str, what: str) -> tuple:
        lab = self.lab
        if mode == "direct":
            return lab.pod("plain-0-0"), lab.pod("plain-1-0").ip, IPERF_PORT if what == "iperf" else PING_PORT
        if mode == "mesh":
            return lab.pod("pod-0-0"), lab.pod("pod-1-0").ip, IPERF_PORT if what == "iperf" else PING_PORT
        return lab.pod("plain-0-0"), lab.node(0).ip, HAP[what][0]

    # ------------------------------------------------------------ one measurement
    def measure(self, rep: int, mode: str, test: str) -> dict:
        what = "ping" if test == "ping" else "iperf"
        client, host, port = self.target(mode, what)
        if test == "ping":
            cmd = ["taskset", "-c", CPU_GEN, self.zping, "client", "--host", host, "--port", str(port),
                   "--size", "64", "--rate", str(self.a.rate), "--seconds", str(self.a.dur), "--warmup", "0.5"]
        else:
            cmd = ["taskset", "-c", CPU_GEN, "iperf3", "-c", host, "-p", str(port), "-t", str(self.a.dur), "-J"]
            if test == "iperf8":
                cmd += ["-P", "8"]
        pids = self.proxy_pids(mode)
        c0, s0, t0 = cpu_ticks(pids), core_snap(), time.monotonic()
        cp = client.run(cmd, timeout=self.a.dur + 30, check=False)
        c1, s1, t1 = cpu_ticks(pids), core_snap(), time.monotonic()
        rec = {"rep": rep, "mode": mode, "test": test, "rc": cp.returncode,
               "proxy_cpu_s": round((c1 - c0) / HZ, 3), "wall_s": round(t1 - t0, 2), "busy": core_busy(s0, s1)}
        try:
            d = json.loads(cp.stdout)
        except json.JSONDecodeError:
            d = {}
        if test == "ping":
            for k in ("count", "errors", "p50_us", "p90_us", "p99_us", "p999_us", "mean_us"):
                rec[k] = d.get(k)
            if d.get("count"):
                sent = d["count"] * (self.a.dur + 0.5) / self.a.dur  # the 0.5 s warm-up is not counted
                rec["proxy_cpu_us_per_req"] = round(rec["proxy_cpu_s"] * 1e6 / sent, 1)
        else:
            bps = d.get("end", {}).get("sum_received", {}).get("bits_per_second")
            rec["gbps"] = round(bps / 1e9, 3) if bps else None
            if rec["gbps"]:
                rec["proxy_cpu_s_per_GB"] = round(rec["proxy_cpu_s"] / (rec["gbps"] * self.a.dur / 8), 3)
        if cp.returncode != 0 or (test != "ping" and not rec.get("gbps")):
            rec["error"] = (cp.stderr or cp.stdout or "")[-400:]
        for n in self.lab.nodes if mode == "mesh" else []:
            note = n.exit_note()
            if note:  # a crashed daemon is a finding: record it, restart, go on
                rec["error"] = (rec.get("error", "") + " " + note).strip()
                print(f"  !! {note}; restarting it", flush=True)
                n.daemon = None
                n.start_daemon()
        self.raw.append(rec)
        show = (f"{rec.get('gbps')} Gbit/s" if test != "ping" else
                f"p50 {rec.get('p50_us')} us  p99 {rec.get('p99_us')} us  n={rec.get('count')}")
        print(f"  rep {rep} {mode:8} {test:7} {show:34} proxyCPU {rec['proxy_cpu_s']}s  busy {rec['busy']}"
              + ("  ERROR " + (rec["error"].strip().splitlines() or ["?"])[-1] if rec.get("error") else ""), flush=True)
        return rec

    def check_mesh_path(self):
        """The mesh numbers must really go through both ztunnels: check their counters move."""
        lab = self.lab
        before = [metric_sum(n.metrics(), "istio_tcp_connections_opened_total") for n in lab.nodes]
        r = lab.pod("pod-0-0").run([self.zping, "client", "--host", lab.pod("pod-1-0").ip, "--port",
                                    str(PING_PORT), "--seconds", "0.2", "--warmup", "0"], check=False)
        if r.returncode != 0:
            raise RuntimeError(f"mesh ping failed: {r.stdout} {r.stderr}")

        def moved():
            after = [metric_sum(n.metrics(), "istio_tcp_connections_opened_total") for n in lab.nodes]
            return all(a > b for a, b in zip(after, before))
        wait_for(moved, 10, 0.2, "both ztunnels to count the benchmark's mesh connection")
        print("  mesh path verified: both ztunnels counted the connection", flush=True)

    # ------------------------------------------------------------ run + summary
    def run(self):
        tests = ["iperf1", "iperf8", "ping"]
        modes = self.a.modes
        if "mesh" in modes:
            self.check_mesh_path()
        for m in modes:  # warm-up, not recorded
            self.lab.pod("plain-0-0" if m != "mesh" else "pod-0-0").run(
                ["iperf3", "-c", self.target(m, "iperf")[1], "-p", str(self.target(m, "iperf")[2]), "-t", "1"],
                check=False, timeout=30)
        for rep in range(1, self.a.reps + 1):
            print(f"== rep {rep}/{self.a.reps} {time.strftime('%H:%M:%S')}", flush=True)
            order = modes if rep % 2 else list(reversed(modes))
            for t in tests:
                for m in order:
                    self.measure(rep, m, t)
                    time.sleep(0.5)
        with open(os.path.join(self.a.out, "raw.json"), "w") as f:
            json.dump(self.raw, f, indent=1)
        return self.summary()

    def summary(self) -> int:
        def vals(mode, test, key):
            return {r["rep"]: r.get(key) for r in self.raw if r["mode"] == mode and r["test"] == test
                    and r.get(key) is not None and not r.get("error")}

        def fmt(xs, unit="", nd=2):
            xs = [x for x in xs if x is not None]
            if not xs:
                return "n/a"
            return f"{statistics.median(xs):.{nd}f}{unit} ({min(xs):.{nd}f}-{max(xs):.{nd}f})"

        lines = []
        env = (f"kernel {os.uname().release}; {os.cpu_count()} CPUs; reps={self.a.reps} dur={self.a.dur}s; "
               f"ztunnel --workers {self.a.workers}; servers/proxies on CPU {CPU_SRV}, clients on CPU {CPU_GEN}; "
               f"command: tests/bench/l4_bench.py {' '.join(sys.argv[1:])}; "
               f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        lines.append(f"environment: {env}")
        lines.append("")
        lines.append("| path | iperf3 1 stream Gbit/s | iperf3 8 streams Gbit/s | p50 us | p99 us | proxy CPU s/GB (1 stream) | proxy CPU us/req (ping) |")
        lines.append("|---|---|---|---|---|---|---|")
        for m in self.a.modes:
            lines.append(f"| {m} | {fmt(vals(m, 'iperf1', 'gbps').values())} | {fmt(vals(m, 'iperf8', 'gbps').values())} | "
                         f"{fmt(vals(m, 'ping', 'p50_us').values(), nd=1)} | {fmt(vals(m, 'ping', 'p99_us').values(), nd=1)} | "
                         f"{fmt(vals(m, 'iperf1', 'proxy_cpu_s_per_GB').values(), nd=3)} | "
                         f"{fmt(vals(m, 'ping', 'proxy_cpu_us_per_req').values(), nd=1)} |")
        lines.append("")

        def ratio(test, a, b, key="gbps"):
            va, vb = vals(a, test, key), vals(b, test, key)
            return [va[r] / vb[r] for r in va if r in vb and vb[r]]

        def diff(test, a, b, key):
            va, vb = vals(a, test, key), vals(b, test, key)
            return [va[r] - vb[r] for r in va if r in vb]

        checks = []
        for test, label in (("iperf1", "1 stream"), ("iperf8", "8 streams")):
            md, mh = ratio(test, "mesh", "direct"), ratio(test, "mesh", "haproxy")
            lines.append(f"mesh/direct {label}: {fmt(md)}x   mesh/haproxy {label}: {fmt(mh)}x")
            checks.append((f"throughput {label} mesh/direct >= 0.5", md and statistics.median(md) >= 0.5))
            checks.append((f"throughput {label} mesh/haproxy >= 1.3", mh and statistics.median(mh) >= 1.3))
        for key in ("p50_us", "p99_us"):
            dm, dh = diff("ping", "mesh", "direct", key), diff("ping", "haproxy", "direct", key)
            lines.append(f"added {key[:-3]} latency: mesh +{fmt(dm, ' us', 1)}   haproxy pair +{fmt(dh, ' us', 1)}")
        dm = diff("ping", "mesh", "direct", "p99_us")
        checks.append(("added p99 < 100 us", dm and statistics.median(dm) < 100))
        lines.append("")
        for name, ok in checks:
            lines.append(f"{'PASS' if ok else 'MISS'}  {name}")
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
    p.add_argument("--rate", type=int, default=2000, help="zping requests per second")
    p.add_argument("--workers", type=int, default=1, help="ztunnel --workers")
    p.add_argument("--build-dir", default=os.environ.get("ZMESH_BUILD_DIR", os.path.join(repo, "build")))
    p.add_argument("--out", default=f"/tmp/zmesh-bench/{time.strftime('%Y%m%d-%H%M%S')}")
    p.add_argument("--no-pin", action="store_true", help="let the scheduler place everything (not the method)")
    p.add_argument("--modes", default="direct,mesh,haproxy", help="subset, e.g. direct,haproxy")
    a = p.parse_args()
    a.modes = [m for m in a.modes.split(",") if m]
    if a.no_pin:
        global CPU_SRV, CPU_GEN
        CPU_SRV = CPU_GEN = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 1
    for tool in ("iperf3", "haproxy", "taskset"):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in os.environ.get("PATH", "").split(":")):
            print(f"missing {tool}: run scripts/setup", file=sys.stderr)
            return 1
    b = Bench(a)
    if not os.access(b.zping, os.X_OK):
        print(f"{b.zping} missing: scripts/build", file=sys.stderr)
        return 1
    try:
        b.start()
        return b.run()
    finally:
        b.stop()


if __name__ == "__main__":
    sys.exit(main())
