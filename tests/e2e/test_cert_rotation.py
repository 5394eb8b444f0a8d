"""Workload certificate rotation with a short lifetime (--cert-ttl 4s, renewed at half life).

Proves:
- the certificate a pod's :15008 presents expires within the TTL from now (the flag is honoured)
  and config_dump's serials for a workload change over time;
- one mesh connection streaming both ways for ~15 s (several certificate lifetimes) completes with
  every byte intact, while the certificates of both its ends are replaced underneath;
- a new TLS connection to :15008 after a renewal sees a different server certificate serial than
  one made earlier, and both are served (200, echo intact); new mesh connections keep working.
Needs a ztunnel with --ca-dir (fails at once otherwise).
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from conftest import Snapshot, assert_same_bytes, server_record, wait_metric_delta
from mesh_tools import OPENED, CertKit, hbone_client, mtls_lab, mtls_labels, serials
from zlab import APP_PORT, LabError, wait_for
from zlab.lab import PODTOOL

TTL = 4.0


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("rotation", cert_ttl="4s") as lab:
        yield lab


@pytest.fixture(scope="module")
def kit(lab):
    return CertKit(lab)


def serial_of(node, identity: str) -> str | None:
    return serials(node).get(identity)


def wait_serial_change(node, identity: str, old: str | None, timeout: float = 4 * TTL) -> str:
    try:
        return wait_for(lambda: (lambda s: s if s and s != old else None)(serial_of(node, identity)),
                        timeout, 0.2, f"{node.name}: a new certificate for {identity}")
    except LabError as e:
        raise AssertionError(str(e)) from None


def test_ttl_honoured_and_serials_change(lab, kit):
    dst, client = lab.pod("pod-1-0"), lab.pod("plain-0-0")
    r = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", kit.valid(client.identity), expect_san=dst.identity,
                     message="ttl")
    assert r["ok"], r
    left = r["server_cert"]["not_after_epoch"] - time.time()
    assert -1.0 <= left <= TTL + 2.0, f"server cert expires in {left:.1f}s; --cert-ttl 4s asks for <= 4s: {r}"
    first = serial_of(dst.node, dst.identity)
    assert first, f"node1 lists no certificate for {dst.identity}"
    second = wait_serial_change(dst.node, dst.identity, first)
    wait_serial_change(dst.node, dst.identity, second)


def test_long_stream_survives_rotations(lab):
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    rate, seconds = 64 * 1024, 15
    n = rate * seconds
    xid = f"rotation-stream-{n}"
    seen = {src.identity: set(), dst.identity: set()}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for node, ident in ((src.node, src.identity), (dst.node, dst.identity)):
                try:
                    s = serial_of(node, ident)
                    if s:
                        seen[ident].add(s)
                except Exception:  # noqa: BLE001 - a failed sample is just a missing point
                    pass
            stop.wait(0.5)

    before = Snapshot(lab)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    p = src.spawn([sys.executable, PODTOOL, "xfer", dst.ip, APP_PORT, n, "--id", xid, "--rate", rate,
                   "--timeout", 10], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=seconds + 45)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate(timeout=5)
        raise AssertionError("the long stream hung across certificate rotations")
    finally:
        stop.set()
        sampler.join(5)
    took = time.monotonic() - t0
    res = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"stdout": out, "stderr": err}
    res["rc"] = p.returncode
    assert_same_bytes(res, server_record(dst, xid), n)
    assert took >= seconds - 2, f"the paced stream took only {took:.1f}s (pacing broken: proves nothing)"
    for ident, s in seen.items():
        assert len(s) >= 3, f"{ident}: only {len(s)} certificate serial(s) during a {took:.0f}s stream: {s}"
    wait_metric_delta(lab, before, "node1", OPENED, 1, reporter="destination", destination_workload=dst.name,
                      **mtls_labels(src, dst))


def test_new_connection_sees_renewed_cert(lab, kit):
    dst, client = lab.pod("pod-1-0"), lab.pod("plain-0-0")
    files = kit.valid(client.identity)
    a = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", files, expect_san=dst.identity, message="before")
    assert a["ok"], a
    wait_serial_change(dst.node, dst.identity, serial_of(dst.node, dst.identity))
    time.sleep(0.5)
    b = hbone_client(client, dst.ip, f"{dst.ip}:{APP_PORT}", files, expect_san=dst.identity, message="after")
    assert b["ok"], b
    assert a["server_cert"]["serial"] != b["server_cert"]["serial"], \
        f"the same server cert {a['server_cert']['serial']} was served across a renewal"
    assert b["server_cert"]["not_after_epoch"] >= a["server_cert"]["not_after_epoch"], (a, b)
    # mesh traffic after many lifetimes
    assert lab.pod("pod-0-1").who(dst.ip, APP_PORT)["pod"] == dst.full_name
