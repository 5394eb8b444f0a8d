"""Pods join and leave the mesh by themselves (issue 13): zmesh-cni + ztunnel's node agent.

Real pieces, no stubs: a real kube-apiserver + etcd (tests/lab/zkube), Debian's CNI reference
plugins (loopback, bridge, host-local) and cnitool (libcni, the library containerd uses) create
each pod's network namespace as containerd does, with build/bin/zmesh-cni chained after the
bridge in every node's conflist (tests/lab/zlab/cni.py). Two nodes, each a node-lab netns whose
ztunnel reads the API server with a read-only ServiceAccount token (--kubeconfig). Nobody runs
`zmeshctl enroll`.

Proves:
- a pod created in an ambient namespace is enrolled by its CNI ADD (in-pod listeners up when ADD
  returns), and its traffic to a Service VIP on the other node is HBONE: both ztunnels count it
  as mutual_tls with both SPIFFE principals, both write an access line;
- a pod in a plain namespace is untouched: ADD succeeds with the bridge's result passed through,
  no listeners, direct traffic, no access lines; the daemon says why;
- labelling a namespace later enrolls its running pods; removing the label un-enrolls them and
  traffic flows directly again;
- a pod labelled istio.io/dataplane-mode=none in an ambient namespace stays out;
- CNI DEL un-enrolls (before the Pod object is deleted); deleting it drops the pod from status;
- pods that ran before the daemon (and the plugin) were there are found without an ADD, both in
  a namespace that was already ambient and in one labelled afterwards;
- a daemon killed (SIGKILL) and restarted keeps the pods it had enrolled; while it is down a mesh
  pod's ADD fails (and succeeds when retried after the restart), a pod deleted meanwhile is
  cleaned up when it comes back; pods added before and after the restart are all enrolled;
- `zmeshctl status` lists each pod of its node with ENROLLED yes/no and the reason.

Needs scripts/setup-k8s (API server), scripts/setup-cni (cnitool), Debian's
containernetworking-plugins, and a build with ztunnel, zmeshctl and zmesh-cni.
"""
from __future__ import annotations

import json
import os
import signal

import pytest

from conftest import Snapshot, assert_same_bytes, find_access, wait_metric_delta
from mesh_tools import OPENED, mtls_labels
from zkube import KubeCluster
from zlab import APP_PORT, LabError, wait_for
from zlab.cni import AMBIENT_LABEL, CniLab
from zlab.host import run

MESH_PORTS = {15001, 15006, 15008}
MiB = 1 << 20


@pytest.fixture(scope="module")
def kc():
    with KubeCluster("cni") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def cl(kc):
    with CniLab(kc, "cni", nodes=2) as lab:
        if not lab.lab.mtls:
            pytest.fail(f"{lab.lab.ztunnel} does not know --ca-dir: no workload identities, no HBONE")
        yield lab


@pytest.fixture(autouse=True)
def logs_and_live_daemons(request, cl):
    """On failure print the daemons' and zmesh-cni's logs; after every test both daemons must
    run (a test that stops one restarts it): a crash fails the test that caused it."""
    yield
    rep = getattr(request.node, "rep_call", None)
    failed = rep is not None and rep.failed
    if failed:
        for n in cl.lab.nodes:
            print(n.log_tail(80))
            print(f"--- {n.name} cni.log (last 20 lines)\n" + "\n".join(cl.cni_log(n)[-20:]))
    dead = [n for n in cl.lab.nodes if not n.alive()]
    notes = [n.exit_note() or f"{n.name}: ztunnel not running" for n in dead]
    for n in dead:
        n.start_daemon()
    if dead and not failed:
        pytest.fail("ztunnel died during the test: " + "; ".join(notes))


# ---------------------------------------------------------------- helpers
def peer_ip(who: dict) -> str:
    return who["peer"].rsplit(":", 1)[0]


