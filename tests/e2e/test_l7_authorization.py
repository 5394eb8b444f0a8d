"""AuthorizationPolicy on HTTP requests, enforced by the destination node's ztunnel with no extra
hop (issue 14): when a workload's policies need the request (methods, paths, hosts, headers...)
on a port that speaks HTTP, its ztunnel parses the connection (HBONE stream or plaintext) as
HTTP and decides every request with Istio's semantics.

The destination is pod-1-0 on node1 ("products": l7_backend.py on 9080 behind the Service
`products` (port name http), grpc_app.py on 9090 behind `greeter` (port name grpc)); clients
are pod-0-0 / pod-0-1 (namespace mesh, node0) and plain-0-0 (namespace plain, no mesh,
plaintext). Proves, with real clients (Python http.client, curl, grpcio):
- the seed's allow-read: GET and HEAD 200, POST 403 "RBAC: access denied" on the same
  kept-alive connection; the 403 is in node1's access line (reporter destination, response
  code details naming no matching policy), in istio_requests_total{reporter="destination",
  response_code="403"} and in zmesh_authorization_decisions_total; via the Service VIP (the
  source ztunnel routes at L7 too) and to the pod IP (the source relays L4);
- a DENY with notNamespaces: mesh pods pass, the plaintext pod outside the mesh is refused
  per connection (no HTTP attribute: L4, as ztunnel), or gets 403 on the paths a DENY names
  while other paths pass; the audit log has each denial with its policy and layer;
- a DENY path prefix beats an ALLOW of everything, with and without a query string, and the
  access line names the policy and rule; notMethods; `when` on a request header;
- principals: an ALLOW for pod-0-0's service account admits it and refuses pod-0-1;
- allow-nothing (empty spec) vs allow-all (rules [{}]); DENY rules [{}];
- AUDIT writes audit records and decides nothing;
- gRPC: an ALLOW on one method's path; another method gets PERMISSION_DENIED (status 7);
- a policy change applies to the next request on a connection that stays open;
- targetRefs: a policy attached to the Service applies at its pods, on its port.
"""
from __future__ import annotations

import json
import os
import sys
import time

import pytest

from conftest import find_access, make_lab
from policy_checks import audit_entries, find_audit
from zlab import MESH_NS, kube, metric_sum, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND, CLIENT = os.path.join(HERE, "l7_backend.py"), os.path.join(HERE, "l7_client.py")
PROBE, GRPC_APP = os.path.join(HERE, "keepalive_probe.py"), os.path.join(HERE, "grpc_app.py")
PRODUCTS_IP, GREETER_IP, PORT, GRPC_PORT = "10.96.60.10", "10.96.60.11", 9080, 9090
POLICY_FILE = "l7-authz.yaml"


def _service(name, ip, port, port_name):
    s = kube.service(name, MESH_NS, ip, {"l7app": "products"}, [(port, port)])
    s["spec"]["ports"][0]["name"] = port_name
    return s


def authz(name: str, action: str | None, rules: list | None, namespace: str = MESH_NS,
          selector: dict | None = None, annotations: dict | None = None) -> dict:
    spec: dict = {"selector": {"matchLabels": selector or {"l7app": "products"}}}
    if action:
        spec["action"] = action
    if rules is not None:
        spec["rules"] = rules
    meta = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta,
            "spec": spec}


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("authz7", nodes=2, pods_per_node=2, plain_per_node=1)
    lab.pod("pod-1-0").labels.update(l7app="products")
    with lab:
        text = kube.dump_all([_service("products", PRODUCTS_IP, PORT, "http"),
                              _service("greeter", GREETER_IP, GRPC_PORT, "grpc")])
        for n in lab.nodes:
            n.write_config("services.yaml", text)
        dst = lab.pod("pod-1-0")
        dst.start_app([BACKEND, "--port", PORT, "--version", "v1"], "products", 15)
        dst.start_app([GRPC_APP, "serve", "--port", GRPC_PORT, "--version", "v1"], "greeter", 30)
        yield lab


def remove_policy(lab) -> None:
    for n in lab.nodes:
        try:
            os.unlink(os.path.join(n.config_dir, POLICY_FILE))
        except FileNotFoundError:
            pass


