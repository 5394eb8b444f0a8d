"""Daemon lifecycle: SIGTERM exits cleanly; SIGKILL + restart with the same flags reuses the pins,
re-enrolls the pods it had (state in --run-dir) and redirects new connections again."""
from __future__ import annotations

import json
import os
import signal
import subprocess

from conftest import MiB, Snapshot, assert_same_bytes, find_access, server_record, wait_metric_delta
from zlab import APP_PORT, LabError
from zlab.host import run

OPENED = "istio_tcp_connections_opened_total"


def pin_inventory(root: str) -> dict[str, int]:
    """relative path -> inode of every pinned object under root."""
    out = {}
    for d, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = os.stat(p).st_ino
    return out


def pinned_links(root: str) -> list[str]:
    links = []
    for rel in pin_inventory(root):
        cp = run(["bpftool", "-j", "link", "show", "pinned", os.path.join(root, rel)], check=False)
        if cp.returncode == 0 and cp.stdout.strip().startswith("{"):
            links.append(rel)
    return links


def cross_node_check(lab, tag: str, n: int = 8 * MiB + 5) -> None:
    """pod-0-0 (node0) -> pod-1-0 (node1): bytes intact, both new daemons saw it."""
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    before = Snapshot(lab)
    xid = f"{tag}-{n}"
    res = src.xfer(dst.ip, APP_PORT, n, xid=xid)
    assert_same_bytes(res, server_record(dst, xid), n)
    wl = dict(source_workload="pod-0-0", destination_workload="pod-1-0")
    wait_metric_delta(lab, before, "node0", OPENED, 1, reporter="source", **wl)
    wait_metric_delta(lab, before, "node1", OPENED, 1, reporter="destination", **wl)
    find_access(src.node, lambda e: e.get("direction") == "outbound" and n in {e.get("bytes_sent"), e.get("bytes_recv")})
    find_access(dst.node, lambda e: e.get("direction") == "inbound" and n in {e.get("bytes_sent"), e.get("bytes_recv")})


def enrolled_names(node) -> str:
    return json.dumps(node.config_dump().get("enrolled"))


def test_sigterm_exits_cleanly_and_restarts(lab):
    cross_node_check(lab, "pre-term")
    for node in lab.nodes:
        rc = node.stop_daemon(signal.SIGTERM, timeout=10)
        assert rc == 0, f"{node.name}: ztunnel exited with {rc} on SIGTERM\n{node.log_tail()}"
    for node in lab.nodes:
        node.start_daemon()
    for node in lab.nodes:
        en = enrolled_names(node)
        if not all(p.name in en for p in node.pods if p.in_mesh):
            # a clean stop may legitimately forget enrollments: enroll again like a CNI would
            for p in node.pods:
                if p.in_mesh and p.name not in en:
                    node.enroll(p)
    cross_node_check(lab, "post-term")


def test_sigkill_restart_reuses_pins_and_redirects(lab):
    cross_node_check(lab, "pre-kill")
    before = {n.name: pin_inventory(n.pin_root) for n in lab.nodes}
    for n in lab.nodes:
        assert before[n.name], f"{n.name}: nothing pinned under {n.pin_root}"
        assert pinned_links(n.pin_root), f"{n.name}: no bpf_link pinned under {n.pin_root}: {sorted(before[n.name])}"

    for n in lab.nodes:
        rc = n.kill_daemon()
        assert rc == -signal.SIGKILL, rc
    for n in lab.nodes:  # the kernel keeps everything pinned while no daemon runs
        assert pin_inventory(n.pin_root) == before[n.name], f"{n.name}: pins changed while the daemon was dead"

    for n in lab.nodes:
        n.start_daemon()  # same flags; waits for readiness
    for n in lab.nodes:
        after = pin_inventory(n.pin_root)
        gone = sorted(set(before[n.name]) - set(after))
        assert not gone, f"{n.name}: pins gone after restart: {gone}"
        changed = sorted(k for k, ino in before[n.name].items() if after.get(k) != ino)
        assert not changed, f"{n.name}: pins re-created instead of reused: {changed}"
        # the pods it had are enrolled again without anyone calling `zmeshctl enroll`
        en = enrolled_names(n)
        for p in n.pods:
            if p.in_mesh:
                assert p.name in en, f"{n.name}: {p.full_name} not re-enrolled after restart: {en}"
    cross_node_check(lab, "post-kill")
    # and through a Service too
    res = lab.pod("pod-1-1").who(lab.service("svc-0-1")["ip"], 80)
    assert res["pod"] == "mesh/pod-0-1"


def test_restart_twice_in_a_row(lab):
    """Two SIGKILL/restart cycles: the second reuse of the pins works like the first."""
    for i in range(2):
        lab.node(1).kill_daemon()
        lab.node(1).start_daemon()
    cross_node_check(lab, "twice")


def test_bad_flags_fail_clearly(lab):
    cp = run([lab.ztunnel, "--no-such-flag"], check=False)
    assert cp.returncode != 0 and "no-such-flag" in (cp.stdout + cp.stderr), cp
    cp = run([lab.ztunnel, "--node", "x"], check=False)  # required flags missing
    assert cp.returncode != 0 and "config-dir" in (cp.stdout + cp.stderr), cp
    cp = run([lab.ztunnel, "--help"], check=False)
    assert cp.returncode == 0 and "--config-dir" in (cp.stdout + cp.stderr)
    # none of that disturbed the running daemons
    for node in lab.nodes:
        try:
            node.wait_ready(timeout=5)
        except LabError as e:
            raise AssertionError(f"running daemon disturbed: {e}") from None


def test_second_daemon_for_a_node_is_refused(lab):
    """A second ztunnel with the same node's flags fails fast (its ports are taken) and the
    running one keeps serving: it must never join the pods' listener groups."""
    node = lab.node(0)
    cp = subprocess.run(node.daemon_argv(), capture_output=True, text=True, timeout=30,
                        stdin=subprocess.DEVNULL)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "15000" in cp.stdout + cp.stderr or "in use" in (cp.stdout + cp.stderr).lower()
    assert node.daemon.poll() is None
    cross_node_check(lab, "after-second-daemon")
