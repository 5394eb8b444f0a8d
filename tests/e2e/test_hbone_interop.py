"""HBONE interop with an independent implementation (tests/e2e/hbone_peer.py: Python ssl + h2).

Proves, for ztunnel's inbound :15008 (pod-1-0, enrolled):
- a foreign HBONE client with a mesh cert gets 200 and reaches the pod's app (echo intact, several
  streams on one connection, podtool WHO answers from the pod), and node1 reports it as
  mutual_tls with the client's SPIFFE id as source principal;
- a malformed CONNECT gets 400 (authority not an IP:port; an IP that is not this pod's) or, for
  requests HTTP/2 itself calls malformed (:scheme/:path on CONNECT, a GET), 400 or a stream reset;
- a CONNECT to a port nobody listens on gets 503.
And for ztunnel's outbound (pod-0-0 on node0) towards a mesh pod that is NOT enrolled (pod-1-1,
whose :15008 is the Python server's):
- data is intact both ways (pod and Service destination), the server saw :authority == <pod ip>:8080,
  forwarded for=<source pod ip>, a W3C traceparent, TLS 1.3, and the client cert of the SOURCE
  workload (spiffe://cluster.local/ns/mesh/sa/sa-pod-0-0); node0 reports mutual_tls;
- a server presenting another workload's identity, or a cert from a foreign CA, gets no CONNECT:
  ztunnel verifies the destination's SPIFFE id.
Needs a ztunnel with --ca-dir (fails at once otherwise).
"""
from __future__ import annotations

import re

import pytest

from conftest import Snapshot, assert_same_bytes, find_access, wait_metric_delta
from mesh_tools import (OPENED, TRACEPARENT, CertKit, HboneServer, hbone_client, mtls_lab, mtls_labels)
from zlab import APP_PORT, wait_for

SKIPPED = "pod-1-1"  # mesh pod left unenrolled: the Python HBONE server owns its :15008


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("interop", enroll_skip=[SKIPPED]) as lab:
        yield lab


@pytest.fixture(scope="module")
def kit(lab):
    return CertKit(lab)


# ---------------------------------------------------------------- Python client -> ztunnel inbound
def _client_files(lab, kit):
    c = lab.pod("plain-0-0")
    return c, kit.valid(c.identity)


def test_python_client_reaches_app(lab, kit):
    client, files = _client_files(lab, kit)
    dst = lab.pod("pod-1-0")
    before = Snapshot(lab)
    r = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", files, expect_san=dst.identity, nbytes=1 << 20,
                     streams=3, extra=("--forwarded", f"for={client.ip}", "--baggage", "k8s.namespace.name=plain"))
    assert r["ok"], r
    assert r["tls"]["version"] == "TLSv1.3" and r["tls"]["alpn"] == "h2", r
    assert [s["status"] for s in r["streams"]] == [200] * 3 and all(s["echo_ok"] for s in r["streams"]), r
    w = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", files, app="who")
    assert w["ok"] and w["streams"][0]["reply"]["pod"] == dst.full_name, w
    wait_metric_delta(lab, before, "node1", OPENED, 4, reporter="destination", destination_workload=dst.name,
                      connection_security_policy="mutual_tls", source_principal=client.identity,
                      destination_principal=dst.identity)
    e = find_access(dst.node, lambda e: e.get("direction") == "inbound" and e.get("src.identity") == client.identity)
    assert e.get("dst.identity") == dst.identity, e


@pytest.mark.parametrize("authority", ["not-an-ip:80", "other-pod-ip", "no-port"])
def test_malformed_connect_gets_400(lab, kit, authority):
    client, files = _client_files(lab, kit)
    dst = lab.pod("pod-1-0")
    auth = {"not-an-ip:80": "not-an-ip:80", "other-pod-ip": f"{lab.pod('pod-0-0').ip}:{APP_PORT}",
            "no-port": dst.ip}[authority]
    r = hbone_client(client, dst.ip, auth, files, expect_status=400)
    assert r["streams"] and r["streams"][0]["status"] == 400, r
    # the connection stays usable for well-formed requests
    ok = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", files, message="still fine")
    assert ok["ok"], ok


