#!/usr/bin/env python3
"""What zmesh-cni costs pod start-up: the time of the pod network's CNI ADD, measured by cnitool
(libcni, as containerd runs it) in a one-node lab against a real API server, with the baseline in
the same run.

  baseline   the node's conflist without zmesh-cni (bridge + host-local only)
  plain      zmesh-cni chained, pod in a namespace outside the mesh (one control call, passes)
  mesh       zmesh-cni chained, pod in an ambient namespace (enrolled before ADD returns: in-pod
             listeners, sk_lookup, BPF entry)

Modes are interleaved pod by pod (--pods per mode per repetition); each pod is removed (CNI DEL,
Pod deleted) before the next. Prints median and p90 per mode and the medians' ratios to baseline.
No time is asserted anywhere: this machine is shared.

    sudo tests/bench/cni_bench.py [--pods 10] [--reps 3] [--build-dir build]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))

from zkube import KubeCluster  # noqa: E402
from zlab.cni import CniLab  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=10, help="pods per mode per repetition")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--build-dir", default=os.environ.get("ZMESH_BUILD_DIR"))
    args = ap.parse_args()

    times: dict[str, list[float]] = {"baseline": [], "plain": [], "mesh": []}
    with KubeCluster("cnibench", istio_crds=False) as kc, \
            CniLab(kc, name="cnibench", nodes=1, build_dir=args.build_dir, log_level="info") as cl:
        cl.create_namespace("bench-plain", ambient=False)
        cl.create_namespace("bench-mesh", ambient=True)
        cn = cl.cni_node(0)
        original = cn.cnitool

        def timed(verb, network, pod, timeout=60):
            t0 = time.perf_counter()
            cp = original(verb, network, pod, timeout)
            if verb == "add" and network == cn.network:
                pod.add_seconds = time.perf_counter() - t0
            return cp
        cn.cnitool = timed

        k = 0
        for rep in range(args.reps):
            for i in range(args.pods):
                for mode in ("baseline", "plain", "mesh"):
                    cn.write_conf(zmesh_cni=mode != "baseline")
                    ns = "bench-mesh" if mode == "mesh" else "bench-plain"
                    k += 1
                    pod = cl.create_pod(0, ns, f"p{k}", app=False)
                    if mode == "mesh" and not cl.enrolled_entry(pod):
                        raise SystemExit(f"{pod.full_name} was not enrolled by its ADD")
                    times[mode].append(pod.add_seconds * 1000)
                    cl.delete_pod(pod)
            print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)

    base = statistics.median(times["baseline"])
    print(f"CNI ADD of the pod network, {args.pods * args.reps} pods per mode (cnitool wall time, ms)")
    print(f"{'mode':10} {'median':>8} {'p90':>8} {'ratio':>7}")
    for mode, t in times.items():
        t = sorted(t)
        med, p90 = statistics.median(t), t[min(len(t) - 1, int(len(t) * 0.9))]
        print(f"{mode:10} {med:8.1f} {p90:8.1f} {med / base:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