def assert_direct(src, dst) -> None:
    """src -> dst:8080 not through any ztunnel: the app sees src's own address as the peer."""
    r = src.who(dst.ip, APP_PORT)
    assert r["rc"] == 0 and peer_ip(r) == src.ip, f"{src.full_name} -> {dst.full_name}: {r}"


def assert_meshed_delivery(src, dst) -> None:
    """src -> dst:8080 delivered by dst's ztunnel from inside dst (the app sees its own IP)."""
    r = src.who(dst.ip, APP_PORT)
    assert r["rc"] == 0 and peer_ip(r) == dst.ip, f"{src.full_name} -> {dst.full_name}: {r}"


def wait_ports(pod, present: bool, timeout: float = 10.0) -> set[int]:
    """Wait until the daemon's in-pod listeners (15001/15006/15008) are all there, or all gone."""
    def ok():
        ports = pod.listening_ports()
        return ports if (MESH_PORTS <= ports if present else not MESH_PORTS & ports) else None
    try:
        return wait_for(ok, timeout, 0.1, f"listeners {sorted(MESH_PORTS)} {'in' if present else 'gone from'} "
                                          f"{pod.full_name}")
    except LabError as e:
        raise AssertionError(f"{e}; listening now: {sorted(pod.listening_ports())}") from None


def cni_line(cl, pod, verb: str = "ADD") -> str:
    """The zmesh-cni decision line for pod's last `verb` on its node."""
    lines = [l for l in cl.cni_log(pod.node) if f" {verb} {pod.full_name} " in l]
    assert lines, f"no {verb} line for {pod.full_name} in {pod.node.name}'s cni.log:\n" + \
        "\n".join(cl.cni_log(pod.node)[-10:])
    return lines[-1]


def access_mentions(node, ip: str) -> list[dict]:
    return [e for e in node.access_log_entries() if ip in json.dumps(e)]


def mesh_transfer(cl, src, host: str, port: int, dst, tag: str) -> None:
    """Bytes src -> host:port arrive intact at dst; both ztunnels report a mutual_tls connection
    with both principals; both write an access line with both identities."""
    n = 2 * MiB + (int.from_bytes(os.urandom(2), "big") | 1)
    xid = f"{tag}-{n}"
    before = Snapshot(cl.lab)
    res = src.xfer(host, port, n, xid=xid)
    assert_same_bytes(res, dst.server_result(xid), n)
    labels = mtls_labels(src, dst)
    wait_metric_delta(cl.lab, before, src.node.name, OPENED, 1, reporter="source", **labels)
    wait_metric_delta(cl.lab, before, dst.node.name, OPENED, 1, reporter="destination", **labels)
    out = find_access(src.node, lambda e: e.get("direction") == "outbound" and n in
                      (e.get("bytes_sent"), e.get("bytes_recv")))
    assert out.get("src.identity") == src.identity and out.get("dst.identity") == dst.identity, out
    inb = find_access(dst.node, lambda e: e.get("direction") == "inbound" and n in
                      (e.get("bytes_sent"), e.get("bytes_recv")))
    assert inb.get("src.identity") == src.identity and inb.get("dst.identity") == dst.identity, inb


