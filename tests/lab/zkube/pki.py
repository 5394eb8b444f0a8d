"""The cluster's key material, made fresh per cluster with python-cryptography: a CA, the API
server's serving cert (loopback IP and the in-cluster DNS names), client certs (the admin is in
system:masters), and the service-account token signing key pair."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from zlab.certs import CA, cert_pem, new_ca

SERVING_DNS = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
               "kubernetes.default.svc.cluster.local")


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: str, data: bytes, private: bool = False) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _leaf(ca: CA, subject: x509.Name, usage, sans: list | None, days: int):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.utcnow().replace(microsecond=0)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.cert.subject)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                      crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return b.sign(ca.key, hashes.SHA256()), key


class ClusterPKI:
    """Files under one directory; attribute names say what each is."""

    def __init__(self, directory: str, service_ip: str = "10.96.0.1", days: int = 2):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.days = days
        self.ca = new_ca(cn="zkube cluster CA", org="zkube", days=days)
        self.ca_file = _write(self._p("ca.crt"), cert_pem(self.ca.cert))
        cert, key = _leaf(self.ca, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]),
                          ExtendedKeyUsageOID.SERVER_AUTH,
                          [x509.DNSName(d) for d in SERVING_DNS]
                          + [x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", service_ip)],
                          days)
        self.serving_cert = _write(self._p("apiserver.crt"), cert_pem(cert) + cert_pem(self.ca.cert))
        self.serving_key = _write(self._p("apiserver.key"), _key_pem(key), private=True)
        # Service-account tokens: RSA like every real cluster (RS256), so any JWT library reads them.
        sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sa_key = _write(self._p("sa.key"), _key_pem(sa), private=True)
        self.sa_pub = _write(self._p("sa.pub"), sa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        self.admin_cert, self.admin_key = self.client_cert("zkube-admin", ["system:masters"])

    def _p(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def client_cert(self, user: str, groups: list[str] = ()) -> tuple[str, str]:
        """A client cert the API server maps to user CN=user in groups O=...; returns (cert, key) paths."""
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
                            + [x509.NameAttribute(NameOID.COMMON_NAME, user)])
        cert, key = _leaf(self.ca, subject, ExtendedKeyUsageOID.CLIENT_AUTH, None, self.days)
        safe = user.replace(":", "_").replace("/", "_")
        return (_write(self._p(f"user-{safe}.crt"), cert_pem(cert)),
                _write(self._p(f"user-{safe}.key"), _key_pem(key), private=True))