@pytest.fixture
def policy(lab):
    """Writes policies to every node and waits until node1 serves them; removed afterwards."""
    def write(*objs):
        names = sorted(o["metadata"]["name"] for o in objs)
        for n in lab.nodes:
            n.write_config(POLICY_FILE, kube.dump_all(objs))
        node1 = lab.node("node1")
        wait_for(lambda: sorted(p["name"] for p in
                                node1.config_dump().get("authorizationPolicies") or []) == names,
                 15, 0.1, f"node1 to load {names}")
    yield write
    remove_policy(lab)
    node1 = lab.node("node1")
    wait_for(lambda: not node1.config_dump().get("authorizationPolicies"), 15, 0.1, "policies removed")


def request(lab, path="/", count=1, host=PRODUCTS_IP, port=PORT, method="GET", headers=(),
            src="pod-0-0") -> dict:
    args = [sys.executable, CLIENT, host, str(port), path, "--count", str(count), "--method", method]
    for h in headers:
        args += ["--header", h]
    cp = lab.pod(src).run(args, timeout=120, check=False)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    out["status"] = {int(k): v for k, v in out["status"].items()}
    out["sample"] = {int(k): v for k, v in out["sample"].items()}
    return out


def statuses(lab, path="/", **kw) -> dict:
    return request(lab, path, **kw)["status"]


def dst_requests(lab, **match) -> float:
    return metric_sum(lab.node("node1").metrics(), "istio_requests_total", reporter="destination",
                      **match)


def decisions(lab, **match) -> float:
    return metric_sum(lab.node("node1").metrics(), "zmesh_authorization_decisions_total", **match)


def principal(pod) -> str:
    return pod.identity[len("spiffe://"):]


def test_allow_read_get_head_200_post_403(lab, policy):
    dst = lab.pod("pod-1-0")
    assert statuses(lab, "/products", method="POST") == {200: 1}, "POST must pass before any policy"
    policy(authz("allow-read", "ALLOW", [{"to": [{"operation": {"methods": ["GET", "HEAD"]}}]}]))
    before = dst_requests(lab, response_code="403")
    denied_before = decisions(lab, layer="l7", decision="denied")
    for host in (PRODUCTS_IP, dst.ip):  # L7 at the source too / L4 at the source
        assert statuses(lab, "/products", host=host) == {200: 1}
        assert statuses(lab, "/products", host=host, method="HEAD") == {200: 1}
        r = request(lab, "/products", host=host, method="POST")
        assert r["status"] == {403: 1}, r
        assert r["sample"][403]["body"] == "RBAC: access denied", r
    # the decision is the destination's: its access line and metrics
    e = find_access(dst.node, lambda e: e.get("reporter") == "destination" and e.get("method") == "POST"
                    and e.get("response_code") == 403)
    assert e["response_code_details"] == "rbac_access_denied_matched_policy[none]", e
    assert e["src.identity"] == lab.pod("pod-0-0").identity, e
    wait_for(lambda: dst_requests(lab, response_code="403") >= before + 2, 10, 0.2, "403 counted")
    wait_for(lambda: decisions(lab, layer="l7", decision="denied") >= denied_before + 2, 10, 0.2,
             "denials counted")
    assert decisions(lab, layer="l7", decision="allowed", policy="mesh/allow-read") >= 4


def test_keep_alive_across_allowed_and_denied(lab, policy):
    policy(authz("allow-read", "ALLOW", [{"to": [{"operation": {"methods": ["GET"]}}]}]))
    dst = lab.pod("pod-1-0")
    script = ("import http.client,json\n"
              f"c=http.client.HTTPConnection('{dst.ip}',{PORT},timeout=10)\n"
              "out=[]\n"
              "for m in ['GET','POST','GET','DELETE','GET']:\n"
              "  c.request(m,'/k'); r=c.getresponse(); r.read(); out.append([m,r.status,c.sock.getsockname()[1]])\n"
              "print(json.dumps(out))\n")
    cp = lab.pod("pod-0-0").run([sys.executable, "-c", script], timeout=30)
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    assert [s for _, s, _ in out] == [200, 403, 200, 403, 200], out
    assert len({port for *_, port in out}) == 1, f"one connection for all: {out}"


