"""The tracing test peer (tests/lab/zlab/jaeger.py) really is a Jaeger collector.

A real Jaeger v2 (scripts/setup-jaeger) on loopback gets one span over OTLP/HTTP with a JSON body
(POST /v1/traces, an ExportTraceServiceRequest written by hand) and one over Zipkin's JSON v2
(POST /api/v2/spans); its query API then returns each under its trace id, with its span id, the
parent it named (a CHILD_OF reference), its service, kind and attributes. Every listener of the
process is on 127.0.0.1. The tracing tests of the daemon build on exactly these behaviours.

Needs the binary from scripts/setup-jaeger (scripts/test runs it); without it every test fails.
"""
from __future__ import annotations

import json
import secrets
import subprocess
import time
import urllib.request

import pytest

from zlab import wait_for
from zlab.jaeger import Jaeger, jaeger_path, pinned_version

SERVICE = "zmesh-harness-test"


@pytest.fixture(scope="module")
def jaeger():
    with Jaeger("e2e-harness") as j:
        yield j


def trace_id() -> str:
    # The top bit set: Jaeger prints a trace id whose high 64 bits are zero as 16 hex digits only.
    return "%032x" % (secrets.randbits(128) | 1 << 127)


def span_id() -> str:
    return "%016x" % (secrets.randbits(64) | 1 << 63)


def post_json(url: str, body) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


def tags(kvs: list[dict]) -> dict:
    """Jaeger's [{key, type, value}] as {key: (type, value)}."""
    return {t["key"]: (t["type"], t["value"]) for t in kvs}


def only_span(trace: dict) -> tuple[dict, dict]:
    assert len(trace["spans"]) == 1, trace
    span = trace["spans"][0]
    return span, trace["processes"][span["processID"]]


def test_pinned_release_is_installed():
    out = subprocess.run([jaeger_path(), "version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["gitVersion"] == pinned_version()


def test_listens_on_loopback_only(jaeger):
    out = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True, check=True).stdout
    mine = [l.split()[3] for l in out.splitlines() if f"pid={jaeger.proc.pid}," in l]
    ports = {int(a.rsplit(":", 1)[1]) for a in mine}
    assert ports == set(jaeger.ports().values()), (mine, jaeger.ports())
    assert all(a.rsplit(":", 1)[0] == "127.0.0.1" for a in mine), mine


def test_otlp_http_json_span(jaeger):
    tid, sid, parent = trace_id(), span_id(), span_id()
    start = time.time_ns()
    request = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": SERVICE}}]},
        "scopeSpans": [{
            "scope": {"name": "zmesh-e2e"},
            "spans": [{
                "traceId": tid, "spanId": sid, "parentSpanId": parent,
                "name": "GET /otlp", "kind": 2,  # SPAN_KIND_SERVER
                "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 1_500_000),
                "attributes": [
                    {"key": "http.request.method", "value": {"stringValue": "GET"}},
                    {"key": "http.response.status_code", "value": {"intValue": "200"}},
                    {"key": "zmesh.test", "value": {"boolValue": True}},
                ],
                "status": {"code": 1},  # STATUS_CODE_OK
            }],
        }],
    }]}
    status, body = post_json(jaeger.otlp_http_url, request)
    assert status == 200, body
    assert json.loads(body or b"{}").get("partialSuccess", {}).get("rejectedSpans", 0) in (0, "0"), body

    trace = jaeger.wait_for_trace(tid, min_spans=1, timeout=15)
    assert trace["traceID"] == tid
    span, process = only_span(trace)
    assert span["traceID"] == tid and span["spanID"] == sid
    assert span["operationName"] == "GET /otlp"
    assert span["references"] == [{"refType": "CHILD_OF", "traceID": tid, "spanID": parent}]
    assert span["startTime"] == start // 1000 and span["duration"] == 1500  # microseconds
    assert process["serviceName"] == SERVICE
    t = tags(span["tags"])
    assert t["span.kind"] == ("string", "server"), t
    assert t["http.request.method"] == ("string", "GET"), t
    assert t["http.response.status_code"] == ("int64", 200), t
    assert t["zmesh.test"] == ("bool", True), t
    assert t["otel.scope.name"] == ("string", "zmesh-e2e"), t


def test_zipkin_json_v2_span(jaeger):
    tid, sid, parent = trace_id(), span_id(), span_id()
    start_us = time.time_ns() // 1000
    spans = [{
        "traceId": tid, "id": sid, "parentId": parent,
        "name": "get /zipkin", "kind": "CLIENT",
        "timestamp": start_us, "duration": 2500,
        "localEndpoint": {"serviceName": SERVICE, "ipv4": "127.0.0.1"},
        "remoteEndpoint": {"serviceName": "backend", "ipv4": "10.0.0.2", "port": 8080},
        "tags": {"http.path": "/zipkin", "http.status_code": "200"},
    }]
    status, body = post_json(jaeger.zipkin_url, spans)
    assert status == 202, (status, body)

    trace = jaeger.wait_for_trace(tid, min_spans=1, timeout=15)
    assert trace["traceID"] == tid
    span, process = only_span(trace)
    assert span["traceID"] == tid and span["spanID"] == sid
    assert span["operationName"] == "get /zipkin"
    assert span["references"] == [{"refType": "CHILD_OF", "traceID": tid, "spanID": parent}]
    assert span["startTime"] == start_us and span["duration"] == 2500
    assert process["serviceName"] == SERVICE
    t = tags(span["tags"])
    assert t["span.kind"] == ("string", "client"), t
    assert t["http.path"] == ("string", "/zipkin"), t
    assert t["http.status_code"] == ("string", "200"), t  # string tags stay strings (parse_string_tags off)
    # Zipkin's endpoints become span tags (the local service name is the process's)
    assert t["net.host.ip"] == ("string", "127.0.0.1"), t
    assert t["peer.service"] == ("string", "backend"), t
    assert t["net.peer.ip"] == ("string", "10.0.0.2") and t["net.peer.port"] == ("int64", 8080), t


def test_search_by_service_finds_both(jaeger):
    """/api/traces?service=... returns the traces of both protocols (the tests above ran first)."""
    def both():
        found = jaeger.traces(service=SERVICE)
        ops = {s["operationName"] for t in found for s in t["spans"]}
        return found if {"GET /otlp", "get /zipkin"} <= ops else None
    found = wait_for(both, 15, what=f"traces of {SERVICE}")
    assert len(found) == 2, found
    assert SERVICE in jaeger.services()
    assert jaeger.traces(trace_id=trace_id()) == []  # an unknown trace id: 404, no data
