"""L7 routing in ztunnel's outbound side (issue 5): HTTP/1.1 requests from an enrolled pod to a
Service are routed request by request with VirtualService/DestinationRule semantics.

Backends are l7_backend.py servers in the node-1 pods (v1 = pod-1-0, v2 = pod-1-1); the client
is pod-0-0 on node 0, so every routed request crosses nodes inside HBONE. Proves:
- an 80/20 weighted split over 2,000 requests lands within 5 sigma of 400 for v2;
- a header match routes to v2; the catch-all after it takes the rest (v1);
- a host whose routes match nothing answers 404 with response flag NR (metric and access log);
- a backend failing every other request: without retries half fail (the control), with
  retries.attempts 2 every request succeeds;
- a fault abort of 50% answers its status to about half; directResponse and redirect answer
  locally; request header operations reach the backend, response ones reach the client;
- istio_requests_total / istio_request_duration_milliseconds carry the request labels;
- a client that closes before its response is reported as DC with response code 0 (Envoy),
  over HTTP/1.1 and over HTTP/2 (curl --http2-prior-knowledge giving up first);
- PASSTHROUGH to a Service VIP: no kube-proxy behind it, so ztunnel spreads like one would;
- consistentHash on a header: every request of one user lands on one version, users spread.
"""
from __future__ import annotations

import json
import math
import os
import sys

import pytest

from conftest import find_access, make_lab
from zlab import MESH_NS, kube, metric_sum, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND, CLIENT = os.path.join(HERE, "l7_backend.py"), os.path.join(HERE, "l7_client.py")
REVIEWS_IP, FLAKY_IP, RATINGS_IP, PORT = "10.96.50.10", "10.96.50.11", "10.96.50.12", 9080
STICKY_IP, PASS_IP = "10.96.50.13", "10.96.50.14"
FLAKY_PORT = 9081


def _service(name, ip, port, selector, port_name):
    s = kube.service(name, MESH_NS, ip, selector, [(port, port)])
    s["spec"]["ports"][0]["name"] = port_name
    return s


def _objects():
    reviews_vs = {
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": MESH_NS},
        "spec": {"hosts": ["reviews"], "http": [
            {"name": "canary", "match": [{"headers": {"x-canary": {"exact": "yes"}}}],
             "route": [{"destination": {"host": "reviews", "subset": "v2"}}]},
            {"name": "split", "match": [{"uri": {"prefix": "/split"}}],
             "route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
                       {"destination": {"host": "reviews", "subset": "v2"}, "weight": 20}]},
            {"name": "fault", "match": [{"uri": {"prefix": "/fault"}}],
             "fault": {"abort": {"httpStatus": 418, "percentage": {"value": 50}}},
             "route": [{"destination": {"host": "reviews", "subset": "v1"}}]},
            {"name": "direct", "match": [{"uri": {"exact": "/direct"}}],
             "directResponse": {"status": 299, "body": {"string": "straight from ztunnel"}}},
            {"name": "moved", "match": [{"uri": {"prefix": "/old"}}],
             "redirect": {"uri": "/new", "authority": "example.org"}},
            {"name": "headers", "match": [{"uri": {"prefix": "/headers"}}],
             "headers": {"request": {"set": {"x-added": "by-route"}},
                         "response": {"add": {"x-from-route": "yes"}}},
             "route": [{"destination": {"host": "reviews", "subset": "v2"}}]},
            {"name": "catch-all", "route": [{"destination": {"host": "reviews", "subset": "v1"}}]},
        ]}}
    reviews_dr = {
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "reviews", "namespace": MESH_NS},
        "spec": {"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                                {"name": "v2", "labels": {"version": "v2"}}]}}
    ratings_vs = {  # no catch-all: anything but /only matches nothing
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "ratings", "namespace": MESH_NS},
        "spec": {"hosts": ["ratings.mesh.svc.cluster.local"], "http": [
            {"name": "only", "match": [{"uri": {"exact": "/only"}}],
             "route": [{"destination": {"host": "reviews"}}]}]}}
    flaky_vs = {
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "flaky", "namespace": MESH_NS},
        "spec": {"hosts": ["flaky"], "http": [
            {"name": "no-retry", "match": [{"uri": {"prefix": "/noretry"}}],
             "retries": {"attempts": 0}, "route": [{"destination": {"host": "flaky"}}]},
            {"name": "retry", "retries": {"attempts": 2, "retryOn": "5xx"},
             "route": [{"destination": {"host": "flaky"}}]}]}}
    sticky_dr = {  # consistent hashing on a header; no VirtualService: the default route
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "sticky", "namespace": MESH_NS},
        "spec": {"host": "sticky", "trafficPolicy": {"loadBalancer": {
            "consistentHash": {"httpHeaderName": "x-user"}}}}}
    pass_dr = {
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "pass", "namespace": MESH_NS},
        "spec": {"host": "pass", "trafficPolicy": {"loadBalancer": {"simple": "PASSTHROUGH"}}}}
    return [
        _service("pass", PASS_IP, PORT, {"l7app": "reviews"}, "http-pass"), pass_dr,
        _service("sticky", STICKY_IP, PORT, {"l7app": "reviews"}, "http-sticky"), sticky_dr,
        # port name "http": L7 by declaration (reviews also has a VirtualService)
        _service("reviews", REVIEWS_IP, PORT, {"l7app": "reviews"}, "http"),
        # a tcp- port name: L7 only because a VirtualService with http routes names it
        _service("ratings", RATINGS_IP, PORT, {"l7app": "reviews"}, "tcp-ratings"),
        _service("flaky", FLAKY_IP, FLAKY_PORT, {"app": "pod-1-0"}, "http-flaky"),
        reviews_vs, reviews_dr, ratings_vs, flaky_vs,
    ]


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("l7", nodes=2, pods_per_node=2, plain_per_node=0)
    for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
        lab.pod(name).labels.update(version=version, l7app="reviews")
    with lab:
        text = kube.dump_all(_objects())
        for n in lab.nodes:
            n.write_config("l7.yaml", text)
        for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
            _start_backend(lab, lab.pod(name), PORT, version)
        _start_backend(lab, lab.pod("pod-1-0"), FLAKY_PORT, "flaky", "--fail-every", "2")
        for n in lab.nodes:
            wait_for(lambda n=n: len(n.config_dump().get("virtualServices") or []) >= 3, 15, 0.2,
                     f"VirtualServices loaded on {n.name}")
        yield lab


