"""`talkpuck demo` prints a one-time login link: it logs a browser in once, and a second `make demo`
on the same data dir behaves like the first (the same demo user, a fresh link)."""
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_once(data_dir):
    exe = os.path.join(os.path.dirname(sys.executable), "talkpuck")
    p = subprocess.Popen([exe, "demo", "--http-port", "0", "--data-dir", data_dir, "--seed", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        link, deadline = None, time.monotonic() + 120
        while link is None and time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            m = re.search(r"one-time login link.*: (http://127\.0\.0\.1:\d+/login/link\?token=\S+)", line)
            link = m.group(1) if m else None
        assert link, "no login link printed: %s" % p.stderr.read()[-2000:] if p.poll() is not None else "no login link"
        base = link.split("/login/")[0] + "/"
        urls = p.stdout.readline()                 # issue 14: the rooms and sessions pages' addresses
        assert "rooms and pucks: %srooms" % base in urls and "sessions: %ssessions" % base in urls, urls
        with urllib.request.urlopen(base + "api/live") as r:      # no login yet: refused
            raise AssertionError("anonymous /api/live answered %d" % r.status)
    except urllib.error.HTTPError as e:
        assert e.code == 401
        e.close()
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(link) as r:                               # logs in, lands on the live view
            assert "live.js" in r.read().decode()
        with opener.open(base + "api/live") as r:
            assert json.loads(r.read())["rooms"] is not None
        with opener.open(base + "api/sessions") as r:             # the example past sessions, the same each run
            assert sorted(s["id"] for s in json.loads(r.read()) if s["id"].startswith("demo-past-")) == \
                ["demo-past-%d" % k for k in range(1, 7)]
        with opener.open(base + "rooms") as r:
            assert "Family room" in r.read().decode()
        fresh = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        try:
            fresh.open(link)
            raise AssertionError("the link worked twice")
        except urllib.error.HTTPError as e2:
            assert e2.code == 401
            e2.close()
        return link
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
        p.stdout.close()
        p.stderr.close()


def test_demo_prints_a_one_time_login_link_on_every_run(tmp_path):
    data = str(tmp_path / "demo")
    first = _run_once(data)
    second = _run_once(data)
    assert first.split("token=")[1] != second.split("token=")[1]
