"""Root CA rotation of the shared plug-in CA directory, in Istio's steps, under live traffic.

The lab's daemons all read one plug-in CA directory (--ca-dir); each file is replaced with one
rename, as an operator's tooling would. A new root and an intermediate under it are made with
the openssl CLI. The tests run in file order, one step each, over two long mesh streams
(node0 -> node1 and node1 -> node0, full duplex) that stay open across every step:

  step 1  root-cert.pem = old root + new root (signing unchanged): every workload certificate is
          re-issued carrying both roots; client certs from the old CA and from the new root are
          both accepted at :15008; new cross-node mesh connections work both ways;
  step 2  ca-cert/ca-key/cert-chain = the new intermediate: every workload certificate on both
          nodes is issued by it and the cert a pod's :15008 presents verifies against the new
          root alone; new connections work both ways;
  step 3  root-cert.pem = new root only: a client cert from the old CA is refused at :15008, one
          from the new root accepted; new connections work both ways;
  end     both long streams finish with every byte intact (no connection was dropped).
Needs a ztunnel with --ca-dir (fails at once otherwise).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import Snapshot, assert_same_bytes, server_record, wait_metric_delta
from mesh_tools import (OPENED, assert_s_client_refused, cert_entries, hbone_client, mtls_lab, mtls_labels,
                        s_client)
from zlab import APP_PORT, LabError, certs, mtls, wait_for
from zlab.lab import PODTOOL

STREAM_RATE = 32 * 1024     # bytes/s each way
STREAM_SECONDS = 40         # outlasts the three steps (about 7 s together on an idle machine) with room
RELOAD_TIMEOUT = 20.0       # the daemons look at the CA directory about once a second


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("rootrot") as lab:
        yield lab


def _subject(c) -> str:
    return c.subject.rfc4514_string()


class Rotation:
    """The old CA as the lab made it, the new root + intermediate, the long streams, and which
    step has been completed (a step refuses to run when the one before it did not pass)."""

    def __init__(self, lab):
        self.lab = lab
        self.dir = os.path.join(lab.state_dir, "rotation")
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        self.old = certs.load_ca(lab.ca_dir)
        self.old_root_pem = open(os.path.join(lab.ca_dir, "root-cert.pem")).read()
        p = lambda n: os.path.join(self.dir, n)  # noqa: E731
        self.new_root_key, self.new_root_cert = p("new-root-key.pem"), p("new-root-cert.pem")
        self.new_ca_key, self.new_ca_cert = p("new-ca-key.pem"), p("new-ca-cert.pem")
        mtls.openssl_root(self.new_root_key, self.new_root_cert, cn=f"zlab root CA {lab.id} (new)")
        mtls.openssl_intermediate(self.new_ca_key, self.new_ca_cert, self.new_root_cert, self.new_root_key,
                                  cn=f"zlab intermediate CA {lab.id} (new)")
        self.new_root_pem = open(self.new_root_cert).read()
        self.new = certs.load_ca_files(self.new_ca_cert, self.new_ca_key, self.new_root_cert)
        # `openssl s_client -cert` sends the leaf alone (no intermediate): its client certs under
        # the new root are issued by the root itself; the HBONE peer sends leaf + intermediate
        self.new_root = certs.load_ca_files(self.new_root_cert, self.new_root_key, self.new_root_cert)
        self.old_root_subject = _subject(self.old.cert)
        self.new_root_subject = _subject(self.new.roots[0])
        self.new_ca_subject = _subject(self.new.cert)
        # PEM files a test client verifies the mesh's servers with
        self.both_roots_file = p("both-roots.pem")
        with open(self.both_roots_file, "w") as f:
            f.write(self.old_root_pem + self.new_root_pem)
        self.step = 0
        self.streams: list[dict] = []
        self._n = 0

    # ------------------------------------------------------------ the CA directory
    def write_ca_file(self, name: str, text: str, mode: int = 0o644) -> None:
        mtls.write_atomic(os.path.join(self.lab.ca_dir, name), text, mode)

    def require_step(self, n: int) -> None:
        if self.step != n:
            pytest.fail(f"step {n + 1} needs step {n} to have passed (last passed: {self.step})")

    # ------------------------------------------------------------ test clients' certificates
    def client_files(self, ca: certs.CA, pod, trust: str) -> dict:
        """A leaf for pod's identity from ca, and `trust` (a PEM file) to verify the server with."""
        self._n += 1
        files = certs.write_files(self.dir, f"client-{self._n:02d}", certs.issue(ca, pod.identity), ca)
        files["ca"] = trust
        return files

    # ------------------------------------------------------------ the long streams
    def start_streams(self) -> None:
        n = STREAM_RATE * STREAM_SECONDS
        for src, dst in (("pod-0-0", "pod-1-0"), ("pod-1-1", "pod-0-1")):
            src, dst = self.lab.pod(src), self.lab.pod(dst)
            xid = f"rootrot-{src.name}-{dst.name}-{n}"
            p = src.spawn([sys.executable, PODTOOL, "xfer", dst.ip, APP_PORT, n, "--id", xid, "--rate", STREAM_RATE,
                           "--timeout", 20], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.streams.append({"src": src, "dst": dst, "xid": xid, "n": n, "proc": p, "t0": time.monotonic()})

    def assert_streams_running(self, when: str) -> None:
        for s in self.streams:
            p = s["proc"]
            if p.poll() is not None:
                out, err = p.communicate(timeout=5)
                raise AssertionError(f"{when}: the long stream {s['src'].name} -> {s['dst'].name} ended after "
                                     f"{time.monotonic() - s['t0']:.1f}s (rc {p.returncode}): {out} {err}")

    def stop(self) -> None:
        for s in self.streams:
            if s["proc"].poll() is None:
                s["proc"].kill()
                s["proc"].communicate(timeout=5)


@pytest.fixture(scope="module")
def rot(lab):
    r = Rotation(lab)
    r.start_streams()
    yield r
    r.stop()


# ---------------------------------------------------------------- checks
def _workload_entries(node) -> dict[str, dict]:
    want = {p.identity for p in node.pods if p.in_mesh and p.enrolled}
    return {e["identity"]: e for e in cert_entries(node) if e.get("identity") in want}


def wait_all_certs(lab, pred, what: str, timeout: float = RELOAD_TIMEOUT) -> dict[str, dict[str, dict]]:
    """Wait until, on every node, every enrolled mesh pod's certificate entry is valid and
    satisfies pred; returns {node: {identity: entry}}."""
    last = {}

    def done():
        for node in lab.nodes:
            want = {p.identity for p in node.pods if p.in_mesh and p.enrolled}
            es = _workload_entries(node)
            last[node.name] = es
            if set(es) != want or not all(e.get("state") == "valid" and pred(e) for e in es.values()):
                return None
        return dict(last)
    try:
        return wait_for(done, timeout, 0.2, what)
    except LabError:
        raise AssertionError(f"{what}: not reached within {timeout}s; certificates now: "
                             f"{json.dumps(last, indent=1)[:6000]}") from None


def _roots(e: dict) -> list[str]:
    return [r["subject"] for r in e.get("roots", [])]


def _serials(by_node: dict[str, dict[str, dict]]) -> dict[str, str]:
    return {ident: e["serial"] for es in by_node.values() for ident, e in es.items()}


def new_connections_both_ways(lab, when: str) -> None:
    """A fresh mesh connection node0 -> node1 and node1 -> node0, answered by the right pod and
    reported as mutual TLS between the two workloads by both ends."""
    for src, dst in ((lab.pod("pod-0-1"), lab.pod("pod-1-1")), (lab.pod("pod-1-0"), lab.pod("pod-0-0"))):
        before = Snapshot(lab)
        r = src.who(dst.ip, APP_PORT, check=False)
        assert r.get("rc") == 0 and r.get("pod") == dst.full_name, f"{when}: {src.name} -> {dst.name}: {r}"
        wl = dict(source_workload=src.name, destination_workload=dst.name, **mtls_labels(src, dst))
        wait_metric_delta(lab, before, src.node.name, OPENED, 1, reporter="source", **wl)
        wait_metric_delta(lab, before, dst.node.name, OPENED, 1, reporter="destination", **wl)


def assert_accepted(client, dst, files: dict, roots: str, why: str) -> dict:
    r = s_client(client, dst.ip, 15008, files, roots)
    assert r["h2_ack"], f"{why}: {dst.name}:15008 did not serve the client\n{r['text']}"
    assert r["verify_ok"], f"{why}: the server cert of {dst.name} does not verify against {roots}\n{r['text']}"
    return r


# ---------------------------------------------------------------- the steps
def test_step1_new_root_added_both_trusted(lab, rot):
    rot.require_step(0)
    before = _serials(wait_all_certs(lab, lambda e: _roots(e) == [rot.old_root_subject], "certificates at start"))
    rot.write_ca_file("root-cert.pem", rot.old_root_pem + rot.new_root_pem)
    # the changed roots make every certificate be re-issued, now carrying both roots
    now = wait_all_certs(
        lab, lambda e: sorted(_roots(e)) == sorted([rot.old_root_subject, rot.new_root_subject])
        and e["serial"] != before.get(e["identity"]), "certificates re-issued with old + new root")
    for es in now.values():
        for e in es.values():
            assert e["chain"][0]["issuer"] == rot.old_root_subject, f"signing changed in step 1: {e}"
    new_connections_both_ways(lab, "step 1")
    # both roots are trusted: a client cert from either is served
    client = lab.pod("plain-0-0")
    for dst in (lab.pod("pod-1-0"), lab.pod("pod-0-1")):
        assert_accepted(client, dst, rot.client_files(rot.old, client, rot.both_roots_file), rot.both_roots_file,
                        f"step 1, client cert from the old root, to {dst.name}")
        assert_accepted(client, dst, rot.client_files(rot.new_root, client, rot.both_roots_file),
                        rot.both_roots_file, f"step 1, client cert from the new root, to {dst.name}")
        h = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", rot.client_files(rot.new, client, rot.both_roots_file),
                         expect_san=dst.identity, message="step1")
        assert h.get("ok"), f"step 1: a client cert from the new intermediate was not served by {dst.name}: {h}"
    rot.assert_streams_running("after step 1")
    rot.step = 1


