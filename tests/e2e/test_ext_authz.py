"""AuthorizationPolicy CUSTOM with an external authorizer (meshConfig extensionProviders
envoyExtAuthzHttp, read from the `istio` ConfigMap in istio-system as Istio reads it), enforced
by the destination node's ztunnel per request (issue 14; Istio ambient needs a waypoint).

The destination is pod-1-0 on node1 ("products": l7_backend.py on 9080, Service `products`,
port name http); the authorizer (ext_authz_server.py, Istio's samples/extauthz behaviour) runs in
pod-1-1 behind the Service `ext-authz` (port 8000), so the check goes over the mesh from the
destination pod. Clients: pod-0-0 on node0 (Python http.client through l7_client.py). Proves:
- a request the CUSTOM rule matches (/headers*) is sent to the authorizer: denied without
  `x-ext-authz: allow` (the client gets the authorizer's 403, body and the headers
  headersToDownstreamOnDeny names, not the others), allowed with it (the app sees the header
  headersToUpstreamOnAllow names); the check carried pathPrefix + path, Host, the header
  includeRequestHeadersInCheck names and no body; other paths never reach the authorizer;
- Istio's order: a DENY still refuses what the authorizer allowed;
- the decision is the destination's: UAEX in the access line, ext_authz_denied details,
  zmesh_authorization_decisions_total{layer="l7",policy} and an audit record;
- an authorizer that does not answer: statusOnError (403 by default) unless failOpen;
- a provider missing from meshConfig denies (istiod's deny-all for such a policy);
- remoteIpBlocks with meshConfig numTrustedProxies: 1 match the client X-Forwarded-For names.
"""
from __future__ import annotations

import json
import os

import pytest

from conftest import find_access, l7_request, make_lab
from policy_checks import audit_entries, remove_policies, write_policies
from zlab import MESH_NS, kube, metric_sum, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND = os.path.join(HERE, "l7_backend.py")
AUTHORIZER = os.path.join(HERE, "ext_authz_server.py")
PRODUCTS_IP, AUTHZ_IP, PORT, AUTHZ_PORT, DEAD_PORT = "10.96.61.10", "10.96.61.11", 9080, 8000, 8001
POLICY_FILE = "ext-authz.yaml"
MESH_FILE = "mesh-config.yaml"


def mesh_config_map() -> dict:
    mesh = {
        "defaultConfig": {"gatewayTopology": {"numTrustedProxies": 1}},
        "extensionProviders": [
            {"name": "sample-ext-authz", "envoyExtAuthzHttp": {
                "service": f"ext-authz.{MESH_NS}.svc.cluster.local", "port": AUTHZ_PORT,
                "pathPrefix": "/check",
                "includeRequestHeadersInCheck": ["x-ext-authz"],
                "headersToUpstreamOnAllow": ["x-ext-authz-check-result", "x-ext-authz-added"],
                "headersToDownstreamOnDeny": ["x-ext-authz-check-result", "content-type"],
                "timeout": "5s"}},
            {"name": "dead-closed", "envoyExtAuthzHttp": {
                "service": f"{MESH_NS}/ext-authz.{MESH_NS}.svc.cluster.local", "port": DEAD_PORT,
                "timeout": "2s"}},
            {"name": "dead-open", "envoyExtAuthzHttp": {
                "service": f"ext-authz.{MESH_NS}.svc.cluster.local", "port": DEAD_PORT,
                "timeout": "2s", "failOpen": True}},
        ]}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": json.dumps(mesh)}}  # JSON is YAML


def service(name: str, ip: str, selector: dict, ports: list[tuple[str, int]]) -> dict:
    s = kube.service(name, MESH_NS, ip, selector, [(p, p) for _, p in ports])
    for i, (pname, _) in enumerate(ports):
        s["spec"]["ports"][i]["name"] = pname
    return s


def custom(name: str, provider: str, paths: list[str]) -> dict:
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": MESH_NS},
            "spec": {"selector": {"matchLabels": {"l7app": "products"}}, "action": "CUSTOM",
                     "provider": {"name": provider},
                     "rules": [{"to": [{"operation": {"paths": paths}}]}]}}


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("extauthz", nodes=2, pods_per_node=2, plain_per_node=0)
    lab.pod("pod-1-0").labels.update(l7app="products")
    lab.pod("pod-1-1").labels.update(l7app="ext-authz")
    with lab:
        text = kube.dump_all([service("products", PRODUCTS_IP, {"l7app": "products"}, [("http", PORT)]),
                              service("ext-authz", AUTHZ_IP, {"l7app": "ext-authz"},
                                      [("http", AUTHZ_PORT), ("http-dead", DEAD_PORT)]),
                              mesh_config_map()])
        for n in lab.nodes:
            n.write_config("services.yaml", text)
        lab.pod("pod-1-0").start_app([BACKEND, "--port", PORT, "--version", "v1"], "products", 15)
        log = lab.pod("pod-1-1").start_app([AUTHORIZER, "--port", AUTHZ_PORT], "ext-authz", 15)
        lab.authorizer_log = log
        node1 = lab.node("node1")
        wait_for(lambda: any(p.get("name") == "sample-ext-authz"
                             for p in (node1.config_dump().get("meshConfig") or {}).get("extensionProviders", [])),
                 15, 0.1, "node1 to load meshConfig")
        yield lab


