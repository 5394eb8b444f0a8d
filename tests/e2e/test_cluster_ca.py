"""Cluster mode: the node daemons get workload certificates from `ztunnel ca serve`.

The lab (ca_mode="service") makes the CA with `ztunnel ca init`, node credentials with
`ztunnel ca issue-node`, and runs `ztunnel ca serve` in its own network namespace on the fabric
(10.10.0.2:15012); the daemons run with --ca-addr/--ca-credentials and --cert-ttl 8s, so they
renew every ~4 s. Proves:
- every workload certificate on both nodes is issued by the service's CA, and the service's log
  records issuing exactly those serials to the node the workload runs on;
- same-node and cross-node mesh traffic arrives intact as mutual TLS between the two workloads,
  and the cert a pod's :15008 presents verifies against the CA's root;
- the service signs a node's CSR only for identities of pods scheduled on that node: node0's
  credentials asking for a node1 pod's identity get HTTP 403 (and 200 for its own pod); a mesh
  workload certificate (not a node) gets 403; no client certificate or one from another CA
  fails the TLS handshake (no HTTP answer at all);
- while the service is down, renewals fail (seen as "retrying") but the daemons keep serving
  mesh traffic with their still-valid certificates; once it is back, every certificate is
  renewed by it again and traffic flows.
Needs a ztunnel with --ca-addr (fails at once otherwise).
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import socket
import ssl
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import Snapshot, assert_same_bytes, server_record, wait_metric_delta
from mesh_tools import OPENED, CertKit, cert_entries, hbone_client, mtls_lab, mtls_labels
from zlab import APP_PORT, LabError, certs, in_netns, wait_for

MiB = 1 << 20
TTL = 8.0
CA_DNS_NAME = "zmesh-ca"  # the CA service's server certificate names itself so (ca/service_identities.h)
NODE_ID = "spiffe://cluster.local/ns/istio-system/sa/ztunnel"


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("clusterca", ca_mode="service", cert_ttl="8s") as lab:
        if "--ca-addr" not in " ".join(lab.nodes[0].daemon_argv()):
            pytest.fail("the lab did not give the daemons --ca-addr")
        yield lab


@pytest.fixture(scope="module")
def kit(lab):
    return CertKit(lab)


def ca_subject(lab) -> str:
    return certs.load_ca(lab.ca_dir).cert.subject.rfc4514_string()


def mesh_identities(node) -> set[str]:
    return {p.identity for p in node.pods if p.in_mesh and p.enrolled}


def wait_all_valid(lab, pred=lambda e: True, what: str = "valid certificates", timeout: float = 20.0) -> dict:
    """{node: {identity: entry}} once every enrolled mesh pod's entry on every node is valid
    and satisfies pred."""
    last = {}

    def done():
        for node in lab.nodes:
            es = {e["identity"]: e for e in cert_entries(node) if e.get("identity") in mesh_identities(node)}
            last[node.name] = es
            if set(es) != mesh_identities(node) or not all(e.get("state") == "valid" and pred(e)
                                                           for e in es.values()):
                return None
        return dict(last)
    try:
        return wait_for(done, timeout, 0.2, what)
    except LabError:
        raise AssertionError(f"{what} not reached in {timeout}s: {json.dumps(last, indent=1)[:5000]}") from None


def issued_log(lab, since: int = 0) -> list[dict]:
    """The service's "ca: issued <id> to node <node> (serial <hex>, ...)" lines, from offset since."""
    pat = re.compile(r"ca: issued (\S+) to node (\S+) \(serial ([0-9a-fA-F]+)")
    return [{"identity": m.group(1), "node": m.group(2), "serial": m.group(3).lower()}
            for m in pat.finditer(lab.ca_log_text()[since:])]


# ---------------------------------------------------------------- a CSR client of our own
def sign_request(identity: str, ttl: int = 60) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
           .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity)]), critical=False)
           .sign(key, hashes.SHA256()))
    return json.dumps({"csr": csr.public_bytes(serialization.Encoding.PEM).decode(), "identity": identity,
                       "ttl_seconds": ttl})


def post_csr(lab, netns_path: str, body: str, cert: str | None, key: str | None) -> dict:
    """POST body to the CA service's /v1/certificates over TLS 1.3 from inside netns_path (a
    node's namespace), presenting cert/key if given and verifying the service against the
    lab's root and its name. {"status", "body"} or {"status": None, "error"} when TLS failed."""
    roots = os.path.join(lab.ca_dir, "root-cert.pem")

    def go() -> dict:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(roots)
        if cert:
            ctx.load_cert_chain(cert, key)
        raw = socket.create_connection((lab.ca_ip, lab.ca_port), timeout=10)
        conn = http.client.HTTPConnection(lab.ca_ip, lab.ca_port, timeout=10)
        try:
            conn.sock = ctx.wrap_socket(raw, server_hostname=CA_DNS_NAME)
            conn.request("POST", "/v1/certificates", body=body.encode(),
                         headers={"Content-Type": "application/json", "Connection": "close"})
            resp = conn.getresponse()
            return {"status": resp.status, "body": resp.read().decode(errors="replace")}
        except (ssl.SSLError, ConnectionError, http.client.HTTPException, OSError) as e:
            return {"status": None, "error": f"{type(e).__name__}: {e}"}
        finally:
            conn.close()
    return in_netns(netns_path, go)


