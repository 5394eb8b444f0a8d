"""The mTLS test tooling checked against itself and openssl, without any ztunnel (so it proves the
tools, not the daemon): the lab's openssl-made plug-in CA, python-cryptography certificates from it
(openssl verifies them), the independent HBONE peer (client <-> server across two lab nodes, with
every refusal case), `openssl s_client` acceptance/refusal as the mTLS tests read it, and tcpdump
seeing plaintext payloads but not TLS-protected ones, podtool's paced XFER, and the lab's mTLS knobs
(daemon flags only for a ztunnel that knows them, identities, enroll_skip). If these fail, the mTLS
tests cannot be trusted.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
import time

import pytest

from capture import Capture
from conftest import assert_same_bytes, make_lab, server_record
from mesh_tools import (TRACEPARENT, CertKit, HboneServer, assert_s_client_refused, hbone_client, last_json,
                        s_client)
from zlab import APP_PORT, LabError, certs
from zlab.host import run
from zlab.lab import PODTOOL
from zlab.mtls import CA_FILES, openssl_text


@pytest.fixture(scope="module")
def bare():
    """Two nodes, no daemons: pods route to each other directly (not named `lab`: conftest would
    expect its daemons to run)."""
    with make_lab("tooling", start_daemons=False, pods_per_node=2) as bare:
        yield bare


@pytest.fixture(scope="module")
def kit(bare):
    return CertKit(bare)


@pytest.fixture(scope="module")
def peer(bare, kit):
    """The HBONE server in pod-1-1 with pod-1-1's mesh identity."""
    pod = bare.pod("pod-1-1")
    with HboneServer(pod, kit.valid(pod.identity)) as srv:
        yield srv


def test_plugin_ca_layout_made_by_openssl(bare):
    for f in CA_FILES:
        assert os.path.getsize(os.path.join(bare.ca_dir, f)) > 0, f
    assert oct(os.stat(os.path.join(bare.ca_dir, "ca-key.pem")).st_mode & 0o777) == "0o600"
    text = openssl_text(os.path.join(bare.ca_dir, "ca-cert.pem"))
    assert "CA:TRUE" in text and "prime256v1" in text and "Certificate Sign" in text, text
    root = open(os.path.join(bare.ca_dir, "root-cert.pem")).read()
    assert root == open(os.path.join(bare.ca_dir, "ca-cert.pem")).read()
    assert root == open(os.path.join(bare.ca_dir, "cert-chain.pem")).read()
    ca = certs.load_ca(bare.ca_dir)
    assert ca.cert.subject == ca.cert.issuer and bare.id in ca.cert.subject.rfc4514_string()


def test_python_issued_certs_verify_with_openssl(bare, kit):
    uri = bare.pod("pod-0-0").identity
    assert uri == "spiffe://cluster.local/ns/mesh/sa/sa-pod-0-0"
    roots = kit.mesh_roots()
    good = kit.valid(uri)
    assert run(["openssl", "verify", "-CAfile", roots, "-purpose", "sslclient", good["cert"]]).returncode == 0
    assert run(["openssl", "verify", "-CAfile", roots, "-purpose", "sslserver", good["cert"]]).returncode == 0
    text = openssl_text(good["cert"])
    assert f"URI:{uri}" in text and "CA:FALSE" in text and "prime256v1" in text, text
    for files, why in ((kit.expired(uri), "expired"), (kit.foreign(uri), "unable to get local issuer")):
        cp = run(["openssl", "verify", "-CAfile", roots, files["cert"]], check=False)
        assert cp.returncode != 0 and why in cp.stdout + cp.stderr, cp.stdout + cp.stderr


