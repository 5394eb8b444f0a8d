"""The identity-free part of a pod's inbound L4 policy, refused in the kernel (bpf/lib/policy.h at
sk_lookup, compiled by the daemon from the same snapshot) before any listener or the daemon sees
the SYN (issue 14).

Proves, in the 2-node lab with real daemons (destination pod-1-0 on node1, clients on node0):
- a DENY with only ipBlocks refuses plain-0-0's plaintext connection with ECONNREFUSED at once;
  node1 counts it in zmesh_kernel_policy_denials_total{pod,policy} and `zmeshctl kernel-policies`
  (with the count), while node1's daemon never saw it (no access line, no decision counted);
  pod-0-0 (HBONE from its own pod IP) and pod-1-1 (not selected) are untouched;
- the same DENY naming a mesh pod's address refuses that pod over HBONE: a new connection to
  15008 in the kernel (the port-independent part), a stream on an HBONE connection pooled
  before the policy in ztunnel (401); which one a run meets depends on node0's pool, so either
  record is accepted (the kernel's HBONE check alone: tests/bpf/kernel_policy_test.cc);
- an ALLOW of one /32 refuses other sources in the kernel ("no ALLOW policy matched") and lets the
  listed one through; a DENY on a port refuses only that port;
- PeerAuthentication STRICT refuses plaintext in the kernel while mesh traffic passes;
- a policy the kernel cannot decide (a principal) is left to the daemon, which still denies
  (its access line says so): the kernel only ever refuses what the daemon would;
- removing the policy clears the kernel's entries and restores access.
"""
from __future__ import annotations

import errno
import json
import sys

import pytest

from conftest import Snapshot, find_access, wait_metric_delta
from mesh_tools import mtls_lab
from policy_checks import (assert_holds, reaches, refused, remove_policies, serve_extra_port, wait_state,
                           write_policies)
from zlab import APP_PORT, MESH_NS, metric_sum, wait_for
from zlab.host import run

POLICY_FILE = "kernel-policy.yaml"
EXTRA_PORT = 9090
DENIALS = "zmesh_kernel_policy_denials_total"
DECISIONS = "zmesh_authorization_decisions_total"

# Connects once from inside the pod and prints the errno (0 = connected) and the seconds taken.
CONNECT_ONCE = """
import socket, sys, time
s = socket.socket()
s.settimeout(5)
t = time.monotonic()
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    e = 0
except OSError as x:
    e = x.errno if x.errno is not None else -1
print(e, round(time.monotonic() - t, 3))
"""


def connect(pod, host: str, port: int) -> tuple[int, float]:
    cp = pod.run([sys.executable, "-c", CONNECT_ONCE, host, str(port)], timeout=30)
    e, secs = cp.stdout.strip().splitlines()[-1].split()
    return int(e), float(secs)


def authz(name: str, action: str, rules: list, selector: dict | None) -> dict:
    spec: dict = {"action": action, "rules": rules}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": MESH_NS}, "spec": spec}


def strict() -> dict:
    return {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
            "metadata": {"name": "strict", "namespace": MESH_NS}, "spec": {"mtls": {"mode": "STRICT"}}}


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("kpol") as lab:
        serve_extra_port(lab.pod("pod-1-0"), EXTRA_PORT)
        yield lab


@pytest.fixture
def policy(lab):
    def write(*objs):
        write_policies(lab, POLICY_FILE, objs)
    yield write
    remove_policies(lab, POLICY_FILE)
    wait_for(lambda: not kernel_policies(lab.node("node1")), 15, 0.3, "node1's kernel policies to clear")
    wait_for(lambda: reaches(lab.pod("plain-0-0"), lab.pod("pod-1-0")) and reaches(lab.pod("pod-0-1"), lab.pod("pod-1-0")),
             15, 0.3, "open access after removing the policy")


def kernel_policies(node) -> list[dict]:
    cp = run([node.lab.zmeshctl, "--run-dir", node.run_dir, "--bpf-pin-root", node.pin_root,
              "kernel-policies", "-o", "json"], timeout=30)
    return json.loads(cp.stdout)


def kernel_refused(src, dst, port: int = APP_PORT) -> bool:
    e, secs = connect(src, dst.ip, port)
    return e == errno.ECONNREFUSED and secs < 2


def access_from(node, ip: str) -> int:
    return sum(1 for e in node.access_log_entries() if str(e.get("src.addr", "")).startswith(ip + ":"))


