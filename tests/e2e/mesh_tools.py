"""Helpers of the mTLS / HBONE e2e tests: test certificates from the lab CA (and foreign ones),
the independent HBONE peer (hbone_peer.py) as client or server inside a pod, `openssl s_client`
inside a pod, and the daemon's certificate view (config_dump "certificates")."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from zlab import LabError, certs, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
HBONE_PEER = os.path.join(HERE, "hbone_peer.py")
HBONE_PORT = 15008
OPENED = "istio_tcp_connections_opened_total"
CLOSED = "istio_tcp_connections_closed_total"
TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")
# a SETTINGS frame with the ACK flag: the server read our HTTP/2 preface and answered in HTTP/2
H2_SETTINGS_ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def require_mtls(lab) -> None:
    """These tests need the daemon with identities/HBONE: fail (never skip) when it lacks them."""
    if not lab.mtls:
        pytest.fail(f"{lab.ztunnel} does not know --ca-dir: this ztunnel has no workload identity / HBONE "
                    f"support yet, so the mTLS e2e tests cannot run")


def mtls_lab(name: str, **kw):
    """A Lab (use it with `with`) for the mTLS tests; fails at once, before building anything,
    when the ztunnel under test has no identity/HBONE support."""
    from conftest import make_lab
    lab = make_lab(name, **kw)  # Lab() builds nothing until __enter__
    require_mtls(lab)
    return lab


def mtls_labels(src, dst) -> dict:
    """Metric labels of a mesh connection from pod src to pod dst."""
    return dict(connection_security_policy="mutual_tls", source_principal=src.identity,
                destination_principal=dst.identity)


# ---------------------------------------------------------------- certificates for test clients
class CertKit:
    """PEM files (cert, key, ca) for test clients/servers, under the lab's state dir."""

    def __init__(self, lab):
        self.lab = lab
        self.dir = os.path.join(lab.state_dir, "test-certs")
        self.ca = certs.load_ca(lab.ca_dir)
        self._foreign: certs.CA | None = None
        self._n = 0

    def _name(self, tag: str) -> str:
        self._n += 1
        return f"{self._n:02d}-{re.sub(r'[^A-Za-z0-9]+', '-', tag)[-40:]}"

    def valid(self, uri: str) -> dict:
        """A leaf for uri from the mesh CA; ca = the mesh roots."""
        return certs.write_files(self.dir, self._name(uri), certs.issue(self.ca, uri), self.ca)

    def expired(self, uri: str) -> dict:
        return certs.write_files(self.dir, self._name("expired-" + uri), certs.expired(self.ca, uri), self.ca)

    def foreign(self, uri: str) -> dict:
        """A leaf for uri from a throwaway CA nobody in the mesh trusts (ca = still the mesh roots,
        so the holder can verify the mesh server)."""
        if self._foreign is None:
            self._foreign = certs.new_ca()
        return certs.write_files(self.dir, self._name("foreign-" + uri), certs.issue(self._foreign, uri), self.ca)

    def mesh_roots(self) -> str:
        return os.path.join(self.lab.ca_dir, "root-cert.pem")