def test_step2_workloads_move_to_new_chain(lab, rot):
    rot.require_step(1)
    before = _serials(wait_all_certs(lab, lambda e: True, "certificates before step 2"))
    # key first, then the certificate it belongs to, then the chain; a directory caught between
    # two renames does not load (key and cert disagree) and is retried on the next change
    rot.write_ca_file("ca-key.pem", open(rot.new_ca_key).read(), 0o600)
    rot.write_ca_file("ca-cert.pem", open(rot.new_ca_cert).read())
    rot.write_ca_file("cert-chain.pem", open(rot.new_ca_cert).read() + rot.new_root_pem)
    now = wait_all_certs(
        lab, lambda e: e["chain"][0]["issuer"] == rot.new_ca_subject and e["serial"] != before.get(e["identity"]),
        "every workload certificate issued by the new intermediate")
    for node, es in now.items():
        for e in es.values():
            subjects = [c["subject"] for c in e["chain"]]
            assert rot.new_ca_subject in subjects[1:], f"{node}: the chain lacks the new intermediate: {e}"
            assert e["chain"][-1]["issuer"] == rot.new_root_subject, f"{node}: chain does not end at the new root: {e}"
            assert sorted(_roots(e)) == sorted([rot.old_root_subject, rot.new_root_subject]), e
    # what the pods' :15008 present verifies against the new root alone, on both nodes
    for client, dst in ((lab.pod("plain-0-0"), lab.pod("pod-1-0")), (lab.pod("plain-1-0"), lab.pod("pod-0-0"))):
        files = rot.client_files(rot.new, client, rot.new_root_cert)
        r = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", files, expect_san=dst.identity, message="step2")
        assert r.get("ok"), f"step 2: {dst.name}:15008 verified against the new root only: {r}"
        assert r["server_cert"]["serial"] == now[dst.node.name][dst.identity]["serial"].lower().lstrip("0"), \
            (r["server_cert"], now[dst.node.name][dst.identity])
        s = assert_accepted(client, dst, rot.client_files(rot.new_root, client, rot.new_root_cert), rot.new_root_cert,
                            f"step 2, {dst.name}")
        assert [c["issuer"] for c in s["server_certs"][:2]] == [rot.new_ca_subject, rot.new_root_subject], \
            s["server_certs"]
    new_connections_both_ways(lab, "step 2")
    rot.assert_streams_running("after step 2")
    rot.step = 2


