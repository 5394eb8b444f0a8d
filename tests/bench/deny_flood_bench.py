#!/usr/bin/env python3
"""Deny flood: what a flood of refused connection attempts against one pod costs its node's
ztunnel, when the kernel refuses them (identity-free policy at sk_lookup, issue 14) against
when ztunnel does (today's accept-and-reset).

    sudo tests/bench/deny_flood_bench.py [--dur 5] [--reps 3] [--build-dir DIR]

One node lab (2 nodes, one mesh pod and one plain pod each, ztunnel --workers 1 pinned to
CPU 0). plain/plain-0-0 (no mesh, so plaintext) floods mesh/pod-1-0:8080 with sequential
connects for --dur seconds, per mode:
  kernel  DENY policy `from: ipBlocks: [<plain-0-0>/32]`: compiled into the kernel, refused at
          sk_lookup with a reset; ztunnel never sees a SYN.
  daemon  DENY policy `from: notPrincipals: [...]` (plaintext has no principal, so it matches
          too): needs an identity, so only ztunnel decides: steered to 15006, accepted, reset.
Reported per mode: attempts/s and node1's ztunnel CPU time per 1000 attempts (utime+stime from
/proc). Both modes are checked: every attempt refused, and the kernel counter
(zmesh_kernel_policy_denials_total) counting exactly in kernel mode.
Target: kernel mode costs ztunnel (near) no CPU: < 5% of the daemon mode's per attempt.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))

from zlab import Lab, metric_sum, wait_for  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
KERNEL_METRIC = "zmesh_kernel_policy_denials_total"

# Sequential connects for `dur` seconds; prints {"attempts", "refused", "other"}.
FLOOD = r"""
import errno, json, socket, sys, time
host, port, dur = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
n = refused = other = 0
end = time.monotonic() + dur
while time.monotonic() < end:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    try:
        s.connect((host, port))
        # accepted by ztunnel, which resets it: wait for the reset
        s.settimeout(2)
        try:
            if s.recv(1) == b"":
                refused += 1
            else:
                other += 1
        except (ConnectionResetError, socket.timeout):
            refused += 1
    except ConnectionRefusedError:
        refused += 1
    except OSError:
        other += 1
    finally:
        s.close()
    n += 1
print(json.dumps({"attempts": n, "refused": refused, "other": other}))
"""


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])


def policy(name: str, source: str) -> str:
    return (f"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
            f"metadata: {{name: {name}, namespace: mesh}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: pod-1-0}}}}\n  action: DENY\n"
            f"  rules: [{{from: [{{source: {source}}}]}}]\n")


def kernel_denials(node) -> float:
    return metric_sum(node.metrics(), KERNEL_METRIC, pod="mesh/pod-1-0")


def run_mode(lab, mode: str, dur: float) -> dict:
    client, target, node = lab.pod("plain-0-0"), lab.pod("pod-1-0"), lab.node(1)
    if mode == "kernel":
        text = policy("flood", f"{{ipBlocks: [\"{client.ip}/32\"]}}")
    else:
        text = policy("flood", "{notPrincipals: [\"cluster.local/ns/none/sa/none\"]}")
    node.write_config("flood-policy.yaml", text)

    def applied():
        out = json.loads(node.zmeshctl("--bpf-pin-root", node.pin_root, "kernel-policies", "-o", "json").stdout)
        in_kernel = any(r["policy"] == "mesh/flood" for r in out)
        return in_kernel == (mode == "kernel")
    wait_for(applied, 10, what=f"{mode}: kernel policy state")
    time.sleep(0.5)  # the daemon's own view (same snapshot) is live by now
    before_kernel = kernel_denials(node)
    pid = node.daemon.pid
    t0 = cpu_ticks(pid)
    proc = client.spawn(["python3", "-c", FLOOD, target.ip, "8080", str(dur)], stdout=-1, text=True)
    out, _ = proc.communicate(timeout=dur + 60)
    ticks = cpu_ticks(pid) - t0
    res = json.loads(out.strip().splitlines()[-1])
    counted = kernel_denials(node) - before_kernel
    if res["other"] or res["refused"] != res["attempts"]:
        raise SystemExit(f"{mode}: not every attempt was refused: {res}")
    if mode == "kernel" and counted != res["attempts"]:
        raise SystemExit(f"{mode}: kernel counted {counted} of {res['attempts']} refusals")
    if mode == "daemon" and counted:
        raise SystemExit(f"{mode}: the kernel refused {counted}: the policy was compiled")
    cpu_ms = 1000.0 * ticks / HZ
    return {"mode": mode, "attempts_per_s": res["attempts"] / dur,
            "ztunnel_cpu_ms": cpu_ms, "cpu_ms_per_1000": 1000.0 * cpu_ms / max(1, res["attempts"])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dur", type=float, default=5.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--build-dir")
    args = ap.parse_args()
    results: dict[str, list[dict]] = {"kernel": [], "daemon": []}
    with Lab("denyflood", nodes=2, pods_per_node=1, plain_per_node=1, build_dir=args.build_dir,
             workers=1, daemon_cpus="0") as lab:
        for rep in range(args.reps):
            modes = ["kernel", "daemon"] if rep % 2 == 0 else ["daemon", "kernel"]
            for mode in modes:
                r = run_mode(lab, mode, args.dur)
                results[mode].append(r)
                print(json.dumps(r), flush=True)
    summary = {m: {"attempts_per_s": statistics.median(r["attempts_per_s"] for r in rs),
                   "cpu_ms_per_1000": statistics.median(r["cpu_ms_per_1000"] for r in rs)}
               for m, rs in results.items()}
    ratio = summary["kernel"]["cpu_ms_per_1000"] / max(1e-9, summary["daemon"]["cpu_ms_per_1000"])
    print(json.dumps({"summary": summary, "kernel_vs_daemon_cpu": round(ratio, 4)}, indent=2))
    return 0 if ratio < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
