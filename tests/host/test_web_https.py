"""HTTPS beyond localhost (issue 12): the host refuses a LAN address without a certificate, serves HTTPS
with one on 127.0.0.2 (never the machine's LAN address), with Secure cookies and HSTS; login works."""
import http.client
import http.cookiejar
import json
import os
import ssl
import subprocess
import urllib.request

import pytest

from talkpuck.auth.tls import web_options, web_tls_paths
from talkpuck.errors import ConfigError
from talkpuck.service.hostapp import HostApp
from talkpuck.service.settings import Settings
from webauth import add_user
from talkpuck.auth.links import issue_login_link


def _cert(sec):
    os.makedirs(sec)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=talkpuck web",
                    "-addext", "subjectAltName=IP:127.0.0.2", "-keyout", os.path.join(sec, "web.key"),
                    "-out", os.path.join(sec, "web.crt")], check=True, capture_output=True)


def test_beyond_localhost_needs_a_certificate(tmp_path):
    with pytest.raises(ConfigError, match="HTTPS"):
        Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path), http_host="127.0.0.2")
    with pytest.raises(ConfigError, match="security init"):
        web_options("127.0.0.2", str(tmp_path))
    assert web_options("127.0.0.1", str(tmp_path)) == {} and web_options(None, str(tmp_path)) == {}


def test_host_serves_https_beyond_localhost(mosquitto, tmp_path):
    if not os.path.exists("/usr/bin/openssl"):
        pytest.skip("openssl not installed")
    data = str(tmp_path / "var")
    _cert(os.path.join(data, "security"))
    opts = web_options("127.0.0.2", data)
    assert opts["web_tls"] == web_tls_paths(data)
    host = HostApp(mosquitto.url, data_dir=data, **opts).start()
    try:
        assert host.http_url.startswith("https://127.0.0.2:")
        ctx = ssl.create_default_context(cafile=opts["web_tls"][0])
        with pytest.raises((urllib.error.URLError, ConnectionError)):   # plain HTTP is not served there
            urllib.request.urlopen(host.http_url.replace("https", "http"), timeout=5)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                             urllib.request.HTTPCookieProcessor(jar))
        add_user(host.store)
        with pytest.raises(urllib.error.HTTPError) as e:
            opener.open(host.http_url + "api/live")
        assert e.value.code == 401
        e.value.close()
        with opener.open(issue_login_link(host.store, "admin", host.http_url)) as r:
            assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        cookies = list(jar)
        assert [c.name for c in cookies] == ["__Host-talkpuck"] and cookies[0].secure
        with opener.open(host.http_url + "api/live") as r:
            assert isinstance(json.loads(r.read())["rooms"], list)
    finally:
        host.stop()


def test_serve_listen_serves_the_live_view_over_https(tmp_path):
    """`talkpuck serve --listen 127.0.0.2` after `security init`: the web is HTTPS with the installation's
    web certificate, checked against its CA; anonymous API calls are refused."""
    pytest.importorskip("cryptography")
    from talkpuck.cli import serve
    from talkpuck.mqtt.broker import free_port
    from talkpuck.security.ca import init_certificates
    from talkpuck.security.credentials import security_dir

    data = str(tmp_path / "var")
    init_certificates(security_dir(data), ["127.0.0.2"])

    class Args:
        broker = None
        db = None
        data_dir = data
        http_port = 0
        listen = "127.0.0.2"
        mqtt_tls_port = free_port(host="127.0.0.2")
        broker_ca = None

    try:
        host, broker = serve.start_host(Args)
    except ConfigError as e:
        pytest.skip("no Mosquitto for --listen: %s" % e)
    try:
        assert host.http_url.startswith("https://127.0.0.2:")
        ctx = ssl.create_default_context(cafile=os.path.join(security_dir(data), "ca.crt"))
        with urllib.request.urlopen(host.http_url + "healthz", context=ctx) as r:
            assert json.loads(r.read()) == {"ok": True}
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(host.http_url + "api/live", context=ctx)
        assert e.value.code == 401
        e.value.close()
    finally:
        host.stop()
        broker.stop()
