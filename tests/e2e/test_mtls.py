"""Mutual TLS (HBONE) between mesh workloads, checked from outside the daemon.

Proves:
- pod -> pod and pod -> Service traffic, same node and across nodes, arrives intact, and both
  ztunnels report it as connection_security_policy="mutual_tls" with the SPIFFE principals of both
  workloads (metrics), and the access logs carry src.identity / dst.identity;
- on the wire (tcpdump on the fabric bridge, and on the destination pod's veth for same-node
  traffic) mesh traffic is TCP to <pod ip>:15008 and an app marker never appears, while traffic to
  a non-mesh pod stays plaintext (its marker is seen: the capture control) and is reported "none";
- a mesh pod's :15008 refuses `openssl s_client` with a cert from another CA, an expired cert, no
  cert, a mesh-CA cert whose SPIFFE id is outside the trust domain, and accepts a valid mesh cert
  (TLS 1.3, ALPN h2, server cert = the pod's identity, issued by the lab's plug-in CA, HTTP/2 spoken);
- `zmeshctl certs` and config_dump list every enrolled workload identity with a chain.
Needs a ztunnel with --ca-dir (fails at once otherwise).
"""
from __future__ import annotations

import json
import os
import secrets

import pytest

from capture import Capture
from conftest import Snapshot, assert_same_bytes, entry_bytes, find_access, server_record, wait_metric_delta
from mesh_tools import (OPENED, CertKit, assert_s_client_refused, cert_entries, mtls_lab, mtls_labels, s_client)
from zlab import APP_PORT, LabError, certs, wait_for

MiB = 1 << 20

CASES = {
    # id: (client pod, target kind, target name, destination pod)
    "pod-same-node": ("pod-0-0", "pod", "pod-0-1", "pod-0-1"),
    "pod-cross-node": ("pod-0-0", "pod", "pod-1-0", "pod-1-0"),
    "svc-same-node": ("pod-0-0", "svc", "svc-0-1", "pod-0-1"),
    "svc-cross-node": ("pod-1-1", "svc", "svc-0-0", "pod-0-0"),
}


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("mtls") as lab:
        yield lab


@pytest.fixture(scope="module")
def kit(lab):
    return CertKit(lab)


def _target(lab, kind, name):
    if kind == "pod":
        return lab.pod(name).ip, APP_PORT
    s = lab.service(name)
    return s["ip"], s["port"]


@pytest.mark.parametrize("case", list(CASES))
def test_mesh_traffic_is_mutual_tls(lab, case):
    src_name, kind, tname, dst_name = CASES[case]
    src, dst = lab.pod(src_name), lab.pod(dst_name)
    host, port = _target(lab, kind, tname)
    n = 4 * MiB + (int.from_bytes(os.urandom(2), "big") | 1)
    xid = f"mtls-{case}-{n}"
    before = Snapshot(lab)
    res = src.xfer(host, port, n, xid=xid)
    assert_same_bytes(res, server_record(dst, xid), n)

    wl = dict(source_workload=src.name, destination_workload=dst.name, **mtls_labels(src, dst))
    wait_metric_delta(lab, before, src.node.name, OPENED, 1, reporter="source", **wl)
    wait_metric_delta(lab, before, dst.node.name, OPENED, 1, reporter="destination", **wl)

    out = find_access(src.node, lambda e: e.get("direction") == "outbound" and n in entry_bytes(e))
    assert out.get("src.identity") == src.identity and out.get("dst.identity") == dst.identity, out
    inb = find_access(dst.node, lambda e: e.get("direction") == "inbound" and n in entry_bytes(e))
    assert inb.get("src.identity") == src.identity and inb.get("dst.identity") == dst.identity, inb


def _echo_marker(src, host: str, marker: str) -> None:
    r = src.echo(host, APP_PORT, marker)
    assert r["rc"] == 0 and r["echo"] == marker, r


def test_wire_cross_node_is_tls_on_15008(lab):
    """Fabric bridge capture: mesh traffic is TLS to :15008 (no marker, no :8080); traffic to a
    plain pod is plaintext on :8080 (its marker is visible: the capture works)."""
    src, dst, plain = lab.pod("pod-0-0"), lab.pod("pod-1-0"), lab.pod("plain-1-0")
    secret, visible = f"MESH-SECRET-{secrets.token_hex(12)}", f"PLAIN-VISIBLE-{secrets.token_hex(12)}"
    before = Snapshot(lab)
    with Capture(lab.fab_netns_path, "br0", os.path.join(lab.log_dir, "mtls-cross-node.pcap")) as cap:
        _echo_marker(src, dst.ip, secret * 8)
        _echo_marker(src, plain.ip, visible * 8)
    pkts, raw = cap.packets(), cap.raw()
    assert any(visible.encode() in p.payload for p in pkts), "control failed: plaintext marker not captured"
    leaked = secret.encode() in raw
    assert not leaked, f"the mesh marker crossed the fabric in clear text (see {cap.path})"
    hbone = [p for p in pkts if 15008 in p.ports() and dst.ip in (p.src, p.dst)]
    assert hbone and any(p.payload for p in hbone), f"no TLS payload to {dst.ip}:15008 on the fabric"
    assert not [p for p in pkts if dst.ip in (p.src, p.dst) and APP_PORT in p.ports()], \
        f"mesh traffic to {dst.ip}:{APP_PORT} went over the fabric directly"
    assert any(p.dst == plain.ip and p.dport == APP_PORT for p in pkts)
    # the plain destination is reported as not mutual TLS
    wait_metric_delta(lab, before, "node0", OPENED, 1, reporter="source", source_workload=src.name,
                      destination_workload=plain.name, connection_security_policy="none")


