"""Traffic through the mesh: pod -> pod and pod -> Service, same node and across nodes.

Each case moves 64 MiB (plus a distinct tail) each way at once, checks both directions' SHA-256,
and proves the connection went through both ztunnels: the source node's reporter="source" and the
destination node's reporter="destination" metrics moved with the right workloads, and both access
logs have the connection. Pods of the non-ambient namespace talk directly and leave no trace.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import (MiB, Snapshot, assert_same_bytes, entry_bytes, find_access, server_record,
                      unique_size, wait_metric_delta)
from zlab import APP_PORT, LabError, wait_for

OPENED = "istio_tcp_connections_opened_total"
CLOSED = "istio_tcp_connections_closed_total"
SENT = "istio_tcp_sent_bytes_total"
RECV = "istio_tcp_received_bytes_total"

CASES = {
    # id: (client pod, target kind, target name, destination pod)
    "pod-same-node": ("pod-0-0", "pod", "pod-0-1", "pod-0-1"),
    "pod-cross-node": ("pod-0-0", "pod", "pod-1-0", "pod-1-0"),
    "svc-same-node": ("pod-0-0", "svc", "svc-0-1", "pod-0-1"),
    "svc-cross-node": ("pod-1-1", "svc", "svc-0-0", "pod-0-0"),
}


def flush_marker(lab, tag: str) -> dict:
    """One mesh connection across nodes (pod-0-0 -> pod-1-0, a distinct byte count) that returns
    once both ztunnels wrote its access line. A ztunnel accounts for a connection when it ends
    and writes access lines in that order, so anything a connection that ended before the marker
    began would have left (access line, metrics) is there by now: "nothing happened" checks read
    after a marker instead of after a sleep. Returns the marker's byte count and workloads."""
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    n = unique_size(64 * 1024)
    xid = f"marker-{tag}-{n}"
    res = src.xfer(dst.ip, APP_PORT, n, xid=xid)
    assert_same_bytes(res, server_record(dst, xid), n)
    find_access(src.node, lambda e: e.get("direction") == "outbound" and n in entry_bytes(e))
    find_access(dst.node, lambda e: e.get("direction") == "inbound" and n in entry_bytes(e))
    return {"bytes": n, "workloads": dict(source_workload=src.labels["app"], destination_workload=dst.labels["app"])}


def server_connections(pod, port: int) -> list[dict]:
    """The established connections to `pod`'s :port as its kernel sees them (ss -ti): bytes the
    server sent that were acknowledged, and bytes it received."""
    out = pod.run(["ss", "-tinH", "state", "established", f"( sport = :{port} )"]).stdout
    conns: list[dict] = []
    for line in out.splitlines():
        if line.strip() and not line[0].isspace():
            conns.append({"sent": 0, "received": 0})
        elif conns:
            for key, field in (("sent", "bytes_acked"), ("received", "bytes_received")):
                if m := re.search(rf"\b{field}:(\d+)", line):
                    conns[-1][key] = int(m.group(1))
    return conns


def wait_streaming(pod, port: int, what: str) -> None:
    """Until a connection to `pod`'s :port moved at least 1 MiB each way: mid-transfer."""
    wait_for(lambda: any(c["sent"] >= MiB and c["received"] >= MiB for c in server_connections(pod, port)),
             15, 0.05, f"{what} to stream both ways")


def _target(lab, kind, name):
    if kind == "pod":
        return lab.pod(name).ip, APP_PORT
    s = lab.service(name)
    return s["ip"], s["port"]


