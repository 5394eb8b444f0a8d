"""The standalone config source: hot reload, and bad YAML leaves the last good state serving."""
from __future__ import annotations

import json
import os

import pytest

from conftest import server_record
from zlab import APP_PORT, LabError, wait_for
from zlab import kube

BAD_POD = """apiVersion: v1
kind: Pod
metadata:
  name: bad-pod
  namespace: mesh
  labels: {app: bad-pod, role: other}
spec:
  nodeName: node1
  serviceAccountName: sa-bad
  containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]
status:
  phase: Running
  podIP: not-an-ip
  conditions: [{type: Ready, status: "True"}]
"""

SYNTAX_ERROR = """apiVersion: v1
kind: Service
metadata:
  name: broken
  namespace: mesh
spec: {clusterIP: 10.96.77.7, ports: [{port: 80, targetPort: 8080}
  selector: [unclosed
"""


def wait_log(node, offset: int, *needles: str, timeout: float = 15.0) -> str:
    """Wait for an error-ish daemon log line (after offset) that contains every needle; return it."""
    def found():
        for line in node.log_text()[offset:].splitlines():
            low = line.lower()
            if all(n in line for n in needles) and any(w in low for w in ("error", "invalid", "fail", "reject", "warn")):
                return line
        return None

    try:
        return wait_for(found, timeout, 0.2, f"{node.name} log line naming {needles}")
    except LabError:
        raise AssertionError(f"{node.name}: no log line names all of {needles}\n{node.log_text()[offset:][-3000:]}") from None


def dump_text(node) -> str:
    return json.dumps(node.config_dump())


def check_serving(lab) -> None:
    """Old objects still in config_dump on every node, and traffic through Services still flows."""
    for node in lab.nodes:
        d = node.config_dump()
        wl, sv = json.dumps(d["workloads"]), json.dumps(d["services"])
        for p in lab.pods:
            assert p.name in wl and p.ip in wl, f"{node.name} lost workload {p}"
        for name, s in lab.services.items():
            assert name in sv and s["ip"] in sv, f"{node.name} lost service {name}"
    src = lab.pod("pod-0-0")
    for svc, pod in (("svc-1-1", "pod-1-1"), ("svc-0-1", "pod-0-1")):
        s = lab.service(svc)
        assert src.who(s["ip"], s["port"])["pod"] == f"mesh/{pod}"


def test_hot_reload_adds_a_service(lab):
    """Positive control: a new file is picked up (so the negative tests below mean something)."""
    svc = kube.service("late", "mesh", "10.96.50.10", {"app": "pod-1-0"}, [(80, APP_PORT)])
    for node in lab.nodes:
        node.write_config("late.yaml", kube.dump_all([svc]))
    for node in lab.nodes:
        wait_for(lambda: "10.96.50.10" in dump_text(node), 15, 0.2, f"{node.name} to load late.yaml")
    assert lab.pod("pod-0-1").who("10.96.50.10", 80)["pod"] == "mesh/pod-1-0"
    n = 1 << 20
    res = lab.pod("pod-0-1").xfer("10.96.50.10", 80, n, xid="late")
    assert res["recv_sha"] == server_record(lab.pod("pod-1-0"), "late")["sent_sha"]


def test_invalid_pod_rejected_alone(lab):
    node = lab.node(1)
    off = {n.name: len(n.log_text()) for n in lab.nodes}
    for n in lab.nodes:
        n.write_config("bad-pod.yaml", BAD_POD)
    line = wait_log(node, off[node.name], "bad-pod.yaml", "Pod", "bad-pod", "podIP")
    assert "not-an-ip" in line or "podIP" in line
    for n in lab.nodes:
        assert "bad-pod" not in json.dumps(n.config_dump()["workloads"]), f"{n.name} accepted the invalid pod"
    check_serving(lab)


def test_invalid_version_of_existing_pod_keeps_last_good(lab):
    """cluster.yaml rewritten with pod-1-1's podIP broken: pod-1-1 keeps its last good version."""
    objs = lab.kube_objects()
    for o in objs:
        if o["kind"] == "Pod" and o["metadata"]["name"] == "pod-1-1":
            o["status"]["podIP"] = "not-an-ip"
            o["status"]["podIPs"] = [{"ip": "not-an-ip"}]
    off = {n.name: len(n.log_text()) for n in lab.nodes}
    for n in lab.nodes:
        n.write_config("cluster.yaml", kube.dump_all(objs))
    for n in lab.nodes:
        wait_log(n, off[n.name], "cluster.yaml", "Pod", "pod-1-1", "podIP")
    for n in lab.nodes:
        wl = json.dumps(n.config_dump()["workloads"])
        assert "not-an-ip" not in wl, f"{n.name} serves the invalid pod-1-1"
        assert "10.244.1.12" in wl, f"{n.name} dropped pod-1-1's last good version"
    check_serving(lab)


@pytest.mark.parametrize("target", ["broken.yaml", "cluster.yaml"])
def test_yaml_syntax_error_keeps_previous_state(lab, target):
    off = {n.name: len(n.log_text()) for n in lab.nodes}
    for n in lab.nodes:
        n.write_config(target, SYNTAX_ERROR)
    for n in lab.nodes:
        wait_log(n, off[n.name], target)
    for n in lab.nodes:
        assert "10.96.77.7" not in json.dumps(n.config_dump()["services"])
    check_serving(lab)


def test_restore_good_config(lab):
    """Putting the good files back is accepted and everything still flows; the daemon never died."""
    for n in lab.nodes:
        for f in ("broken.yaml", "bad-pod.yaml"):
            try:
                os.unlink(os.path.join(n.config_dir, f))
            except FileNotFoundError:
                pass
    lab.write_config()
    for n in lab.nodes:
        assert n.daemon is not None and n.daemon.poll() is None, f"{n.name} ztunnel died"
    check_serving(lab)


def test_namespace_leaving_ambient_unenrolls_its_pods(lab):
    """Dropping istio.io/dataplane-mode=ambient from namespace `mesh` in config unenrolls its pods
    on every node (their connections go direct, no longer through ztunnel); putting the label
    back and enrolling again restores the mesh."""
    objs = lab.kube_objects()
    for o in objs:
        if o["kind"] == "Namespace" and o["metadata"]["name"] == "mesh":
            o["metadata"]["labels"].pop("istio.io/dataplane-mode")
    for n in lab.nodes:
        n.write_config("cluster.yaml", kube.dump_all(objs))
    for n in lab.nodes:
        wait_for(lambda: n.config_dump()["enrolled"] == [], 15, 0.2, f"{n.name} to unenroll mesh pods")

    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-1")
    opened = "istio_tcp_connections_opened_total"
    before = kube.metric_sum(lab.node(0).metrics(), opened)
    assert src.who(dst.ip, APP_PORT)["pod"] == "mesh/pod-1-1"
    assert kube.metric_sum(lab.node(0).metrics(), opened) == before, "traffic still went through ztunnel"

    lab.write_config()
    for n in lab.nodes:
        wait_for(lambda: all(w["ambient"] for w in n.config_dump()["workloads"]
                             if w["namespace"] == "mesh"), 15, 0.2, f"{n.name}: mesh ambient again")
    lab.enroll_all()
    assert src.who(dst.ip, APP_PORT)["pod"] == "mesh/pod-1-1"
    wait_for(lambda: kube.metric_sum(lab.node(0).metrics(), opened) > before, 10, 0.2,
             "traffic through ztunnel again")