def test_step3_old_root_removed(lab, rot):
    rot.require_step(2)
    before = _serials(wait_all_certs(lab, lambda e: True, "certificates before step 3"))
    rot.write_ca_file("root-cert.pem", rot.new_root_pem)
    wait_all_certs(lab, lambda e: _roots(e) == [rot.new_root_subject] and e["serial"] != before.get(e["identity"])
                   and e["chain"][0]["issuer"] == rot.new_ca_subject,
                   "certificates re-issued with the new root only")
    new_connections_both_ways(lab, "step 3")
    client = lab.pod("plain-0-0")
    for dst in (lab.pod("pod-1-0"), lab.pod("pod-0-1")):
        old = rot.client_files(rot.old, client, rot.new_root_cert)
        r = s_client(client, dst.ip, 15008, old, rot.new_root_cert)
        assert r["verify_ok"], f"step 3: {dst.name}'s server cert does not verify against the new root\n{r['text']}"
        assert_s_client_refused(r, f"step 3, client cert from the removed old root, to {dst.name}")
        h = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", old, expect_san=dst.identity, message="old")
        assert not h.get("ok"), f"step 3: the HBONE peer with an old-root cert got through to {dst.name}: {h}"
        assert_accepted(client, dst, rot.client_files(rot.new_root, client, rot.new_root_cert), rot.new_root_cert,
                        f"step 3, client cert from the new root, to {dst.name}")
        new = rot.client_files(rot.new, client, rot.new_root_cert)
        h = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", new, expect_san=dst.identity, message="new")
        assert h.get("ok"), f"step 3: a new-root client was not served by {dst.name}: {h}"
    rot.assert_streams_running("after step 3")
    rot.step = 3


def test_long_streams_survived_every_step(lab, rot):
    rot.require_step(3)
    for s in rot.streams:
        p = s["proc"]
        try:
            out, err = p.communicate(timeout=STREAM_SECONDS + 60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate(timeout=5)
            raise AssertionError(f"the long stream {s['src'].name} -> {s['dst'].name} hung") from None
        took = time.monotonic() - s["t0"]
        res = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"stdout": out, "stderr": err}
        res["rc"] = p.returncode
        assert_same_bytes(res, server_record(s["dst"], s["xid"]), s["n"])
        assert took >= STREAM_SECONDS - 2, f"the paced stream took only {took:.1f}s (pacing broken: proves nothing)"
    for n in lab.nodes:
        assert n.starts == 1, f"{n.name}'s ztunnel was restarted during the rotation"
