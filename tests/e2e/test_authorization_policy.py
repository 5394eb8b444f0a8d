"""AuthorizationPolicy (security.istio.io/v1) enforced at L4 by the destination node's ztunnel,
as Istio ambient's ztunnel does: a denied HBONE CONNECT is answered 401 (the stream never reaches
the app), a denied plaintext connection on 15006 is reset.

Proves, with sources on node0 and the destination pod-1-0 on node1:
- an ALLOW policy admitting only pod-0-0's service account lets pod-0-0 through and denies
  pod-0-1 (its connection fails, the denial is in node1's access log and counted with
  response_flags="DENY"); the independent Python h2 HBONE peer gets 200 with a certificate for
  pod-0-0's identity and 401 with one for pod-0-1's; pods the selector does not pick are untouched;
- a DENY on port 8080 wins over an ALLOW-everything policy, while port 9090 stays open;
- a namespace-level ALLOW (no selector) from namespace "mesh" admits mesh pods and resets plaintext
  from a pod outside the mesh;
- removing the policy file restores access;
- connections already open meet a new policy: a DENY for pod-0-1's principal closes its HBONE
  connection held open into pod-1-0, while pod-0-0's held beside it stays.
Each policy is written to every node's config dir; the tests wait for the behaviour to change
(hot reload), then check it holds.
"""
from __future__ import annotations

import os

import pytest

from conftest import Snapshot, closed_after, find_access, held, wait_metric_delta
from mesh_tools import CLOSED, CertKit, hbone_client, mtls_lab
from policy_checks import assert_holds, reaches, refused, serve_extra_port, wait_state
from zlab import APP_PORT, kube, wait_for

POLICY_FILE = "authorization-policy.yaml"
EXTRA_PORT = 9090


def principal(pod) -> str:
    """Istio's principal form: the SPIFFE id without spiffe://."""
    assert pod.identity.startswith("spiffe://"), pod.identity
    return pod.identity[len("spiffe://"):]


def authz(name: str, namespace: str, action: str, rules: list, selector: dict | None = None) -> dict:
    spec: dict = {"action": action, "rules": rules}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("authz") as lab:
        pod = lab.pod("pod-1-0")  # a second app port, for the port-level DENY
        serve_extra_port(pod, EXTRA_PORT)
        yield lab


@pytest.fixture(scope="module")
def kit(lab):
    return CertKit(lab)


def remove_policy(lab) -> None:
    for n in lab.nodes:
        try:
            os.unlink(os.path.join(n.config_dir, POLICY_FILE))
        except FileNotFoundError:
            pass


@pytest.fixture
def policy(lab):
    """Write policies (dicts) to every node; removed after the test, and open access awaited."""
    def write(*objs):
        for n in lab.nodes:
            n.write_config(POLICY_FILE, kube.dump_all(objs))
    yield write
    remove_policy(lab)
    wait_for(lambda: reaches(lab.pod("pod-0-1"), lab.pod("pod-1-0")) and reaches(lab.pod("plain-0-0"), lab.pod("pod-1-0")),
             15, 0.3, "open access after removing the policy")


def python_peer_status(lab, kit, as_pod, dst, port: int = APP_PORT) -> int:
    """The :status our inbound answers the Python h2 HBONE peer (run in plain-0-0, outside the
    mesh) presenting a mesh certificate for as_pod's identity."""
    r = hbone_client(lab.pod("plain-0-0"), dst.ip, f"{dst.ip}:{port}", kit.valid(as_pod.identity),
                     expect_san=dst.identity, app="who", expect_status=0)
    assert r.get("streams") and "error" not in r, r
    st = r["streams"][0]
    if st["status"] == 200:  # admitted: the stream reached dst's app
        assert (st.get("reply") or {}).get("pod") == dst.full_name, r
    return st["status"]


