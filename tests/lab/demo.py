#!/usr/bin/env python3
"""The zmesh demo (run through scripts/demo): a two-node lab, traffic through the mesh, and what
the daemons saw. Exits non-zero if a step failed; the lab is torn down in every case."""
from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import demo_cni  # noqa: E402
import demo_l7  # noqa: E402
import demo_security  # noqa: E402
import demo_tracing  # noqa: E402
from zlab import APP_PORT, Lab, LabError, wait_for  # noqa: E402
from zlab.host import run  # noqa: E402

FAILED: list[tuple[str, str]] = []  # (step, why), in full


def title(t: str) -> None:
    print(f"\n\033[1m== {t}\033[0m" if sys.stdout.isatty() else f"\n== {t}", flush=True)


def step(name: str, fn) -> None:
    """Runs one step; a failure is reported with its whole message (and, for anything but the
    lab's own errors, where it happened) and the demo goes on."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - a demo keeps going and reports at the end
        why = f"{type(e).__name__}: {e}"
        FAILED.append((name, why))
        print(f"   !! {name} failed: " + why.replace("\n", "\n      "), flush=True)
        if not isinstance(e, LabError):
            print("      " + traceback.format_exc().rstrip().replace("\n", "\n      "), flush=True)


def reaches(client, server) -> bool:
    """One short connection from `client` to `server`'s app answers."""
    r = client.who(server.ip, APP_PORT, io_timeout=3, check=False, timeout=15)
    return r.get("rc") == 0 and r.get("pod") == server.full_name