def assert_passthrough(pod) -> None:
    """The ADD result is the bridge's, unchanged: eth0 in the pod's netns with that MAC and IP."""
    r = pod.add_result
    assert r["cniVersion"] == "1.0.0", r
    eth0 = [i for i in r["interfaces"] if i.get("sandbox") == pod.netns_path]
    assert [i["name"] for i in eth0] == ["eth0"], r
    link = json.loads(run(["ip", "-n", pod.netns, "-j", "addr", "show", "eth0"]).stdout)[0]
    assert link["address"] == eth0[0]["mac"], (link, r)
    addrs = {f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"] if a["family"] == "inet"}
    assert {i["address"] for i in r["ips"]} == addrs, (addrs, r)
    assert r["ips"][0]["gateway"] == pod.clab.cni_node(pod.node).gateway, r


# ---------------------------------------------------------------- tests
def test_ambient_pod_is_enrolled_by_its_add_and_talks_hbone(cl):
    ns = "cni-ambient"
    cl.create_namespace(ns, ambient=True)
    client = cl.create_pod(0, ns, "client", service_account="client")
    server = cl.create_pod(1, ns, "server", service_account="server")
    svc = cl.create_service(ns, "server", {"app": "server"})
    for p in (client, server):
        # ADD returns only once the pod is enrolled (fail closed): no waiting here
        assert MESH_PORTS <= p.listening_ports(), (p, sorted(p.listening_ports()))
        assert cl.enrolled_entry(p) is not None, cl.status(p.node).get("enrolled")
        e = cl.wait_enrolled(p)
        assert e["ip"] == p.ip and e["reason"], e
        line = cni_line(cl, p)
        assert ": enrolled" in line and f"container={p.container_id[:12]}" in line and p.netns_path in line, line
        assert_passthrough(p)
    mesh_transfer(cl, client, svc["ip"], svc["port"], server, "cni-svc")
    assert_meshed_delivery(client, server)


def test_plain_namespace_pod_is_untouched(cl):
    ns = "cni-plain"
    cl.create_namespace(ns)
    a = cl.create_pod(0, ns, "a")   # ADD succeeds (create_pod raises otherwise)
    b = cl.create_pod(1, ns, "b")
    for p in (a, b):
        assert_passthrough(p)
        assert not MESH_PORTS & p.listening_ports(), sorted(p.listening_ports())
        e = cl.wait_enrolled(p, enrolled=False)
        assert e["reason"], e
        assert ": enrolled" not in cni_line(cl, p)
    assert_direct(a, b)
    assert_direct(b, a)
    for n in cl.lab.nodes:
        assert not access_mentions(n, a.ip) and not access_mentions(n, b.ip), n.access_log_entries()[-5:]


def test_labelling_a_namespace_enrolls_its_pods_and_unlabelling_unenrolls(cl):
    ns = "cni-late"
    cl.create_namespace(ns)
    x = cl.create_pod(0, ns, "x", service_account="x")
    y = cl.create_pod(1, ns, "y", service_account="y")
    for p in (x, y):
        cl.wait_enrolled(p, enrolled=False)
    assert_direct(x, y)

    cl.set_namespace_ambient(ns, True)
    for p in (x, y):
        cl.wait_enrolled(p)
        wait_ports(p, True)
    mesh_transfer(cl, x, y.ip, APP_PORT, y, "cni-late")
    assert_meshed_delivery(x, y)

    cl.set_namespace_ambient(ns, False)
    for p in (x, y):
        e = cl.wait_enrolled(p, enrolled=False)
        assert e["reason"], e
        wait_ports(p, False)
    assert_direct(x, y)
    assert_direct(y, x)


def test_pod_labelled_none_stays_out(cl):
    ns, peer_ns = "cni-optout", "cni-optout-peer"
    cl.create_namespace(ns, ambient=True)
    cl.create_namespace(peer_ns)
    out = cl.create_pod(0, ns, "out", labels={AMBIENT_LABEL: "none"})
    inside = cl.create_pod(0, ns, "inside")
    peer = cl.create_pod(1, peer_ns, "peer")
    e = cl.wait_enrolled(out, enrolled=False)
    assert "none" in e["reason"], e
    assert not MESH_PORTS & out.listening_ports(), sorted(out.listening_ports())
    assert ": enrolled" not in cni_line(cl, out)
    assert_passthrough(out)
    cl.wait_enrolled(inside)          # its namespace is ambient: the label alone kept `out` out
    assert_direct(out, peer)          # its outbound is not captured


def test_cni_del_unenrolls(cl):
    ns = "cni-del"
    cl.create_namespace(ns, ambient=True)
    d = cl.create_pod(0, ns, "d")
    cl.wait_enrolled(d)
    cp = cl.stop_sandbox(d)   # app killed, CNI DEL, netns removed; the Pod object stays
    assert cp.returncode == 0, cp.stderr
    e = cl.wait_enrolled(d, enrolled=False)
    assert e["reason"], e
    assert cni_line(cl, d, "DEL"), cl.cni_log(d.node)[-5:]
    cl.delete_pod_object(d)
    wait_for(lambda: cl.pod_entry(d) is None and cl.enrolled_entry(d) is None, 10, 0.1,
             f"{d.full_name} gone from {d.node.name}'s status")


@pytest.mark.parametrize("version", ["0.4.0", "1.0.0"])
def test_cni_check_and_spec_versions(cl, version):
    """The chain at CNI spec 0.4.0 and 1.0.0 (libcni asks every plugin's VERSION before CHECK):
    ADD enrolls, CHECK passes for a mesh pod and a plain one; with the daemon down, CHECK fails
    for the mesh pod (its namespace is ambient as ztunnel last wrote) and passes for the plain one."""
    tag = version.replace(".", "")
    mesh_ns, plain_ns = f"cni-check-{tag}", f"cni-check-plain-{tag}"
    cl.create_namespace(mesh_ns, ambient=True)
    cl.create_namespace(plain_ns)
    cn, node = cl.cni_node(0), cl.node(0)
    cn.write_conf(cni_version=version)
    try:
        m = cl.create_pod(0, mesh_ns, "m")
        p = cl.create_pod(0, plain_ns, "p")
        assert cl.enrolled_entry(m) is not None
        assert m.add_result["cniVersion"] == version, m.add_result
        for pod in (m, p):
            cp = cn.cnitool("check", cn.network, pod)
            assert cp.returncode == 0, f"CHECK {pod.full_name}: {cp.stdout}{cp.stderr}"
            assert cni_line(cl, pod, "CHECK")
        node.stop_daemon()
        cp = cn.cnitool("check", cn.network, m)
        assert cp.returncode != 0 and "ztunnel unreachable" in cp.stdout + cp.stderr, cp
        cp = cn.cnitool("check", cn.network, p)
        assert cp.returncode == 0, f"{cp.stdout}{cp.stderr}"
        node.start_daemon()
        cl.wait_enrolled(m)
        cp = cn.cnitool("check", cn.network, m)
        assert cp.returncode == 0, f"{cp.stdout}{cp.stderr}"
    finally:
        if not node.alive():
            node.start_daemon()
        cn.write_conf()


def test_pods_running_before_the_daemon_and_plugin_are_found(cl):
    """Node 1 as before zmesh was installed: no daemon, no zmesh-cni in the conflist. Pods start
    there (one in an ambient namespace, one in a plain one); then the plugin goes in and the
    daemon starts: the ambient pod is found without an ADD, the other when its namespace is
    labelled."""
    node, cn = cl.lab.node(1), cl.cni_node(1)
    cl.create_namespace("cni-early", ambient=True)
    cl.create_namespace("cni-early-plain")
    node.stop_daemon(signal.SIGTERM)
    cn.write_conf(zmesh_cni=False)
    try:
        early = cl.create_pod(1, "cni-early", "early", service_account="early")
        later = cl.create_pod(1, "cni-early-plain", "later")
    finally:
        cn.write_conf(zmesh_cni=True)
        node.start_daemon()
    e = cl.wait_enrolled(early)
    assert e["ip"] == early.ip, e
    wait_ports(early, True)
    cl.wait_enrolled(later, enrolled=False)
    assert not [l for l in cl.cni_log(node) if f" {early.full_name} " in l], "an ADD reached zmesh-cni"

    cl.set_namespace_ambient("cni-early-plain", True)
    cl.wait_enrolled(later)
    wait_ports(later, True)

    client = cl.create_pod(0, "cni-early", "early-client", service_account="early-client")
    mesh_transfer(cl, client, early.ip, APP_PORT, early, "cni-early")


def test_daemon_killed_and_restarted_loses_nothing(cl):
    ns = "cni-restart"
    node = cl.lab.node(0)
    cl.create_namespace(ns, ambient=True)
    r1 = cl.create_pod(0, ns, "r1", service_account="r1")
    gone = cl.create_pod(0, ns, "gone")
    for p in (r1, gone):
        cl.wait_enrolled(p)

    node.kill_daemon()
    # a mesh pod's ADD fails while the daemon is unreachable (the kubelet retries); containerd
    # then undoes the sandbox
    r2 = cl.create_pod(0, ns, "r2", service_account="r2", check=False)
    assert r2.add_error and not r2.sandbox, (r2.add_error, r2.add_result)
    assert 'plugin type="zmesh-cni" failed (add)' in r2.add_error, r2.add_error
    line = cni_line(cl, r2)
    assert ": enrolled" not in line, line
    # a pod deleted while the daemon is down: DEL must still succeed
    cl.delete_pod(gone)

    node.start_daemon()
    e = cl.wait_enrolled(r1)
    assert e["ip"] == r1.ip, e
    wait_ports(r1, True)
    wait_for(lambda: cl.pod_entry(gone) is None and cl.enrolled_entry(gone) is None, 15, 0.1,
             f"{gone.full_name} (deleted while the daemon was down) gone from the status")

    # the kubelet's retry of r2, and a new pod after the restart
    cl.run_sandbox(r2)
    cl.start_app(r2)
    r3 = cl.create_pod(0, ns, "r3", service_account="r3")
    for p in (r2, r3):
        cl.wait_enrolled(p)
        assert MESH_PORTS <= p.listening_ports()
    enrolled = {x["pod"] for x in cl.status(node)["enrolled"]}
    assert {r1.full_name, r2.full_name, r3.full_name} <= enrolled, enrolled
    assert gone.full_name not in enrolled
    mesh_transfer(cl, r1, r3.ip, APP_PORT, r3, "cni-restart")
    assert_meshed_delivery(r3, r1)


def test_zmeshctl_status_shows_each_pod_enrolled_and_why(cl):
    ns, plain = "cni-status", "cni-status-plain"
    cl.create_namespace(ns, ambient=True)
    cl.create_namespace(plain)
    on = cl.create_pod(0, ns, "on")
    off = cl.create_pod(0, ns, "off", labels={AMBIENT_LABEL: "none"})
    other = cl.create_pod(0, plain, "other")
    elsewhere = cl.create_pod(1, ns, "elsewhere")
    for p, want in ((on, True), (off, False), (other, False)):
        cl.wait_enrolled(p, enrolled=want)

    out = cl.zmeshctl_status(0)
    lines = out.splitlines()
    at = next((i for i, l in enumerate(lines) if l.split()[:2] == ["POD", "ENROLLED"]), None)
    assert at is not None and "REASON" in lines[at], out
    table = {}
    for l in lines[at + 1:]:
        if not l.strip():
            break
        table[l.split()[0]] = l
    entries = {e["pod"]: e for e in cl.status(0)["pods"]}
    node0 = {p.full_name for p in cl.pods if p.node.index == 0}
    assert node0 <= set(entries), (sorted(entries), out)
    assert set(table) == set(entries), (sorted(table), sorted(entries), out)  # one row per pod of node0
    for name, row in table.items():
        e = entries[name]
        assert row.split()[1] == ("yes" if e["enrolled"] else "no"), (row, e)
        assert e["reason"] and e["reason"] in row, (row, e)
    assert elsewhere.full_name not in table, out
    assert table[on.full_name].split()[1] == "yes" and "ambient" in table[on.full_name], out
    assert table[off.full_name].split()[1] == "no" and "none" in table[off.full_name], out
    assert table[other.full_name].split()[1] == "no", out
