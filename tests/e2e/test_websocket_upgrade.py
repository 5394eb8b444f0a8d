"""WebSocket through ztunnel's L7 path (issue 5: what an Istio user expects, as Istio enables
Envoy's websocket upgrade on every HTTP route), with a real WebSocket client and server
(python3-websockets, tests/e2e/ws_app.py). Backends: ws_app in pod-1-0 (v1) and pod-1-1 (v2)
behind the `http` Service port of `chat`, whose VirtualService sends `x-canary: yes` to v2;
ws_app in plain-1-0 (outside the mesh) behind `chat-plain`. Proves:
- the peers work directly (control);
- cross node (HBONE) and same node, the upgrade is routed by the VirtualService, the server's
  greeting (sent right after its 101) arrives, and text and binary messages up to 1 MiB echo
  back intact; the same to an upstream outside the mesh (plain TCP, spliced);
- the upgraded request is reported once it ends: access log with 101 and the tunnelled bytes,
  istio_requests_total with response_code 101;
- an upgrade to anything else is refused with 403 (Envoy's upgrade_failed), and an h2c offer
  is dropped so the request goes on as HTTP/1.1 (the backend sees no Upgrade header).
"""
from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import find_access, make_lab
from test_l7_routing import _start_backend
from zlab import MESH_NS, PLAIN_NS, kube, metric_sum, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
WS_APP = os.path.join(HERE, "ws_app.py")
CHAT_IP, CHAT_PLAIN_IP, WEB_IP = "10.96.53.10", "10.96.53.11", "10.96.53.12"
WS_PORT, WEB_PORT = 9300, 9301
BIG = 1 << 20


def _service(name, ns, ip, port, selector):
    s = kube.service(name, ns, ip, selector, [(port, port)])
    s["spec"]["ports"][0]["name"] = "http"
    return s


def _objects():
    chat_vs = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
               "metadata": {"name": "chat", "namespace": MESH_NS},
               "spec": {"hosts": ["chat"], "http": [
                   {"name": "canary", "match": [{"headers": {"x-canary": {"exact": "yes"}}}],
                    "route": [{"destination": {"host": "chat", "subset": "v2"}}]},
                   {"name": "stable", "route": [{"destination": {"host": "chat", "subset": "v1"}}]}]}}
    chat_dr = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
               "metadata": {"name": "chat", "namespace": MESH_NS},
               "spec": {"host": "chat", "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                                    {"name": "v2", "labels": {"version": "v2"}}]}}
    return [
        _service("chat", MESH_NS, CHAT_IP, WS_PORT, {"l7app": "ws"}),
        _service("chat-plain", PLAIN_NS, CHAT_PLAIN_IP, WS_PORT, {"app": "plain-1-0"}),
        _service("web", MESH_NS, WEB_IP, WEB_PORT, {"app": "pod-1-0"}),
        chat_vs, chat_dr,
    ]


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("ws", nodes=2, pods_per_node=2, plain_per_node=1)
    for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
        lab.pod(name).labels.update(version=version, l7app="ws")
    with lab:
        text = kube.dump_all(_objects())
        for n in lab.nodes:
            n.write_config("ws.yaml", text)
        for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2"), ("plain-1-0", "plain")):
            lab.pod(name).start_app([WS_APP, "serve", "--port", WS_PORT, "--version", version], "ws")
        _start_backend(lab, lab.pod("pod-1-0"), WEB_PORT, "web")
        for n in lab.nodes:
            wait_for(lambda n=n: len(n.config_dump().get("virtualServices") or []) >= 1
                     and len(n.config_dump().get("destinationRules") or []) >= 1, 15, 0.2,
                     f"chat's rules loaded on {n.name}")
        yield lab


def ws_call(lab, host, path, client="pod-0-0", headers=(), big=BIG) -> dict:
    args = [sys.executable, WS_APP, "call", host, str(WS_PORT), path, "--big", str(big)]
    for h in headers:
        args += ["--header", h]
    cp = lab.pod(client).run(args, timeout=90, check=False)
    out = json.loads(cp.stdout.strip().splitlines()[-1]) if cp.stdout.strip() else {}
    assert cp.returncode == 0 and out.get("ok"), (out, cp.stderr[-2000:])
    return out


def curl(lab, url, *opts, client="pod-0-0") -> tuple[int, str, str]:
    cp = lab.pod(client).run(["curl", "-s", "--max-time", "10", "-w", "\n@@ %{http_code} %{http_version}",
                              *opts, url], timeout=30, check=False)
    body, _, tail = cp.stdout.rpartition("\n@@ ")
    code, _, version = tail.partition(" ")
    return int(code or 0), version.strip(), body


def test_peers_work_directly(lab):
    out = ws_call(lab, lab.pod("pod-1-0").ip, "/direct", client="plain-0-0")
    assert out["hello"]["hello"] == "v1"


def test_websocket_is_routed_and_echoes_across_nodes(lab):
    out = ws_call(lab, CHAT_IP, "/chat")
    assert out["hello"] == {"hello": "v1", "path": "/chat", "x-canary": ""}, out
    canary = ws_call(lab, CHAT_IP, "/chat", headers=["x-canary:yes"])
    assert canary["hello"] == {"hello": "v2", "path": "/chat", "x-canary": "yes"}, canary


def test_websocket_on_the_same_node(lab):
    out = ws_call(lab, CHAT_IP, "/same", client="pod-1-1")  # the v1 route: pod-1-0, node 1
    assert out["hello"]["hello"] == "v1", out


def test_websocket_to_an_upstream_outside_the_mesh(lab):
    out = ws_call(lab, CHAT_PLAIN_IP, "/plain")
    assert out["hello"]["hello"] == "plain", out


def test_upgraded_request_is_reported_when_it_ends(lab):
    before = metric_sum(lab.node("node0").metrics(), "istio_requests_total", reporter="source",
                        response_code="101", destination_service="chat.mesh.svc.cluster.local")
    ws_call(lab, CHAT_IP, "/reported")
    e = find_access(lab.node("node0"), lambda e: e.get("path") == "/reported")
    assert e["response_code"] == 101 and e["route_name"] == "stable", e
    # Both ways: 1 MiB + 64 KiB + a little, in frames (each with its header).
    assert e["bytes_sent"] > BIG + 65536 and e["bytes_recv"] > BIG + 65536, e
    wait_for(lambda: metric_sum(lab.node("node0").metrics(), "istio_requests_total",
                                reporter="source", response_code="101",
                                destination_service="chat.mesh.svc.cluster.local") >= before + 1,
             10, 0.2, "istio_requests_total{response_code=101}")


def test_other_upgrades_are_refused_and_h2c_offers_dropped(lab):
    code, _, _ = curl(lab, f"http://{WEB_IP}:{WEB_PORT}/other", "-H", "Connection: Upgrade",
                      "-H", "Upgrade: foo/1")
    assert code == 403
    code, version, body = curl(lab, f"http://{WEB_IP}:{WEB_PORT}/offer", "--http2")  # Upgrade: h2c
    assert (code, version) == (200, "1.1"), body
    seen = {k.lower(): v for k, v in json.loads(body)["headers"].items()}
    assert "upgrade" not in seen and "http2-settings" not in seen, seen