def _start_backend(lab, pod, port, version, *extra) -> str:
    return pod.start_app([BACKEND, "--port", port, "--version", version, *extra], f"l7-backend-{port}", 15)


def request(lab, path, count=1, host=REVIEWS_IP, port=PORT, headers=(), method="GET",
            extra=()) -> dict:
    args = [sys.executable, CLIENT, host, str(port), path, "--count", str(count), "--method", method,
            *extra]
    for h in headers:
        args += ["--header", h]
    cp = lab.pod("pod-0-0").run(args, timeout=300, check=False)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    out["status"] = {int(k): v for k, v in out["status"].items()}
    out["sample"] = {int(k): v for k, v in out["sample"].items()}
    return out


def requests_total(lab, **match) -> float:
    return metric_sum(lab.node("node0").metrics(), "istio_requests_total", reporter="source", **match)


def test_weighted_split_80_20(lab):
    n = 2000
    r = request(lab, "/split", n)
    assert r["status"] == {200: n}, r
    v2 = r["version"].get("v2", 0)
    sigma = math.sqrt(n * 0.2 * 0.8)
    assert abs(v2 - 0.2 * n) <= 5 * sigma, f"v2 got {v2} of {n}, expected {0.2 * n:.0f} +- {5 * sigma:.0f}"
    assert r["version"].get("v1", 0) + v2 == n, r["version"]
    print(f"2000 keep-alive requests through L7 + HBONE in {r['seconds']} s "
          f"({n / max(r['seconds'], 1e-9):.0f} req/s, Python client and server)")


def test_header_match_routes_to_v2_and_catch_all_to_v1(lab):
    canary = request(lab, "/anything", 20, headers=["x-canary:yes"])
    assert canary["version"] == {"v2": 20}, canary
    rest = request(lab, "/anything", 20, headers=["x-canary:no"])
    assert rest["version"] == {"v1": 20}, rest


def test_no_matching_route_is_404_nr(lab):
    before = requests_total(lab, response_code="404", response_flags="NR")
    r = request(lab, "/not-routed", 3, host=RATINGS_IP)
    assert r["status"] == {404: 3}, r
    ok = request(lab, "/only", 1, host=RATINGS_IP)  # the one route of that host works
    assert ok["status"] == {200: 1}, ok
    wait_for(lambda: requests_total(lab, response_code="404", response_flags="NR") >= before + 3, 10,
             0.2, "istio_requests_total{response_flags=NR} +3")
    e = find_access(lab.node("node0"), lambda e: e.get("path") == "/not-routed")
    assert e["response_flags"] == "NR" and e["response_code"] == 404, e


def test_retries_hide_a_backend_failing_every_other_request(lab):
    control = request(lab, "/noretry", 20, host=FLAKY_IP, port=FLAKY_PORT)
    assert control["status"].get(503, 0) >= 8, f"the control should fail about half: {control}"
    r = request(lab, "/retry", 40, host=FLAKY_IP, port=FLAKY_PORT)
    assert r["status"] == {200: 40}, r
    e = find_access(lab.node("node0"), lambda e: e.get("path") == "/retry" and e.get("attempts") == 2)
    assert e["route_name"] == "retry", e


