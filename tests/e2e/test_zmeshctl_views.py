"""zmeshctl's config commands: `analyze` validates YAML offline with the daemon's own validator
(clear findings naming file, kind, namespace/name and field; exit 1 on errors, 0 when clean), and
`workloads`, `services`, `policies` show a running daemon's view as tables and as JSON."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile

import pytest

from zlab import Lab, wait_for

BUILD = os.environ.get("ZMESH_BUILD_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "build")
ZMESHCTL = os.path.join(BUILD, "bin", "zmeshctl")

VALID = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v2}
      weight: 20
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec:
  mtls: {mode: STRICT}
"""

INVALID = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
      weight: -5
"""


def analyze(*paths: str, json_out: bool = False) -> subprocess.CompletedProcess:
    args = [ZMESHCTL, "analyze", *paths] + (["-o", "json"] if json_out else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def test_analyze_clean_directory_exits_0():
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "ok.yaml"), "w").write(VALID)
        r = analyze(d)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "No validation issues" in r.stdout and "2 object(s)" in r.stdout, r.stdout


def test_analyze_reports_the_field_and_exits_1():
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "ok.yaml"), "w").write(VALID)
        bad = os.path.join(d, "sub", "bad.yml")
        os.makedirs(os.path.dirname(bad))
        open(bad, "w").write(INVALID)
        r = analyze(d)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "bad.yml" in r.stdout and "VirtualService shop/broken" in r.stdout, r.stdout
        assert "spec.http[0].route[0].weight" in r.stdout, r.stdout
        j = json.loads(analyze(bad, json_out=True).stdout)
        assert j["files"] == 1 and j["objects"] == 0 and len(j["errors"]) == 1, j


# allow-read on two pods: "products" behind a Service port named http (decided per request),
# "ledger" behind a plain tcp port (Istio's L4 meaning: the ALLOW rule never matches there).
HTTP_RULES = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: products-1, namespace: shop, labels: {app: products, tier: read}}
spec: {nodeName: n1}
status: {phase: Running, podIP: 10.9.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: ledger-1, namespace: shop, labels: {app: ledger, tier: read}}
spec: {nodeName: n1}
status: {phase: Running, podIP: 10.9.0.3}
---
apiVersion: v1
kind: Service
metadata: {name: products, namespace: shop}
spec:
  clusterIP: 10.96.9.2
  selector: {app: products}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: shop}
spec:
  clusterIP: 10.96.9.3
  selector: {app: ledger}
  ports: [{name: tcp-ledger, port: 7000}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-read, namespace: shop}
spec:
  selector: {matchLabels: {tier: read}}
  action: ALLOW
  rules: [{to: [{operation: {methods: [GET, HEAD]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: products-only, namespace: shop}
spec:
  selector: {matchLabels: {app: products}}
  action: DENY
  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
"""


def test_analyze_warns_about_http_rules_on_l4_ports():
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "shop.yaml"), "w").write(HTTP_RULES)
        r = analyze(d)
        assert r.returncode == 0, r.stdout + r.stderr  # a warning, not an error
        warnings = [l for l in r.stdout.splitlines() if l.startswith("Warning: ")]
        assert len(warnings) == 1, r.stdout
        w = warnings[0]
        assert "AuthorizationPolicy shop/allow-read" in w and "rule 1" in w, w
        assert "shop/ledger-1" in w and "products-1" not in w, w
        assert "ALLOW rule with HTTP fields never matches" in w, w
        j = json.loads(analyze(d, json_out=True).stdout)
        assert j["errors"] == [] and len(j["warnings"]) == 1, j
        # naming the port http makes it an HTTP port: no warning
        open(os.path.join(d, "shop.yaml"), "w").write(HTTP_RULES.replace("name: tcp-ledger", "name: http-ledger"))
        r = analyze(d)
        assert r.returncode == 0 and "Warning" not in r.stdout and "No validation issues" in r.stdout, r.stdout


def test_analyze_missing_path_and_syntax_error():
    r = analyze("/nonexistent/zmesh.yaml")
    assert r.returncode == 1 and "no such file" in r.stderr, r.stderr
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.yaml")
        open(p, "w").write("kind: [unclosed\n")
        r = analyze(p)
        assert r.returncode == 1 and "x.yaml" in r.stdout, r.stdout


@pytest.fixture(scope="module")
def lab():
    with Lab("views", nodes=1, pods_per_node=2, plain_per_node=1) as lab:
        yield lab


def test_workloads_services_and_policies_views(lab):
    node = lab.nodes[0]
    rows = json.loads(node.zmeshctl("workloads", "-o", "json").stdout)
    names = {w["name"]: w for w in rows}
    assert {"pod-0-0", "pod-0-1", "plain-0-0"} <= set(names), names.keys()
    assert names["pod-0-0"]["identity"].endswith("/ns/mesh/sa/sa-pod-0-0"), names["pod-0-0"]
    table = node.zmeshctl("workloads").stdout
    assert "IDENTITY" in table and "pod-0-1" in table and "10.244.0.12" in table, table

    services = json.loads(node.zmeshctl("services", "-o", "json").stdout)
    echo = next(s for s in services if s["name"] == "echo")
    assert echo["vips"] == [lab.service("echo")["ip"]], echo
    assert "echo" in node.zmeshctl("services").stdout

    node.write_config("policy.yaml", VALID)
    def listed():
        p = json.loads(node.zmeshctl("policies", "-o", "json").stdout)
        return p if p["peerAuthentications"] and p["virtualServices"] else None
    policies = wait_for(listed, 10, 0.2, "policies in the daemon's view")
    assert policies["peerAuthentications"][0]["mode"] == "STRICT", policies
    assert policies["virtualServices"][0]["name"] == "reviews", policies
    table = node.zmeshctl("policies").stdout
    assert "PeerAuthentication" in table and "mtls STRICT" in table and "VirtualService" in table, table
