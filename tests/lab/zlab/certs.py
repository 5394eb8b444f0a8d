"""Certificates for tests, made with python-cryptography (independent of the daemon's code):
workload leaves for any SPIFFE id signed by the lab's plug-in CA (or by a throwaway foreign CA),
with any validity window (e.g. already expired), written as PEM files for openssl/curl/hbone_peer.

    ca = load_ca(lab.ca_dir)
    leaf = issue(ca, "spiffe://cluster.local/ns/mesh/sa/sa-pod-0-0")
    files = write_files(tmpdir, "client", leaf, ca)   # {"cert", "key", "ca", "chain"}
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: list[x509.Certificate]  # issuing CA certs above the leaf (up to and including the root)

    @property
    def serial_hex(self) -> str:
        return format(self.cert.serial_number, "x")


@dataclass
class CA:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    roots: list[x509.Certificate]  # what a verifier trusts


def _now() -> dt.datetime:
    return dt.datetime.utcnow().replace(microsecond=0)


def load_pems(path: str) -> list[x509.Certificate]:
    with open(path, "rb") as f:
        data = f.read()
    out, marker = [], b"-----BEGIN CERTIFICATE-----"
    for part in data.split(marker)[1:]:
        out.append(x509.load_pem_x509_certificate(marker + part))
    return out


def load_ca(ca_dir: str) -> CA:
    """The signing cert and key of an Istio plug-in CA directory, and its trusted roots."""
    return load_ca_files(os.path.join(ca_dir, "ca-cert.pem"), os.path.join(ca_dir, "ca-key.pem"),
                         os.path.join(ca_dir, "root-cert.pem"))


def load_ca_files(cert_path: str, key_path: str, roots_path: str) -> CA:
    """A CA from separate PEM files: signing cert (first in the file), its key, the roots."""
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    return CA(load_pems(cert_path)[0], key, load_pems(roots_path))


def new_ca(cn: str = "foreign root CA", org: str = "not-the-mesh", days: int = 30) -> CA:
    """A throwaway self-signed EC P-256 root (e.g. the 'other CA' nobody in the mesh trusts)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return CA(cert, key, [cert])


def issue(ca: CA, uri: str | None, not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
          ttl: dt.timedelta = dt.timedelta(hours=1), extra_uris: tuple[str, ...] = ()) -> Issued:
    """A workload leaf like Istio's: empty subject, the SPIFFE id as the (critical) URI SAN,
    serverAuth+clientAuth, CA:FALSE, EC P-256. uri=None makes a leaf without any SAN.
    Times are naive UTC; not_before defaults to 1 minute ago."""
    key = ec.generate_private_key(ec.SECP256R1())
    nb = not_before or (_now() - dt.timedelta(minutes=1))
    na = not_after or (nb + ttl + dt.timedelta(minutes=1))
    uris = ([uri] if uri else []) + list(extra_uris)
    # Istio leaves the subject empty; a leaf without any SAN needs some name: a CN only
    subject = x509.Name([]) if uris else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no-san")])
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.cert.subject)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                      crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                        critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))
    if uris:
        b = b.add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(u) for u in uris]),
                            critical=True)
    return Issued(b.sign(ca.key, hashes.SHA256()), key, [ca.cert])


def expired(ca: CA, uri: str) -> Issued:
    """Valid from 2 days ago until 1 day ago."""
    now = _now()
    return issue(ca, uri, not_before=now - dt.timedelta(days=2), not_after=now - dt.timedelta(days=1))


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_files(out_dir: str, name: str, leaf: Issued, trust: CA | list[x509.Certificate]) -> dict[str, str]:
    """<name>.crt (leaf + its issuing chain, excluding a self-signed root), <name>.key (PKCS#8),
    <name>-ca.pem (the roots to trust: a CA's roots, or a list). Returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {k: os.path.join(out_dir, f"{name}{s}") for k, s in
             (("cert", ".crt"), ("key", ".key"), ("ca", "-ca.pem"))}
    chain = [c for c in leaf.chain if c.issuer != c.subject]
    with open(paths["cert"], "wb") as f:
        f.write(b"".join(cert_pem(c) for c in [leaf.cert, *chain]))
    fd = os.open(paths["key"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(leaf.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    roots = trust.roots if isinstance(trust, CA) else trust
    with open(paths["ca"], "wb") as f:
        f.write(b"".join(cert_pem(c) for c in roots))
    return paths


# ---------------------------------------------------------------- reading certificates
def uri_sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return ext.value.get_values_for_type(x509.UniformResourceIdentifier)


def describe(cert: x509.Certificate) -> dict:
    """The facts tests compare: serial (lower-case hex, no leading zeros), URI SANs, validity
    (epoch seconds), issuer."""
    def epoch(field: str) -> int:
        # cryptography >= 42 has timezone-aware *_utc properties; Debian 12's has only naive ones.
        t = getattr(cert, field + "_utc", None) or getattr(cert, field)
        return int(t.replace(tzinfo=dt.timezone.utc).timestamp())
    return {"serial": format(cert.serial_number, "x"), "uris": uri_sans(cert),
            "not_before": epoch("not_valid_before"), "not_after": epoch("not_valid_after"),
            "issuer": cert.issuer.rfc4514_string()}


def parse_pem_blocks(text: str) -> list[x509.Certificate]:
    """Every PEM certificate in a text (e.g. `openssl s_client -showcerts` output), in order."""
    out, begin, end = [], "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    pos = 0
    while True:
        i = text.find(begin, pos)
        if i < 0:
            return out
        j = text.find(end, i)
        if j < 0:
            return out
        out.append(x509.load_pem_x509_certificate(text[i:j + len(end)].encode()))
        pos = j + len(end)