@pytest.mark.parametrize("variant", ["scheme-and-path", "GET"])
def test_http2_malformed_request_rejected(lab, kit, variant):
    client, files = _client_files(lab, kit)
    dst = lab.pod("pod-1-0")
    extra = ("--scheme-path",) if variant == "scheme-and-path" else ("--method", "GET")
    r = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", files, expect_status=400, extra=extra)
    st = r["streams"][0] if r.get("streams") else {}
    assert st.get("status") == 400 or st.get("reset"), f"{variant}: expected 400 or RST_STREAM: {r}"


def test_closed_port_gets_503(lab, kit):
    client, files = _client_files(lab, kit)
    dst = lab.pod("pod-1-0")
    r = hbone_client(client, dst.ip, f"{dst.ip}:9", files, expect_status=503)
    assert r["streams"] and r["streams"][0]["status"] == 503, r


# ---------------------------------------------------------------- ztunnel outbound -> Python server
def _check_connect(rec: dict, src, dst_ip: str) -> None:
    h = rec["headers"]
    assert h[":method"] == "CONNECT" and h[":authority"] == f"{dst_ip}:{APP_PORT}", h
    assert ":path" not in h and ":scheme" not in h, h
    fwd = h.get("forwarded", "")
    assert re.search(rf'(^|[;,\s])for="?{re.escape(src.ip)}"?($|[;,\s])', fwd), f"forwarded {fwd!r}"
    assert TRACEPARENT.match(h.get("traceparent", "")), f"traceparent {h.get('traceparent')!r}"
    assert "baggage" in h, h
    assert rec["peer_uris"] == [src.identity], rec
    assert rec["tls_version"] == "TLSv1.3", rec


@pytest.mark.parametrize("via", ["pod", "service"])
def test_outbound_reaches_python_server(lab, kit, via):
    src, dst = lab.pod("pod-0-0"), lab.pod(SKIPPED)
    assert not dst.enrolled
    host, port = (dst.ip, APP_PORT) if via == "pod" else (lab.service("svc-1-1")["ip"], lab.service("svc-1-1")["port"])
    with HboneServer(dst, kit.valid(dst.identity)) as srv:
        before = Snapshot(lab)
        n = (2 << 20) + 33
        xid = f"interop-{via}-{n}"
        res = src.xfer(host, port, n, xid=xid)
        rec = srv.wait_record(lambda r: r.get("event") == "xfer" and r.get("id") == xid, f"XFER {xid}")
        assert_same_bytes(res, rec, n)
        connect = srv.wait_record(lambda r: r.get("event") == "connect", "the CONNECT")
        _check_connect(connect, src, dst.ip)
        assert connect["peer_addr"].split(":")[0] in (src.ip, src.node.ip), connect
        who = src.who(host, port)
        assert who["pod"] == dst.full_name, who
        wait_metric_delta(lab, before, "node0", OPENED, 2, reporter="source", source_workload=src.name,
                          destination_workload=dst.name, **mtls_labels(src, dst))


@pytest.mark.parametrize("bad", ["wrong-identity", "foreign-ca"])
def test_outbound_verifies_server_identity(lab, kit, bad):
    src, dst = lab.pod("pod-0-0"), lab.pod(SKIPPED)
    files = kit.valid(lab.pod("pod-1-0").identity) if bad == "wrong-identity" else kit.foreign(dst.identity)
    with HboneServer(dst, files, tag=f"hbone-{bad}") as srv:
        for _ in range(2):
            r = src.who(dst.ip, APP_PORT, io_timeout=5, check=False, timeout=20)
            assert r["rc"] != 0, f"{bad}: the source ztunnel accepted the server: {r}"
        assert srv.records("connect") == [], f"{bad}: ztunnel sent a CONNECT to an unverified server: {srv.records()}"
    # a correct server right after works again (nothing stuck in a pool)
    with HboneServer(dst, kit.valid(dst.identity), tag="hbone-good-again"):
        wait_for(lambda: src.who(dst.ip, APP_PORT, io_timeout=3, check=False, timeout=15).get("pod") == dst.full_name,
                 10, 0.2, "a correctly identified server to be reachable again")
