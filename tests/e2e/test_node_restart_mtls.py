"""Restarting the destination node's ztunnel under mTLS while a source keeps connecting.

Proves: while pod-0-0 (node0) keeps opening connections to pod-1-0 (node1), node1's ztunnel is
SIGKILLed and started again; once node1 reports ready, pod-0-0's new connections succeed again
within a few seconds (node0 does not keep using dead HBONE connections), every attempt ends within
its timeout (nothing hangs), node1 serves a certificate for pod-1-0 again, and the traffic after
the restart is mutual TLS with intact data.
Needs a ztunnel with --ca-dir (fails at once otherwise).
"""
from __future__ import annotations

import threading
import time

import pytest

from conftest import Snapshot, assert_same_bytes, server_record, wait_metric_delta
from mesh_tools import OPENED, mtls_lab, mtls_labels, wait_identity_cert
from zlab import APP_PORT

RECOVERY = 10.0   # seconds after node1 is ready by which pod-0-0 must get through again
ATTEMPT_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def lab():
    with mtls_lab("restart-mtls") as lab:
        yield lab


def xfer_ok(lab, tag: str) -> None:
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    n = (2 << 20) + len(tag)
    before = Snapshot(lab)
    res = src.xfer(dst.ip, APP_PORT, n, xid=tag)
    assert_same_bytes(res, server_record(dst, tag), n)
    wait_metric_delta(lab, before, "node1", OPENED, 1, reporter="destination", destination_workload=dst.name,
                      **mtls_labels(src, dst))


def test_sender_recovers_after_destination_restart(lab):
    src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
    node1 = lab.node(1)
    xfer_ok(lab, "restart-before")
    attempts: list[tuple[float, float, bool, dict]] = []
    stop = threading.Event()

    def sender():
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                r = src.who(dst.ip, APP_PORT, io_timeout=2, check=False, timeout=ATTEMPT_TIMEOUT)
            except Exception as e:  # noqa: BLE001 - a hung podtool (subprocess timeout) lands here
                r = {"rc": -1, "error": str(e)}
            attempts.append((t0, time.monotonic(), r.get("pod") == dst.full_name, r))
            stop.wait(0.1)

    th = threading.Thread(target=sender, daemon=True)
    th.start()
    try:
        time.sleep(1.0)
        assert any(ok for *_, ok, _r in attempts), f"no success before the restart: {attempts[-3:]}"
        rc = node1.kill_daemon()
        assert rc is not None and rc < 0, rc
        time.sleep(0.5)  # let the sender hit the dead node at least once
        node1.start_daemon()  # returns once node1 is ready
        ready = time.monotonic()
        deadline = ready + RECOVERY
        while time.monotonic() < deadline and not any(ok and t0 >= ready for t0, _t1, ok, _r in attempts):
            time.sleep(0.1)
    finally:
        stop.set()
        th.join(ATTEMPT_TIMEOUT + 5)
    assert not th.is_alive(), "the sender is stuck in a connection attempt"
    after = [(round(t0 - ready, 2), ok, r) for t0, _t1, ok, r in attempts if t0 >= ready]
    assert any(ok for _t, ok, _r in after), \
        f"no successful connection within {RECOVERY}s of node1 being ready; attempts after ready: {after[-5:]}"
    longest = max(t1 - t0 for t0, t1, _ok, _r in attempts)
    assert longest < ATTEMPT_TIMEOUT, f"an attempt took {longest:.1f}s: something hung"
    wait_identity_cert(node1, dst.identity)
    xfer_ok(lab, "restart-after")