@pytest.mark.parametrize("case", list(CASES))
def test_mesh_transfer_64mib_both_ways(lab, case):
    src_name, kind, tname, dst_name = CASES[case]
    src, dst = lab.pod(src_name), lab.pod(dst_name)
    host, port = _target(lab, kind, tname)
    n = unique_size()
    xid = f"{case}-{n}"
    before = Snapshot(lab)

    res = src.xfer(host, port, n, xid=xid, timeout=120)
    assert_same_bytes(res, server_record(dst, xid), n)

    # --- the source node's ztunnel reported it as source, the destination's as destination
    sw, dw = src.labels["app"], dst.labels["app"]
    s_node, d_node = src.node.name, dst.node.name
    wl = dict(source_workload=sw, destination_workload=dw)
    wait_metric_delta(lab, before, s_node, OPENED, 1, reporter="source", **wl)
    wait_metric_delta(lab, before, s_node, CLOSED, 1, reporter="source", **wl)
    wait_metric_delta(lab, before, d_node, OPENED, 1, reporter="destination", **wl)
    wait_metric_delta(lab, before, d_node, CLOSED, 1, reporter="destination", **wl)
    for rep, node in (("source", s_node), ("destination", d_node)):
        wait_metric_delta(lab, before, node, SENT, n, reporter=rep, **wl)
        wait_metric_delta(lab, before, node, RECV, n, reporter=rep, **wl)
    if kind == "svc":
        after = lab.node(s_node).metrics()
        svc_vals = {l.get("destination_service", "") for name, l, _ in after
                    if name == OPENED and l.get("reporter") == "source" and l.get("source_workload") == sw
                    and l.get("destination_workload") == dw}
        assert any(tname in v for v in svc_vals), f"destination_service should name {tname}: {svc_vals}"

    # --- both access logs have this connection
    # the app's socket was redirected to 127.0.0.1:15001, so its local address is 127.0.0.1:<port>;
    # the source port identifies it (the daemon may log the pod IP or loopback with it)
    cport = res["local"].rsplit(":", 1)[1]
    out = find_access(src.node, lambda e: e.get("direction") == "outbound" and n in entry_bytes(e))
    assert str(out.get("src.addr", "")).endswith(":" + cport), f"src.addr should carry client port {cport}: {out}"
    assert sw in str(out.get("src.workload")), out
    assert dst.ip in str(out.get("dst.addr")), out
    assert dw in str(out.get("dst.workload")), out
    if kind == "svc":
        assert tname in str(out.get("dst.service")), out
    inb = find_access(dst.node, lambda e: e.get("direction") == "inbound" and n in entry_bytes(e))
    assert dst.ip in str(inb.get("dst.addr")), inb
    assert dw in str(inb.get("dst.workload")), inb
    assert sw in str(inb.get("src.workload")), inb


def test_service_round_robin(lab):
    """The `echo` Service selects every mesh pod; successive connections reach all of them."""
    src = lab.pod("pod-0-0")
    s = lab.service("echo")
    seen = [src.who(s["ip"], s["port"])["pod"] for _ in range(16)]
    assert set(seen) == {f"mesh/{p}" for p in s["pods"]}, seen


def test_plain_namespace_talks_directly(lab):
    """Pods of the namespace without the ambient label are not redirected: the server sees the
    client's own address, and no metric or access-log line moves on any node."""
    a, b = lab.pod("plain-0-0"), lab.pod("plain-1-0")
    flush_marker(lab, "plain-before")  # earlier tests' connections are all accounted for
    before = Snapshot(lab)
    who = a.who(b.ip)
    n = 4 * MiB + 17
    res = a.xfer(b.ip, APP_PORT, n, xid=f"plain-{n}")
    assert_same_bytes(res, server_record(b, f"plain-{n}"), n)
    assert who["pod"] == "plain/plain-1-0"
    assert who["peer"].split(":")[0] == a.ip
    rec = server_record(b, f"plain-{n}")
    assert rec["peer"] == res["local"], f"server saw {rec['peer']}, client was {res['local']}: not direct"
    # Had a ztunnel carried the plain connections, their lines would come before the marker's.
    marker = flush_marker(lab, "plain-after")
    after = Snapshot(lab)
    for node in lab.nodes:
        new = node.access_log_entries()[before.access[node.name]:]
        others = [e for e in new if marker["bytes"] not in entry_bytes(e)]
        assert not others, f"{node.name} access log has lines for plain traffic: {others}"
        assert len(new) == 1, f"{node.name}: expected the marker's access line only: {new}"
        for m in (OPENED, SENT):
            moved = after.sum(node.name, m) - before.sum(node.name, m)
            by_marker = after.sum(node.name, m, **marker["workloads"]) - before.sum(node.name, m, **marker["workloads"])
            assert moved == by_marker, f"{node.name} {m} moved by {moved - by_marker} for plain traffic"