def test_deny_not_namespaces_refuses_outside_the_mesh(lab, policy):
    dst, plain = lab.pod("pod-1-0"), lab.pod("plain-0-0")
    # Without HTTP attributes the policy is decided per connection (L4, as ztunnel): the
    # plaintext pod outside the mesh is refused before any request, and audited as such.
    policy(authz("deny-others", "DENY", [{"from": [{"source": {"notNamespaces": [MESH_NS]}}]}]))
    assert statuses(lab, "/x", host=dst.ip) == {200: 1}
    r = request(lab, "/x", host=dst.ip, src="plain-0-0")
    assert r["status"] == {} and r["n_errors"] == 1, r
    a = find_audit(dst.node, lambda e: e.get("event") == "deny" and e.get("policy") == "mesh/deny-others")
    assert a["layer"] == "l4" and a["source.ip"] == plain.ip and "source.principal" not in a, a
    # The same DENY on some paths: per request, 403 there, the rest served on the same port.
    policy(authz("deny-others-x", "DENY", [{"from": [{"source": {"notNamespaces": [MESH_NS]}}],
                                            "to": [{"operation": {"paths": ["/x*"]}}]}]))
    assert statuses(lab, "/x", host=dst.ip) == {200: 1}
    assert statuses(lab, "/x/1", host=dst.ip, src="plain-0-0") == {403: 1}
    assert statuses(lab, "/y", host=dst.ip, src="plain-0-0") == {200: 1}
    a = find_audit(dst.node, lambda e: e.get("event") == "deny" and e.get("policy") == "mesh/deny-others-x")
    assert a["layer"] == "l7" and a["decision"] == "deny" and a["path"] == "/x/1", a
    assert a["source.ip"] == plain.ip and "source.principal" not in a, a


def test_deny_prefix_beats_allow_with_and_without_query(lab, policy):
    dst = lab.pod("pod-1-0")
    policy(authz("allow-all", "ALLOW", [{}]),
           authz("no-admin", "DENY", [{"to": [{"operation": {"paths": ["/nothing"]}}]},
                                      {"to": [{"operation": {"paths": ["/admin*"]}}]}]))
    assert statuses(lab, "/public") == {200: 1}
    for path in ("/admin", "/admin/users", "/admin?x=1", "/public/../admin/x", "/%61dmin"):
        assert statuses(lab, path) == {403: 1}, path
    e = find_access(dst.node, lambda e: e.get("reporter") == "destination" and e.get("path") == "/admin?x=1")
    assert e["response_code_details"] == \
        "rbac_access_denied_matched_policy[ns[mesh]-policy[no-admin]-rule[1]]", e


def test_not_methods_and_when_header(lab, policy):
    policy(authz("no-delete", "ALLOW", [{"to": [{"operation": {"notMethods": ["DELETE"]}}]}]),
           authz("need-header", "DENY", [{"to": [{"operation": {"paths": ["/secret"]}}],
                                          "when": [{"key": "request.headers[x-team]",
                                                    "notValues": ["blue"]}]}]))
    assert statuses(lab, "/a", method="PUT") == {200: 1}
    assert statuses(lab, "/a", method="DELETE") == {403: 1}
    assert statuses(lab, "/secret", headers=["x-team:blue"]) == {200: 1}
    assert statuses(lab, "/secret", headers=["x-team:red"]) == {403: 1}
    assert statuses(lab, "/secret") == {403: 1}


def test_principals_from_one_service_account(lab, policy):
    a, b, dst = lab.pod("pod-0-0"), lab.pod("pod-0-1"), lab.pod("pod-1-0")
    policy(authz("only-a", "ALLOW", [{"from": [{"source": {"principals": [principal(a)]}}],
                                      "to": [{"operation": {"paths": ["/*"]}}]}]))
    assert statuses(lab, "/p", host=dst.ip, src="pod-0-0") == {200: 1}
    assert statuses(lab, "/p", host=dst.ip, src="pod-0-1") == {403: 1}


def test_allow_nothing_allow_all_and_deny_all(lab, policy):
    # An empty spec is ALLOW with no rule: it allows nothing. (An AUDIT policy on a method puts
    # the port on the HTTP path; alone, the empty spec is decided per connection at L4.)
    audit = authz("audit-patch", "AUDIT", [{"to": [{"operation": {"methods": ["PATCH"]}}]}])
    policy(authz("nothing", None, None), audit)
    assert statuses(lab, "/n") == {403: 1}
    policy(authz("all", "ALLOW", [{}]), authz("reads", "ALLOW", [{"to": [{"operation": {"methods": ["GET"]}}]}]))
    assert statuses(lab, "/n", method="POST") == {200: 1}  # several ALLOW policies OR together
    policy(authz("reads", "ALLOW", [{"to": [{"operation": {"methods": ["GET"]}}]}]),
           authz("deny-all", "DENY", [{}]))
    assert statuses(lab, "/n") == {403: 1}


