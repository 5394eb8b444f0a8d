#!/usr/bin/env python3
"""L7 authorization and JWT at the destination (issue 14): HTTP/1.1 keep-alive requests across
nodes to a pod whose ztunnel decides every request with an AuthorizationPolicy of ten rules and a
RequestAuthentication (RS256), against the same without policy and against an HAProxy mTLS pair
doing the same ACLs and `jwt_verify`.

    sudo tests/bench/authz_bench.py [--reps 5] [--dur 5] [--conns 24,50] [--tokens 1]
                                    [--modes mesh,mesh-authz,haproxy-authz,haproxy-mtls] [--out DIR]
    (defaults: about 4 minutes; installs wrk and nginx when missing, as l7_bench.py)
    Under the build lock, so no compile disturbs the runs (the script then skips its own lock):
    flock /tmp/zmesh-build.lock env ZMESH_BUILD_LOCK_HELD=1 tests/bench/authz_bench.py ...

  mesh           pod-0-0 -> Service products (port name http) -> ztunnel node0 L7 -> HBONE (HTTP/2
                 CONNECT over TLS 1.3 mTLS) -> ztunnel node1 -> nginx in pod-1-0; no policy
  mesh-authz     the same, with at pod-1-0 (selector l7app: products) a RequestAuthentication
                 (issuer, audiences, inline `jwks` with one RS256 key) and an AuthorizationPolicy
                 ALLOW of ten rules (methods, exact/prefix/suffix paths, `when` on headers,
                 principals, namespaces, requestPrincipals); the benchmark's request matches only
                 the last rule (requestPrincipals + GET + path prefix + `when` x-tenant). ztunnel
                 node1 parses every request, verifies the token, removes it (forwardOriginalToken
                 false) and decides.
  haproxy-authz  plain-0-0 -> HAProxy A (node0 netns, mode http) -> TLS 1.3 with a client
                 certificate (lab CA, verifyhost) -> HAProxy B (node1 netns, mode http, verify
                 required: the destination, like ztunnel node1): `http_auth_bearer`,
                 `jwt_header_query('$.alg')` = RS256, `jwt_verify(txn.alg, pubkey.pem)` = 1 else 401,
                 iss/exp (401) and aud (403) checks, the token removed, then the same ten rules as
                 `http-request allow if ...` ACLs (client certificate CN/O for principals and
                 namespaces) and a final `http-request deny` (403) -> nginx in plain-1-0
  haproxy-mtls   the same pair without ACLs or JWT (B mode tcp): l7_bench.py's path without routing

Load: wrk (HTTP/1.1 keep-alive, -t1 -c N for each N of --conns) for --dur seconds, `GET
/api/v1/products/42` with `Authorization: Bearer <RS256 token>` and `x-tenant: acme` on every path
(the same request bytes everywhere). The token is minted by PyJWT with a key from Python
`cryptography`. ztunnel caches verified tokens per worker (1024, until exp), so one repeated
token costs one signature check per worker; HAProxy verifies the signature on every request.
--tokens N > 1 rotates N distinct tokens per connection (a wrk Lua script, on every path); above
the cache's capacity every request then costs ztunnel a signature check too.
Backends: nginx, one worker, the fixed 64-byte body of l7_bench.py (whose L7Bench this subclasses
for the lab, nginx, wrk runs, CPU and TCP-open accounting).
Method as in shared/reference/performance.md and tests/bench/l7_bench.py: backends, both ztunnels
(--workers 1) and both HAProxies (nbthread 1; one process per node holds both HAProxy paths) pinned
to CPU 0, wrk to CPU 1; paths interleaved in each repetition (order reversed on even ones); the
policy objects are written before each mesh-authz run and removed before each mesh run (both
waited for in node1's config_dump); medians of per-repetition ratios with min-max; proxy CPU from
/proc/<pid>/stat as vCPU per 1,000 requests/s.
Before measuring, the script checks on mesh-authz and haproxy-authz that the pipeline decides:
the benchmark request 200; without the token 403 (only requestPrincipals rules admit the path);
a forged token (same kid, another key) 401; a valid token without x-tenant 403; a POST 403; and
that node1 counts zmesh_authorization_decisions_total{layer="l7",decision="allowed"} for the
allowed requests; without policy (mesh) the benchmark request gets 200. It stops if any is not so.
A mesh-authz run in which node1 counted fewer L7 allowed decisions than wrk's requests, a mesh run
that node0 did not count, or any run with socket errors or non-2xx answers is an ERROR, left out
of the medians.
Targets: mesh-authz >= 0.90x mesh requests/s; mesh-authz >= 1.3x haproxy-authz requests/s at
equal or lower p99.
"""
from __future__ import annotations