@pytest.fixture
def policy(lab):
    def write(*objs):
        names = sorted(o["metadata"]["name"] for o in objs)
        write_policies(lab, POLICY_FILE, objs)
        node1 = lab.node("node1")
        wait_for(lambda: sorted(p["name"] for p in node1.config_dump().get("authorizationPolicies") or []) == names,
                 15, 0.1, f"node1 to load {names}")
    yield write
    remove_policies(lab, POLICY_FILE)
    node1 = lab.node("node1")
    wait_for(lambda: not node1.config_dump().get("authorizationPolicies"), 15, 0.1, "policies removed")


def request(lab, path: str, method: str = "GET", headers=()) -> dict:
    return l7_request(lab.pod("pod-0-0"), PRODUCTS_IP, PORT, path, method, headers)


def checks(lab) -> list[dict]:
    with open(lab.authorizer_log) as f:
        return [j for j in (json.loads(l) for l in f if l.startswith("{")) if "check" in j]


def test_custom_denies_and_allows_through_the_authorizer(lab, policy):
    dst = lab.pod("pod-1-0")
    policy(custom("ext-authz", "sample-ext-authz", ["/headers*"]))
    seen = len(checks(lab))
    r = request(lab, "/headers?x=1", headers=["x-other: 1"])
    assert r["status"] == {403: 1}, r
    denied = r["sample"][403]
    assert denied["body"].startswith("denied by ext_authz for not found header"), denied
    assert denied["headers"].get("x-ext-authz-check-result") == "denied", denied
    assert "x-not-forwarded" not in denied["headers"], denied
    c = checks(lab)[seen:]
    assert len(c) == 1, c
    assert c[0]["check"] == "GET" and c[0]["path"] == "/check/headers?x=1", c
    assert c[0]["body_len"] == 0 and c[0]["headers"].get("host") == f"{PRODUCTS_IP}:{PORT}", c
    assert "x-other" not in c[0]["headers"], c

    r = request(lab, "/headers", headers=["x-ext-authz: allow"])
    assert r["status"] == {200: 1}, r
    app = json.loads(r["sample"][200]["body"])["headers"]
    assert app.get("x-ext-authz-check-result") == "allowed", app
    assert app.get("x-ext-authz-added") == "/check/headers", app
    assert "x-not-forwarded" not in app, app
    c = checks(lab)[seen:]
    assert len(c) == 2 and c[1]["headers"].get("x-ext-authz") == "allow", c

    # a path the CUSTOM rules do not match never reaches the authorizer
    assert request(lab, "/ip")["status"] == {200: 1}
    assert len(checks(lab)) == seen + 2

    # the decision is the destination's
    e = find_access(dst.node, lambda e: e.get("reporter") == "destination" and e.get("response_code") == 403
                    and "headers" in str(e.get("path", "")))
    assert "UAEX" in e.get("response_flags", ""), e
    assert e["response_code_details"] == "ext_authz_denied", e
    wait_for(lambda: metric_sum(dst.node.metrics(), "zmesh_authorization_decisions_total", layer="l7",
                                decision="denied", policy=f"{MESH_NS}/ext-authz") >= 1, 10, 0.2, "denial counted")
    wait_for(lambda: any(a.get("policy") == f"{MESH_NS}/ext-authz" and a.get("event") == "deny"
                         for a in audit_entries(dst.node)), 10, 0.1, "audit record")


def test_deny_still_applies_after_the_authorizer_allows(lab, policy):
    policy(custom("ext-authz", "sample-ext-authz", ["/headers*"]),
           {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "no-post", "namespace": MESH_NS},
            "spec": {"selector": {"matchLabels": {"l7app": "products"}}, "action": "DENY",
                     "rules": [{"to": [{"operation": {"methods": ["POST"]}}]}]}})
    assert request(lab, "/headers", headers=["x-ext-authz: allow"])["status"] == {200: 1}
    r = request(lab, "/headers", method="POST", headers=["x-ext-authz: allow"])
    assert r["status"] == {403: 1} and r["sample"][403]["body"] == "RBAC: access denied", r


def test_authorizer_unreachable_fail_closed_and_open(lab, policy):
    policy(custom("dead", "dead-closed", ["/headers*"]))
    r = request(lab, "/headers", headers=["x-ext-authz: allow"])
    assert r["status"] == {403: 1}, r
    assert request(lab, "/ip")["status"] == {200: 1}
    policy(custom("dead", "dead-open", ["/headers*"]))
    assert request(lab, "/headers")["status"] == {200: 1}


def test_unknown_provider_denies(lab, policy):
    policy(custom("nowhere", "not-in-mesh-config", ["/headers*"]))
    r = request(lab, "/headers", headers=["x-ext-authz: allow"])
    assert r["status"] == {403: 1} and r["sample"][403]["body"] == "RBAC: access denied", r
    assert request(lab, "/ip")["status"] == {200: 1}


def test_remote_ip_blocks_behind_a_trusted_proxy(lab, policy):
    policy({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "from-partner", "namespace": MESH_NS},
            "spec": {"selector": {"matchLabels": {"l7app": "products"}}, "action": "ALLOW",
                     "rules": [{"from": [{"source": {"remoteIpBlocks": ["203.0.113.0/24"]}}]}]}})
    assert request(lab, "/r", headers=["x-forwarded-for: 198.51.100.9, 203.0.113.7"])["status"] == {200: 1}
    assert request(lab, "/r", headers=["x-forwarded-for: 203.0.113.7, 198.51.100.9"])["status"] == {403: 1}
    assert request(lab, "/r")["status"] == {403: 1}  # no header: the peer, a pod address
