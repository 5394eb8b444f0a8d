"""The lab's mesh trust: one Istio plug-in CA directory per lab, made with the openssl CLI (not
our code, and not python-cryptography either: the way Istio's plug-in CA docs make one), and
whether the ztunnel binary under test knows the mTLS flags at all.

Plug-in layout (what `ztunnel --ca-dir` reads):
  ca-key.pem      the signing key (EC P-256, PKCS#8, 0600)
  ca-cert.pem     the signing certificate: here the self-signed root itself (CA:TRUE)
  root-cert.pem   the trusted roots (one here; ztunnel accepts several)
  cert-chain.pem  the signing cert's chain up to the root (here: just the root)
"""
from __future__ import annotations

import os
import subprocess
import tempfile

from .host import LabError, run

DEFAULT_TRUST_DOMAIN = "cluster.local"
CA_FILES = ("ca-key.pem", "ca-cert.pem", "root-cert.pem", "cert-chain.pem")

# An explicit config so the distribution's openssl.cnf defaults never add or duplicate extensions.
_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_root

[dn]
O = {org}
CN = {cn}

[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash

[v3_intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def spiffe_id(namespace: str, service_account: str, trust_domain: str = DEFAULT_TRUST_DOMAIN) -> str:
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{service_account}"


def make_plugin_ca(ca_dir: str, org: str = "zlab", cn: str = "zlab root CA", days: int = 3650) -> str:
    """Write a fresh plug-in CA directory with openssl; refuses to overwrite an existing key.
    Returns ca_dir."""
    os.makedirs(ca_dir, mode=0o700, exist_ok=True)
    key = os.path.join(ca_dir, "ca-key.pem")
    if os.path.exists(key):
        raise LabError(f"{key} exists: a plug-in CA directory is never overwritten")
    cert = os.path.join(ca_dir, "ca-cert.pem")
    openssl_root(key, cert, org=org, cn=cn, days=days)
    pem = open(cert).read()
    for name in ("root-cert.pem", "cert-chain.pem"):
        with open(os.path.join(ca_dir, name), "w") as f:
            f.write(pem)
    return ca_dir


def _openssl_key(key: str) -> None:
    old = os.umask(0o077)
    try:
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
            timeout=30)
    finally:
        os.umask(old)


def openssl_root(key: str, cert: str, org: str = "zlab", cn: str = "zlab root CA", days: int = 3650) -> None:
    """A new self-signed EC P-256 root: its key to `key` (0600), its certificate to `cert`."""
    with tempfile.TemporaryDirectory(prefix="zlab-ca-") as tmp:
        cnf = os.path.join(tmp, "openssl.cnf")
        with open(cnf, "w") as f:
            f.write(_OPENSSL_CNF.format(org=org, cn=cn))
        _openssl_key(key)
        run(["openssl", "req", "-x509", "-new", "-config", cnf, "-key", key, "-sha256",
             "-days", str(days), "-out", cert], timeout=30)


def openssl_intermediate(key: str, cert: str, issuer_cert: str, issuer_key: str, org: str = "zlab",
                         cn: str = "zlab intermediate CA", days: int = 3650) -> None:
    """A new EC P-256 signing CA (CA:TRUE, pathlen 0) issued by issuer_cert/issuer_key, the way
    Istio's plug-in CA docs make an intermediate: key to `key` (0600), certificate to `cert`."""
    with tempfile.TemporaryDirectory(prefix="zlab-ca-") as tmp:
        cnf = os.path.join(tmp, "openssl.cnf")
        with open(cnf, "w") as f:
            f.write(_OPENSSL_CNF.format(org=org, cn=cn))
        _openssl_key(key)
        csr = os.path.join(tmp, "ca.csr")
        run(["openssl", "req", "-new", "-config", cnf, "-key", key, "-sha256", "-out", csr], timeout=30)
        run(["openssl", "x509", "-req", "-in", csr, "-CA", issuer_cert, "-CAkey", issuer_key,
             "-CAcreateserial", "-CAserial", os.path.join(tmp, "ca.srl"), "-sha256", "-days", str(days),
             "-extfile", cnf, "-extensions", "v3_intermediate", "-out", cert], timeout=30)


def write_atomic(path: str, data: str | bytes, mode: int = 0o644) -> None:
    """Replace path in one rename (a daemon watching the directory never reads half a file)."""
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.rename(tmp, path)


def openssl_text(cert_path: str) -> str:
    """`openssl x509 -text` of a PEM file (for checks and error messages)."""
    return run(["openssl", "x509", "-in", cert_path, "-noout", "-text"], timeout=30).stdout


_help_cache: dict[tuple[str, float], str] = {}


def daemon_help(ztunnel: str) -> str:
    """`ztunnel --help`, run once per binary version (path + mtime: the binary may be rebuilt
    between two pytest runs, never during one that matters)."""
    try:
        key = (ztunnel, os.stat(ztunnel).st_mtime)
    except OSError:
        return ""
    if key not in _help_cache:
        try:
            cp = subprocess.run([ztunnel, "--help"], capture_output=True, text=True, timeout=30)
            _help_cache[key] = (cp.stdout or "") + (cp.stderr or "")
        except (OSError, subprocess.TimeoutExpired):
            _help_cache[key] = ""
    return _help_cache[key]


def daemon_has_mtls(ztunnel: str) -> bool:
    """Whether this ztunnel knows the identity/CA flags (--ca-dir and friends)."""
    return "--ca-dir" in daemon_help(ztunnel)