def test_plain_pod_cannot_enroll(lab):
    cp = lab.node(0).enroll(lab.pod("plain-0-0"), check=False)
    assert cp.returncode != 0, f"enrolling a pod of a non-ambient namespace must fail: {cp.stdout}{cp.stderr}"
    # and it still talks directly
    rec = lab.pod("plain-0-0").who(lab.pod("plain-1-0").ip)
    assert rec["pod"] == "plain/plain-1-0"


def test_inbound_from_outside_mesh_is_captured(lab):
    """A non-mesh client connecting to a mesh pod lands on the destination ztunnel (sk_lookup -> 15006)."""
    a, b = lab.pod("plain-0-0"), lab.pod("pod-1-0")
    before = Snapshot(lab)
    n = 2 * MiB + 3
    res = a.xfer(b.ip, APP_PORT, n, xid=f"p2m-{n}")
    assert_same_bytes(res, server_record(b, f"p2m-{n}"), n)
    wait_metric_delta(lab, before, "node1", OPENED, 1, reporter="destination", destination_workload="pod-1-0")
    after = Snapshot(lab)
    assert after.sum("node0", OPENED, reporter="source") == before.sum("node0", OPENED, reporter="source")


def test_zmeshctl_connections_shows_live_connection(lab):
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-1")
    node = src.node
    p = src.hold(dst.ip, APP_PORT, 60)
    try:
        line = p.stdout.readline()
        info = json.loads(line)
        assert info.get("connected"), info
        port = info["local"].split(":")[1]
        out = wait_for(lambda: (lambda o: o if (dst.ip in o and port in o) else None)(node.connections()),
                       10, 0.3, "connection in `zmeshctl connections`")
        assert dst.ip in out and port in out
    finally:
        p.kill()
        p.wait(5)
    # once closed it is no longer listed as live
    wait_for(lambda: port not in node.connections(), 10, 0.3, "closed connection to leave `zmeshctl connections`")


def test_status_and_config_dump(lab):
    for node in lab.nodes:
        st = node.zmeshctl("status")
        assert st.returncode == 0
        dump = node.config_dump()
        for key in ("workloads", "services", "enrolled"):
            assert key in dump, f"config_dump lacks {key}: {list(dump)}"
        wl = json.dumps(dump["workloads"])
        for p in lab.pods:  # every node sees the whole cluster
            assert p.name in wl and p.ip in wl, f"{node.name} config_dump lacks workload {p}"
        sv = json.dumps(dump["services"])
        for name, s in lab.services.items():
            assert name in sv and s["ip"] in sv, f"{node.name} config_dump lacks service {name}"
        en = json.dumps(dump["enrolled"])
        for p in node.pods:
            if p.in_mesh:
                assert p.name in en, f"{node.name}: {p.full_name} should be enrolled: {en}"
            else:
                assert p.name not in en, f"{node.name}: {p.full_name} must not be enrolled: {en}"
        cd = node.zmeshctl("config-dump")
        assert cd.returncode == 0 and "pod-0-0" in cd.stdout
    # metric sanity: a connection of this test moves ztunnel's counter and the BPF side's
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    before = Snapshot(lab)
    assert src.who(dst.ip)["pod"] == dst.full_name
    wait_metric_delta(lab, before, "node0", OPENED, 1, reporter="source", source_workload="pod-0-0",
                      destination_workload="pod-1-0")
    names = {m for m, _, _ in lab.node(0).metrics()}
    assert any(m.startswith("zmesh_bpf_") for m in names), sorted(names)[:30]
    wait_metric_delta(lab, before, "node0", "zmesh_bpf_outbound_redirected_total", 1, pod=src.full_name)