def test_hbone_peer_client_to_server_across_nodes(bare, kit, peer):
    src, dst = bare.pod("pod-0-0"), peer.pod
    files = kit.valid(src.identity)
    auth = f"{dst.ip}:{APP_PORT}"
    r = hbone_client(src, dst.ip, auth, files, expect_san=dst.identity, message="hello over hbone", streams=3,
                     extra=("--forwarded", f"for={src.ip}", "--baggage", "k8s.namespace.name=mesh"))
    assert r["ok"] and r["rc"] == 0, r
    assert r["tls"] == {"version": "TLSv1.3", "alpn": "h2", "cipher": r["tls"]["cipher"]}, r
    assert r["server_cert"]["uris"] == [dst.identity]
    assert [s["status"] for s in r["streams"]] == [200, 200, 200] and all(s["echo_ok"] for s in r["streams"])
    rec = peer.wait_record(lambda x: x.get("event") == "connect" and x["headers"].get("baggage"), "the CONNECT")
    h = rec["headers"]
    assert h[":method"] == "CONNECT" and h[":authority"] == auth and ":path" not in h and ":scheme" not in h
    assert h["forwarded"] == f"for={src.ip}" and TRACEPARENT.match(h["traceparent"]), h
    assert rec["peer_uris"] == [src.identity] and rec["peer_addr"].startswith(src.ip + ":")
    # podtool's XFER through the tunnel, both directions checked
    x = hbone_client(src, dst.ip, auth, files, app="xfer", nbytes=3 << 20, extra=("--xfer-id", "tool-xfer"))
    assert x["ok"], x
    st = x["streams"][0]
    srv_rec = peer.wait_record(lambda r: r.get("event") == "xfer" and r["id"] == st["id"], "the XFER")
    assert_same_bytes({"rc": 0, **st}, srv_rec, 3 << 20)
    w = hbone_client(src, dst.ip, auth, files, app="who")
    assert w["ok"] and w["streams"][0]["reply"]["pod"] == dst.full_name, w


def test_hbone_peer_server_refusals(bare, kit, peer):
    src, dst = bare.pod("pod-0-0"), peer.pod
    auth = f"{dst.ip}:{APP_PORT}"
    bad = hbone_client(src, dst.ip, "not-an-ip:80", kit.valid(src.identity), expect_status=400)
    assert bad["ok"] and bad["streams"][0]["status"] == 400, bad
    for files, event in ((kit.foreign(src.identity), "handshake_failed"), (kit.expired(src.identity), "handshake_failed"),
                         ({"cert": None, "key": None, "ca": kit.mesh_roots()}, "handshake_failed"),
                         (kit.valid("spiffe://other.domain/ns/mesh/sa/x"), "identity_rejected")):
        before = len(peer.records(event))
        f = dict(files)
        if f["cert"] is None:
            r = hbone_client(src, dst.ip, auth, None, extra=("--ca", f["ca"]))
        else:
            r = hbone_client(src, dst.ip, auth, f)
        assert not r["ok"] and r["rc"] != 0 and r.get("error"), r
        peer.wait_record(lambda x, n=before: x.get("event") == event and len(peer.records(event)) > n, event)
    # the client side refuses a server whose SAN is not the expected one
    r = hbone_client(src, dst.ip, auth, kit.valid(src.identity), expect_san=bare.pod("pod-1-0").identity)
    assert not r["ok"] and "server SAN" in r.get("error", ""), r


def test_s_client_reading(bare, kit, peer):
    """How the mTLS tests read s_client: TLS 1.3 rejections arrive as alerts after the handshake."""
    plain, dst = bare.pod("plain-0-0"), peer.pod
    roots = kit.mesh_roots()
    ok = s_client(plain, dst.ip, 15008, kit.valid(plain.identity), roots)
    assert ok["h2_ack"] and ok["alert"] is None and ok["alpn"] == "h2" and ok["protocol"] == "TLSv1.3", ok["text"]
    assert ok["verify_ok"] and ok["server_certs"][0]["uris"] == [dst.identity], ok
    for files, alert in ((kit.foreign(plain.identity), 48), (kit.expired(plain.identity), 45), (None, 116)):
        r = s_client(plain, dst.ip, 15008, files, roots)
        assert_s_client_refused(r, f"expected alert {alert}")
        assert r["alert_number"] == alert and r["alpn"] == "h2", r


