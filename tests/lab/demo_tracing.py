"""The demo's tracing part: a request through both ztunnels gets one trace. node0's ztunnel (the
source) writes a client span and node1's (the destination runs its HTTP pipeline for the
ALLOW-by-method policy) a server span, its child; the app sees traceparent, B3 headers and an
x-request-id; both access lines carry the trace id. Spans go to the meshConfig tracing provider:
a real Jaeger (scripts/setup-jaeger; scripts/demo and scripts/test build it) in the plain pod
plain-1-0 behind the Service plain/jaeger; run as tests/lab/demo.py without it, the demo shows the
propagation only."""
from __future__ import annotations

import contextlib
import json
import os
import sys

from zlab import MESH_NS, PLAIN_NS, LabError, kube, metric_sum, wait_for
from zlab.jaeger import Jaeger, jaeger_path

E2E = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e")
CLIENT = os.path.join(E2E, "l7_client.py")
REVIEWS_IP, PORT, JAEGER_IP = "10.96.60.10", 9080, "10.96.60.20"
FILE = "tracing.yaml"


def _objects(jaeger_pod) -> list[dict]:
    service = kube.service("jaeger", PLAIN_NS, JAEGER_IP, {"app": jaeger_pod.name}, [(4318, 4318)])
    service["spec"]["ports"][0]["name"] = "http-otlp"
    mesh = {"defaultConfig": {"tracing": {"sampling": 100}},
            "defaultProviders": {"tracing": ["jaeger"]},
            "extensionProviders": [{"name": "jaeger", "opentelemetry": {
                "service": f"jaeger.{PLAIN_NS}.svc.cluster.local", "port": 4318,
                "http": {"path": "/v1/traces"}}}]}
    policy = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
              "metadata": {"name": "allow-read", "namespace": MESH_NS},
              "spec": {"selector": {"matchLabels": {"l7app": "reviews"}}, "action": "ALLOW",
                       "rules": [{"to": [{"operation": {"methods": ["GET", "HEAD"]}}]}]}}
    return [service, policy, {"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "istio", "namespace": "istio-system"},
                              "data": {"mesh": json.dumps(mesh)}}]


def show(lab) -> None:
    src, node0, node1 = lab.pod("pod-0-0"), lab.node("node0"), lab.node("node1")
    jaeger_pod = lab.pod("plain-1-0")
    try:
        binary = jaeger_path()
    except LabError:
        binary = None
    with contextlib.ExitStack() as stack:
        jaeger = None
        if binary:
            jaeger = stack.enter_context(Jaeger("demo", binary, netns_path=jaeger_pod.netns_path, host="0.0.0.0"))
        for n in lab.nodes:
            n.write_config(FILE, kube.dump_all(_objects(jaeger_pod)))
        stack.callback(lambda: [os.remove(os.path.join(n.config_dir, FILE)) for n in lab.nodes])
        wait_for(lambda: all((n.config_dump().get("meshConfig") or {}).get("defaultProviders", {}).get("tracing")
                             == ["jaeger"] for n in lab.nodes), 15, 0.1, "meshConfig with the tracing provider")
        wait_for(lambda: any(p["name"] == "allow-read" for p in node1.config_dump().get("authorizationPolicies") or []),
                 15, 0.1, "the policy")
        print("  meshConfig: defaultProviders.tracing [jaeger] (opentelemetry over HTTP, Service plain/jaeger),"
              " sampling 100%; AuthorizationPolicy mesh/allow-read on reviews (so node1 runs HTTP too)")
        out = json.loads(src.run([sys.executable, CLIENT, REVIEWS_IP, str(PORT), "/reviews/1"],
                                 timeout=60).stdout.strip().splitlines()[-1])
        seen = json.loads(out["sample"]["200"]["body"])["headers"]
        trace_id = seen["traceparent"].split("-")[1]
        print(f"  {src.full_name} -> reviews /reviews/1 with no trace headers; the app received:")
        for h in ("x-request-id", "traceparent", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled"):
            print(f"    {h}: {seen.get(h)}")
        for n, reporter in ((node0, "source"), (node1, "destination")):
            e = wait_for(lambda n=n, r=reporter: next((e for e in n.access_log_entries()
                                                        if e.get("trace_id") == trace_id and e.get("reporter") == r), None),
                         10, 0.1, f"{n.name}'s access line")
            print(f"  {n.name} access line ({reporter}): trace_id {e['trace_id']} request_id {e['request_id']}")
        if jaeger is None:
            print("  (Jaeger is not built here: run scripts/setup-jaeger to see the spans in a real collector)")
            return
        trace = jaeger.wait_for_trace(trace_id, min_spans=2)
        print(f"  Jaeger (in {jaeger_pod.full_name}), GET /api/traces/{trace_id}:")
        for s in sorted(trace["spans"], key=lambda s: s["startTime"]):
            tags = {t["key"]: t["value"] for t in s["tags"]}
            parent = next((r["spanID"] for r in s.get("references", []) if r["refType"] == "CHILD_OF"), "-")
            print(f"    span {s['spanID']} parent {parent:16} {tags.get('span.kind'):6} "
                  f"{trace['processes'][s['processID']]['serviceName']:14} {s['operationName']} "
                  f"status {tags.get('http.status_code')} node {tags.get('node_id')}")
        exported = metric_sum(node0.metrics(), "zmesh_trace_spans_exported_total")
        print(f"  node0 zmesh_trace_spans_exported_total = {exported:.0f}")
