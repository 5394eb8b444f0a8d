"""The demo's L7 part: a `reviews` Service with two versions behind a VirtualService (a header
route to v2, a 90/10 canary split, retries) and a fault, sent through the source node's
ztunnel. The HTTP server and client are the L7 tests' own (tests/e2e/l7_backend.py,
l7_client.py)."""
from __future__ import annotations

import json
import os
import sys

from zlab import MESH_NS, kube, metric_sum, wait_for

E2E = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e")
BACKEND, CLIENT = os.path.join(E2E, "l7_backend.py"), os.path.join(E2E, "l7_client.py")
REVIEWS_IP, PORT = "10.96.60.10", 9080
VERSIONS = {"pod-1-0": "v1", "pod-1-1": "v2"}


def label_pods(lab) -> None:
    """Before the lab starts: the two pods of node1 are reviews v1 and v2."""
    for name, version in VERSIONS.items():
        lab.pod(name).labels.update(l7app="reviews", version=version)


def _objects() -> list[dict]:
    service = kube.service("reviews", MESH_NS, REVIEWS_IP, {"l7app": "reviews"}, [(PORT, PORT)])
    service["spec"]["ports"][0]["name"] = "http"
    subset = lambda v, w=None: {"destination": {"host": "reviews", "subset": v},  # noqa: E731
                                **({"weight": w} if w is not None else {})}
    rule = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "reviews", "namespace": MESH_NS},
            "spec": {"host": "reviews", "subsets": [{"name": v, "labels": {"version": v}}
                                                    for v in ("v1", "v2")]}}
    routes = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
              "metadata": {"name": "reviews", "namespace": MESH_NS},
              "spec": {"hosts": ["reviews"], "http": [
                  {"name": "tester", "match": [{"headers": {"end-user": {"exact": "jason"}}}],
                   "route": [subset("v2")]},
                  {"name": "teapot", "match": [{"uri": {"prefix": "/teapot"}}],
                   "fault": {"abort": {"httpStatus": 418, "percentage": {"value": 100}}},
                   "route": [subset("v1")]},
                  {"name": "canary", "retries": {"attempts": 2, "retryOn": "5xx"},
                   "route": [subset("v1", 90), subset("v2", 10)]}]}}
    return [service, rule, routes]


def _client(src, path: str, count: int, *headers: str) -> dict:
    args = [sys.executable, CLIENT, REVIEWS_IP, str(PORT), path, "--count", str(count)]
    for h in headers:
        args += ["--header", h]
    return json.loads(src.run(args, timeout=120).stdout.strip().splitlines()[-1])


def show(lab) -> None:
    text = kube.dump_all(_objects())
    for n in lab.nodes:
        n.write_config("reviews.yaml", text)
    for name, version in VERSIONS.items():
        lab.pod(name).start_app([BACKEND, "--port", PORT, "--version", version], f"reviews-{version}", 15)
    node0 = lab.node("node0")
    wait_for(lambda: node0.config_dump().get("virtualServices"), 15, 0.2, "the VirtualService")
    print("  VirtualService reviews: end-user: jason -> v2; /teapot -> fault abort 418; "
          "the rest 90% v1 / 10% v2 with retries")
    src = lab.pod("pod-0-0")
    split = _client(src, "/", 500)
    print(f"  {src.full_name} -> reviews {REVIEWS_IP}:{PORT}, 500 requests on one connection: "
          f"status {split['status']}, versions {split['version']}")
    jason = _client(src, "/", 20, "end-user:jason")
    print(f"  with end-user: jason, 20 requests: versions {jason['version']}")
    teapot = _client(src, "/teapot", 3)
    print(f"  /teapot, 3 requests: status {teapot['status']}")
    if split["status"] != {"200": 500} or jason["version"] != {"v2": 20} or \
            teapot["status"] != {"418": 3} or not 15 <= split["version"].get("v2", 0) <= 90:
        raise RuntimeError("the routes did not answer as configured")
    # The access log is flushed every 100 ms.
    fault = wait_for(lambda: [e for e in node0.access_log_entries() if e.get("path") == "/teapot"],
                     10, 0.1, "the fault's access line")[-1]
    print("  node0 access log, the fault: " + json.dumps(fault))
    metrics = node0.metrics()
    for code, flags in (("200", "-"), ("418", "FI")):
        n = metric_sum(metrics, "istio_requests_total", reporter="source", response_code=code,
                       response_flags=flags, destination_service_name="reviews")
        print(f'  istio_requests_total{{reporter="source",destination_service_name="reviews",'
              f'response_code="{code}",response_flags="{flags}"}} {int(n)}')