def test_audit_records_and_decides_nothing(lab, policy):
    dst = lab.pod("pod-1-0")
    policy(authz("audit-orders", "AUDIT", [{"to": [{"operation": {"paths": ["/orders*"]}}]}]))
    before = decisions(lab, layer="l7", decision="audited", policy="mesh/audit-orders")
    assert statuses(lab, "/orders/7", method="POST") == {200: 1}
    a = find_audit(dst.node, lambda e: e.get("event") == "audit" and e.get("path") == "/orders/7")
    assert a["policy"] == "mesh/audit-orders" and a["decision"] == "allow" and a["method"] == "POST", a
    assert a["source.principal"] == principal(lab.pod("pod-0-0")), a
    wait_for(lambda: decisions(lab, layer="l7", decision="audited", policy="mesh/audit-orders") >= before + 1,
             10, 0.2, "audit counted")
    assert not any(e.get("path") == "/other" for e in audit_entries(dst.node))


def grpc_call(lab, method: str) -> dict:
    cp = lab.pod("pod-0-0").run([sys.executable, GRPC_APP, "call", GREETER_IP, str(GRPC_PORT), method,
                                 "--deadline", "10"], timeout=60, check=False)
    assert cp.returncode == 0, cp.stderr
    return json.loads(cp.stdout.strip().splitlines()[-1])


def test_grpc_method_allowed_and_permission_denied(lab, policy):
    policy(authz("one-method", "ALLOW", [{"to": [{"operation": {"paths": ["/shop.Catalog/List"]}}]}]))
    ok = grpc_call(lab, "/shop.Catalog/List")
    assert ok["codes"] == {"OK": 1}, ok
    no = grpc_call(lab, "/shop.Catalog/Delete")
    assert no["codes"] == {"PERMISSION_DENIED": 1}, no
    assert "RBAC: access denied" in json.dumps(no["sample"]), no


def test_policy_change_applies_to_next_request_on_open_connection(lab, policy):
    dst = lab.pod("pod-1-0")
    policy(authz("reads", "ALLOW", [{"to": [{"operation": {"methods": ["GET"]}}]}]))
    log = os.path.join(lab.log_dir, "keepalive-probe.log")
    with open(log, "w") as out:
        p = lab.pod("pod-0-0").spawn([sys.executable, PROBE, dst.ip, str(PORT), "/live", "--until", "403"],
                                     stdout=out, stderr=out)
    try:
        wait_for(lambda: '"first"' in open(log).read(), 15, 0.05, "the probe's first request")
        assert json.loads(open(log).read().splitlines()[0]) == {"first": 200}
        policy(authz("reads", "ALLOW", [{"to": [{"operation": {"methods": ["POST"]}}]}]))
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    out = json.loads(open(log).read().strip().splitlines()[-1])
    assert out["statuses"][0] == 200 and out["statuses"][-1] == 403, out
    assert not out["reconnected"], out


def test_target_refs_service_attached_policy(lab, policy):
    """A policy attached to the Service `products` (targetRefs, as Istio attaches it to the
    Service's waypoint) applies at its pods on the Service's port; `greeter`'s port on the same
    pod is untouched."""
    p = authz("products-read", "ALLOW", [{"to": [{"operation": {"methods": ["GET"]}}]}])
    del p["spec"]["selector"]
    p["spec"]["targetRefs"] = [{"kind": "Service", "group": "", "name": "products"}]
    policy(p)
    assert statuses(lab, "/t") == {200: 1}
    r = request(lab, "/t", method="POST")
    assert r["status"] == {403: 1} and r["sample"][403]["body"] == "RBAC: access denied", r
    dst = lab.pod("pod-1-0")
    assert statuses(lab, "/t", host=dst.ip, method="POST") == {403: 1}  # to the pod's port too
    e = find_access(dst.node, lambda e: e.get("reporter") == "destination" and e.get("path") == "/t"
                    and e.get("response_code") == 403)
    assert e["response_code_details"] == "rbac_access_denied_matched_policy[none]", e