def test_deny_ip_block_refused_in_kernel(lab, policy):
    plain, a, dst, other = lab.pod("plain-0-0"), lab.pod("pod-0-0"), lab.pod("pod-1-0"), lab.pod("pod-1-1")
    node1 = dst.node
    policy(authz("deny-plain", "DENY", [{"from": [{"source": {"ipBlocks": [f"{plain.ip}/32"]}}]}],
                 {"app": dst.name}))
    wait_state("the kernel to refuse plain-0-0 -> pod-1-0", lambda: kernel_refused(plain, dst))
    before = Snapshot(lab)
    seen = access_from(node1, plain.ip)
    for _ in range(3):
        assert kernel_refused(plain, dst)
    wait_metric_delta(lab, before, "node1", DENIALS, 3, pod=dst.full_name, policy=f"{MESH_NS}/deny-plain")
    rows = [r for r in kernel_policies(node1) if r["pod"] == dst.full_name and r["policy"] == f"{MESH_NS}/deny-plain"]
    assert rows and rows[0]["action"] == "DENY" and f"{plain.ip}/32" in rows[0]["blocks"], rows
    assert rows[0]["denied"] >= 3, rows
    # the daemon never saw these connections: no access line, no decision of its own
    assert access_from(node1, plain.ip) == seen
    assert metric_sum(node1.metrics(), DECISIONS, decision="denied") == before.sum("node1", DECISIONS, decision="denied")
    # mesh traffic from another address, and a pod the selector does not pick, pass
    assert_holds("pod-0-0 reaches pod-1-0 over HBONE", lambda: reaches(a, dst))
    assert_holds("plain-0-0 reaches pod-1-1", lambda: reaches(plain, other))


def test_deny_ip_block_refuses_hbone(lab, policy):
    a, b, dst = lab.pod("pod-0-0"), lab.pod("pod-0-1"), lab.pod("pod-1-0")
    before = Snapshot(lab)
    policy(authz("deny-b", "DENY", [{"from": [{"source": {"ipBlocks": [f"{b.ip}/32"]}}]}], {"app": dst.name}))
    wait_state("pod-0-1 refused", lambda: refused(b, dst))
    assert_holds("pod-0-1 refused", lambda: refused(b, dst))
    # Refused either way: a new HBONE connection from pod-0-1's address by the kernel, a stream
    # on an HBONE connection node0 pooled before the policy by ztunnel (401), so which one
    # counts depends on the pool; the kernel's HBONE check itself is proven in
    # tests/bpf/kernel_policy_test.cc. Both name the policy.
    def counted() -> bool:
        kernel = metric_sum(dst.node.metrics(), DENIALS, pod=dst.full_name, policy=f"{MESH_NS}/deny-b")
        daemon = any(e.get("src.identity") == b.identity and "explicitly denied by: mesh/deny-b" in e.get("error", "")
                     for e in dst.node.access_log_entries())
        return kernel > before.sum("node1", DENIALS, pod=dst.full_name, policy=f"{MESH_NS}/deny-b") or daemon
    wait_state("the refusal counted by the kernel or logged by ztunnel", counted)
    assert_holds("pod-0-0 allowed", lambda: reaches(a, dst))


def test_allow_list_and_port_deny(lab, policy):
    plain, a, dst = lab.pod("plain-0-0"), lab.pod("pod-0-0"), lab.pod("pod-1-0")
    policy(authz("only-a", "ALLOW", [{"from": [{"source": {"ipBlocks": [f"{a.ip}/32"]}}]}], {"app": dst.name}),
           authz("no-extra", "DENY", [{"to": [{"operation": {"ports": [str(EXTRA_PORT)]}}]}], {"app": dst.name}))
    wait_state("the allow list to refuse plain-0-0", lambda: kernel_refused(plain, dst))
    before = Snapshot(lab)
    assert kernel_refused(plain, dst)
    wait_metric_delta(lab, before, "node1", DENIALS, 1, pod=dst.full_name, policy="no ALLOW policy matched")
    assert_holds("pod-0-0 reaches 8080", lambda: reaches(a, dst))
    # the port DENY: plaintext to 9090 refused in the kernel (the HBONE stream's port is decided
    # by the daemon, inside the tunnel)
    assert kernel_refused(plain, dst, EXTRA_PORT)
    assert_holds("pod-0-0 refused on 9090", lambda: refused(a, dst, EXTRA_PORT))


def test_strict_refused_in_kernel(lab, policy):
    plain, a, dst = lab.pod("plain-0-0"), lab.pod("pod-0-0"), lab.pod("pod-1-0")
    policy(strict())
    wait_state("STRICT refused in the kernel", lambda: kernel_refused(plain, dst))
    before = Snapshot(lab)
    assert kernel_refused(plain, dst)
    wait_metric_delta(lab, before, "node1", DENIALS, 1, pod=dst.full_name, policy="PeerAuthentication STRICT")
    assert_holds("mesh traffic passes", lambda: reaches(a, dst))


def test_identity_policy_left_to_daemon(lab, policy):
    a, b, dst = lab.pod("pod-0-0"), lab.pod("pod-0-1"), lab.pod("pod-1-0")
    principal = a.identity[len("spiffe://"):]
    policy(authz("only-a-sa", "ALLOW", [{"from": [{"source": {"principals": [principal]}}]}], {"app": dst.name}))
    wait_state("the daemon to deny pod-0-1", lambda: refused(b, dst))
    before = Snapshot(lab)
    assert refused(b, dst)
    wait_metric_delta(lab, before, "node1", DECISIONS, 1, decision="denied", layer="l4")
    assert metric_sum(dst.node.metrics(), DENIALS, pod=dst.full_name) == before.sum("node1", DENIALS, pod=dst.full_name)
    find_access(dst.node, lambda e: e.get("src.identity") == b.identity
                and "allow policies exist, but none allowed" in e.get("error", ""))
    assert not [r for r in kernel_policies(dst.node) if r["policy"] == f"{MESH_NS}/only-a-sa"]
    assert reaches(a, dst)