def test_allow_one_service_account(lab, kit, policy):
    a, b, dst = lab.pod("pod-0-0"), lab.pod("pod-0-1"), lab.pod("pod-1-0")
    assert reaches(b, dst), "pod-0-1 must reach pod-1-0 before any policy"
    policy(authz("only-a", "mesh", "ALLOW", [{"from": [{"source": {"principals": [principal(a)]}}]}],
                 selector={"app": dst.name}))
    wait_state("ALLOW only-a to deny pod-0-1 -> pod-1-0", lambda: refused(b, dst))
    before = Snapshot(lab)
    assert_holds("pod-0-1 denied", lambda: refused(b, dst))
    assert_holds("pod-0-0 allowed", lambda: reaches(a, dst))
    # the denial is recorded where it was decided: node1, DENY flag, reason in the access log
    wait_metric_delta(lab, before, "node1", CLOSED, 3, reporter="destination", destination_workload=dst.name,
                      source_principal=b.identity, response_flags="DENY")
    e = find_access(dst.node, lambda e: e.get("src.identity") == b.identity
                    and "policy rejection" in e.get("error", ""))
    assert "allow policies exist, but none allowed" in e["error"], e
    # the independent HBONE peer: 401 on CONNECT when its identity is not allowed, 200 when it is
    assert python_peer_status(lab, kit, b, dst) == 401
    assert python_peer_status(lab, kit, a, dst) == 200
    # the selector picks pod-1-0 only
    assert reaches(b, lab.pod("pod-1-1"))


def test_deny_port_wins_over_allow(lab, kit, policy):
    a, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    policy(authz("allow-all", "mesh", "ALLOW", [{}], selector={"app": dst.name}),
           authz("no-8080", "mesh", "DENY", [{"to": [{"operation": {"ports": [str(APP_PORT)]}}]}],
                 selector={"app": dst.name}))
    wait_state("DENY on 8080 to refuse pod-0-0 -> pod-1-0:8080", lambda: refused(a, dst))
    assert_holds("DENY on 8080 wins over ALLOW", lambda: refused(a, dst))
    assert_holds("ALLOW admits port 9090", lambda: reaches(a, dst, EXTRA_PORT))
    assert python_peer_status(lab, kit, a, dst) == 401
    assert python_peer_status(lab, kit, a, dst, EXTRA_PORT) == 200
    e = find_access(dst.node, lambda e: "explicitly denied by: mesh/no-8080" in e.get("error", ""))
    assert e.get("dst.addr") == f"{dst.ip}:{APP_PORT}", e


def test_namespace_policy(lab, policy):
    plain = lab.pod("plain-0-0")
    policy(authz("mesh-only", "mesh", "ALLOW", [{"from": [{"source": {"namespaces": ["mesh"]}}]}]))
    wait_state("namespace ALLOW to reset plaintext from plain-0-0", lambda: refused(plain, lab.pod("pod-1-0")))
    for dst in (lab.pod("pod-1-0"), lab.pod("pod-1-1"), lab.pod("pod-0-1")):  # both nodes
        assert_holds(f"plaintext plain-0-0 -> {dst.name} refused", lambda: refused(plain, dst))
        assert_holds(f"mesh pod-0-0 -> {dst.name} admitted", lambda: reaches(lab.pod("pod-0-0"), dst))
    assert reaches(plain, lab.pod("plain-1-0")), "plain -> plain is outside the policy"


def test_removing_policy_restores_access(lab):
    b, dst = lab.pod("pod-0-1"), lab.pod("pod-1-0")
    deny_all = authz("deny-b", "mesh", "DENY", [{"from": [{"source": {"principals": [principal(b)]}}]}])
    for n in lab.nodes:
        n.write_config(POLICY_FILE, kube.dump_all([deny_all]))
    try:
        wait_state("DENY to refuse pod-0-1", lambda: refused(b, dst))
    finally:
        remove_policy(lab)
    wait_state("access again once the policy file is gone", lambda: reaches(b, dst))
    assert_holds("access holds", lambda: reaches(b, dst))


def test_deny_closes_connections_already_open(lab, policy):
    a, b, dst = lab.pod("pod-0-0"), lab.pod("pod-0-1"), lab.pod("pod-1-0")
    kept = held(a, dst.ip, APP_PORT, 12)
    denied = held(b, dst.ip, APP_PORT, 12)
    policy(authz("deny-b-open", "mesh", "DENY", [{"from": [{"source": {"principals": [principal(b)]}}]}],
                 selector={"app": dst.name}))
    closed = closed_after(denied)
    assert closed is not None and closed < 10, f"denied connection closed after {closed} s"
    assert closed_after(kept) is None, "a connection the policy admits must stay open"
    e = find_access(dst.node, lambda e: e.get("src.identity") == b.identity
                    and "policy changed: explicitly denied by: mesh/deny-b-open" in e.get("error", ""))
    assert e.get("dst.addr") == f"{dst.ip}:{APP_PORT}", e
