"""Distributed tracing through both ztunnels into a real Jaeger (issue 15).

The lab: pod-0-0 on node0 is the client (l7_client.py), pod-1-0 on node1 is "products"
(l7_backend.py on 9080 behind the Service `products`, port name http, so node0 routes at L7);
an AuthorizationPolicy with an HTTP rule on products makes node1 run its HTTP pipeline, so it
writes a server span too. Jaeger (scripts/setup-jaeger) runs in the plain pod plain-1-0, behind
the Service `jaeger` in namespace plain: meshConfig's providers name that Service, and the
daemons resolve it through their own registry to the pod, as Istio resolves a provider service.
Proves:
- the app's span (the test posts it to Jaeger itself, as an instrumented app would), node0's
  client span and node1's server span share one trace id, each the child of the one before; the
  backend receives a traceparent naming node1's span; the spans carry Istio's attributes; the
  access lines of both nodes carry the trace id and the x-request-id;
- x-request-id is generated (UUIDv4) when absent and kept when given; B3 multi-header
  propagation works as W3C does;
- parent-based sampling: an unsampled traceparent writes no span;
- the Zipkin provider (defaultProviders switched) delivers too;
- a collector that is not there costs requests nothing: they succeed, spans are counted as
  dropped.
"""
from __future__ import annotations

import json
import os
import re
import secrets

import pytest

from conftest import find_access, l7_request, make_lab
from zlab import MESH_NS, PLAIN_NS, kube, metric_sum, wait_for
from zlab.host import in_netns
from zlab.jaeger import Jaeger

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND = os.path.join(HERE, "l7_backend.py")
PRODUCTS_IP, JAEGER_IP, PORT = "10.96.62.10", "10.96.62.11", 9080
JAEGER_HOST = f"jaeger.{PLAIN_NS}.svc.cluster.local"
MESH_FILE = "mesh-config.yaml"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def mesh_config_map(default_provider: str, otel_port: int = 4318) -> dict:
    mesh = {
        "enableTracing": True,
        "defaultConfig": {"tracing": {"sampling": 100}},
        "defaultProviders": {"tracing": [default_provider]},
        "extensionProviders": [
            {"name": "otel", "opentelemetry": {"service": JAEGER_HOST, "port": otel_port,
                                               "http": {"path": "/v1/traces", "timeout": "5s"}}},
            {"name": "zipkin", "zipkin": {"service": f"{PLAIN_NS}/{JAEGER_HOST}", "port": 9411}},
        ]}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": json.dumps(mesh)}}


def service(name: str, ns: str, ip: str, selector: dict, ports: list[tuple[str, int]]) -> dict:
    s = kube.service(name, ns, ip, selector, [(p, p) for _, p in ports])
    for i, (pname, _) in enumerate(ports):
        s["spec"]["ports"][i]["name"] = pname
    return s


HTTP_POLICY = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
               "metadata": {"name": "products-read", "namespace": MESH_NS},
               "spec": {"selector": {"matchLabels": {"l7app": "products"}}, "action": "ALLOW",
                        "rules": [{"to": [{"operation": {"methods": ["GET", "HEAD"]}}]}]}}


def set_mesh(lab, provider: str, otel_port: int = 4318) -> None:
    text = kube.dump_all([mesh_config_map(provider, otel_port)])
    for n in lab.nodes:
        n.write_config(MESH_FILE, text)
    for n in lab.nodes:
        wait_for(lambda n=n: (n.config_dump().get("meshConfig") or {}).get("defaultProviders", {}).get("tracing")
                 == [provider] and any(p.get("name") == "otel" and p.get("opentelemetry", {}).get("port") == otel_port
                                       for p in n.config_dump()["meshConfig"].get("extensionProviders", [])),
                 15, 0.1, f"{n.name} to load meshConfig with provider {provider}")


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("tracing", nodes=2, pods_per_node=2, plain_per_node=1)
    lab.pod("pod-1-0").labels.update(l7app="products")
    with lab:
        jaeger_pod = lab.pod("plain-1-0")
        text = kube.dump_all([
            service("products", MESH_NS, PRODUCTS_IP, {"l7app": "products"}, [("http", PORT)]),
            service("jaeger", PLAIN_NS, JAEGER_IP, {"app": jaeger_pod.name},
                    [("http-otlp", 4318), ("http-zipkin", 9411)]),
            HTTP_POLICY])
        for n in lab.nodes:
            n.write_config("services.yaml", text)
        set_mesh(lab, "otel")
        lab.pod("pod-1-0").start_app([BACKEND, "--port", PORT, "--version", "v1"], "products", 15)
        jaeger = Jaeger("tracing", netns_path=jaeger_pod.netns_path, host="0.0.0.0")
        with jaeger:
            lab.jaeger = jaeger
            lab.jaeger_pod = jaeger_pod
            node1 = lab.node("node1")
            wait_for(lambda: any(p.get("name") == "products-read"
                                 for p in node1.config_dump().get("authorizationPolicies") or []),
                     15, 0.1, "node1 to load the HTTP policy")
            yield lab


