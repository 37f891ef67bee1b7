"""mqtt_tls — the puck's TLS client context: the installation's CA, a checked certificate and host name.

    ctx = client_context("ca.crt")      MicroPython's `ssl` (mbedTLS) or CPython's, same calls
    MQTTClient(..., ssl=ctx)            the client wraps its socket with it (server_hostname = host)

CERT_REQUIRED: a broker whose certificate the CA did not sign, or whose names (SANs) do not include
the host the puck was configured with, is refused; the connect fails with an OSError and takes the
app's one reconnect path. The certificates start at 2000-01-01 (talkpuck security init), so a
puck that has not learnt the time from NTP yet still accepts them.
"""
import ssl


def client_context(ca_path):
    """An SSLContext that trusts only the CA in the PEM file `ca_path`; OSError if it cannot be read."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=ca_path)
    return ctx