def main() -> int:
    lab = Lab("demo", nodes=2, pods_per_node=2, plain_per_node=1)
    demo_l7.label_pods(lab)
    with lab:
        title(f"lab {lab.id}: 2 nodes (network namespaces), pods wired to them, one ztunnel per node")
        for n in lab.nodes:
            print(f"  {n.name} {n.ip}  ztunnel pid {n.daemon.pid}  pins {n.pin_root}")
            for p in n.pods:
                print(f"     {p.full_name:17} {p.ip:13} {'enrolled (ambient namespace)' if p.in_mesh else 'not in the mesh'}")
        for name, s in lab.services.items():
            print(f"  Service {s['namespace']}/{name}: {s['ip']}:{s['port']} -> pods {', '.join(s['pods'])} :{s['target']}")

        src = lab.pod("pod-0-0")

        def cross_node():
            dst = lab.pod("pod-1-0")
            n = 16 << 20
            r = src.xfer(dst.ip, APP_PORT, n, xid="demo-cross")
            srv = dst.server_result("demo-cross")  # written once both directions ended
            ok = r["sent_sha"] == srv["recv_sha"] and srv["sent_sha"] == r["recv_sha"]
            print(f"  {src.full_name} -> {dst.ip}:{APP_PORT} ({dst.full_name} on node1): 16 MiB each way in "
                  f"{r['seconds']}s, sha256 {'match' if ok else 'MISMATCH'} both ways")
            if not ok:
                raise RuntimeError("checksum mismatch")
        title("pod -> pod across nodes (BPF redirects into ztunnel on node0, HBONE mTLS to node1's ztunnel)")
        step("pod->pod", cross_node)

        def service_rr():
            s = lab.service("echo")
            seen = [src.who(s["ip"], s["port"])["pod"] for _ in range(8)]
            print(f"  {src.full_name} -> Service echo {s['ip']}:{s['port']}, 8 connections answered by: {', '.join(seen)}")
            s1 = lab.service("svc-1-1")
            r = lab.pod("pod-0-1").xfer(s1["ip"], s1["port"], 4 << 20, xid="demo-svc")
            print(f"  pod-0-1 -> Service svc-1-1 {s1['ip']}:80 -> pod-1-1:8080: 4 MiB each way, "
                  f"received {r['recv_len']} bytes")
        title("pod -> Service (ClusterIP resolved by ztunnel, round robin over ready endpoints)")
        step("pod->service", service_rr)

        def plain():
            a, b = lab.pod("plain-0-0"), lab.pod("plain-1-0")
            w = a.who(b.ip)
            print(f"  {a.full_name} -> {b.full_name}: the server saw the client's own address {w['peer']} (no proxy)")
        title("a pod outside the mesh (namespace without istio.io/dataplane-mode=ambient) talks directly")
        step("plain", plain)

        def mutual_tls():
            n0 = lab.nodes[0]
            print(f"  every mesh workload has a SPIFFE certificate from the mesh CA ({lab.ca_dir}):")
            print(f"  $ zmeshctl --run-dir {n0.run_dir} certs")
            print("    " + n0.zmeshctl("certs").stdout.rstrip().replace("\n", "\n    "))
            plain, dst = lab.pod("plain-0-0"), lab.pod("pod-1-0")
            print(f"  no PeerAuthentication (PERMISSIVE): {plain.full_name} -> {dst.full_name} plaintext "
                  f"{'accepted' if reaches(plain, dst) else 'REFUSED'}")
            policy = ("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n"
                      "  name: strict\n  namespace: mesh\nspec:\n  mtls:\n    mode: STRICT\n")
            print("  writing PeerAuthentication mesh/strict (mode STRICT) into both nodes' config dirs")
            try:
                for n in lab.nodes:
                    n.write_config("peer-authentication.yaml", policy)
                wait_for(lambda: not reaches(plain, dst), 10, 0.2,
                         f"STRICT to refuse plaintext from {plain.full_name} to {dst.full_name}")
                print(f"  STRICT: {plain.full_name} -> {dst.full_name} plaintext refused in the kernel (sk_lookup: "
                      f"a reset before ztunnel sees the SYN); mesh pod-0-0 -> {dst.full_name}: "
                      f"{src.who(dst.ip)['pod']} answered over mTLS")
                n1 = dst.node
                print(f"  $ zmeshctl --bpf-pin-root {n1.pin_root} kernel-policies   (on {n1.name})")
                out = run([lab.zmeshctl, "--run-dir", n1.run_dir, "--bpf-pin-root", n1.pin_root,
                           "kernel-policies"], timeout=30).stdout
                print("    " + out.rstrip().replace("\n", "\n    "))
            finally:
                for n in lab.nodes:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(os.path.join(n.config_dir, "peer-authentication.yaml"))
        title("L7 in the source node's ztunnel: VirtualService routes, a canary split, a fault")
        step("L7 routing", lambda: demo_l7.show(lab))

        title("L7 security in the destination node's ztunnel: AuthorizationPolicy per request, JWT, audit")
        step("L7 security", lambda: demo_security.show(lab))

        title("distributed tracing: one trace through both ztunnels, to a real collector")
        step("tracing", lambda: demo_tracing.show(lab))

        title("mutual TLS: workload certificates, and PeerAuthentication STRICT refusing plaintext")
        step("mutual TLS", mutual_tls)

        def live():
            dst = lab.pod("pod-1-1")
            p = src.hold(dst.ip, APP_PORT, 30)
            try:
                first = p.stdout.readline()
                if not first:
                    raise LabError(f"the held connection did not open (exit {p.wait()}): {p.stderr.read()}")
                info = json.loads(first)
                port = info["local"].rsplit(":", 1)[1]
                print(f"  {src.full_name} holds a connection to {dst.ip}:{APP_PORT} (app socket {info.get('local')})")
                print("  $ zmeshctl connections --bpf-pin-root " + src.node.pin_root)
                listed = wait_for(lambda: (lambda o: o if f":{port}" in o else None)(src.node.connections()),
                                  10, 0.2, f"the connection from port {port} in `zmeshctl connections`")
                print("    " + listed.rstrip().replace("\n", "\n    "))
            finally:
                p.kill()
                p.wait()
            # Both ztunnels account for the connection when it ends: wait for its access lines
            # (HOLD sends 5 bytes, gets 3), so the metrics below include it.
            held = f"{dst.ip}:{APP_PORT}"
            for n in lab.nodes:
                wait_for(lambda: any(e.get("dst.addr") == held and {e.get("bytes_sent"), e.get("bytes_recv")} == {3, 5}
                                     for e in n.access_log_entries()),
                         10, 0.1, f"the held connection's access line on {n.name}")
        title("live redirected connections, read from the pinned BPF maps")
        step("connections", live)

        title("a pod joins the mesh by itself: CNI ADD -> zmesh-cni -> ztunnel (no zmeshctl enroll), "
              "and leaves it by label")
        step("CNI", lambda: demo_cni.show(lab))

        def status():
            for n in lab.nodes:
                print(f"  $ zmeshctl --run-dir {n.run_dir} status")
                print("    " + n.zmeshctl("status").stdout.rstrip().replace("\n", "\n    "))
        title("daemon status")
        step("status", status)

        def metrics():
            keep = ("reporter", "source_workload", "destination_workload", "destination_service",
                    "connection_security_policy", "pod")
            for n in lab.nodes:
                print(f"  {n.name} :15020/stats/prometheus, non-zero istio_tcp_* and zmesh_bpf_* samples "
                      f"(labels shortened to {', '.join(keep)}):")
                for name, labels, v in n.metrics():
                    if name.startswith(("istio_tcp_", "zmesh_bpf_")) and v:
                        short = ",".join(f'{k}="{labels[k]}"' for k in keep if k in labels)
                        print(f"    {name}{{{short}}} {int(v) if float(v).is_integer() else v}")
        title("metrics: reporter=\"source\" on the client's node, reporter=\"destination\" on the server's")
        step("metrics", metrics)

        def access():
            for n in lab.nodes:
                entries = n.access_log_entries()
                print(f"  {n.name} access log ({len(entries)} connections, last 4):")
                for e in entries[-4:]:
                    print("    " + json.dumps(e))
        title("access logs (one JSON line per finished connection)")
        step("access log", access)
        print(f"\n  logs kept in {lab.log_dir}")
        title("tearing the lab down")
    if FAILED:
        print(f"\ndemo: {len(FAILED)} step(s) failed: {', '.join(name for name, _ in FAILED)}")
        for name, why in FAILED:
            print(f"  {name}: " + why.replace("\n", "\n    "))
        return 1
    print("\ndemo: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
