"""Shared fixtures for the end-to-end tests: they run real ztunnel daemons in a node lab.

Needs root, a built tree (ZMESH_BUILD_DIR, default <repo>/build) and the host set up by
scripts/setup. These tests never skip: without root or binaries they fail, loudly.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))

from zlab import Lab, LabError, metric_sum, reap_stale, wait_for  # noqa: E402
from zlab.jaeger import Jaeger  # noqa: E402

MiB = 1 << 20


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("e2e tests need root (network namespaces, cgroups, BPF); run them as root", returncode=1)
    # ctest or a human may stop us with SIGTERM: turn it into an exception so labs tear down.
    def on_term(*_):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_term)
    reap_stale()  # labs left by a killed earlier run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, append the tails of every daemon log of the labs the test used."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    if rep.when == "call" and rep.failed:
        labs = [v for v in item.funcargs.values() if isinstance(v, Lab)]
        for lab in labs:
            for n in lab.nodes:
                rep.sections.append((f"{lab.id} {n.name} ztunnel log", n.log_tail(60)))
        for j in (v for v in item.funcargs.values() if isinstance(v, Jaeger)):
            rep.sections.append((f"jaeger {j.name} log", j.log_tail(60)))


def make_lab(name: str, **kw) -> Lab:
    build = os.environ.get("ZMESH_BUILD_DIR")
    return Lab(name, build_dir=build, **kw)


@pytest.fixture(scope="module")
def lab():
    """A 2-node x 2-pod lab with both daemons running and the mesh pods enrolled."""
    with make_lab("e2e") as lab:
        yield lab


@pytest.fixture(autouse=True)
def daemons_survive(request):
    """After every test that used the shared lab, both daemons must still be running: a crash
    (e.g. SIGPIPE from a peer that went away) fails the test that caused it."""
    yield
    if "lab" not in request.fixturenames:
        return
    lab = request.getfixturevalue("lab")
    dead = [n.exit_note() or f"{n.name}: ztunnel not running" for n in lab.nodes if not n.alive()]
    if dead:
        tails = "\n".join(n.log_tail(30) for n in lab.nodes)
        for n in lab.nodes:  # keep the rest of the module meaningful
            if not n.alive():
                n.start_daemon()
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.failed:
            return  # the test already failed (its report carries the daemon logs)
        pytest.fail("ztunnel died during the test: " + "; ".join(dead) + "\n" + tails)


# ---------------------------------------------------------------- metric helpers
class Snapshot:
    """Metrics of every node at one moment."""

    def __init__(self, lab: Lab):
        self.lab = lab
        self.by_node = {n.name: n.metrics() for n in lab.nodes}
        self.access = {n.name: len(n.access_log_entries()) for n in lab.nodes}

    def sum(self, node: str, name: str, **match) -> float:
        return metric_sum(self.by_node[node], name, **match)


def wait_metric_delta(lab: Lab, before: Snapshot, node: str, name: str, at_least: float,
                      timeout: float = 10.0, **match) -> float:
    """Wait until metric `name` (labels ⊇ match) on `node` grew by >= at_least since `before`."""
    n = lab.node(node)
    last = {"d": None}

    def grown():
        d = metric_sum(n.metrics(), name, **match) - before.sum(node, name, **match)
        last["d"] = d
        return d >= at_least

    try:
        wait_for(grown, timeout, 0.2, f"{node} {name}{match} to grow by {at_least}")
    except LabError as e:
        lines = [l for l in n.metrics_text().splitlines() if l.startswith(name)]
        raise AssertionError(f"{e}; grew by {last['d']}. {node} {name} lines now:\n" + "\n".join(lines[:40])) from None
    return last["d"]


def find_access(node, pred, timeout: float = 10.0) -> dict:
    """Wait for an access-log entry on node matching pred; return it."""
    try:
        return wait_for(lambda: next((e for e in node.access_log_entries() if pred(e)), None),
                        timeout, 0.2, f"access log entry on {node.name}")
    except LabError:
        tail = node.access_log_entries()[-10:]
        raise AssertionError(f"no matching access-log entry on {node.name}; last entries: {tail}") from None


L7_CLIENT = os.path.join(HERE, "l7_client.py")


def l7_request(pod, host: str, port: int, path: str, method: str = "GET", headers=()) -> dict:
    """One request by l7_client.py from `pod`: its summary with integer status keys
    ({"status": {code: n}, "sample": {code: {"headers", "body"}}, ...})."""
    args = [sys.executable, L7_CLIENT, host, str(port), path, "--method", method]
    for h in headers:
        args += ["--header", h]
    cp = pod.run(args, timeout=120, check=False)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    out["status"] = {int(k): v for k, v in out["status"].items()}
    out["sample"] = {int(k): v for k, v in out["sample"].items()}
    return out


def entry_bytes(e: dict) -> set:
    return {e.get("bytes_sent"), e.get("bytes_recv")}


def assert_same_bytes(client: dict, server_rec: dict, n: int) -> None:
    assert client["rc"] == 0, client
    assert client["sent_len"] == n and client["recv_len"] == n, client
    assert server_rec["recv_len"] == n and server_rec["sent_len"] == n, server_rec
    assert client["sent_sha"] == server_rec["recv_sha"], "client->server bytes differ"
    assert server_rec["sent_sha"] == client["recv_sha"], "server->client bytes differ"


def server_record(pod, xid: str, timeout: float = 10.0) -> dict:
    """The server's result line for transfer `xid` (waits for it: see Pod.server_result)."""
    return pod.server_result(xid, timeout)


def unique_size(base: int = 64 * MiB) -> int:
    """64 MiB plus a distinct tail, so the byte counts identify one connection in the logs."""
    return base + (int(time.time() * 1000) % 50000) + 1


# A byte-stream client for podtool's HOLD: connects, waits for "OK" (then prints
# {"connected": true}), then stays idle or sends a byte every 0.3 s (the server only reads)
# until the connection is closed under it or `limit` seconds pass; prints {"closed_after": s}
# (null when it stayed open).
HOLD_WATCH = r"""
import json, socket, sys, time
host, port, limit, busy = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
s = socket.create_connection((host, port), timeout=5)
s.sendall(b"HOLD\n")
assert s.recv(3) == b"OK\n"
print(json.dumps({"connected": True}), flush=True)
t0 = time.monotonic()
closed = None
while time.monotonic() - t0 < limit:
    s.settimeout(0.3 if busy else 0.1)
    try:
        if not s.recv(1):
            closed = time.monotonic() - t0
            break
    except socket.timeout:
        pass
    except OSError:
        closed = time.monotonic() - t0
        break
    if busy:
        try:
            s.sendall(b"x")
        except OSError:
            closed = time.monotonic() - t0
            break
print(json.dumps({"closed_after": closed}), flush=True)
"""


def held(pod, host: str, port: int, limit: float, busy: bool = False) -> subprocess.Popen:
    """Starts HOLD_WATCH in `pod` and returns once its connection is established and answered."""
    p = pod.spawn([sys.executable, "-c", HOLD_WATCH, host, str(port), str(limit), "1" if busy else "0"],
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    assert '"connected"' in first, (first, p.stderr.read() if p.poll() is not None else "")
    p.limit = limit  # type: ignore[attr-defined]
    return p


def closed_after(p: subprocess.Popen) -> float | None:
    """Waits for a held() connection to end: seconds until it was closed, None if it outlived its limit."""
    out, err = p.communicate(timeout=p.limit + 20)  # type: ignore[attr-defined]
    assert p.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])["closed_after"]
