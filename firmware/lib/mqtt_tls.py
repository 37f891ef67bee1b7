"""mqtt_tls — the puck's TLS client context: the installation's CA, a checked certificate and host name.

    ctx = client_context("ca.crt")      MicroPython's `ssl` (mbedTLS) or CPython's, same calls
    ctx = tls_context(cfg)              the same from a DeviceConfig (None for mqtt://): the HALs' call
    MQTTClient(..., ssl=ctx)            the client wraps its socket with it (server_hostname = host)

CERT_REQUIRED: a broker whose certificate the CA did not sign, or whose names (SANs) do not include
the host the puck was configured with, is refused; the connect fails with an OSError and takes the
app's one reconnect path. The certificates start at 2000-01-01 (talkpuck security init), so a
puck that has not learnt the time from NTP yet still accepts them. The CA file may be PEM or DER:
MicroPython's mbedTLS wants DER (a PEM needs a trailing NUL it does not add), so PEM is decoded here.
"""
import binascii

from puckcore.errors import ConfigError


def der_of(data):
    """The DER bytes of the first certificate in `data` (PEM or already DER); ValueError if none."""
    if data[:1] == b"0":  # DER: a SEQUENCE (0x30)
        return data
    begin = data.find(b"-----BEGIN CERTIFICATE-----")
    end = data.find(b"-----END CERTIFICATE-----")
    if begin < 0 or end < begin:
        raise ValueError("no certificate in the CA file")
    body = data[begin + 27:end].replace(b"\r", b"").replace(b"\n", b"").replace(b" ", b"")
    return binascii.a2b_base64(body)


def client_context(ca_path):
    """An SSLContext that trusts only the CA in the file `ca_path`; OSError/ValueError if unusable."""
    import ssl  # here: a puck without TLS never loads it

    with open(ca_path, "rb") as f:
        der = der_of(f.read())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=der)
    return ctx


def tls_context(cfg):
    """The MQTT client's SSLContext for an mqtts:// broker, else None; ConfigError if the CA is unreadable."""
    if not cfg.tls:
        return None
    try:
        return client_context(cfg.ca)
    except (OSError, ValueError) as e:
        raise ConfigError("ca: cannot load %s (%r)" % (cfg.ca, e))
