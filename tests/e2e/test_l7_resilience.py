"""L7 resilience in ztunnel's outbound side (issue 5), the lab requirements test_l7_routing.py
leaves out. Backends are l7_backend.py servers: web v1 = pod-1-0, v2 = pod-1-1 (node 1), a
mirror sink in pod-0-1; the client is pod-0-0 on node 0 (requests cross nodes in HBONE).
Proves, with elapsed times measured by the client and compared with tolerance:
- `timeout` cuts a slow backend (504 UT) near the timeout; a fast one is untouched;
- `perTryTimeout` with 2 retries cuts each try: 504 UT,URX after about 3 x perTryTimeout;
- a 50% `fault.delay` delays about half the requests by at least the delay (flag DI);
- a subset's maxConnections 1 + http1MaxPendingRequests 1: concurrent slow requests overflow
  with 503 UO,
  while the same backend without the DestinationRule serves them all (the control);
- outlierDetection ejects a failing endpoint of a two-endpoint subset (all traffic to the
  other) and readmits it after baseEjectionTime;
- `rewrite` (uri prefix, authority) is what the backend sees; `mirrors` at 50% copy about half
  the requests to the mirror with a "-shadow" authority, and a dead mirror costs nothing;
  a CORS preflight of an allowed origin is answered by ztunnel, a disallowed one is not;
- a VirtualService change applies to new requests while an in-flight one completes on the old
  route;
- malformed HTTP from the app gets 400 and the daemon keeps serving.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time

import pytest

from conftest import find_access, make_lab
from test_l7_routing import CLIENT, _service, _start_backend
from zlab import MESH_NS, kube, metric_sum, wait_for

WEB_IP, POOL_IP, FREE_IP, OUTLIER_IP = "10.96.51.10", "10.96.51.11", "10.96.51.12", "10.96.51.13"
SINK_IP, DEAD_IP = "10.96.51.14", "10.96.51.15"
WEB_PORT, POOL_PORT, OUTLIER_PORT, SINK_PORT, DEAD_PORT = 9080, 9084, 9082, 9083, 9099
TIMEOUT, PER_TRY, DELAY = 0.5, 0.3, 0.3


def _vs(name, host, routes):
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": MESH_NS}, "spec": {"hosts": [host], "http": routes}}


def _dr(name, host, spec):
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": name, "namespace": MESH_NS}, "spec": {"host": host, **spec}}


def _to(subset, weight=None):
    d = {"destination": {"host": "web", "subset": subset}}
    if weight is not None:
        d["weight"] = weight
    return d


def _objects(switch_to="v1"):
    other = "v2" if switch_to == "v1" else "v1"
    web_vs = _vs("web", "web", [
        {"name": "timeout", "match": [{"uri": {"prefix": "/timeout"}}], "timeout": f"{TIMEOUT}s",
         "retries": {"attempts": 0}, "route": [_to("v1")]},
        {"name": "pertry", "match": [{"uri": {"prefix": "/pertry"}}], "timeout": "5s",
         "retries": {"attempts": 2, "perTryTimeout": f"{PER_TRY}s", "retryOn": "5xx"},
         "route": [_to("v1")]},
        {"name": "delay", "match": [{"uri": {"prefix": "/delay"}}],
         "fault": {"delay": {"fixedDelay": f"{DELAY}s", "percentage": {"value": 50}}},
         "route": [_to("v1")]},
        {"name": "rewrite", "match": [{"uri": {"prefix": "/rw/"}}],
         "rewrite": {"uri": "/new/", "authority": "rewritten.example"}, "route": [_to("v1")]},
        {"name": "mirror", "match": [{"uri": {"prefix": "/mirror"}}],
         "mirrors": [{"destination": {"host": "sink"}, "percentage": {"value": 50}},
                     {"destination": {"host": "dead"}}],
         "route": [_to("v1")]},
        {"name": "shadow", "match": [{"uri": {"prefix": "/shadow"}}],
         "mirror": {"host": "sink"}, "route": [_to("v1")]},
        {"name": "cors", "match": [{"uri": {"prefix": "/cors"}}],
         "corsPolicy": {"allowOrigins": [{"exact": "https://ok.example"}],
                        "allowMethods": ["GET", "POST"], "allowHeaders": ["x-custom"],
                        "maxAge": "1h"},
         "route": [_to("v1")]},
        {"name": "switch", "match": [{"uri": {"prefix": "/switch"}}],
         "route": [_to(switch_to, 100), _to(other, 0)]},
        {"name": "catch-all", "route": [_to("v1")]},
    ])
    web_dr = _dr("web", "web", {"subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                            {"name": "v2", "labels": {"version": "v2"}}]})
    # On a subset: the kernel counts a Service-level maxConnections on the app's own
    # connections (kernel_connection_limits.h); a subset's limits are ztunnel's upstream ones.
    pool_dr = _dr("pool", "pool", {"subsets": [{
        "name": "limited", "labels": {"app": "pod-1-0"},
        "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 1},
                                             "http": {"http1MaxPendingRequests": 1}}}}]})
    pool_vs = _vs("pool", "pool", [
        {"name": "limited", "route": [{"destination": {"host": "pool", "subset": "limited"}}]}])
    outlier_dr = _dr("outlier", "outlier", {"subsets": [{
        "name": "all", "labels": {"l7app": "web"},
        "trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 2, "interval": "1s",
                                               "baseEjectionTime": "2s",
                                               "maxEjectionPercent": 100}}}]})
    outlier_vs = _vs("outlier", "outlier", [
        {"name": "all", "retries": {"attempts": 0},
         "route": [{"destination": {"host": "outlier", "subset": "all"}}]}])
    return [
        _service("web", WEB_IP, WEB_PORT, {"l7app": "web"}, "http"),
        _service("pool", POOL_IP, POOL_PORT, {"app": "pod-1-0"}, "http"),
        _service("pool-free", FREE_IP, POOL_PORT, {"app": "pod-1-0"}, "http"),
        _service("outlier", OUTLIER_IP, OUTLIER_PORT, {"l7app": "web"}, "http"),
        _service("sink", SINK_IP, SINK_PORT, {"app": "pod-0-1"}, "http"),
        _service("dead", DEAD_IP, DEAD_PORT, {"app": "pod-0-1"}, "http"),  # nothing listens
        web_vs, web_dr, pool_dr, pool_vs, outlier_dr, outlier_vs,
    ]


def _write_config(lab, **kw):
    text = kube.dump_all(_objects(**kw))
    for n in lab.nodes:
        n.write_config("l7r.yaml", text)


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("l7r", nodes=2, pods_per_node=2, plain_per_node=0)
    for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
        lab.pod(name).labels.update(version=version, l7app="web")
    with lab:
        lab.fail_file = os.path.join(lab.log_dir, "outlier-fail")
        _write_config(lab)
        for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
            _start_backend(lab, lab.pod(name), WEB_PORT, version)
        _start_backend(lab, lab.pod("pod-1-0"), POOL_PORT, "pool")
        _start_backend(lab, lab.pod("pod-1-0"), OUTLIER_PORT, "v1", "--fail-file", lab.fail_file)
        _start_backend(lab, lab.pod("pod-1-1"), OUTLIER_PORT, "v2")
        lab.sink_log = _start_backend(lab, lab.pod("pod-0-1"), SINK_PORT, "sink", "--log-requests")
        for n in lab.nodes:
            wait_for(lambda n=n: len(n.config_dump().get("virtualServices") or []) >= 2, 15, 0.2,
                     f"VirtualServices loaded on {n.name}")
        yield lab


def _client_args(host, port, path, count, headers, concurrency, extra):
    args = [sys.executable, CLIENT, host, str(port), path, "--count", str(count), "--times",
            "--concurrency", str(concurrency), *extra]
    for h in headers:
        args += ["--header", h]
    return args


def _parse(stdout: str) -> dict:
    out = json.loads(stdout.strip().splitlines()[-1])
    if "status" in out:
        out["status"] = {int(k): v for k, v in out["status"].items()}
        out["sample"] = {int(k): v for k, v in out["sample"].items()}
    return out


def request(lab, path, count=1, host=WEB_IP, port=WEB_PORT, headers=(), concurrency=1,
            extra=()) -> dict:
    cp = lab.pod("pod-0-0").run(_client_args(host, port, path, count, headers, concurrency, extra),
                                timeout=120, check=False)
    assert cp.returncode == 0, cp.stderr
    return _parse(cp.stdout)


def requests_total(lab, **match) -> float:
    return metric_sum(lab.node("node0").metrics(), "istio_requests_total", reporter="source", **match)


def _sink_requests(lab, path_prefix):
    lines = [json.loads(l) for l in open(lab.sink_log) if l.startswith('{"request"')]
    return [l for l in lines if l["request"].startswith(path_prefix)]


def test_route_timeout_cuts_a_slow_backend(lab):
    fast = request(lab, "/timeout/fast", headers=["x-sleep:0.05"])
    assert fast["status"] == {200: 1}, fast  # the control: under the timeout, untouched
    r = request(lab, "/timeout/slow", 3, headers=["x-sleep:3"])
    assert r["status"] == {504: 3}, r
    assert r["sample"][504]["body"] == "upstream request timeout", r
    for status, seconds, _ in r["times"]:
        assert TIMEOUT - 0.05 <= seconds <= TIMEOUT + 0.6, f"cut after {seconds} s, timeout {TIMEOUT}"
    e = find_access(lab.node("node0"), lambda e: e.get("path") == "/timeout/slow")
    assert e["response_flags"] == "UT" and e["response_code"] == 504, e


def test_per_try_timeout_cuts_each_try(lab):
    fast = request(lab, "/pertry/fast", headers=["x-sleep:0.05"])
    assert fast["status"] == {200: 1}, fast
    r = request(lab, "/pertry/slow", 2, headers=["x-sleep:3"])
    assert r["status"] == {504: 2}, r
    # 3 tries of PER_TRY each plus two short backoffs (25 ms base, jittered): well under the
    # 5 s route timeout, well over one try.
    for _, seconds, _ in r["times"]:
        assert 3 * PER_TRY - 0.05 <= seconds <= 3 * PER_TRY + 0.8, f"{seconds} s for 3 tries"
    e = find_access(lab.node("node0"), lambda e: e.get("path") == "/pertry/slow")
    assert e["response_code"] == 504 and e.get("attempts") == 3, e
    assert "UT" in e["response_flags"] and "URX" in e["response_flags"], e


def test_fault_delay_delays_its_share(lab):
    n = 60
    before = requests_total(lab, response_flags="DI")
    r = request(lab, "/delay", n)
    assert r["status"] == {200: n}, r
    delayed = sum(1 for _, seconds, _ in r["times"] if seconds >= DELAY)
    sigma = math.sqrt(n * 0.25)
    assert abs(delayed - n / 2) <= 4 * sigma, f"{delayed} of {n} took >= {DELAY} s"
    wait_for(lambda: requests_total(lab, response_flags="DI") - before >= delayed - 2, 10, 0.2,
             "istio_requests_total{response_flags=DI}")
    di = requests_total(lab, response_flags="DI") - before
    assert abs(di - delayed) <= 2, f"{di} flagged DI, {delayed} slow"


def test_pending_requests_overflow_is_503_uo(lab):
    control = request(lab, "/", 8, host=FREE_IP, port=POOL_PORT, headers=["x-sleep:1"],
                      concurrency=8)
    assert control["status"] == {200: 8}, f"without the DestinationRule all pass: {control}"
    before = requests_total(lab, response_code="503", response_flags="UO")
    r = request(lab, "/", 8, host=POOL_IP, port=POOL_PORT, headers=["x-sleep:1"], concurrency=8)
    overflow, ok = r["status"].get(503, 0), r["status"].get(200, 0)
    print(f"maxConnections 1, pending 1, 8 concurrent: {ok} served, {overflow} overflowed")
    # At most one connection per ztunnel worker (2; a worker with none may always open one, as
    # Envoy's pools) plus the one pending request they then serve; the rest overflow.
    assert overflow + ok == 8 and 1 <= ok <= 4, r
    assert "overflow" in r["sample"][503]["body"], r
    wait_for(lambda: requests_total(lab, response_code="503", response_flags="UO") >= before + overflow,
             10, 0.2, "istio_requests_total{response_flags=UO}")


def test_outlier_detection_ejects_and_readmits(lab):
    open(lab.fail_file, "w").close()
    try:
        r = request(lab, "/", 30, host=OUTLIER_IP, port=OUTLIER_PORT)
    finally:
        os.unlink(lab.fail_file)
    order = r["times"]
    failed = [i for i, (status, _, _) in enumerate(order) if status == 503]
    # consecutive5xxErrors 2: v1 answers 503 twice, then gets nothing for baseEjectionTime.
    assert len(failed) == 2, f"expected exactly 2 failures before the ejection: {order}"
    after = order[failed[-1] + 1:]
    assert len(after) >= 10 and all(s == 200 and v == "v2" for s, _, v in after), order
    time.sleep(2 + 1 + 0.5)  # baseEjectionTime, one interval for the sweep, margin
    back = request(lab, "/", 30, host=OUTLIER_IP, port=OUTLIER_PORT)
    assert back["status"] == {200: 30}, back
    assert back["version"].get("v1", 0) >= 3, f"v1 not readmitted: {back['version']}"


def test_rewrite_uri_prefix_and_authority(lab):
    r = request(lab, "/rw/page?x=1")
    assert r["status"] == {200: 1}, r
    seen = json.loads(r["sample"][200]["body"])
    assert seen["path"] == "/new/page?x=1", seen
    assert seen["headers"]["host"] == "rewritten.example", seen


def test_mirror_copies_its_share_fire_and_forget(lab):
    n = 200
    r = request(lab, "/mirror", n)
    assert r["status"] == {200: n}, f"a dead mirror must not touch the main response: {r}"
    assert r["version"] == {"v1": n}, r
    wait_for(lambda: len(_sink_requests(lab, "/mirror")) >= 60, 10, 0.2, "mirrored requests")
    time.sleep(0.5)  # stragglers
    got = len(_sink_requests(lab, "/mirror"))
    sigma = math.sqrt(n * 0.25)
    assert abs(got - n / 2) <= 5 * sigma, f"mirror got {got} of {n} at 50%"
    request(lab, "/shadow", 3)
    wait_for(lambda: len(_sink_requests(lab, "/shadow")) >= 3, 10, 0.2, "mirror at 100%")
    hosts = {l["host"] for l in _sink_requests(lab, "/shadow")}
    assert hosts == {f"{WEB_IP}-shadow:{WEB_PORT}"}, hosts


def test_cors_preflight(lab):
    pre = ["origin:https://ok.example", "access-control-request-method:POST"]
    ok = request(lab, "/cors", extra=["--method", "OPTIONS"], headers=pre)
    assert ok["status"] == {200: 1}, ok
    h = ok["sample"][200]["headers"]
    assert h.get("access-control-allow-origin") == "https://ok.example", h
    assert "POST" in h.get("access-control-allow-methods", ""), h
    assert "x-version" not in h, f"an allowed preflight is answered by ztunnel: {h}"
    bad = request(lab, "/cors", extra=["--method", "OPTIONS"],
                  headers=["origin:https://evil.example", "access-control-request-method:POST"])
    assert bad["status"] == {200: 1}, bad
    h = bad["sample"][200]["headers"]
    assert "access-control-allow-origin" not in h, h
    assert h.get("x-version") == "v1", f"a disallowed preflight goes upstream (FORWARD): {h}"
    simple = request(lab, "/cors", headers=["origin:https://ok.example"])
    assert simple["sample"][200]["headers"].get("access-control-allow-origin") == "https://ok.example"


def test_config_change_keeps_in_flight_requests(lab):
    before = request(lab, "/switch", 10)
    assert before["version"] == {"v1": 10}, before
    slow = lab.pod("pod-0-0").spawn(
        _client_args(WEB_IP, WEB_PORT, "/switch/slow", 1, ["x-sleep:5"], 1, []),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # the slow request is in flight
        _write_config(lab, switch_to="v2")
        wait_for(lambda: request(lab, "/switch")["version"] == {"v2": 1}, 15, 0.2,
                 "new requests on the new route")
        assert slow.poll() is None, "the slow request ended before the change: nothing proven"
        after = request(lab, "/switch", 20)
        assert after["version"] == {"v2": 20}, after
        out, err = slow.communicate(timeout=30)
    finally:
        if slow.poll() is None:
            slow.kill()
        _write_config(lab)
    r = _parse(out)
    assert r["status"] == {200: 1} and r["version"] == {"v1": 1}, (r, err)
    assert r["times"][0][1] >= 5, r


def test_malformed_http_is_400_and_service_continues(lab):
    for raw in ("GET / HTTP/1.1\\r\\nHost: web\\r\\nbroken header line\\r\\n\\r\\n",
                "\\x00\\x01\\x02 nonsense\\r\\n\\r\\n"):
        cp = lab.pod("pod-0-0").run([sys.executable, CLIENT, WEB_IP, str(WEB_PORT), "/",
                                     "--raw", raw, "--timeout", "5"], timeout=30, check=False)
        assert cp.returncode == 0, cp.stderr
        got = _parse(cp.stdout)["raw"]
        assert got.startswith("HTTP/1.1 400"), repr(got[:200])
    r = request(lab, "/after-garbage", 5)
    assert r["status"] == {200: 5}, r
    assert all(n.alive() for n in lab.nodes)