def test_wire_same_node_is_tls_on_15008(lab):
    """Capture on the destination pod's veth (node side) for same-node mesh traffic."""
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-0-1")
    secret = f"SAME-NODE-SECRET-{secrets.token_hex(12)}"
    with Capture(src.node.netns_path, dst.ifname, os.path.join(lab.log_dir, "mtls-same-node.pcap")) as cap:
        _echo_marker(src, dst.ip, secret * 8)
    pkts, raw = cap.packets(), cap.raw()
    leaked = secret.encode() in raw
    assert not leaked, f"the mesh marker reached the pod's veth in clear text (see {cap.path})"
    assert any(p.dst == dst.ip and p.dport == 15008 and p.payload for p in pkts), \
        f"no TLS payload to {dst.ip}:15008 on {dst.ifname}: {[(p.src, p.sport, p.dst, p.dport) for p in pkts][:20]}"
    assert not [p for p in pkts if p.dst == dst.ip and p.dport == APP_PORT], "plaintext to the app port on the veth"


# ---------------------------------------------------------------- who may talk to :15008
def test_s_client_valid_mesh_cert_accepted(lab, kit):
    plain, dst = lab.pod("plain-0-0"), lab.pod("pod-1-0")
    r = s_client(plain, dst.ip, 15008, kit.valid(plain.identity), kit.mesh_roots())
    assert r["protocol"] == "TLSv1.3" and r["alpn"] == "h2", r["text"]
    assert r["verify_ok"], f"the server cert does not chain to the lab's plug-in CA:\n{r['text']}"
    assert r["alert"] is None and r["h2_ack"], f"a valid mesh client was not served HTTP/2:\n{r['text']}"
    leaf = r["server_certs"][0]
    assert leaf["uris"] == [dst.identity], leaf
    assert leaf["issuer"] == certs.load_ca(lab.ca_dir).cert.subject.rfc4514_string(), leaf


@pytest.mark.parametrize("kind", ["foreign-ca", "expired", "no-cert", "other-trust-domain", "no-san"])
def test_s_client_refused(lab, kit, kind):
    plain, dst = lab.pod("plain-0-0"), lab.pod("pod-1-0")
    files = {"foreign-ca": lambda: kit.foreign(plain.identity),
             "expired": lambda: kit.expired(plain.identity),
             "no-cert": lambda: None,
             "other-trust-domain": lambda: kit.valid("spiffe://not-our-domain.example/ns/mesh/sa/sa-x"),
             "no-san": lambda: certs.write_files(kit.dir, "no-san", certs.issue(kit.ca, None), kit.ca)}[kind]()
    r = s_client(plain, dst.ip, 15008, files, kit.mesh_roots())
    assert r["protocol"] == "TLSv1.3", r["text"]  # the server side of the handshake itself is fine
    assert_s_client_refused(r, f"{kind} client cert")
    # and the listener still serves a valid client afterwards
    ok = s_client(plain, dst.ip, 15008, kit.valid(plain.identity), kit.mesh_roots())
    assert ok["h2_ack"], ok["text"]


# ---------------------------------------------------------------- the daemons' certificates
def _identities(entries) -> set[str]:
    return {e.get("identity") for e in entries}


def test_certs_listed_per_node(lab):
    for node in lab.nodes:
        want = {p.identity for p in node.pods if p.in_mesh and p.enrolled}

        def all_valid():
            es = cert_entries(node)
            return es if want <= {e.get("identity") for e in es if e.get("state") == "valid"} else None
        try:
            entries = wait_for(all_valid, 15, 0.2, f"{node.name}: valid certificates for {sorted(want)}")
        except LabError:
            raise AssertionError(f"{node.name} config_dump certificates: {cert_entries(node)}") from None
        cp = node.zmeshctl("certs", "-o", "json")
        data = json.loads(cp.stdout)
        listed = data["certificates"] if isinstance(data, dict) else data
        assert want <= _identities(listed), f"{node.name}: zmeshctl certs -o json lacks {want - _identities(listed)}"
        text = node.zmeshctl("certs").stdout
        for ident in want:
            assert ident in text, f"{node.name}: `zmeshctl certs` does not show {ident}:\n{text}"
        ca_subject = certs.load_ca(lab.ca_dir).cert.subject.rfc4514_string()
        for e in entries:
            if e.get("identity") not in want:
                continue
            for key in ("state", "serial", "not_before", "not_after", "chain"):
                assert key in e, f"{node.name} certificate entry lacks {key}: {e}"
            assert e["state"] == "valid", f"{node.name}: {e['identity']} certificate not valid: {e}"
            assert e["chain"], e
            leaf = e["chain"][0]
            if isinstance(leaf, dict):  # {"subject","issuer","serial","not_before","not_after"}
                assert leaf.get("serial") == e["serial"], e
                assert leaf.get("issuer") == ca_subject, f"leaf not issued by the lab's plug-in CA {ca_subject}: {e}"
            else:  # PEM
                cert = certs.parse_pem_blocks(leaf)[0]
                assert certs.uri_sans(cert) == [e["identity"]], e
                assert cert.issuer.rfc4514_string() == ca_subject, e
