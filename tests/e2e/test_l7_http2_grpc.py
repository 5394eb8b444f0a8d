"""HTTP/2 and gRPC through ztunnel's L7 path, with real peers on both ends.

Peers: grpc_app.py (grpcio server and client, raw-bytes generic handlers), nghttpd --no-tls
(an h2c-only server: it refuses HTTP/1.1 and the h2c upgrade), curl, and l7_backend.py (an
HTTP/1.1-only server). Backends live in the node-1 pods (v1 = pod-1-0, v2 = pod-1-1); clients
are pod-0-0 (cross node: requests ride HBONE) and pod-1-1 (same node); plain-0-0, outside the
mesh, calls the backends directly as the control. Proves:
- the peers work without the mesh, and the h2-only / h1-only backends really refuse the other
  protocol (so a mesh success below means ztunnel translated or spoke HTTP/2 upstream);
- gRPC unary: an 80/20 weighted split over 2,000 calls lands within 5 sigma; a metadata header
  routes to v2, the catch-all to v1; a method no route matches gets UNIMPLEMENTED (Envoy maps
  the 404 NR local reply to grpc-status 12) while the one routed method works;
- retryOn "unavailable" with attempts 2 hides a backend failing every other call (trailers-only
  UNAVAILABLE); with attempts 0, and with retryOn "5xx" (the status is HTTP 200), half fail;
- a fault abort with grpcStatus UNAVAILABLE at 100% answers UNAVAILABLE (flag FI);
- a route `timeout` on a slow backend answers UNAVAILABLE, "upstream request timeout", near the
  timeout (ztunnel's route/grpc_status.cc, as Envoy's httpToGrpcStatus: 504 -> 14);
- istio_requests_total carries request_protocol="grpc" and grpc_response_status "0" / "14";
- curl --http2-prior-knowledge to an `http2-` port backed by nghttpd works cross node and same
  node, with routing; an HTTP/2 client reaches an HTTP/1.1 backend (port `http`); an HTTP/1.1
  client reaches the h2-only backend;
- DestinationRule useClientProtocol on an `http` port backed by the h2-only server: an HTTP/2
  client gets through (the upstream speaks HTTP/2 because the client did) and an HTTP/1.1 one
  fails; without the rule the HTTP/2 client fails as the port says HTTP/1.1.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys

import pytest

from conftest import find_access, make_lab
from test_l7_routing import _start_backend
from zlab import MESH_NS, kube, metric_sum, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
GRPC_APP = os.path.join(HERE, "grpc_app.py")
GREETER_IP, NR_IP, FLAKY_IP, WEB2_IP, WEB1_IP = "10.96.52.10", "10.96.52.11", "10.96.52.12", "10.96.52.20", "10.96.52.21"
MIXED_IP, MIXED_CTL_IP = "10.96.52.22", "10.96.52.23"
GRPC_PORT, FLAKY_PORT, H2_PORT, H1_PORT = 50051, 50052, 8082, 9080  # 8080: the lab's podtool
TIMEOUT = 0.5
M = "/zmesh.Greeter/"  # the gRPC service every method below belongs to


def _service(name, ip, port, selector, port_name, app_protocol=None):
    s = kube.service(name, MESH_NS, ip, selector, [(port, port)])
    s["spec"]["ports"][0]["name"] = port_name
    if app_protocol:
        s["spec"]["ports"][0]["appProtocol"] = app_protocol
    return s


def _vs(name, routes):
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": MESH_NS}, "spec": {"hosts": [name], "http": routes}}


def _dr(name):
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": name, "namespace": MESH_NS},
            "spec": {"host": name, "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                               {"name": "v2", "labels": {"version": "v2"}}]}}


def _to(host, subset=None, weight=None):
    d = {"destination": {"host": host, **({"subset": subset} if subset else {})}}
    if weight is not None:
        d["weight"] = weight
    return d


def _prefix(p):
    return [{"uri": {"prefix": p}}]


def _objects():
    canary = {"name": "canary", "match": [{"headers": {"x-canary": {"exact": "yes"}}}],
              "route": [_to("greeter", "v2")]}
    greeter = _vs("greeter", [
        canary,
        {"name": "split", "match": _prefix(M + "Split"),
         "route": [_to("greeter", "v1", 80), _to("greeter", "v2", 20)]},
        {"name": "fault", "match": _prefix(M + "Fault"),
         "fault": {"abort": {"grpcStatus": "UNAVAILABLE", "percentage": {"value": 100}}},
         "route": [_to("greeter", "v1")]},
        {"name": "slow", "match": _prefix(M + "Slow"), "timeout": f"{TIMEOUT}s", "retries": {"attempts": 0},
         "route": [_to("greeter", "v1")]},
        {"name": "catch-all", "route": [_to("greeter", "v1")]},
    ])
    nr = _vs("greeter-nr", [{"name": "only", "match": [{"uri": {"exact": M + "Only"}}],
                             "route": [_to("greeter-nr")]}])  # no catch-all
    flaky = _vs("flaky", [
        {"name": "no-retry", "match": _prefix(M + "NoRetry"), "retries": {"attempts": 0},
         "route": [_to("flaky")]},
        {"name": "retry-5xx", "match": _prefix(M + "Retry5xx"), "retries": {"attempts": 2, "retryOn": "5xx"},
         "route": [_to("flaky")]},
        {"name": "retry-unavailable", "retries": {"attempts": 2, "retryOn": "unavailable"},
         "route": [_to("flaky")]},
    ])
    web2 = _vs("web2", [{"name": "canary", "match": [{"headers": {"x-canary": {"exact": "yes"}}}],
                         "route": [_to("web2", "v2")]},
                        {"name": "catch-all", "route": [_to("web2", "v1")]}])
    h2 = {"l7app": "h2"}
    return [
        _service("greeter", GREETER_IP, GRPC_PORT, h2, "grpc"),           # by port name
        _service("greeter-nr", NR_IP, GRPC_PORT, h2, "grpc-nr"),         # by name prefix
        _service("flaky", FLAKY_IP, FLAKY_PORT, {"app": "pod-1-0"}, "flaky", app_protocol="grpc"),
        _service("web2", WEB2_IP, H2_PORT, h2, "http2-web"),
        _service("web1", WEB1_IP, H1_PORT, {"app": "pod-1-0"}, "http"),
        greeter, _dr("greeter"), nr, flaky, web2, _dr("web2"),
        # `http` ports in front of the h2-only server: HTTP/1.1 upstream unless the rule says
        # to speak what the client spoke.
        _service("mixed", MIXED_IP, H2_PORT, {"app": "pod-1-0"}, "http"),
        _service("mixed-ctl", MIXED_CTL_IP, H2_PORT, {"app": "pod-1-0"}, "http"),
        {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
         "metadata": {"name": "mixed", "namespace": MESH_NS},
         "spec": {"host": "mixed", "trafficPolicy": {"connectionPool": {
             "http": {"useClientProtocol": True}}}}},
    ]


# ---------------------------------------------------------------- peers
def _start_grpc(lab, pod, port, version, *extra):
    pod.start_app([GRPC_APP, "serve", "--port", port, "--version", version, *extra], f"grpc-{port}")


def _start_nghttpd(lab, pod, version):
    docroot = os.path.join(lab.state_dir, f"nghttpd-{pod.name}")
    os.makedirs(docroot, exist_ok=True)
    with open(os.path.join(docroot, "version.txt"), "w") as f:
        f.write(f"{version}\n")
    log = os.path.join(lab.log_dir, f"nghttpd-{pod.name}.log")
    with open(log, "w") as out:
        pod.spawn(["nghttpd", "--no-tls", "-a", "0.0.0.0", "-d", docroot, str(H2_PORT)], stdout=out, stderr=out,
                  start_new_session=True)
    wait_for(lambda: "nghttpd" in pod.run(["ss", "-Hltnp", f"sport = :{H2_PORT}"], check=False).stdout, 10, 0.05,
             f"nghttpd in {pod.name}")


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("h2g", nodes=2, pods_per_node=2, plain_per_node=1)
    for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
        lab.pod(name).labels.update(version=version, l7app="h2")
    with lab:
        text = kube.dump_all(_objects())
        for n in lab.nodes:
            n.write_config("h2g.yaml", text)
        for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
            _start_grpc(lab, lab.pod(name), GRPC_PORT, version)
            _start_nghttpd(lab, lab.pod(name), version)
        _start_grpc(lab, lab.pod("pod-1-0"), FLAKY_PORT, "flaky", "--fail-every", "2")
        _start_backend(lab, lab.pod("pod-1-0"), H1_PORT, "web1")
        for n in lab.nodes:
            wait_for(lambda n=n: len(n.config_dump().get("virtualServices") or []) >= 4
                     and len(n.config_dump().get("destinationRules") or []) >= 3, 15, 0.2,
                     f"VirtualServices and DestinationRules loaded on {n.name}")
        yield lab


def grpc_call(lab, method, count=1, host=GREETER_IP, port=GRPC_PORT, metadata=(), client="pod-0-0",
              deadline=0.0) -> dict:
    args = [sys.executable, GRPC_APP, "call", host, str(port), method, "--count", str(count),
            "--deadline", str(deadline)]
    for m in metadata:
        args += ["--metadata", m]
    cp = lab.pod(client).run(args, timeout=300, check=False)
    assert cp.returncode == 0, cp.stderr[-3000:]
    return json.loads(cp.stdout.strip().splitlines()[-1])


def curl(lab, url, *opts, client="pod-0-0", count=1) -> list[dict]:
    """`count` curl runs against url; each: code, http_version, body, rc. One curl process per
    request: curl 7.88 fails its second request on a reused prior-knowledge connection even to
    nghttpd directly (rc 16); h2load below covers many streams on one connection."""
    out = []
    for _ in range(count):
        cp = lab.pod(client).run(["curl", "-s", "--max-time", "10", "-w", "\n@@ %{http_code} %{http_version}",
                                  *opts, url], timeout=30, check=False)
        body, _, tail = cp.stdout.rpartition("\n@@ ")
        code, _, version = tail.partition(" ")
        out.append({"code": int(code or 0), "http_version": version.strip(), "body": body.strip(),
                    "rc": cp.returncode})
    return out


def h2load(lab, url, n=40, streams=4, client="pod-0-0") -> dict:
    """n requests on ONE HTTP/2 connection, `streams` in flight at a time (h2load -c1 -m)."""
    cp = lab.pod(client).run(["h2load", "-n", str(n), "-c", "1", "-m", str(streams), url], timeout=60, check=False)
    d = {"rc": cp.returncode, "text": cp.stdout[-1500:]}
    if m := re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed", cp.stdout):
        d["succeeded"], d["failed"] = int(m.group(1)), int(m.group(2))
    if m := re.search(r"status codes: (\d+) 2xx", cp.stdout):
        d["2xx"] = int(m.group(1))
    return d


def requests_total(lab, node="node0", **match) -> float:
    return metric_sum(lab.node(node).metrics(), "istio_requests_total", reporter="source", **match)


def wait_requests(lab, before, grow, what, node="node0", **match):
    try:
        wait_for(lambda: requests_total(lab, node, **match) >= before + grow, 10, 0.2, what)
    except Exception:
        lines = [l for l in lab.node(node).metrics_text().splitlines() if l.startswith("istio_requests_total")]
        raise AssertionError(f"{what}: istio_requests_total{match} grew by "
                             f"{requests_total(lab, node, **match) - before}, want {grow}. Now:\n"
                             + "\n".join(lines[-30:])) from None


# ---------------------------------------------------------------- the control: no mesh
def test_peers_work_directly_and_refuse_the_other_protocol(lab):
    v1, v2 = lab.pod("pod-1-0").ip, lab.pod("pod-1-1").ip
    r = grpc_call(lab, M + "Hello", 4, host=v2, client="plain-0-0")
    assert r["codes"] == {"OK": 4} and r["version"] == {"v2": 4}, r
    flaky = grpc_call(lab, M + "Hello", 10, host=v1, port=FLAKY_PORT, client="plain-0-0")
    assert flaky["codes"] == {"OK": 5, "UNAVAILABLE": 5}, flaky
    h2 = curl(lab, f"http://{v1}:{H2_PORT}/version.txt", "--http2-prior-knowledge", client="plain-0-0", count=2)
    assert [(x["code"], x["http_version"], x["body"]) for x in h2] == [(200, "2", "v1")] * 2, h2
    many = h2load(lab, f"http://{v1}:{H2_PORT}/version.txt", client="plain-0-0")
    assert many.get("2xx") == 40, many
    # nghttpd is h2c only: HTTP/1.1 gets no HTTP answer
    h1_to_h2 = curl(lab, f"http://{v1}:{H2_PORT}/version.txt", "--http1.1", client="plain-0-0")
    assert h1_to_h2[0]["code"] == 0 and h1_to_h2[0]["rc"] != 0, h1_to_h2
    # l7_backend is HTTP/1.1 only: the HTTP/2 preface gets no HTTP/2 answer
    h2_to_h1 = curl(lab, f"http://{v1}:{H1_PORT}/", "--http2-prior-knowledge", client="plain-0-0")
    assert h2_to_h1[0]["code"] == 0 and h2_to_h1[0]["rc"] != 0, h2_to_h1
    h1 = curl(lab, f"http://{v1}:{H1_PORT}/", "--http1.1", client="plain-0-0")
    assert h1[0]["code"] == 200 and json.loads(h1[0]["body"])["version"] == "web1", h1


# ---------------------------------------------------------------- gRPC routing
def test_grpc_weighted_split_80_20(lab):
    n = 2000
    r = grpc_call(lab, M + "Split", n)
    assert r["codes"] == {"OK": n}, {k: r[k] for k in ("codes", "sample")}
    v2 = r["version"].get("v2", 0)
    sigma = math.sqrt(n * 0.2 * 0.8)
    assert abs(v2 - 0.2 * n) <= 5 * sigma, f"v2 got {v2} of {n}, expected {0.2 * n:.0f} +- {5 * sigma:.0f}"
    assert r["version"].get("v1", 0) + v2 == n, r["version"]
    print(f"{n} gRPC unary calls on one channel through L7 + HBONE in {r['seconds']} s "
          f"({n / max(r['seconds'], 1e-9):.0f} calls/s, Python client and server)")


def test_grpc_metadata_routes_to_v2_and_catch_all_to_v1(lab):
    canary = grpc_call(lab, M + "Hello", 20, metadata=["x-canary:yes"])
    assert canary["codes"] == {"OK": 20} and canary["version"] == {"v2": 20}, canary
    rest = grpc_call(lab, M + "Hello", 20, metadata=["x-canary:no"])
    assert rest["codes"] == {"OK": 20} and rest["version"] == {"v1": 20}, rest
    body = json.loads(canary["sample"]["OK"]["body"])
    assert body["method"] == M + "Hello" and body["metadata"].get("x-canary") == "yes", body


def test_grpc_no_matching_route_is_unimplemented(lab):
    before = requests_total(lab, response_flags="NR", request_protocol="grpc", grpc_response_status="12")
    r = grpc_call(lab, M + "Other", 3, host=NR_IP)
    # the backend answers every method: UNIMPLEMENTED can only come from ztunnel
    assert r["codes"] == {"UNIMPLEMENTED": 3}, r
    ok = grpc_call(lab, M + "Only", 1, host=NR_IP)
    assert ok["codes"] == {"OK": 1}, ok
    wait_requests(lab, before, 3, "NR gRPC requests", response_flags="NR", request_protocol="grpc",
                  grpc_response_status="12")
    e = find_access(lab.node("node0"), lambda e: e.get("path") == M + "Other")
    assert e["response_flags"] == "NR", e


# ---------------------------------------------------------------- gRPC resilience
def test_grpc_retry_on_unavailable_hides_a_backend_failing_every_other_call(lab):
    control = grpc_call(lab, M + "NoRetry", 20, host=FLAKY_IP, port=FLAKY_PORT)
    assert control["codes"].get("UNAVAILABLE", 0) >= 8, f"without retries about half fail: {control['codes']}"
    # a gRPC failure is HTTP 200: retryOn 5xx must not retry it
    not_5xx = grpc_call(lab, M + "Retry5xx", 20, host=FLAKY_IP, port=FLAKY_PORT)
    assert not_5xx["codes"].get("UNAVAILABLE", 0) >= 8, f"retryOn 5xx retried gRPC UNAVAILABLE: {not_5xx['codes']}"
    r = grpc_call(lab, M + "Retry", 40, host=FLAKY_IP, port=FLAKY_PORT)
    assert r["codes"] == {"OK": 40}, {k: r[k] for k in ("codes", "sample")}
    e = find_access(lab.node("node0"), lambda e: e.get("path") == M + "Retry" and e.get("attempts") == 2)
    assert e["route_name"] == "retry-unavailable", e


def test_grpc_fault_abort_unavailable(lab):
    before = requests_total(lab, response_flags="FI", request_protocol="grpc", grpc_response_status="14")
    r = grpc_call(lab, M + "Fault", 10)
    assert r["codes"] == {"UNAVAILABLE": 10}, r
    assert r["sample"]["UNAVAILABLE"]["details"] == "fault filter abort", r["sample"]
    assert r["version"] == {"-": 10}, f"an aborted call must not reach the backend: {r['version']}"
    wait_requests(lab, before, 10, "FI gRPC requests", response_flags="FI", request_protocol="grpc",
                  grpc_response_status="14")


def test_grpc_route_timeout_is_unavailable(lab):
    fast = grpc_call(lab, M + "Slow", 1, metadata=["x-sleep:0.05"])
    assert fast["codes"] == {"OK": 1}, fast  # the control: under the timeout, untouched
    # no client deadline (no grpc-timeout): only the route timeout can end these calls early
    r = grpc_call(lab, M + "Slow", 2, metadata=["x-sleep:3"])
    # Envoy's local reply for the timeout is 504 "upstream request timeout"; httpToGrpcStatus(504)
    # = UNAVAILABLE (route/grpc_status.cc)
    assert r["codes"] == {"UNAVAILABLE": 2}, r
    assert r["sample"]["UNAVAILABLE"]["details"] == "upstream request timeout", r["sample"]
    for code, seconds, _ in r["times"]:
        assert TIMEOUT - 0.05 <= seconds <= TIMEOUT + 0.6, f"cut after {seconds} s, timeout {TIMEOUT}"
    e = find_access(lab.node("node0"), lambda e: e.get("path") == M + "Slow" and "UT" in e.get("response_flags", ""))
    assert e["route_name"] == "slow", e


def test_grpc_request_metrics(lab):
    dst = lab.pod("pod-1-1")
    match = dict(request_protocol="grpc", grpc_response_status="0", response_code="200",
                 source_workload="pod-0-0", destination_workload=dst.name, destination_version="v2",
                 destination_service="greeter.mesh.svc.cluster.local", connection_security_policy="mutual_tls")
    before = requests_total(lab, **match)
    r = grpc_call(lab, M + "Counted", 5, metadata=["x-canary:yes"])
    assert r["codes"] == {"OK": 5}, r
    wait_requests(lab, before, 5, "gRPC OK requests to v2", **match)
    samples = lab.node("node0").metrics()
    assert metric_sum(samples, "istio_request_duration_milliseconds_count", **match) >= 5
    # grpc_response_status="14" is proven in test_grpc_fault_abort_unavailable


# ---------------------------------------------------------------- HTTP/2 (non-gRPC)
def test_http2_prior_knowledge_to_an_http2_port(lab):
    url = f"http://{WEB2_IP}:{H2_PORT}/version.txt"
    before = requests_total(lab, destination_service="web2.mesh.svc.cluster.local", response_code="200")
    cross = curl(lab, url, "--http2-prior-knowledge", count=5)
    assert [(x["code"], x["http_version"], x["body"]) for x in cross] == [(200, "2", "v1")] * 5, cross
    canary = curl(lab, url, "--http2-prior-knowledge", "-H", "x-canary: yes", count=5)
    assert [(x["code"], x["http_version"], x["body"]) for x in canary] == [(200, "2", "v2")] * 5, canary
    many = h2load(lab, url)  # 40 requests, 4 streams at a time, on one connection
    assert many.get("2xx") == 40, many
    wait_requests(lab, before, 50, "L7 requests to web2 on node0",
                  destination_service="web2.mesh.svc.cluster.local", response_code="200")
    # same node: pod-1-1 -> the v1 route -> pod-1-0, both on node1
    b1 = requests_total(lab, "node1", destination_service="web2.mesh.svc.cluster.local", response_code="200")
    same = curl(lab, url, "--http2-prior-knowledge", client="pod-1-1", count=5)
    assert [(x["code"], x["http_version"], x["body"]) for x in same] == [(200, "2", "v1")] * 5, same
    wait_requests(lab, b1, 5, "L7 requests to web2 on node1", node="node1",
                  destination_service="web2.mesh.svc.cluster.local", response_code="200")


def test_http2_client_to_an_http1_backend(lab):
    r = curl(lab, f"http://{WEB1_IP}:{H1_PORT}/from-h2", "--http2-prior-knowledge", count=3)
    assert [(x["code"], x["http_version"]) for x in r] == [(200, "2")] * 3, r
    seen = json.loads(r[0]["body"])
    assert seen["version"] == "web1" and seen["path"] == "/from-h2", seen


def test_http1_client_to_an_http2_backend(lab):
    r = curl(lab, f"http://{WEB2_IP}:{H2_PORT}/version.txt", "--http1.1", count=3)
    assert [(x["code"], x["http_version"], x["body"]) for x in r] == [(200, "1.1", "v1")] * 3, r


def test_use_client_protocol_speaks_what_the_client_spoke(lab):
    url = f"http://{MIXED_IP}:{H2_PORT}/version.txt"
    h2 = curl(lab, url, "--http2-prior-knowledge", count=3)
    assert [(x["code"], x["http_version"], x["body"]) for x in h2] == [(200, "2", "v1")] * 3, h2
    h1 = curl(lab, url, "--http1.1")
    assert h1[0]["code"] == 503, h1  # HTTP/1.1 upstream to the h2-only server
    ctl = curl(lab, f"http://{MIXED_CTL_IP}:{H2_PORT}/version.txt", "--http2-prior-knowledge")
    assert ctl[0]["code"] == 503, ctl  # without the rule the port's HTTP/1.1 is spoken
