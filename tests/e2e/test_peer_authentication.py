"""PeerAuthentication (security.istio.io/v1) from the config directory, enforced on plaintext
arriving at mesh pods (a non-mesh client -> mesh pod ip:port, steered to ztunnel's 15006).

Proves:
- default (no policy) and an explicit PERMISSIVE policy accept plaintext, reported as
  connection_security_policy="none";
- a namespace-wide STRICT policy refuses plaintext (the connection is closed and no byte reaches
  the app), on both nodes, while mesh -> mesh traffic (HBONE) keeps working;
- a workload STRICT policy with portLevelMtls {9090: PERMISSIVE} refuses :8080 but accepts :9090
  of the selected pod, and does not touch pods it does not select;
- removing the policy file restores PERMISSIVE;
- connections already open meet a new policy: a plaintext connection held open into pod-1-0 is
  closed once STRICT arrives, while an mTLS one held open beside it stays (ztunnel's
  PolicyWatcher; the access log says "policy changed").
Each policy is written to every node's config dir; the tests wait for the behaviour to change
(hot reload), then check it holds. Needs a ztunnel with --ca-dir (fails at once otherwise).
"""
from __future__ import annotations

import os

import pytest

from conftest import (Snapshot, assert_same_bytes, closed_after, find_access, held, server_record,
                      wait_metric_delta)
from mesh_tools import OPENED, mtls_lab
from policy_checks import assert_holds, reaches, refused, serve_extra_port, wait_state
from zlab import APP_PORT, LabError, kube, wait_for

POLICY_FILE = "peer-authentication.yaml"
EXTRA_PORT = 9090


