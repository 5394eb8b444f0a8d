"""RequestAuthentication (JWT) at the destination node's ztunnel (issue 14), with tokens minted by
an independent library (PyJWT, keys made by Python `cryptography`) and a jwksUri served by a
real HTTPS server in the lab.

The destination is pod-1-0 ("products": l7_backend.py on 9080 behind the Service `products`,
port name http), which echoes the headers it received; the client is pod-0-0. Proves:
- RS256, PS256, ES256 and EdDSA tokens verify against an inline jwks; the app never sees the
  token (forwardOriginalToken false) and gets outputClaimToHeaders, nested claims included;
- expired, forged, garbage and unknown-issuer tokens get 401 with `www-authenticate: Bearer`,
  a wrong audience 403; a request without a token passes where no policy asks for one and gets
  403 where an AuthorizationPolicy requires `requestPrincipals: ["*"]`;
- `when` on `request.auth.claims[...]` decides per claim;
- jwksUri: keys fetched over HTTPS (trusted through --jwks-ca-file), rotated on the server while
  requests flow: the new key's tokens are accepted after the refresh; a jwksUri never fetched
  rejects tokens with 401 while requests without one pass (Istio's invalid-jwks behaviour).
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import time

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from conftest import find_access, make_lab
from zlab import MESH_NS, kube, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND, CLIENT = os.path.join(HERE, "l7_backend.py"), os.path.join(HERE, "l7_client.py")
JWKS_SERVER = os.path.join(HERE, "jwks_server.py")
PRODUCTS_IP, PORT, JWKS_PORT = "10.96.61.10", 9080, 8443
ISSUER, REMOTE_ISSUER, DEAD_ISSUER = "https://issuer.example", "https://remote.example", "https://dead.example"
POLICY_FILE = "authn.yaml"


def _keys():
    return {"RS256": rsa.generate_private_key(65537, 2048), "PS256": rsa.generate_private_key(65537, 2048),
            "ES256": ec.generate_private_key(ec.SECP256R1()), "EdDSA": ed25519.Ed25519PrivateKey.generate()}


def _jwk(alg: str, key, kid: str) -> dict:
    algo = {"RS256": jwt.algorithms.RSAAlgorithm, "PS256": jwt.algorithms.RSAAlgorithm,
            "ES256": jwt.algorithms.ECAlgorithm, "EdDSA": jwt.algorithms.OKPAlgorithm}[alg]
    d = json.loads(algo.to_jwk(key.public_key()))
    d.update(kid=kid, alg=alg, use="sig")
    return d


KEYS = _keys()
ROTATED = {"RS256": rsa.generate_private_key(65537, 2048)}
FORGER = rsa.generate_private_key(65537, 2048)


def token(alg="RS256", key=None, iss=ISSUER, aud="products", exp_in=600, kid=None, **claims) -> str:
    now = int(time.time())
    payload = {"iss": iss, "sub": "alice", "aud": aud, "iat": now, "exp": now + exp_in, **claims}
    return jwt.encode(payload, key or KEYS[alg], algorithm=alg, headers={"kid": kid or f"k-{alg}"})


def _tls_files(dirpath: str, ip: str) -> tuple[str, str, str]:
    """A CA and a server certificate for `ip`, written as PEM files: (ca, cert, key)."""
    import ipaddress
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwks test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(dirpath, n) for n in ("jwks-ca.pem", "jwks-cert.pem", "jwks-key.pem")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths[0], paths[1], paths[2]


def _write_jwks(path: str, jwks: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(jwks, f)
    os.replace(tmp, path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    files = str(tmp_path_factory.mktemp("jwks"))
    os.chmod(files, 0o755)
    lab = make_lab("authn", nodes=2, pods_per_node=2, plain_per_node=1)
    jwks_host = lab.pod("plain-1-0").ip
    ca, cert, key = _tls_files(files, jwks_host)
    for p in (ca, cert, key):
        os.chmod(p, 0o644)
    lab.daemon_args += ["--jwks-ca-file", ca, "--jwks-refresh", "1s"]
    lab.pod("pod-1-0").labels.update(l7app="products")
    lab.jwks_file = os.path.join(files, "jwks.json")
    lab.jwks_uri = f"https://{jwks_host}:{JWKS_PORT}/keys"
    _write_jwks(lab.jwks_file, {"keys": [_jwk("RS256", KEYS["RS256"], "remote-a")]})
    with lab:
        svc = kube.service("products", MESH_NS, PRODUCTS_IP, {"l7app": "products"}, [(PORT, PORT)])
        svc["spec"]["ports"][0]["name"] = "http"
        for n in lab.nodes:
            n.write_config("services.yaml", kube.dump_all([svc]))
        lab.pod("pod-1-0").start_app([BACKEND, "--port", PORT, "--version", "v1"], "products", 15)
        lab.pod("plain-1-0").start_app([JWKS_SERVER, "--port", JWKS_PORT, "--jwks", lab.jwks_file,
                                        "--cert", cert, "--key", key], "jwks", 15)
        yield lab


def _authn(rules: list) -> dict:
    return {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
            "metadata": {"name": "products-jwt", "namespace": MESH_NS},
            "spec": {"selector": {"matchLabels": {"l7app": "products"}}, "jwtRules": rules}}


def _authz(name: str, rules: list, action: str = "ALLOW") -> dict:
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": MESH_NS},
            "spec": {"selector": {"matchLabels": {"l7app": "products"}}, "action": action, "rules": rules}}


INLINE_RULE = {"issuer": ISSUER, "audiences": ["products"],
               "jwks": json.dumps({"keys": [_jwk(a, k, f"k-{a}") for a, k in KEYS.items()]}),
               "outputClaimToHeaders": [{"header": "x-user", "claim": "sub"},
                                        {"header": "x-team", "claim": "org.team"}]}


@pytest.fixture
def config(lab):
    def write(*objs):
        for n in lab.nodes:
            n.write_config(POLICY_FILE, kube.dump_all(objs))
        kinds = {"RequestAuthentication": "requestAuthentications",
                 "AuthorizationPolicy": "authorizationPolicies"}
        want = sorted((kinds[o["kind"]], o["metadata"]["name"]) for o in objs)
        node1 = lab.node("node1")

        def loaded():
            d = node1.config_dump()
            return sorted((k, p["name"]) for k in kinds.values() for p in d.get(k) or []) == want
        wait_for(loaded, 15, 0.1, f"node1 to load {want}")
    yield write
    for n in lab.nodes:
        try:
            os.unlink(os.path.join(n.config_dir, POLICY_FILE))
        except FileNotFoundError:
            pass


def call(lab, path="/", tok: str | None = None, headers=()) -> tuple[int, dict]:
    args = [sys.executable, CLIENT, PRODUCTS_IP, str(PORT), path]
    if tok is not None:
        args += ["--header", f"Authorization:Bearer {tok}"]
    for h in headers:
        args += ["--header", h]
    cp = lab.pod("pod-0-0").run(args, timeout=60, check=False)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    assert len(out["status"]) == 1, out
    status = int(next(iter(out["status"])))
    return status, out["sample"][str(status)]


def app_headers(sample: dict) -> dict:
    return json.loads(sample["body"])["headers"]


def test_algorithms_verify_and_the_app_gets_claims_not_the_token(lab, config):
    config(_authn([INLINE_RULE]))
    for alg in ("RS256", "PS256", "ES256", "EdDSA"):
        status, sample = call(lab, "/secure", token(alg, org={"team": "blue"}))
        assert status == 200, (alg, sample)
        seen = app_headers(sample)
        assert "authorization" not in seen, seen
        assert seen.get("x-user") == "alice" and seen.get("x-team") == "blue", seen
    # a client cannot forge the output headers
    status, sample = call(lab, "/open", headers=["x-user:mallory"])
    assert status == 200 and "x-user" not in app_headers(sample), sample


def test_bad_tokens_401_wrong_audience_403(lab, config):
    config(_authn([INLINE_RULE]))
    cases = {
        "expired": (token(exp_in=-3600), 401, "Jwt is expired"),
        "forged": (token(key=FORGER), 401, "Jwt verification fails"),
        "garbage": ("not-a-jwt", 401, None),
        "unknown issuer": (token(iss="https://other.example"), 401, "Jwt issuer is not configured"),
        "wrong audience": (token(aud="billing"), 403, "Audiences in Jwt are not allowed"),
    }
    for what, (tok, code, body) in cases.items():
        status, sample = call(lab, "/secure", tok)
        assert status == code, (what, sample)
        assert sample["headers"].get("www-authenticate", "").startswith("Bearer "), (what, sample)
        if body:
            assert sample["body"] == body, (what, sample)
    e = find_access(lab.node("node1"), lambda e: e.get("reporter") == "destination"
                    and e.get("response_code") == 401)
    assert e["response_code_details"].startswith("jwt_authn_access_denied{"), e


def test_missing_token_passes_unless_a_principal_is_required(lab, config):
    config(_authn([INLINE_RULE]),
           _authz("need-jwt", [{"from": [{"source": {"requestPrincipals": ["*"]}}],
                                "to": [{"operation": {"paths": ["/secure*"]}}]},
                               {"to": [{"operation": {"notPaths": ["/secure*"]}}]}]))
    assert call(lab, "/open")[0] == 200
    assert call(lab, "/secure")[0] == 403
    assert call(lab, "/secure", token())[0] == 200


def test_when_on_claims(lab, config):
    config(_authn([INLINE_RULE]),
           _authz("blue-only", [{"from": [{"source": {"requestPrincipals": [f"{ISSUER}/alice"]}}],
                                 "when": [{"key": "request.auth.claims[org][team]", "values": ["blue"]}]}]))
    assert call(lab, "/x", token(org={"team": "blue"}))[0] == 200
    assert call(lab, "/x", token(org={"team": "red"}))[0] == 403
    assert call(lab, "/x", token(sub="bob", org={"team": "blue"}))[0] == 403


def test_jwks_uri_fetched_over_https_and_rotated_while_traffic_flows(lab, config):
    remote = {"issuer": REMOTE_ISSUER, "jwksUri": lab.jwks_uri}
    dead = {"issuer": DEAD_ISSUER, "jwksUri": f"https://{lab.pod('plain-1-0').ip}:1/keys"}
    config(_authn([remote, dead]))
    a = token(iss=REMOTE_ISSUER, kid="remote-a", key=KEYS["RS256"])
    wait_for(lambda: call(lab, "/r", a)[0] == 200, 20, 0.2, "the fetched key to verify token A")
    # never fetched: tokens of that issuer are 401, requests without a token pass
    assert call(lab, "/d", token(iss=DEAD_ISSUER))[0] == 401
    assert call(lab, "/d")[0] == 200
    # rotate on the server; requests keep flowing and B is accepted after a refresh
    b = token(iss=REMOTE_ISSUER, kid="remote-b", key=ROTATED["RS256"])
    assert call(lab, "/r", b)[0] == 401
    _write_jwks(lab.jwks_file, {"keys": [_jwk("RS256", ROTATED["RS256"], "remote-b")]})
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen.append(call(lab, "/r", b)[0])
        if seen[-1] == 200:
            break
    assert seen[-1] == 200, seen
    assert call(lab, "/r", a)[0] == 401  # the old key is gone from the set