def test_peers_that_vanish_mid_transfer_do_not_hurt_the_daemons(lab):
    """Clients and servers killed in the middle of a transfer (RST / EPIPE on the proxy's sockets)
    must only end their own connections: both daemons keep running and keep proxying."""
    import signal
    import subprocess
    import sys as _sys

    from zlab.lab import PODTOOL
    src, dst = lab.pod("pod-0-1"), lab.pod("pod-1-1")
    before_lines = len(src.node.access_log_entries())
    # 1) the client dies while both directions are streaming; the server's end of each
    #    connection must go too before the next one starts
    for i in range(3):
        wait_for(lambda: not server_connections(dst, APP_PORT), 15, 0.05,
                 f"no connection left open at {dst.full_name}:{APP_PORT}")
        p = src.spawn([_sys.executable, PODTOOL, "xfer", dst.ip, str(APP_PORT), str(1 << 30), "--id", f"abort-{i}"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_streaming(dst, APP_PORT, f"abort-{i}")
        p.send_signal(signal.SIGKILL)
        p.wait(5)
    # 2) the server dies while the client is streaming to it
    port = 9099
    for i in range(3):
        srv = dst.spawn([_sys.executable, PODTOOL, "serve", "--port", str(port), "--name", "victim"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        srv.stdout.readline()  # listening
        cli = src.spawn([_sys.executable, PODTOOL, "xfer", dst.ip, str(port), str(1 << 30), "--id", f"victim-{i}"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_streaming(dst, port, f"victim-{i}")
        srv.send_signal(signal.SIGKILL)
        srv.wait(5)
        try:
            cli.wait(15)
        except subprocess.TimeoutExpired:
            cli.kill()
            cli.wait(5)
            raise AssertionError("client hung after its server died: the proxy did not pass the reset on")
    # The source ztunnel finished every one of those connections (its access lines are the
    # event) and both daemons are still there.
    for to_port in (APP_PORT, port):
        ended = lambda: [e for e in src.node.access_log_entries()[before_lines:]  # noqa: E731
                         if e.get("direction") == "outbound" and e.get("dst.addr") == f"{dst.ip}:{to_port}"
                         and str(e.get("src.addr", "")).startswith(src.ip + ":")]
        try:
            wait_for(lambda: len(ended()) >= 3, 15, 0.2, f"the access lines of the 3 aborted connections to :{to_port}")
        except LabError as e:
            raise AssertionError(f"{e}; {src.node.name} wrote: {ended()}") from None
    for node in lab.nodes:
        assert node.alive(), node.exit_note() or f"{node.name} ztunnel gone"
    n = 1 << 20
    res = src.xfer(dst.ip, APP_PORT, n, xid="after-aborts")
    assert_same_bytes(res, server_record(dst, "after-aborts"), n)


def test_unenroll_and_enroll_again(lab):
    """`zmeshctl unenroll` takes a pod out of the mesh (its connections go direct again: the app's
    socket keeps its own address), `enroll` puts it back (redirected to 127.0.0.1:15001)."""
    pod, node, target = lab.pod("pod-0-1"), lab.node(0), lab.pod("plain-1-0")

    def local_of(tag: str) -> str:
        n = 64 * 1024 + len(tag)
        res = pod.xfer(target.ip, APP_PORT, n, xid=tag)
        assert_same_bytes(res, server_record(target, tag), n)
        return res["local"]

    assert local_of("enrolled-1").startswith("127.0.0.1:"), "enrolled pod's connection was not redirected"
    node.unenroll(pod)
    try:
        assert "pod-0-1" not in json.dumps(node.config_dump()["enrolled"])
        before = Snapshot(lab)
        local = local_of("unenrolled")
        assert local.startswith(pod.ip + ":"), f"unenrolled pod still redirected: local {local}"
        assert server_record(target, "unenrolled")["peer"] == local
        flush_marker(lab, "unenrolled")  # a redirected connection would have been counted before it
        assert Snapshot(lab).sum("node0", OPENED, reporter="source", source_workload="pod-0-1") == \
            before.sum("node0", OPENED, reporter="source", source_workload="pod-0-1")
    finally:
        node.enroll(pod)
    assert local_of("enrolled-2").startswith("127.0.0.1:"), "re-enrolled pod's connection was not redirected"
