"""A throwaway CA and a loopback server certificate signed by it.

Both are generated once per state directory and reused on restart, so a client that trusts
ca.pem keeps trusting the emulator across restarts.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Names the server answers to: loopback, plus wildcards for per-resource hostnames
# (<vault>.vault.localhost) that clients reach through the emulator's CONNECT proxy. OpenSSL
# ignores a wildcard directly under one label ("*.localhost"), so each wildcard has two.
DNS_NAMES = ("localhost", "*.arm.localhost", "*.vault.localhost", "*.postgres.localhost", "*.blob.storage.localhost")
IP_NAMES = ("127.0.0.1", "::1")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def ensure_certificates(state_dir: Path) -> tuple[Path, Path, Path]:
    """Return (ca.pem, server.pem, server-key.pem), creating them when missing."""
    ca_path = state_dir / "ca.pem"
    cert_path = state_dir / "server.pem"
    key_path = state_dir / "server-key.pem"
    ca_key_path = state_dir / "ca-key.pem"
    if ca_path.exists() and cert_path.exists() and key_path.exists():
        if _names_of(cert_path) == set(DNS_NAMES) or not ca_key_path.exists():
            return ca_path, cert_path, key_path
        # An older state dir: re-issue only the server certificate, so ca.pem stays trusted.
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
        _issue_server_cert(ca_key, ca_cert.subject, cert_path, key_path)  # type: ignore[arg-type]
        return ca_path, cert_path, key_path

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ARM emulator test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    state_dir.mkdir(parents=True, exist_ok=True)
    _write_private(ca_key_path, _key_pem(ca_key))
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    _issue_server_cert(ca_key, ca_name, cert_path, key_path)
    return ca_path, cert_path, key_path


def _names_of(cert_path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return set(sans.get_values_for_type(x509.DNSName))


def _issue_server_cert(ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name, cert_path: Path, key_path: Path) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(name) for name in DNS_NAMES]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in IP_NAMES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