def peer_authentication(name: str, namespace: str, mode: str, selector: dict | None = None,
                        port_modes: dict | None = None) -> dict:
    spec: dict = {"mtls": {"mode": mode}}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    if port_modes:
        spec["portLevelMtls"] = {int(p): {"mode": m} for p, m in port_modes.items()}
    return {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("peerauth") as lab:
        pod = lab.pod("pod-1-0")  # a second app port on pod-1-0 for the port-level exception
        serve_extra_port(pod, EXTRA_PORT)
        yield lab


@pytest.fixture
def policy(lab):
    """Write policies (list of dicts) to every node; the file is removed after the test."""
    def write(*objs):
        for n in lab.nodes:
            n.write_config(POLICY_FILE, kube.dump_all(objs))
    yield write
    for n in lab.nodes:
        try:
            os.unlink(os.path.join(n.config_dir, POLICY_FILE))
        except FileNotFoundError:
            pass
    # leave the module PERMISSIVE again for the next test
    wait_for(lambda: reaches(lab.pod("plain-0-0"), lab.pod("pod-1-0")), 15, 0.3, "PERMISSIVE after removing the policy")


def mesh_still_works(lab, tag: str) -> None:
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    n = (1 << 20) + len(tag)
    res = src.xfer(dst.ip, APP_PORT, n, xid=tag)
    assert_same_bytes(res, server_record(dst, tag), n)
    assert lab.pod("pod-1-1").who(lab.service("svc-0-0")["ip"], 80)["pod"] == "mesh/pod-0-0"


def test_default_accepts_plaintext(lab):
    plain, dst = lab.pod("plain-0-0"), lab.pod("pod-1-0")
    before = Snapshot(lab)
    assert_holds("plaintext accepted without any policy", lambda: reaches(plain, dst))
    wait_metric_delta(lab, before, "node1", OPENED, 3, reporter="destination", destination_workload=dst.name,
                      connection_security_policy="none")


def test_strict_namespace_refuses_plaintext(lab, policy):
    plain = lab.pod("plain-0-0")
    policy(peer_authentication("strict", "mesh", "STRICT"))
    wait_state("STRICT to refuse plain-0-0 -> pod-1-0", lambda: refused(plain, lab.pod("pod-1-0")))
    for dst in (lab.pod("pod-1-0"), lab.pod("pod-0-1"), lab.pod("pod-1-1")):  # both nodes, same and other
        assert_holds(f"STRICT refuses plain-0-0 -> {dst.name}", lambda: refused(plain, dst))
    # no byte reached the app: a refused XFER leaves no server record
    dst = lab.pod("pod-1-0")
    r = plain.xfer(dst.ip, APP_PORT, 4096, xid="strict-refused", io_timeout=3, check=False)
    assert r["rc"] != 0 and r.get("recv_len", 0) == 0, r
    with pytest.raises(LabError):
        server_record(dst, "strict-refused", timeout=2)
    mesh_still_works(lab, "strict-mesh")
    # plain -> plain is none of the policy's business
    assert reaches(plain, lab.pod("plain-1-0"))


def test_permissive_policy_accepts(lab, policy):
    plain = lab.pod("plain-0-0")
    policy(peer_authentication("strict", "mesh", "STRICT"))
    wait_state("STRICT to refuse", lambda: refused(plain, lab.pod("pod-1-0")))
    policy(peer_authentication("strict", "mesh", "PERMISSIVE"))  # same object, now PERMISSIVE
    wait_state("PERMISSIVE to accept", lambda: reaches(plain, lab.pod("pod-1-0")))
    assert_holds("PERMISSIVE accepts plain-0-0 -> pod-0-0", lambda: reaches(plain, lab.pod("pod-0-0")))
    mesh_still_works(lab, "permissive-mesh")


def test_port_level_exception(lab, policy):
    plain, dst, other = lab.pod("plain-0-0"), lab.pod("pod-1-0"), lab.pod("pod-1-1")
    policy(peer_authentication("pod-1-0-strict", "mesh", "STRICT", selector={"app": dst.name},
                               port_modes={EXTRA_PORT: "PERMISSIVE"}))
    wait_state("workload STRICT to refuse pod-1-0:8080", lambda: refused(plain, dst))
    assert_holds("port-level PERMISSIVE accepts pod-1-0:9090", lambda: reaches(plain, dst, EXTRA_PORT))
    assert_holds("STRICT still refuses pod-1-0:8080", lambda: refused(plain, dst))
    assert_holds("the selector leaves pod-1-1 PERMISSIVE", lambda: reaches(plain, other))
    mesh_still_works(lab, "portlevel-mesh")
    # mesh clients reach both ports of the STRICT pod
    assert lab.pod("pod-0-0").who(dst.ip, EXTRA_PORT)["pod"] == dst.full_name


def test_removing_policy_restores_permissive(lab):
    plain, dst = lab.pod("plain-0-0"), lab.pod("pod-1-0")
    for n in lab.nodes:
        n.write_config(POLICY_FILE, kube.dump_all([peer_authentication("strict", "mesh", "STRICT")]))
    try:
        wait_state("STRICT to refuse", lambda: refused(plain, dst))
    finally:
        for n in lab.nodes:
            os.unlink(os.path.join(n.config_dir, POLICY_FILE))
    wait_state("PERMISSIVE again once the policy file is gone", lambda: reaches(plain, dst))
    assert_holds("PERMISSIVE holds", lambda: reaches(plain, dst))
    mesh_still_works(lab, "removed-mesh")


def test_strict_closes_plaintext_connections_already_open(lab, policy):
    dst = lab.pod("pod-1-0")
    plain = held(lab.pod("plain-0-0"), dst.ip, APP_PORT, 12)
    mtls = held(lab.pod("pod-0-0"), dst.ip, APP_PORT, 12)
    policy(peer_authentication("strict", "mesh", "STRICT"))
    closed = closed_after(plain)
    assert closed is not None and closed < 10, f"plaintext connection closed after {closed} s"
    assert closed_after(mtls) is None, "the mTLS connection must survive STRICT"
    e = find_access(dst.node, lambda e: "policy changed: PeerAuthentication STRICT" in e.get("error", ""))
    assert e.get("dst.addr") == f"{dst.ip}:{APP_PORT}", e