def node_creds(node) -> tuple[str, str]:
    d = node.ca_credentials_dir
    return os.path.join(d, "node-cert.pem"), os.path.join(d, "node-key.pem")


# ---------------------------------------------------------------- where certificates come from
def test_certificates_come_from_the_ca_service(lab):
    subject = ca_subject(lab)
    by_node = wait_all_valid(lab)
    for node in lab.nodes:
        assert f"CA service at {lab.ca_addr}" in node.log_text(), f"{node.name} does not say it uses the CA service"
        for ident, e in by_node[node.name].items():
            assert e["chain"][0]["issuer"] == subject, f"{node.name}: {ident} not issued by the service's CA: {e}"
            assert [r["subject"] for r in e["roots"]] == [subject], e

    def logged():
        issued = {(i["identity"], i["serial"]): i["node"] for i in issued_log(lab)}
        cur = wait_all_valid(lab)
        missing = [(n, ident, e["serial"]) for n, es in cur.items() for ident, e in es.items()
                   if issued.get((ident, e["serial"].lower().lstrip("0"))) != n
                   and issued.get((ident, e["serial"].lower())) != n]
        return None if missing else cur
    try:
        wait_for(logged, 10, 0.3, "the CA service's log lists every current serial")
    except LabError:
        raise AssertionError(f"the CA log lacks current serials; its issued lines: {issued_log(lab)[-12:]}") from None


CASES = {"same-node": ("pod-0-0", "pod-0-1"), "cross-node": ("pod-0-0", "pod-1-0"),
         "cross-node-back": ("pod-1-1", "pod-0-0")}


@pytest.mark.parametrize("case", list(CASES))
def test_mesh_traffic_with_service_certificates(lab, case):
    src, dst = (lab.pod(n) for n in CASES[case])
    n = 2 * MiB + (int.from_bytes(os.urandom(2), "big") | 1)
    xid = f"clusterca-{case}-{n}"
    before = Snapshot(lab)
    res = src.xfer(dst.ip, APP_PORT, n, xid=xid)
    assert_same_bytes(res, server_record(dst, xid), n)
    wl = dict(source_workload=src.name, destination_workload=dst.name, **mtls_labels(src, dst))
    wait_metric_delta(lab, before, src.node.name, OPENED, 1, reporter="source", **wl)
    wait_metric_delta(lab, before, dst.node.name, OPENED, 1, reporter="destination", **wl)


def test_presented_certificate_chains_to_the_ca(lab, kit):
    for client, dst in ((lab.pod("plain-0-0"), lab.pod("pod-1-0")), (lab.pod("plain-1-0"), lab.pod("pod-0-1"))):
        r = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", kit.valid(client.identity), expect_san=dst.identity,
                         message="cluster-ca")
        assert r.get("ok"), f"{dst.name}:15008 with a cert verified against the CA service's root: {r}"


# ---------------------------------------------------------------- who the service signs for
def test_node_may_only_obtain_its_own_pods_identities(lab):
    node0, node1 = lab.node("node0"), lab.node("node1")
    own, other = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    since = len(lab.ca_log_text())
    # control: node0 may obtain its own pod's identity (the client and CSR are fine)
    ok = post_csr(lab, node0.netns_path, sign_request(own.identity), *node_creds(node0))
    assert ok["status"] == 200, ok
    leaf = x509.load_pem_x509_certificate(json.loads(ok["body"])["cert_chain"][0].encode())
    assert certs.uri_sans(leaf) == [own.identity] and leaf.issuer.rfc4514_string() == ca_subject(lab), \
        certs.describe(leaf)
    # node0 asking for a pod that runs on node1
    r = post_csr(lab, node0.netns_path, sign_request(other.identity), *node_creds(node0))
    assert r["status"] == 403, f"node0 obtained a node1 pod's identity {other.identity}: {r}"
    err = json.loads(r["body"]).get("error", "")
    assert "node0" in err and other.identity in err, err
    # the pod's own node may
    r1 = post_csr(lab, node1.netns_path, sign_request(other.identity), *node_creds(node1))
    assert r1["status"] == 200, r1
    text = lab.ca_log_text()[since:]
    assert re.search(rf"refused: node node0 may not obtain {re.escape(other.identity)}", text), text[-2000:]


