"""The demo's L7 security part (issue 14), in the destination node's ztunnel with no extra hop:
the seed's `allow-read` AuthorizationPolicy on the reviews pods (GET and HEAD pass, POST gets
403), then a RequestAuthentication with a key made here and tokens minted by PyJWT (valid ->
200, expired -> 401, none -> 403 where a request principal is required), the audit record of a
denial and the per-policy decision counter; then a CUSTOM policy sending /private* to an external
authorizer (meshConfig envoyExtAuthzHttp; the authorizer, Istio's samples/extauthz behaviour, runs
in pod-0-1). Runs after demo_l7 (its reviews backends)."""
from __future__ import annotations

import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from zlab import MESH_NS, kube, metric_sum, wait_for

E2E = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e")
CLIENT = os.path.join(E2E, "l7_client.py")
AUTHORIZER = os.path.join(E2E, "ext_authz_server.py")
AUTHZ_IP, AUTHZ_PORT = "10.96.60.20", 8000
REVIEWS_IP, PORT, ISSUER = "10.96.60.10", 9080, "https://issuer.demo"
FILE = "security.yaml"


def _policy(name: str, spec: dict, kind: str = "AuthorizationPolicy") -> dict:
    return {"apiVersion": "security.istio.io/v1", "kind": kind,
            "metadata": {"name": name, "namespace": MESH_NS},
            "spec": {"selector": {"matchLabels": {"l7app": "reviews"}}, **spec}}


def _call(src, path: str, method: str = "GET", token: str | None = None,
          header: str | None = None) -> tuple[int, str]:
    args = [sys.executable, CLIENT, REVIEWS_IP, str(PORT), path, "--method", method]
    if token:
        args += ["--header", f"Authorization:Bearer {token}"]
    if header:
        args += ["--header", header]
    out = json.loads(src.run(args, timeout=60).stdout.strip().splitlines()[-1])
    status = int(next(iter(out["status"])))
    return status, out["sample"][str(status)]["body"]


def _apply(lab, *objs) -> None:
    for n in lab.nodes:
        n.write_config(FILE, kube.dump_all(objs))
    names = sorted(o["metadata"]["name"] for o in objs
                   if o["kind"] in ("AuthorizationPolicy", "RequestAuthentication"))
    node1 = lab.node("node1")
    wait_for(lambda: sorted(p["name"] for k in ("authorizationPolicies", "requestAuthentications")
                            for p in node1.config_dump().get(k) or []) == names, 15, 0.1,
             f"node1 to load {names}")


def _custom(lab, src) -> None:
    lab.pod("pod-0-1").start_app([AUTHORIZER, "--port", AUTHZ_PORT], "ext-authz", 15)
    service = kube.service("ext-authz", MESH_NS, AUTHZ_IP, {"app": "pod-0-1"}, [(AUTHZ_PORT, AUTHZ_PORT)])
    service["spec"]["ports"][0]["name"] = "http"
    mesh = {"extensionProviders": [{"name": "demo-ext-authz", "envoyExtAuthzHttp": {
        "service": f"ext-authz.{MESH_NS}.svc.cluster.local", "port": AUTHZ_PORT,
        "includeRequestHeadersInCheck": ["x-ext-authz"],
        "headersToDownstreamOnDeny": ["x-ext-authz-check-result", "content-type"]}}]}
    config_map = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "istio", "namespace": "istio-system"},
                  "data": {"mesh": json.dumps(mesh)}}
    _apply(lab, service, config_map, _policy("ext-authz", {
        "action": "CUSTOM", "provider": {"name": "demo-ext-authz"},
        "rules": [{"to": [{"operation": {"paths": ["/private*"]}}]}]}))
    print("  meshConfig (ConfigMap istio-system/istio) extensionProviders demo-ext-authz (envoyExtAuthzHttp, "
          "running in pod-0-1) + CUSTOM mesh/ext-authz on /private* of the reviews pods:")
    for what, header in (("without x-ext-authz", None), ("with x-ext-authz: allow", "x-ext-authz: allow")):
        status, body = _call(src, "/private", header=header)
        print(f"    GET /private {what:24} -> {status} {body if status != 200 else ''}")
    status, _ = _call(src, "/reviews/1")
    print(f"    GET /reviews/1 (no CUSTOM rule matches, the authorizer is not asked) -> {status}")


def show(lab) -> None:
    src, node1 = lab.pod("pod-0-0"), lab.node("node1")
    try:
        _apply(lab, _policy("allow-read", {"action": "ALLOW", "rules": [
            {"to": [{"operation": {"methods": ["GET", "HEAD"]}}]}]}))
        print("  AuthorizationPolicy mesh/allow-read (methods GET, HEAD) on the reviews pods:")
        for method in ("GET", "HEAD", "POST"):
            status, body = _call(src, "/reviews/1", method)
            print(f"    {method:4} /reviews/1 -> {status} {body if status == 403 else ''}")
        key = rsa.generate_private_key(65537, 2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid="demo", alg="RS256")
        now = int(time.time())

        def token(exp_in: int) -> str:
            return jwt.encode({"iss": ISSUER, "sub": "jason", "exp": now + exp_in}, key,
                              algorithm="RS256", headers={"kid": "demo"})
        _apply(lab,
               _policy("reviews-jwt", {"jwtRules": [{"issuer": ISSUER, "jwks": json.dumps({"keys": [jwk]})}]},
                       kind="RequestAuthentication"),
               _policy("admin-needs-jwt", {"action": "ALLOW", "rules": [
                   {"to": [{"operation": {"notPaths": ["/admin*"]}}]},
                   {"from": [{"source": {"requestPrincipals": [f"{ISSUER}/jason"]}}],
                    "to": [{"operation": {"paths": ["/admin*"]}}]}]}))
        print("  RequestAuthentication mesh/reviews-jwt (RS256 key made here, tokens minted by PyJWT)"
              " + ALLOW /admin* only for requestPrincipal issuer.demo/jason:")
        for what, tok in (("no token", None), ("valid token", token(600)), ("expired token", token(-600))):
            status, body = _call(src, "/admin", token=tok)
            print(f"    GET /admin with {what:13} -> {status} {body if status != 200 else ''}")
        with open(node1.audit_log) as f:
            denials = [json.loads(line) for line in f if '"deny"' in line]
        if denials:
            print(f"  node1 audit log ({node1.audit_log}), last denial:\n    {json.dumps(denials[-1])}")
        _custom(lab, src)
        total = metric_sum(node1.metrics(), "zmesh_authorization_decisions_total", layer="l7", decision="denied")
        print(f"  node1 zmesh_authorization_decisions_total{{layer=\"l7\",decision=\"denied\"}} = {total:.0f}")
    finally:
        for n in lab.nodes:
            try:
                os.remove(os.path.join(n.config_dir, FILE))
            except FileNotFoundError:
                pass