def test_fault_abort_answers_its_status_to_its_share(lab):
    n = 400
    r = request(lab, "/fault", n)
    aborted = r["status"].get(418, 0)
    assert aborted + r["status"].get(200, 0) == n, r
    sigma = math.sqrt(n * 0.25)
    assert abs(aborted - n / 2) <= 5 * sigma, f"{aborted} of {n} aborted"
    assert "fault filter abort" in r["sample"][418]["body"]
    assert requests_total(lab, response_code="418", response_flags="FI") >= aborted


def test_direct_response_and_redirect(lab):
    d = request(lab, "/direct")
    assert d["status"] == {299: 1} and d["sample"][299]["body"] == "straight from ztunnel", d
    m = request(lab, "/old/page?x=1")
    assert m["status"] == {301: 1}, m
    assert m["sample"][301]["headers"]["location"] == "http://example.org/new?x=1", m


def test_header_operations(lab):
    r = request(lab, "/headers")
    assert r["status"] == {200: 1}, r
    s = r["sample"][200]
    assert json.loads(s["body"])["headers"].get("x-added") == "by-route", s
    assert s["headers"].get("x-from-route") == "yes", s


def test_request_metrics_labels(lab):
    request(lab, "/anything", 5, headers=["x-canary:yes"])
    dst = lab.pod("pod-1-1")
    match = dict(response_code="200", request_protocol="http", source_workload="pod-0-0",
                 destination_workload=dst.name, destination_version="v2",
                 destination_service="reviews.mesh.svc.cluster.local",
                 connection_security_policy="mutual_tls")
    wait_for(lambda: requests_total(lab, **match) >= 5, 10, 0.2, "istio_requests_total for v2")
    samples = lab.node("node0").metrics()
    assert metric_sum(samples, "istio_request_duration_milliseconds_count", **match) >= 5
    assert metric_sum(samples, "istio_response_bytes_count", **match) >= 5


def test_consistent_hash_on_a_header_keeps_each_user_on_one_endpoint(lab):
    seen = {}
    for user in range(16):
        r = request(lab, "/sticky", 8, host=STICKY_IP, headers=[f"x-user:user-{user}"])
        assert r["status"] == {200: 8}, r
        assert len(r["version"]) == 1, f"user-{user} was spread over {r['version']}"
        seen[user] = next(iter(r["version"]))
    # 16 users on one ring of two endpoints: all on one side has probability 2^-15.
    assert set(seen.values()) == {"v1", "v2"}, seen
    # Without the header the balancer picks at random (Envoy): both versions answer.
    spread = request(lab, "/sticky", 60, host=STICKY_IP)
    assert set(spread["version"]) == {"v1", "v2"}, spread


def test_passthrough_to_a_vip_reaches_the_endpoints(lab):
    r = request(lab, "/pass", 60, host=PASS_IP)
    assert r["status"] == {200: 60}, r  # 503 UH before PASSTHROUGH was handled
    assert set(r["version"]) == {"v1", "v2"}, r



def test_client_that_leaves_before_its_response_is_dc(lab):
    probe = ("import socket, time\n"
             f"s = socket.create_connection(('{REVIEWS_IP}', {PORT}))\n"
             "s.sendall(b'GET /dc-probe HTTP/1.1\\r\\nHost: reviews\\r\\nx-sleep: 0.5\\r\\n\\r\\n')\n"
             "time.sleep(0.1)\n"
             "s.close()\n")
    lab.pod("pod-0-0").run([sys.executable, "-c", probe])
    e = find_access(lab.node("node0"), lambda e: e.get("path") == "/dc-probe")
    assert e["response_flags"] == "DC" and e["response_code"] == 0, e
    wait_for(lambda: requests_total(lab, response_code="0", response_flags="DC") >= 1, 10, 0.2,
             "istio_requests_total{response_flags=DC}")
    # HTTP/2: curl gives up after 0.2 s, while the backend takes 0.6 s.
    cp = lab.pod("pod-0-0").run(["curl", "-s", "--http2-prior-knowledge", "--max-time", "0.2",
                                 "-H", "x-sleep: 0.6", f"http://{REVIEWS_IP}:{PORT}/dc-probe-h2"],
                                check=False)
    assert cp.returncode == 28, cp  # curl's own timeout
    e = find_access(lab.node("node0"), lambda e: e.get("path") == "/dc-probe-h2")
    assert e["response_flags"] == "DC" and e["response_code"] == 0, e
    assert e["protocol"] == "HTTP/2", e