def test_workload_certificate_is_not_a_node(lab, kit):
    """A valid mesh certificate (a workload's, not the node identity) passes TLS but is refused."""
    node0, pod = lab.node("node0"), lab.pod("pod-0-0")
    files = kit.valid(pod.identity)
    r = post_csr(lab, node0.netns_path, sign_request(pod.identity), files["cert"], files["key"])
    assert r["status"] == 403, r
    assert "not a node" in json.loads(r["body"]).get("error", ""), r


def _foreign_node_cert(kit) -> dict:
    """Node-shaped credentials (node identity SAN, CN node0) from a CA the service does not trust."""
    foreign = certs.new_ca(cn="impostor CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "node0")]))
            .issuer_name(foreign.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(NODE_ID)]), critical=False)
            .sign(foreign.key, hashes.SHA256()))
    return certs.write_files(kit.dir, "impostor-node0", certs.Issued(cert, key, [foreign.cert]), foreign)


@pytest.mark.parametrize("kind", ["no-client-cert", "foreign-ca"])
def test_tls_handshake_refused(lab, kit, kind):
    node0, own = lab.node("node0"), lab.pod("pod-0-0")
    cert, key = (None, None) if kind == "no-client-cert" else (lambda f: (f["cert"], f["key"]))(_foreign_node_cert(kit))
    r = post_csr(lab, node0.netns_path, sign_request(own.identity), cert, key)
    assert r["status"] is None, f"{kind}: the CA service answered HTTP instead of failing the handshake: {r}"
    assert "SSL" in r["error"] or "reset" in r["error"].lower() or "EOF" in r["error"], r
    # and the service still serves a proper node afterwards
    assert post_csr(lab, node0.netns_path, sign_request(own.identity), *node_creds(node0))["status"] == 200


# ---------------------------------------------------------------- the service goes away and comes back
def node_of(lab, identity: str) -> str | None:
    return next((p.node.name for p in lab.pods if p.identity == identity), None)


def test_ca_service_restart(lab, kit):
    src, dst = lab.pod("pod-0-1"), lab.pod("pod-1-1")
    client_files = kit.valid(lab.pod("plain-0-0").identity)
    wait_all_valid(lab)
    assert lab.stop_ca_service() == 0, "ztunnel ca serve did not exit cleanly on SIGTERM"
    at_stop = {n.name: {e["identity"]: e["serial"] for e in cert_entries(n)} for n in lab.nodes}

    def retrying():
        for n in lab.nodes:
            for e in cert_entries(n):
                if e.get("state") == "retrying" and e.get("identity") in mesh_identities(n):
                    return n, e
        return None
    try:
        _node, e = wait_for(retrying, TTL + 4, 0.1, "a renewal to fail while the CA service is down")
    except LabError:
        raise AssertionError(f"no renewal failed within {TTL + 4}s of stopping the CA service: "
                             f"{[cert_entries(n) for n in lab.nodes]}") from None
    assert e.get("last_error"), e
    # still serving with the certificates they hold (valid for about half a lifetime more)
    for a, b in ((src, dst), (dst, src)):
        r = a.who(b.ip, APP_PORT, check=False)
        assert r.get("rc") == 0 and r.get("pod") == b.full_name, \
            f"with the CA service down, {a.name} -> {b.name}: {r}"
    # a fresh handshake with :15008 still gets a valid certificate
    h = hbone_client(lab.pod("plain-0-0"), dst.ip, f"{dst.ip}:{APP_PORT}", client_files, expect_san=dst.identity,
                     message="ca-down")
    assert h.get("ok") and h["server_cert"]["not_after_epoch"] > time.time(), h
    for n in lab.nodes:
        for c in cert_entries(n):
            if c.get("identity") in mesh_identities(n):
                left = dt.datetime.fromisoformat(c["not_after"].replace("Z", "+00:00")).timestamp() - time.time()
                assert left > 0, f"{n.name}: {c['identity']} certificate expired while the CA was down: {c}"

    since = len(lab.ca_log_text())
    lab.start_ca_service()
    # every certificate is renewed again, by the restarted service
    now = wait_all_valid(lab, lambda c: c["serial"] != at_stop.get(node_of(lab, c["identity"]), {}).get(c["identity"]),
                         "every certificate renewed after the CA service came back", timeout=TTL + 35)

    def logged():
        issued = {(i["identity"], i["serial"]) for i in issued_log(lab, since)}
        return all((ident, ser.lower()) in issued or (ident, ser.lower().lstrip("0")) in issued
                   for es in wait_all_valid(lab).values() for ident, ser in ((k, v["serial"]) for k, v in es.items()))
    try:
        wait_for(logged, 10, 0.3, "renewals logged by the restarted CA service")
    except LabError:
        raise AssertionError(f"current serials not in the restarted service's log: {now}\n"
                             f"{issued_log(lab, since)[-10:]}") from None
    for a, b in ((src, dst), (dst, src)):
        r = a.who(b.ip, APP_PORT, check=False)
        assert r.get("rc") == 0 and r.get("pod") == b.full_name, \
            f"after the CA service came back, {a.name} -> {b.name}: {r}"