def request(lab, path: str, headers=()) -> dict:
    return l7_request(lab.pod("pod-0-0"), PRODUCTS_IP, PORT, path, headers=headers)


def app_headers(r: dict) -> dict:
    assert r["status"] == {200: 1}, r
    return json.loads(r["sample"][200]["body"])["headers"]


def new_ids() -> tuple[str, str]:
    # The top bit set: Jaeger prints a trace id with zero high bits as 16 digits.
    trace = format(secrets.randbits(128) | (1 << 127), "032x")
    span = format(secrets.randbits(64) | (1 << 63), "016x")
    return trace, span


def post_app_span(lab, trace_id: str, span_id: str) -> None:
    """The app's own span, as an instrumented app would export it (OTLP/HTTP JSON)."""
    body = json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "client-app"}}]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": [{
            "traceId": trace_id, "spanId": span_id, "name": "GET /headers", "kind": 3,
            "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000100000000"}]}]}]})

    def post():
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", lab.jaeger.otlp_http_port, timeout=5)
        try:
            c.request("POST", "/v1/traces", body, {"content-type": "application/json"})
            return c.getresponse().status
        finally:
            c.close()
    assert in_netns(lab.jaeger_pod.netns_path, post) == 200


def tags(span: dict) -> dict:
    return {t["key"]: t["value"] for t in span.get("tags", [])}


def parent_of(span: dict) -> str | None:
    refs = [r for r in span.get("references", []) if r.get("refType") == "CHILD_OF"]
    return refs[0]["spanID"] if refs else None


def test_one_trace_across_app_and_both_ztunnels(lab):
    trace_id, app_span = new_ids()
    post_app_span(lab, trace_id, app_span)
    r = request(lab, "/headers", [f"traceparent: 00-{trace_id}-{app_span}-01", "x-request-id: rid-given-1"])
    seen = app_headers(r)
    assert seen.get("x-request-id") == "rid-given-1", seen

    trace = lab.jaeger.wait_for_trace(trace_id, min_spans=3)
    spans = {s["spanID"]: s for s in trace["spans"]}
    services = {s["spanID"]: trace["processes"][s["processID"]]["serviceName"] for s in trace["spans"]}
    client = [s for s in trace["spans"] if tags(s).get("span.kind") == "client" and services[s["spanID"]] != "client-app"]
    server = [s for s in trace["spans"] if tags(s).get("span.kind") == "server"]
    assert len(client) == 1 and len(server) == 1, trace["spans"]
    client, server = client[0], server[0]
    assert parent_of(client) == app_span, client
    assert parent_of(server) == client["spanID"], server
    assert services[client["spanID"]] == f"pod-0-0.{MESH_NS}", services
    assert services[server["spanID"]] == f"pod-1-0.{MESH_NS}", services

    # The app sees node1's server span as its parent.
    assert seen.get("traceparent") == f"00-{trace_id}-{server['spanID']}-01", seen
    assert seen.get("x-b3-traceid") == trace_id and seen.get("x-b3-spanid") == server["spanID"], seen
    assert seen.get("x-b3-parentspanid") == client["spanID"], seen

    ct = tags(client)
    assert ct["http.method"] == "GET" and ct["http.status_code"] == "200", ct
    assert ct["http.url"] == f"http://{PRODUCTS_IP}:{PORT}/headers", ct
    assert ct["guid:x-request-id"] == "rid-given-1", ct
    assert ct["istio.namespace"] == MESH_NS and ct["component"] == "proxy", ct
    assert ct["istio.destination_service"] == f"products.{MESH_NS}.svc.cluster.local", ct
    assert ct["upstream_cluster"] == f"outbound|{PORT}||products.{MESH_NS}.svc.cluster.local", ct
    assert ct["node_id"] == "ztunnel~node0" and "peer.address" in ct, ct
    assert client["operationName"] == f"products.{MESH_NS}.svc.cluster.local:{PORT}/*", client
    st = tags(server)
    assert st["connection.security_policy"] == "mutual_tls", st
    assert st["source.principal"].startswith("spiffe://") and f"/ns/{MESH_NS}/" in st["source.principal"], st
    assert st["node_id"] == "ztunnel~node1" and st["http.status_code"] == "200", st

    # Both access lines carry the trace and the request id.
    for node, reporter in ((lab.node("node0"), "source"), (lab.node("node1"), "destination")):
        e = find_access(node, lambda e: e.get("trace_id") == trace_id and e.get("reporter") == reporter)
        assert e["request_id"] == "rid-given-1", e
    wait_for(lambda: metric_sum(lab.node("node0").metrics(), "zmesh_trace_spans_exported_total") >= 1,
             10, 0.2, "node0 to count exported spans")