def test_capture_sees_plaintext_but_not_tls(bare, kit, peer):
    src, plain_dst, dst = bare.pod("pod-0-0"), bare.pod("plain-1-0"), peer.pod
    m_plain, m_tls = f"PLAIN-MARKER-{secrets.token_hex(8)}", f"TLS-MARKER-{secrets.token_hex(8)}"
    with Capture(bare.fab_netns_path, "br0", os.path.join(bare.log_dir, "tooling.pcap")) as cap:
        assert last_json(src.run([sys.executable, PODTOOL, "echo", plain_dst.ip, APP_PORT, m_plain * 4]).stdout)["echo"] \
            == m_plain * 4
        r = hbone_client(src, dst.ip, f"{dst.ip}:{APP_PORT}", kit.valid(src.identity), message=m_tls * 4)
        assert r["ok"], r
    pkts = cap.packets()
    raw = cap.raw()
    assert any(m_plain.encode() in p.payload for p in pkts), "the capture does not see plaintext payloads"
    assert any(15008 in p.ports() and p.dst == dst.ip for p in pkts), "no packet to :15008 captured"
    leaked = m_tls.encode() in raw
    assert not leaked, "the marker sent through TLS is visible on the wire"


def test_podtool_paced_xfer(bare):
    """podtool xfer --rate paces both directions (the rotation test's long-lived stream relies on it)."""
    src, dst = bare.pod("pod-0-0"), bare.pod("pod-1-0")
    n, rate = 96 * 1024, 48 * 1024
    t0 = time.monotonic()
    res = src.tool("xfer", dst.ip, APP_PORT, n, "--id", "paced", "--rate", rate)
    took = time.monotonic() - t0
    assert_same_bytes(res, server_record(dst, "paced"), n)
    assert took >= 1.5, f"{n} bytes at {rate} B/s took {took:.2f}s: not paced"


def test_daemon_flags_follow_the_binary(tmp_path):
    """--ca-dir/--state-dir/--trust-domain/--cert-ttl are passed only to a ztunnel whose --help
    mentions --ca-dir; identities follow trust_domain; enroll_skip must name a mesh pod."""
    fake = tmp_path / "ztunnel"
    fake.write_text("#!/bin/sh\necho 'Options:'\necho '  --ca-dir arg   Istio plug-in CA directory'\n")
    fake.chmod(0o755)
    lab = make_lab("flags", cert_ttl="5s", trust_domain="example.org", enroll_skip=["pod-1-1"])  # never up
    lab.ztunnel = str(fake)
    assert lab.mtls
    argv = lab.node(1).daemon_argv()
    flag = lambda f: argv[argv.index(f) + 1]  # noqa: E731
    assert flag("--ca-dir") == lab.ca_dir and flag("--state-dir") == lab.node(1).state_dir
    assert flag("--trust-domain") == "example.org" and flag("--cert-ttl") == "5s"
    assert lab.pod("pod-0-1").identity == "spiffe://example.org/ns/mesh/sa/sa-pod-0-1"
    assert lab.pod("plain-1-0").identity == "spiffe://example.org/ns/plain/sa/sa-plain-1-0"
    fake.write_text("#!/bin/sh\necho 'Options:'\necho '  --node arg'\n")
    os.utime(fake, (time.time() + 5, time.time() + 5))  # a rebuilt binary: asked again
    assert not lab.mtls and "--ca-dir" not in lab.node(1).daemon_argv()
    with pytest.raises(LabError, match="enroll_skip"):
        make_lab("flags", enroll_skip=["plain-0-0"])


def test_enroll_skip_leaves_a_mesh_pod_out():
    """With the real daemons: the skipped mesh pod is not enrolled and a test's own server can own
    its :15008 (reachable from a plain pod on the other node)."""
    with make_lab("skip", enroll_skip=["pod-1-1"]) as skip:
        en = json.dumps(skip.node(1).config_dump()["enrolled"])
        assert "pod-1-0" in en and "pod-1-1" not in en, en
        pod = skip.pod("pod-1-1")
        assert pod.in_mesh and not pod.enrolled and skip.pod("pod-1-0").enrolled
        kit = CertKit(skip)
        with HboneServer(pod, kit.valid(pod.identity)):
            client = skip.pod("plain-0-0")
            r = hbone_client(client, pod.ip, f"{pod.ip}:{APP_PORT}", kit.valid(client.identity),
                             expect_san=pod.identity, app="who")
            assert r["ok"] and r["streams"][0]["reply"]["pod"] == pod.full_name, r