# ---------------------------------------------------------------- the Python HBONE peer
def last_json(text: str) -> dict:
    for line in reversed((text or "").strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    return {}


def hbone_client(pod, ip: str, authority: str, files: dict | None, expect_san: str | None = None,
                 app: str = "echo", message: str | None = None, nbytes: int | None = None, streams: int = 1,
                 expect_status: int = 200, extra: tuple = (), timeout: float = 10.0) -> dict:
    """Run hbone_peer.py client inside pod against ip:15008; returns its JSON (+ "rc")."""
    cmd = [sys.executable, HBONE_PEER, "client", "--addr", f"{ip}:{HBONE_PORT}", "--authority", authority,
           "--app", app, "--streams", streams, "--expect-status", expect_status, "--timeout", timeout]
    if files:
        cmd += ["--cert", files["cert"], "--key", files["key"], "--ca", files["ca"]]
    if expect_san:
        cmd += ["--expect-san", expect_san]
    if message is not None:
        cmd += ["--message", message]
    if nbytes is not None:
        cmd += ["--bytes", nbytes]
    cmd += list(extra)
    cp = pod.run(cmd, timeout=timeout + 15, check=False)
    d = last_json(cp.stdout)
    d["rc"] = cp.returncode
    if not d.get("ok") and cp.stderr:
        d["stderr"] = cp.stderr[-2000:]
    return d


class HboneServer:
    """hbone_peer.py server on <pod ip>:15008 inside pod (the pod must not be enrolled: ztunnel
    would own its 15008 otherwise). Its records are JSON lines in <lab log dir>."""

    def __init__(self, pod, files: dict, app: str = "podtool", trust_domain: str | None = None, tag: str = "hbone"):
        self.pod, self.files, self.app = pod, files, app
        self.trust_domain = trust_domain or pod.lab.trust_domain
        base = os.path.join(pod.lab.log_dir, f"{tag}-{pod.name}-{int(time.time() * 1000) % 10**8}")
        self.record_path, self.log_path = base + ".records.jsonl", base + ".log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "HboneServer":
        out = open(self.log_path, "w")
        self.proc = self.pod.spawn([sys.executable, HBONE_PEER, "server", "--cert", self.files["cert"],
                                    "--key", self.files["key"], "--ca", self.files["ca"],
                                    "--record", self.record_path, "--port", HBONE_PORT, "--app", self.app,
                                    "--trust-domain", self.trust_domain, "--name", self.pod.full_name],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()

        def listening():
            if self.proc.poll() is not None:
                raise LabError(f"hbone_peer server exited {self.proc.returncode}: {self.log()}")
            return '"listening"' in self.log()
        wait_for(listening, 15, 0.05, f"hbone_peer server in {self.pod.full_name}")
        return self

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def records(self, event: str | None = None) -> list[dict]:
        try:
            with open(self.record_path) as f:
                recs = [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []
        return [r for r in recs if event is None or r.get("event") == event]

    def wait_record(self, pred, what: str, timeout: float = 10.0) -> dict:
        try:
            return wait_for(lambda: next((r for r in self.records() if pred(r)), None), timeout, 0.1, what)
        except LabError:
            raise AssertionError(f"hbone_peer server in {self.pod.full_name}: no record for {what}; "
                                 f"records: {self.records()[-8:]}\nlog: {self.log()[-1500:]}") from None

    def __exit__(self, *exc) -> None:
        p = self.proc
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=5)


# ---------------------------------------------------------------- openssl s_client
def s_client(pod, ip: str, port: int, files: dict | None, ca: str, wait: float = 4.0) -> dict:
    """`openssl s_client` (TLS 1.3, ALPN h2, optional client cert) from inside pod, sending the
    HTTP/2 preface + SETTINGS and keeping the connection open until the server answers in HTTP/2,
    s_client exits, or `wait` seconds pass.

    With TLS 1.3 the server judges the client certificate after the client has finished its
    handshake, so s_client prints a successful handshake either way; a rejection shows up next,
    as "SSL alert number N" on stderr and exit code 1. Acceptance shows up as the server speaking
    HTTP/2: it ACKs our SETTINGS (h2_ack)."""
    cmd = ["openssl", "s_client", "-connect", f"{ip}:{port}", "-tls1_3", "-alpn", "h2", "-CAfile", ca,
           "-verify_return_error", "-showcerts", "-ign_eof"]
    if files:
        cmd += ["-cert", files["cert"], "-key", files["key"]]
    p = pod.spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    bufs = {"out": bytearray(), "err": bytearray()}

    def pump(stream, key):
        for chunk in iter(lambda: stream.read1(65536), b""):
            bufs[key] += chunk
    readers = [threading.Thread(target=pump, args=(p.stdout, "out"), daemon=True),
               threading.Thread(target=pump, args=(p.stderr, "err"), daemon=True)]
    for t in readers:
        t.start()
    try:  # stdin stays open: EOF must not be what ends the exchange
        p.stdin.write(H2_PREFACE)
        p.stdin.flush()
    except BrokenPipeError:
        pass  # s_client already gave up (e.g. connection refused): its output says why
    deadline = time.monotonic() + wait
    while p.poll() is None and H2_SETTINGS_ACK not in bufs["out"] and time.monotonic() < deadline:
        time.sleep(0.05)
    timed_out = p.poll() is None and H2_SETTINGS_ACK not in bufs["out"]
    if p.poll() is None:
        time.sleep(0.2)  # let s_client print what it got, then end it
        p.kill()
    p.wait(timeout=5)
    for t in readers:
        t.join(5)
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    out, err = bytes(bufs["out"]), bytes(bufs["err"])
    text = out.decode("latin-1") + "\n" + err.decode("latin-1")
    m_alert = re.search(r"alert ([a-z ]+):.*SSL alert number (\d+)", text)
    m_alpn = re.search(r"ALPN protocol: (\S+)", text)
    m_proto = re.search(r"Protocol\s*: (TLSv[\d.]+)", text) or re.search(r"New, (TLSv[\d.]+)", text)
    server_certs = []
    try:
        server_certs = [certs.describe(c) for c in certs.parse_pem_blocks(out.decode("latin-1"))]
    except ValueError:
        pass
    return {"rc": p.returncode, "timed_out": timed_out,
            "alert": m_alert.group(1).strip() if m_alert else None,
            "alert_number": int(m_alert.group(2)) if m_alert else None,
            "alpn": m_alpn.group(1) if m_alpn else None, "protocol": m_proto.group(1) if m_proto else None,
            "verify_ok": "Verify return code: 0 (ok)" in text, "h2_ack": H2_SETTINGS_ACK in out,
            "server_certs": server_certs, "text": text[-3000:]}


def assert_s_client_refused(r: dict, why: str) -> None:
    """The server refused us: it never answered in HTTP/2 and ended the connection within the wait.
    (An OpenSSL server rejecting the client cert sends an alert, e.g. 48 unknown ca, 45 certificate
    expired, 116 certificate required; a server that checks the SPIFFE id after the handshake may
    just close. Both are refusals; r["alert"] tells which.)"""
    assert not r["h2_ack"], f"{why}: the server accepted the session (answered HTTP/2)\n{r['text']}"
    assert not r["timed_out"], f"{why}: the server kept the connection open instead of refusing\n{r['text']}"


# ---------------------------------------------------------------- the daemon's certificates
def cert_entries(node) -> list[dict]:
    d = node.config_dump()
    assert "certificates" in d, f"{node.name}: config_dump has no 'certificates': {sorted(d)}"
    return d["certificates"]


def serials(node) -> dict[str, str]:
    """identity -> serial of the node's current certificates."""
    return {c["identity"]: str(c["serial"]) for c in cert_entries(node) if c.get("identity")}


def wait_identity_cert(node, identity: str, timeout: float = 15.0) -> dict:
    try:
        return wait_for(lambda: next((c for c in cert_entries(node) if c.get("identity") == identity), None),
                        timeout, 0.2, f"{node.name} certificate for {identity}")
    except LabError:
        raise AssertionError(f"{node.name}: no certificate for {identity}: {cert_entries(node)}") from None