def test_request_id_generated_and_b3_propagation(lab):
    trace_id, parent = new_ids()
    r = request(lab, "/headers", [f"x-b3-traceid: {trace_id}", f"x-b3-spanid: {parent}", "x-b3-sampled: 1"])
    seen = app_headers(r)
    assert UUID4.match(seen.get("x-request-id", "")), seen
    trace = lab.jaeger.wait_for_trace(trace_id, min_spans=2)
    client = next(s for s in trace["spans"] if tags(s).get("span.kind") == "client")
    assert parent_of(client) == parent, client
    assert tags(client)["guid:x-request-id"] == seen["x-request-id"], client
    assert seen.get("x-b3-traceid") == trace_id and seen.get("x-b3-sampled") == "1", seen
    assert seen["traceparent"].startswith(f"00-{trace_id}-"), seen
    # No trace headers at all: a new trace starts at node0 (sampling 100%).
    seen = app_headers(request(lab, "/headers"))
    new_trace = seen["traceparent"].split("-")[1]
    assert new_trace != trace_id and UUID4.match(seen["x-request-id"]), seen
    assert len(lab.jaeger.wait_for_trace(new_trace, min_spans=2)["spans"]) == 2


def test_unsampled_parent_writes_no_span(lab):
    unsampled, parent = new_ids()
    seen = app_headers(request(lab, "/headers", [f"traceparent: 00-{unsampled}-{parent}-00"]))
    assert seen["traceparent"].startswith(f"00-{unsampled}-") and seen["traceparent"].endswith("-00"), seen
    assert seen.get("x-b3-sampled") == "0", seen
    # A sampled request sent after it: once its spans are in, the unsampled one's would be too.
    marker, marker_parent = new_ids()
    app_headers(request(lab, "/headers", [f"traceparent: 00-{marker}-{marker_parent}-01"]))
    lab.jaeger.wait_for_trace(marker, min_spans=2)
    assert lab.jaeger.traces(trace_id=unsampled) == []


def test_zipkin_provider(lab):
    set_mesh(lab, "zipkin")
    try:
        trace_id, parent = new_ids()
        app_headers(request(lab, "/headers", [f"traceparent: 00-{trace_id}-{parent}-01"]))
        trace = lab.jaeger.wait_for_trace(trace_id, min_spans=2)
        client = next(s for s in trace["spans"] if tags(s).get("span.kind") == "client")
        assert parent_of(client) == parent, client
        assert tags(client)["http.method"] == "GET", client
    finally:
        set_mesh(lab, "otel")


def test_dead_collector_costs_requests_nothing(lab):
    set_mesh(lab, "otel", otel_port=4999)  # the Service has no such port: unresolvable
    try:
        node0 = lab.node("node0")
        wait_for(lambda: "tracing: tracing provider otel" in node0.log_tail(200), 10, 0.1, "the sink error logged")
        before = metric_sum(node0.metrics(), "zmesh_trace_spans_dropped_total")
        for _ in range(3):
            trace_id, parent = new_ids()
            app_headers(request(lab, "/headers", [f"traceparent: 00-{trace_id}-{parent}-01"]))
        wait_for(lambda: metric_sum(node0.metrics(), "zmesh_trace_spans_dropped_total") >= before + 3,
                 10, 0.2, "dropped spans counted")
    finally:
        set_mesh(lab, "otel")
