"""The node lab itself: two labs side by side never clash, and teardown leaves nothing behind."""
from __future__ import annotations

import os
import subprocess

import pytest

from conftest import MiB, Snapshot, assert_same_bytes, make_lab, server_record, wait_metric_delta
from zlab import APP_PORT, Lab, cgroup2_root
from zlab.host import BPFFS, LAB_STATE_ROOT


def netns_names() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {l.split()[0] for l in out.splitlines() if l.strip()}


def leftovers(lab_id: str) -> list[str]:
    left = [f"netns {n}" for n in netns_names() if n.startswith(lab_id)]
    for path in (os.path.join(cgroup2_root(), lab_id), os.path.join(BPFFS, lab_id),
                 os.path.join(LAB_STATE_ROOT, lab_id)):
        if os.path.exists(path):
            left.append(path)
    return left


def lab_names(lab: Lab) -> set[str]:
    names = {lab.fab_netns, lab.cgroup, lab.pin_dir, lab.state_dir}
    for n in lab.nodes:
        names |= {n.netns, n.cgroup, n.daemon_cgroup, n.pin_root, n.run_dir, n.config_dir}
        for p in n.pods:
            names |= {p.netns, p.cgroup, p.log_path}
    return names


def test_plumbing_two_labs_side_by_side():
    """Without daemons: both labs route pod -> pod across nodes, each in its own world."""
    with make_lab("side-a", start_daemons=False) as a, make_lab("side-b", start_daemons=False, nodes=3,
                                                                 pods_per_node=1) as b:
        assert a.id != b.id
        assert not (lab_names(a) & lab_names(b)), "two labs share a name"
        for lab in (a, b):
            src, dst = lab.pod("pod-0-0"), lab.pod(f"pod-{len(lab.nodes) - 1}-0")
            n = 2 * MiB + 1
            res = src.xfer(dst.ip, APP_PORT, n, xid=f"side-{lab.id}")
            assert_same_bytes(res, server_record(dst, f"side-{lab.id}"), n)
            rec = server_record(dst, f"side-{lab.id}")
            assert rec["peer"] == f"{src.ip}:{res['local'].split(':')[1]}"  # no daemon: direct
            # every pod reaches every other pod
            for p in lab.pods:
                for q in lab.pods:
                    if p is not q and p.node is not q.node:
                        assert p.who(q.ip)["pod"] == q.full_name
                        break
        # the same pod IPs exist in both labs, but a's results never show up in b
        assert not any(r["id"].startswith(f"side-{a.id}") for p in b.pods for r in p.server_results())
        for p in a.pods + b.pods:
            assert len(p.cgroup) > 0 and os.path.isdir(p.cgroup)
        ids = (a.id, b.id)
    for i in ids:
        assert leftovers(i) == [], leftovers(i)


def test_teardown_after_exception_leaves_nothing():
    lab_id = None
    with pytest.raises(RuntimeError, match="boom"):
        with make_lab("boom", start_daemons=False) as lab:
            lab_id = lab.id
            lab.pod("pod-0-0").spawn(["sleep", "300"])
            raise RuntimeError("boom")
    assert lab_id and leftovers(lab_id) == []


def test_kube_view_written():
    with make_lab("yaml", start_daemons=False, servers=False) as lab:
        text = open(os.path.join(lab.node(0).config_dir, "cluster.yaml")).read()
        assert text == open(os.path.join(lab.node(1).config_dir, "cluster.yaml")).read()
        assert '"istio.io/dataplane-mode": "ambient"' in text or 'istio.io/dataplane-mode: "ambient"' in text
        for p in lab.pods:
            assert f'name: "{p.name}"' in text and f'podIP: "{p.ip}"' in text
        for name, s in lab.services.items():
            assert f'clusterIP: "{s["ip"]}"' in text
        assert text.count('kind: "Namespace"') == 2 and text.count('kind: "Pod"') == len(lab.pods)


def test_two_meshed_labs_side_by_side_and_clean_teardown():
    """Two labs, four daemons: each lab's traffic shows up only in its own daemons' metrics; after
    teardown no netns, cgroup, pin or state directory of either remains."""
    with make_lab("mesh-a") as a, make_lab("mesh-b") as b:
        pids = []
        for lab in (a, b):
            pids += [n.daemon.pid for n in lab.nodes]
        before_b = Snapshot(b)
        before_a = Snapshot(a)
        src, dst = a.pod("pod-0-0"), a.pod("pod-1-0")
        n = 4 * MiB + 9
        res = src.xfer(dst.ip, APP_PORT, n, xid="two-labs")
        assert_same_bytes(res, server_record(dst, "two-labs"), n)
        wait_metric_delta(a, before_a, "node0", "istio_tcp_connections_opened_total", 1, reporter="source")
        wait_metric_delta(a, before_a, "node1", "istio_tcp_connections_opened_total", 1, reporter="destination")
        after_b = Snapshot(b)
        for node in b.nodes:
            m = "istio_tcp_connections_opened_total"
            assert after_b.sum(node.name, m) == before_b.sum(node.name, m), f"lab b {node.name} saw lab a's traffic"
        # both labs' pins exist, apart
        for lab in (a, b):
            for node in lab.nodes:
                assert os.listdir(node.pin_root), f"{lab.id}/{node.name}: nothing pinned"
        ids = (a.id, b.id)
    for i in ids:
        assert leftovers(i) == [], leftovers(i)
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}"), f"daemon {pid} still running after teardown"