import os
import sys

try:
    import jwt  # PyJWT (Debian python3-jwt)
except ImportError:  # `sudo` may find a python3 without it (pyenv): Debian's has it
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__), *sys.argv[1:]])
    raise

import argparse
import fcntl
import hashlib
import json
import shutil
import statistics
import subprocess
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
sys.path.insert(0, HERE)

import l7_bench as l7  # noqa: E402
from l4_bench import hap_info, haproxy_cert  # noqa: E402
from l7_bench import BUILD_LOCK, PORT, L7Bench, fmt, install_tools  # noqa: E402
from zlab import MESH_NS, kube, metric_sum, wait_for  # noqa: E402
from zlab.host import run  # noqa: E402

MODES = ("mesh", "mesh-authz", "haproxy-authz", "haproxy-mtls")
SVC_IP = "10.96.50.30"
PATH = "/api/v1/products/42"
TENANT = "acme"
ISSUER, AUDIENCE, SUBJECT = "https://issuer.example", "products", "alice"
HAP_A_PORT = {"haproxy-mtls": 15301, "haproxy-authz": 15302}
HAP_B_PORT = {"haproxy-mtls": 15311, "haproxy-authz": 15312}
POLICY_FILE = "authz-bench.yaml"
DECISIONS = "zmesh_authorization_decisions_total"


# ------------------------------------------------------------ tokens and policy
class Tokens:
    """An RS256 key, its JWK, tokens for alice, and a forgery (same kid, another key)."""

    def __init__(self, n: int):
        self.key = rsa.generate_private_key(65537, 2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid="bench-1", alg="RS256", use="sig")
        self.jwks = json.dumps({"keys": [jwk]})
        self.pubkey_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.tokens = [self.mint(jti=f"t{i}") for i in range(n)]
        self.forged = self.mint(key=rsa.generate_private_key(65537, 2048))

    def mint(self, key=None, sub: str = SUBJECT, **claims) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "sub": sub, "aud": AUDIENCE, "iat": now, "exp": now + 6 * 3600, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": "bench-1"})


def rules() -> list[dict]:
    """Ten ALLOW rules, a mix as a real API's policy; the benchmark's request (GET PATH, alice's
    token, x-tenant: acme, from pod-0-0) matches only the last."""
    op = lambda **o: {"to": [{"operation": o}]}  # noqa: E731
    return [
        {"from": [{"source": {"principals": ["cluster.local/ns/ops/sa/admin"]}}],
         **op(methods=["GET", "POST", "PUT", "DELETE"])},
        op(methods=["POST"], paths=["/api/v1/orders*"]),
        op(methods=["PUT", "PATCH"], paths=["/api/v1/products/*"]),
        op(methods=["GET"], paths=["/healthz", "/readyz"]),
        {**op(paths=["/admin/*"]), "when": [{"key": "request.headers[x-admin-token]", "values": ["s3cr3t"]}]},
        {"from": [{"source": {"requestPrincipals": [f"{ISSUER}/bob"]}}], **op(paths=["/api/v1/*"])},
        {"from": [{"source": {"namespaces": ["ops"]}}], **op(methods=["DELETE"], paths=["/api/v1/products/*"])},
        op(methods=["GET"], paths=["/static/*", "*.css", "*.js"]),
        {**op(methods=["GET", "HEAD"], paths=["/api/v2/*"]),
         "when": [{"key": "request.headers[x-api-version]", "values": ["2"]}]},
        {"from": [{"source": {"requestPrincipals": [f"{ISSUER}/{SUBJECT}"]}}],
         **op(methods=["GET"], paths=["/api/v1/products/*"]),
         "when": [{"key": "request.headers[x-tenant]", "values": [TENANT]}]},
    ]


