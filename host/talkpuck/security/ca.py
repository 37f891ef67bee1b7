"""ca — the installation's certificate authority and the broker's and web's server certificates.

Made once by `talkpuck security init` with the maintained `cryptography` package: ECDSA P-256 keys
(fast on a puck's mbedTLS), SHA-256 signatures. Every certificate is valid from 2000-01-01, so a puck
that has not learnt the time yet (no NTP: its clock starts in 2000 or 1970+) still accepts it; the
end dates are far enough (CA 30 years, servers 10) that nobody renews in the middle of a term.
Server certificates carry the names and addresses the pucks and browsers use as SANs (plus
localhost and 127.0.0.1). Private keys are written 0600 and never printed.
"""
import datetime
import ipaddress
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from talkpuck.errors import ConfigError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
CA_YEARS = 30
SERVER_YEARS = 10


def write_private(path: str, data: bytes | str) -> None:
    """Write `data` (bytes or str) to `path` readable by its owner only (0600), atomically."""
    if isinstance(data, str):
        data = data.encode()
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _key() -> "ec.EllipticCurvePrivateKey":
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: "CertificateIssuerPrivateKeyTypes") -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert: "x509.Certificate") -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _san(names: Iterable[str]) -> "x509.SubjectAlternativeName":
    from cryptography import x509

    out: list[x509.GeneralName] = []
    seen = set()
    for n in list(names) + ["localhost", "127.0.0.1"]:
        n = n.strip()
        if not n or n in seen:
            continue
        seen.add(n)
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            if "/" in n or " " in n:
                raise ConfigError("--name: %r is neither a host name nor an IP address" % n)
            out.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(out)


def make_ca(common_name: str = "talkpuck installation CA") -> tuple["ec.EllipticCurvePrivateKey", "x509.Certificate"]:
    """(key, certificate) of a new CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server(ca_key: "CertificateIssuerPrivateKeyTypes", ca_cert: "x509.Certificate", common_name: str,
                names: Iterable[str]) -> tuple["ec.EllipticCurvePrivateKey", "x509.Certificate"]:
    """(key, certificate) of a TLS server signed by the CA, with `names` (+ localhost) as SANs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = _key()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365 * SERVER_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(_san(names), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def load_ca(sec_dir: str) -> tuple["CertificateIssuerPrivateKeyTypes", "x509.Certificate"]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    with open(os.path.join(sec_dir, "ca.key"), "rb") as f:
        # ca.key is the one make_ca wrote (EC P-256): a key that can sign certificates
        key = cast("CertificateIssuerPrivateKeyTypes", serialization.load_pem_private_key(f.read(), None))
    with open(os.path.join(sec_dir, "ca.crt"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return key, cert


def write_pair(sec_dir: str, stem: str, key: "CertificateIssuerPrivateKeyTypes", cert: "x509.Certificate") -> None:
    write_private(os.path.join(sec_dir, stem + ".key"), _pem_key(key))
    with open(os.path.join(sec_dir, stem + ".crt"), "wb") as f:
        f.write(_pem_cert(cert))


def init_certificates(sec_dir: str, names: Iterable[str], renew: bool = False) -> "x509.Certificate":
    """Make the CA (unless it exists and not `renew`) and the broker's and web's certificates."""
    os.makedirs(sec_dir, mode=0o700, exist_ok=True)
    os.chmod(sec_dir, 0o700)
    ca_key: CertificateIssuerPrivateKeyTypes
    if renew or not os.path.exists(os.path.join(sec_dir, "ca.key")):
        ca_key, ca_cert = make_ca()
        write_pair(sec_dir, "ca", ca_key, ca_cert)
    else:
        ca_key, ca_cert = load_ca(sec_dir)
    for stem, cn in (("broker", "talkpuck broker"), ("web", "talkpuck web")):
        key, cert = make_server(ca_key, ca_cert, cn, names)
        write_pair(sec_dir, stem, key, cert)
    return ca_cert