def policy_objects(jwks: str) -> list[dict]:
    sel = {"matchLabels": {"l7app": "products"}}
    return [
        {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
         "metadata": {"name": "products-jwt", "namespace": MESH_NS},
         "spec": {"selector": sel, "jwtRules": [{"issuer": ISSUER, "audiences": [AUDIENCE], "jwks": jwks}]}},
        {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
         "metadata": {"name": "products-allow", "namespace": MESH_NS},
         "spec": {"selector": sel, "action": "ALLOW", "rules": rules()}},
    ]


def hap_a_config(n0_ip: str, n1_ip: str, srv_ssl: str, sock: str) -> str:
    """HAProxy A (node0): mode http, one frontend per HAProxy path, each to its listener on B."""
    s = ["global", "  nbthread 1", "  maxconn 8000", f"  stats socket {sock} mode 600 level admin",
         "defaults", "  mode http", "  timeout connect 5s", "  timeout client 300s", "  timeout server 300s",
         "  timeout http-keep-alive 300s"]
    for mode, name in (("haproxy-mtls", "mtls"), ("haproxy-authz", "authz")):
        s += [f"frontend fe_{name}", f"  bind {n0_ip}:{HAP_A_PORT[mode]} backlog 4096", f"  default_backend be_{name}",
              f"backend be_{name}", f"  server b {n1_ip}:{HAP_B_PORT[mode]} {srv_ssl}"]
    return "\n".join(s) + "\n"


def hap_b_config(n1_ip: str, bind_ssl: str, backend_ip: str, sock: str, pubkey: str) -> str:
    """HAProxy B (node1, the destination): mode tcp for haproxy-mtls; for haproxy-authz mode http
    with the RequestAuthentication (jwt_verify, iss, aud, exp; token removed) and the ten ALLOW
    rules of rules() as ACLs, everything else 403."""
    nginx = f"{backend_ip}:{PORT}"
    tok = "{ var(txn.bearer) -m found }"
    return "\n".join([
        "global", "  nbthread 1", "  maxconn 8000", f"  stats socket {sock} mode 600 level admin",
        "defaults", "  timeout connect 5s", "  timeout client 300s", "  timeout server 300s",
        "  timeout http-keep-alive 300s",
        "listen b_mtls", "  mode tcp", f"  bind {n1_ip}:{HAP_B_PORT['haproxy-mtls']} backlog 4096 {bind_ssl}",
        f"  server s1 {nginx}",
        "frontend b_authz", "  mode http", f"  bind {n1_ip}:{HAP_B_PORT['haproxy-authz']} backlog 4096 {bind_ssl}",
        # RequestAuthentication: a token, when present, must verify; no token goes on to the rules
        "  http-request set-var(txn.bearer) http_auth_bearer",
        f"  http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('$.alg') if {tok}",
        f"  http-request deny deny_status 401 if {tok} !{{ var(txn.alg) -m str RS256 }}",
        f"  http-request deny deny_status 401 if {tok} !{{ var(txn.bearer),jwt_verify(txn.alg,\"{pubkey}\") -m int 1 }}",
        f"  http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('$.iss') if {tok}",
        f"  http-request set-var(txn.sub) var(txn.bearer),jwt_payload_query('$.sub') if {tok}",
        f"  http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('$.aud') if {tok}",
        f"  http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int') if {tok}",
        "  http-request set-var(txn.now) date()",
        f"  http-request deny deny_status 401 if {tok} !{{ var(txn.iss) -m str {ISSUER} }}",
        f"  http-request deny deny_status 401 if {tok} {{ var(txn.exp),sub(txn.now) -m int lt 0 }}",
        f"  http-request deny deny_status 403 if {tok} !{{ var(txn.aud) -m str {AUDIENCE} }}",
        f"  http-request set-var(txn.reqp) var(txn.iss),concat(/,txn.sub) if {tok}",
        "  http-request del-header authorization",
        # AuthorizationPolicy: the ten ALLOW rules, in order
        "  acl m_get method GET", "  acl m_head method HEAD", "  acl m_post method POST",
        "  acl m_put method PUT", "  acl m_patch method PATCH", "  acl m_delete method DELETE",
        "  acl admin_principal ssl_c_s_dn(CN) -m str admin", "  acl ns_ops ssl_c_s_dn(O) -m str ops",
        f"  acl rp_bob var(txn.reqp) -m str {ISSUER}/bob", f"  acl rp_alice var(txn.reqp) -m str {ISSUER}/{SUBJECT}",
        "  acl p_orders path_beg /api/v1/orders", "  acl p_products path_beg /api/v1/products/",
        "  acl p_health path /healthz /readyz", "  acl p_admin path_beg /admin/", "  acl p_v1 path_beg /api/v1/",
        "  acl p_static path_beg /static/", "  acl p_assets path_end .css .js", "  acl p_v2 path_beg /api/v2/",
        "  acl h_admin req.hdr(x-admin-token) -m str s3cr3t", "  acl h_v2 req.hdr(x-api-version) -m str 2",
        f"  acl h_tenant req.hdr(x-tenant) -m str {TENANT}",
        "  http-request allow if admin_principal m_get or admin_principal m_post or admin_principal m_put "
        "or admin_principal m_delete",
        "  http-request allow if m_post p_orders",
        "  http-request allow if m_put p_products or m_patch p_products",
        "  http-request allow if m_get p_health",
        "  http-request allow if p_admin h_admin",
        "  http-request allow if rp_bob p_v1",
        "  http-request allow if ns_ops m_delete p_products",
        "  http-request allow if m_get p_static or m_get p_assets",
        "  http-request allow if m_get p_v2 h_v2 or m_head p_v2 h_v2",
        "  http-request allow if rp_alice m_get p_products h_tenant",
        "  http-request deny deny_status 403",
        "  default_backend be_nginx",
        "backend be_nginx", "  mode http", f"  server s1 {nginx}",
    ]) + "\n"


# ------------------------------------------------------------ the benchmark
class AuthzBench(L7Bench):
    def __init__(self, args):
        super().__init__(args)  # the lab of l7_bench: 2 nodes, 2 mesh + 2 plain pods each
        self.lab.pod("pod-1-0").labels.update(l7app="products")
        self.lab.pod("pod-1-1").labels.pop("l7app", None)
        self.tok = Tokens(args.tokens)
        self.policy_on: bool | None = None
        self.hap_jwt = True

    def start(self):
        lab, out = self.lab, self.a.out
        os.makedirs(out, exist_ok=True)
        snap = os.path.join(out, "ztunnel")  # as l7_bench: a rebuild during the run must not change the daemons
        with open(BUILD_LOCK, "a") as lock:
            if not os.environ.get("ZMESH_BUILD_LOCK_HELD"):
                fcntl.flock(lock, fcntl.LOCK_EX)
            shutil.copy2(lab.ztunnel, snap)
        lab.ztunnel = snap
        self.ztunnel_sha = hashlib.sha256(open(snap, "rb").read()).hexdigest()[:12]
        if not lab.mtls:
            raise RuntimeError(f"{lab.ztunnel} does not know --ca-dir: no HBONE mTLS to measure")
        lab.up()
        svc = kube.service("products", MESH_NS, SVC_IP, {"l7app": "products"}, [(PORT, PORT)])
        svc["spec"]["ports"][0]["name"] = "http"
        for n in lab.nodes:
            n.write_config("authz-bench-svc.yaml", kube.dump_all([svc]))
        self.policy_text = kube.dump_all(policy_objects(self.tok.jwks))
        with open(os.path.join(out, "policy.yaml"), "w") as f:
            f.write(self.policy_text)
        if self.a.tokens > 1:
            self.write_wrk_script()
        for name in ("pod-1-0", "plain-1-0"):
            self.start_nginx(lab.pod(name), "v1")
        for n in lab.nodes:
            wait_for(lambda n=n: SVC_IP in json.dumps(n.config_dump().get("services")), 15, 0.2,
                     f"the Service products loaded on {n.name}")
        self.start_haproxies()

    def start_haproxies(self):
        lab = self.lab
        n0, n1 = lab.node(0), lab.node(1)
        certs = os.path.join(lab.state_dir, "haproxy-certs")
        os.makedirs(certs, mode=0o700, exist_ok=True)
        roots = os.path.join(lab.ca_dir, "root-cert.pem")
        crt_a = haproxy_cert(lab.ca_dir, certs, "haproxy-a", "spiffe://cluster.local/ns/plain/sa/haproxy-a")
        crt_b = haproxy_cert(lab.ca_dir, certs, "haproxy-b", "spiffe://cluster.local/ns/plain/sa/haproxy-b")
        pubkey = os.path.join(certs, "jwt-pubkey.pem")
        with open(pubkey, "wb") as f:
            f.write(self.tok.pubkey_pem)
        tls13 = "ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3"
        self.hap_socks = {n.name: os.path.join(self.a.out, f"hap-{n.name}.sock") for n in (n0, n1)}
        b_text = hap_b_config(n1.ip, f"ssl crt {crt_b} ca-file {roots} verify required {tls13}",
                              lab.pod("plain-1-0").ip, self.hap_socks[n1.name], pubkey)
        cfg_b = os.path.join(self.a.out, f"haproxy-{n1.name}.cfg")
        with open(cfg_b, "w") as f:
            f.write(b_text)
        if run(["haproxy", "-c", "-q", "-f", cfg_b], check=False).returncode:
            # no JWT converters in this HAProxy: the same ACLs without them (said in the summary)
            self.hap_jwt = False
            print("  !! this HAProxy does not accept jwt_verify: haproxy-authz is measured with ACLs only", flush=True)
            b_text = "\n".join(line for line in b_text.splitlines() if "jwt_" not in line) + "\n"
        cfgs = {n0: hap_a_config(n0.ip, n1.ip, f"ssl crt {crt_a} ca-file {roots} verify required verifyhost "
                                 f"haproxy-b {tls13}", self.hap_socks[n0.name]), n1: b_text}
        for node, text in cfgs.items():
            cfg = os.path.join(self.a.out, f"haproxy-{node.name}.cfg")
            with open(cfg, "w") as f:
                f.write(text)
            run(["haproxy", "-c", "-q", "-f", cfg])
            log = open(os.path.join(self.a.out, f"haproxy-{node.name}.log"), "w")
            p = subprocess.Popen(["nsenter", f"--net={node.netns_path}", "--", "taskset", "-c", l7.CPU_SRV,
                                  "haproxy", "-db", "-f", cfg], stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            log.close()
            lab._procs.append(p)
            self.haps.append(p)
        time.sleep(1.0)
        if any(p.poll() is not None for p in self.haps):
            raise RuntimeError(f"haproxy exited: see {self.a.out}/haproxy-*.log")

    def write_wrk_script(self):
        """--tokens N: a wrk Lua script rotating N tokens (each connection from its own offset)."""
        path = os.path.join(self.a.out, "tokens.lua")
        with open(path, "w") as f:
            f.write("local t = {\n" + ",\n".join(f'"{t}"' for t in self.tok.tokens) + "\n}\n"
                    "local i = 0\n"
                    "function init(args) i = math.random(#t) end\n"
                    "function request()\n  i = i % #t + 1\n"
                    f'  return wrk.format(nil, nil, {{["Authorization"] = "Bearer " .. t[i], ["x-tenant"] = "{TENANT}"}})\n'
                    "end\n")
        self.wrk_script = path

    # ------------------------------------------------------------ paths
    def client(self, mode: str):
        return self.lab.pod("pod-0-0" if mode.startswith("mesh") else "plain-0-0")

    def url(self, mode: str) -> str:
        host = (f"{SVC_IP}:{PORT}" if mode.startswith("mesh") else f"{self.lab.node(0).ip}:{HAP_A_PORT[mode]}")
        return f"http://{host}{PATH}"

    def proxy_pids(self, mode: str) -> list[int]:
        return super().proxy_pids("mesh" if mode.startswith("mesh") else "haproxy-mtls")

    def wrk(self, mode: str, dur: float, conns: int) -> subprocess.CompletedProcess:
        cmd = ["taskset", "-c", l7.CPU_GEN, "wrk", "-t1", f"-c{conns}", f"-d{dur}s", "--latency", "--timeout", "5s"]
        if self.a.tokens > 1:
            cmd += ["-s", self.wrk_script]
        else:
            cmd += ["-H", f"Authorization: Bearer {self.tok.tokens[0]}", "-H", f"x-tenant: {TENANT}"]
        return self.client(mode).run(cmd + [self.url(mode)], timeout=dur + 30, check=False)

    def set_policy(self, on: bool):
        """Write (on) or remove the policy objects on every node; wait until node1 serves that."""
        if self.policy_on == on:
            return
        for n in self.lab.nodes:
            if on:
                n.write_config(POLICY_FILE, self.policy_text)
            else:
                try:
                    os.unlink(os.path.join(n.config_dir, POLICY_FILE))
                except FileNotFoundError:
                    pass
        want = ([("authorizationPolicies", "products-allow"), ("requestAuthentications", "products-jwt")]
                if on else [])

        def loaded():
            d = self.lab.node(1).config_dump()
            return sorted((k, p["name"]) for k in ("authorizationPolicies", "requestAuthentications")
                          for p in d.get(k) or []) == want
        wait_for(loaded, 15, 0.05, f"node1 to serve {want or 'no policy'}")
        self.policy_on = on

    def allowed(self) -> float:
        return metric_sum(self.lab.node(1).metrics(), DECISIONS, layer="l7", decision="allowed")

    def codes(self, mode: str, token: str | None, n: int = 1, method: str = "GET", tenant: bool = True) -> list[str]:
        """n requests with curl on one connection; their status codes."""
        cmd = ["curl", "-s", "--max-time", "20", "-w", "%{http_code}\\n", "-X", method]
        if token:
            cmd += ["-H", f"Authorization: Bearer {token}"]
        if tenant:
            cmd += ["-H", f"x-tenant: {TENANT}"]
        # one `-o` per URL: curl applies an output option to one URL only
        urls = [arg for _ in range(n) for arg in ("-o", "/dev/null", self.url(mode))]
        out = self.client(mode).run(cmd + urls, timeout=60, check=False).stdout
        return out.split()

    # ------------------------------------------------------------ checks (fail the run)
    def check_decides(self, mode: str):
        good = self.tok.tokens[0]
        cases = [("the benchmark request x20", self.codes(mode, good, 20), ["200"] * 20),
                 ("no token", self.codes(mode, None), ["403"]),
                 ("a forged token", self.codes(mode, self.tok.forged), ["401"]),
                 ("garbage for a token", self.codes(mode, "not.a.jwt"), ["401"]),
                 ("a valid token without x-tenant", self.codes(mode, good, tenant=False), ["403"]),
                 ("a valid token, POST", self.codes(mode, good, method="POST"), ["403"])]
        bad = [f"{what}: {got} (want {want})" for what, got, want in cases if got != want]
        if mode == "haproxy-authz" and not self.hap_jwt:
            bad = [b for b in bad if not b.startswith(("a forged", "garbage", "no token"))]
        if bad:
            raise RuntimeError(f"{mode} does not decide as the policy says: " + "; ".join(bad))
        print(f"  {mode} verified: request 200 x20, no token 403, forged 401, garbage 401, no x-tenant 403, "
              f"POST 403", flush=True)

    def check_mesh_authz(self):
        self.set_policy(True)
        n0 = self.lab.node(0)
        match = dict(reporter="source", connection_security_policy="mutual_tls", source_workload="pod-0-0",
                     destination_service="products.mesh.svc.cluster.local")
        src0, a0 = metric_sum(n0.metrics(), l7.REQUESTS, **match), self.allowed()
        self.check_decides("mesh-authz")
        wait_for(lambda: self.allowed() >= a0 + 20, 10, 0.1,
                 'node1 to count the 20 allowed requests in zmesh_authorization_decisions_total{layer="l7"}')
        wait_for(lambda: metric_sum(n0.metrics(), l7.REQUESTS, **match) >= src0 + 25, 10, 0.1,
                 "node0 to count the check requests as mutual_tls L7 requests")
        print('  mesh-authz verified: node1 counted the allowed requests (layer="l7", decision="allowed"); '
              "node0 counted them as mutual_tls L7", flush=True)

    def check_plain(self, mode: str):
        if mode == "mesh":
            self.set_policy(False)
        got = self.codes(mode, self.tok.tokens[0], 20)
        if got != ["200"] * 20:
            raise RuntimeError(f"{mode}: the benchmark request should get 200 x20, got {got}")
        print(f"  {mode} verified: 200 x20", flush=True)

    def check_haproxy_authz(self):
        b = self.hap_socks["node1"]
        before = int(hap_info(b).get("CumSslConns", 0))
        self.check_decides("haproxy-authz")
        if int(hap_info(b).get("CumSslConns", 0)) <= before:
            raise RuntimeError("HAProxy B counted no TLS connection for the haproxy-authz path")

    # ------------------------------------------------------------ one measurement
    def measure(self, rep: int, mode: str, conns) -> dict:
        if mode.startswith("mesh"):
            self.set_policy(mode == "mesh-authz")
        a0 = self.allowed()
        rec = super().measure(rep, mode, conns)
        if mode.startswith("mesh"):
            time.sleep(0.2)
            rec["l7_allowed"] = self.allowed() - a0
        if mode == "mesh-authz" and rec.get("requests") and rec["l7_allowed"] < rec["requests"]:
            rec["error"] = (rec.get("error", "") + f" node1 counted {rec['l7_allowed']:.0f} L7 allowed decisions "
                            f"for {rec['requests']} requests sent").strip()
            print(f"  !! rep {rep} c{conns} {mode}: ERROR {rec['error']}", flush=True)
        if mode == "mesh-authz":
            print(f"     node1 L7 allowed decisions: {rec['l7_allowed']:.0f} for {rec.get('requests')} requests "
                  f"sent", flush=True)
        return rec

    # ------------------------------------------------------------ run + summary
    def run(self) -> int:
        modes = self.a.modes
        for m in modes:
            {"mesh": lambda: self.check_plain("mesh"), "mesh-authz": self.check_mesh_authz,
             "haproxy-authz": self.check_haproxy_authz, "haproxy-mtls": lambda: self.check_plain("haproxy-mtls")}[m]()
        for m in modes:  # warm-up: connections, pools, token caches; not recorded
            if m.startswith("mesh"):
                self.set_policy(m == "mesh-authz")
            self.wrk(m, 1, max(self.a.conns))
        try:
            for rep in range(1, self.a.reps + 1):
                print(f"== rep {rep}/{self.a.reps} {time.strftime('%H:%M:%S')}", flush=True)
                for c in self.a.conns:
                    for m in (modes if rep % 2 else list(reversed(modes))):
                        self.measure(rep, m, c)
                        time.sleep(0.5)
        finally:
            with open(os.path.join(self.a.out, "raw.json"), "w") as f:
                json.dump(self.raw, f, indent=1)
        return self.summary()

    def summary(self) -> int:
        vals, ratio = self.vals, self.ratio

        modes = self.a.modes
        hv = run(["haproxy", "-v"], check=False).stdout.split("\n")[0].split(" - ")[0]
        ngv = run(["nginx", "-v"], check=False).stderr.strip().split(": ")[-1]
        wv = run(["wrk", "-v"], check=False).stdout.split("\n")[0].split(" [")[0]
        lines = [f"environment: kernel {os.uname().release}; {os.cpu_count()} CPUs; load average at the end "
                 f"{os.getloadavg()[0]:.2f}; reps={self.a.reps} dur={self.a.dur}s; "
                 f"ztunnel (sha256 {self.ztunnel_sha}) --workers {self.a.workers}; {hv} nbthread 1"
                 f"{'' if self.hap_jwt else ' (NO jwt_verify: haproxy-authz has the ACLs only)'}; {ngv} 1 worker; "
                 f"{wv} -t1; {self.a.tokens} distinct token(s); backends/proxies on CPU {l7.CPU_SRV}, wrk on CPU "
                 f"{l7.CPU_GEN}; command: tests/bench/authz_bench.py {' '.join(sys.argv[1:])}; "
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"]
        checks = []
        for c in self.a.conns:
            lines += ["", f"wrk -t1 -c{c}, {self.a.dur} s, GET {PATH} with a Bearer token (64 B body), keep-alive:", "",
                      "| path | requests/s | p50 us | p90 us | p99 us | proxy vCPU per 1k req/s "
                      "| upstream TCP opens per request | errors |", "|---|---|---|---|---|---|---|---|"]
            for m in modes:
                errs = sum(r.get("errors") or 0 for r in self.raw if r["mode"] == m and r["conns"] == c)
                bad = sum(1 for r in self.raw if r["mode"] == m and r["conns"] == c and r.get("error"))
                lines.append(f"| {m} | {fmt(vals(m, c, 'rps').values())} | {fmt(vals(m, c, 'p50_us').values())} | "
                             f"{fmt(vals(m, c, 'p90_us').values())} | {fmt(vals(m, c, 'p99_us').values())} | "
                             f"{fmt(vals(m, c, 'vcpu_per_krps').values(), 4)} | "
                             f"{fmt(vals(m, c, 'upstream_opens_per_req').values(), 3)} | "
                             f"{errs}" + (f" ({bad} runs discarded)" if bad else "") + " |")
            lines.append("")
            pairs = [("mesh-authz", "mesh"), ("mesh-authz", "haproxy-authz"), ("haproxy-authz", "haproxy-mtls"),
                     ("mesh", "haproxy-mtls")]
            for a, b in pairs:
                if a in modes and b in modes:
                    lines.append(f"c{c} {a}/{b}: requests/s {fmt(ratio(a, b, c, 'rps'), 2)}x   "
                                 f"p99 {fmt(ratio(a, b, c, 'p99_us'), 2)}x   p50 {fmt(ratio(a, b, c, 'p50_us'), 2)}x   "
                                 f"vCPU per 1k req/s {fmt(ratio(a, b, c, 'vcpu_per_krps'), 2)}x")
            if "mesh-authz" in modes and "mesh" in modes:
                rr = ratio("mesh-authz", "mesh", c, "rps")
                checks.append((f"c{c} requests/s mesh-authz/mesh >= 0.90", bool(rr) and statistics.median(rr) >= 0.90))
            if "mesh-authz" in modes and "haproxy-authz" in modes:
                rr, pr = ratio("mesh-authz", "haproxy-authz", c, "rps"), ratio("mesh-authz", "haproxy-authz", c, "p99_us")
                checks += [(f"c{c} requests/s mesh-authz/haproxy-authz >= 1.3", bool(rr) and statistics.median(rr) >= 1.3),
                           (f"c{c} p99 mesh-authz <= haproxy-authz", bool(pr) and statistics.median(pr) <= 1.0)]
        return self.write_summary(lines, checks)


def main() -> int:
    repo = os.path.abspath(os.path.join(HERE, "..", ".."))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--dur", type=int, default=5, help="seconds per measurement")
    p.add_argument("--conns", default="24,50", help="wrk connections (keep-alive), the same for every path")
    p.add_argument("--tokens", type=int, default=1, help="distinct tokens rotated by every connection (1: one "
                   "token, sent with wrk -H; more: a wrk Lua script; > 1024 defeats ztunnel's per-worker cache)")
    p.add_argument("--workers", type=int, default=1, help="ztunnel --workers")
    p.add_argument("--modes", default=",".join(MODES), help=f"a subset of {','.join(MODES)}")
    p.add_argument("--build-dir", default=os.environ.get("ZMESH_BUILD_DIR", os.path.join(repo, "build")))
    p.add_argument("--out", default=f"/tmp/zmesh-bench/authz-{time.strftime('%Y%m%d-%H%M%S')}")
    p.add_argument("--lab-name", default="bench-authz")
    p.add_argument("--no-pin", action="store_true", help="let the scheduler place everything (not the method)")
    a = p.parse_args()
    a.modes = [m for m in a.modes.split(",") if m]
    a.conns = [int(c) for c in a.conns.split(",") if c]
    a.parts, a.grpc_load, a.perf = ["http1"], [], False  # what L7Bench reads
    if bad := [m for m in a.modes if m not in MODES]:
        print(f"unknown modes: {bad}", file=sys.stderr)
        return 1
    if a.tokens < 1:
        print("--tokens must be at least 1", file=sys.stderr)
        return 1
    if a.no_pin:
        l7.CPU_SRV = l7.CPU_GEN = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 1
    install_tools(("wrk", "nginx"))
    for tool in ("haproxy", "curl", "taskset", "openssl", "wrk", "nginx"):
        if not shutil.which(tool):
            print(f"missing {tool}: run scripts/setup, then apt-get install wrk nginx", file=sys.stderr)
            return 1
    jwt_line = [x for x in run(["haproxy", "-vv"], check=False).stdout.splitlines() if "jwt" in x.lower()]
    print(f"[authz_bench] haproxy -vv about JWT: {jwt_line or 'nothing listed (2.6 lists no JWT feature; '}"
          f"{'' if jwt_line else 'jwt_verify is probed with haproxy -c on B`s config)'}", flush=True)
    b = AuthzBench(a)
    try:
        b.start()
        return b.run()
    finally:
        b.stop()


if __name__ == "__main__":
    sys.exit(main())
