"""stream_reader — one browser's live stream for bench/thousand_pucks.py: log in, hold /api/live/stream open, note what appears when.

    python bench/stream_reader.py --url https://127.0.0.2:PORT/ --ca CA.crt --user NAME --out FILE
    (the password is the first line of stdin; the next line, or end of input, stops it)

A process of its own per stream (thousand_pucks starts `--streams` of them), as each browser is a
machine of its own: its JSON parsing does not hold up the pucks' event loop or the other streams.
Only the standard library.

It logs in as a browser does, over the host's HTTPS (checked against the installation's CA): GET
/login for the form's CSRF token and cookie, POST the form, keep the session cookie; then GET
/api/live/stream like an EventSource, and when the host ends the stream (a slow client is dropped)
it reconnects after the stream's `retry:` as EventSource does, counting it.

The stream carries room snapshots, not events (talkpuck.live.hub): the first push every room, then only
the rooms that changed (a delta), which is all this reader needs. For each `event: live` payload it
notes the arrival time (time.time(), the clock the pucks stamp creation with: same machine) before
parsing, and then, the first time each of these shows:
- `turns`:  session id -> [[turn count, time], ...], a new entry each time the number of turns the
            session view counts (the sum over its voices) grows: the k-th stored turn of a session is
            on screen at the first entry with count >= k;
- `phases`: "session|phase" -> time, a session view showing that phase;
- `hands`:  "device|boot|hand" -> time, a hand in a room's queue.
Written as JSON to --out when stopped, with pushes, bytes, drops and reconnects.
"""
import argparse
import http.client
import json
import re
import ssl
import sys
import threading
import time
from urllib.parse import urlencode, urlsplit

LOGIN_CSRF = "talkpuck_login_csrf"


def cookies_of(resp):
    out = {}
    for k, v in resp.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            out[name.strip()] = rest.split(";", 1)[0]
    return out


class Reader:
    def __init__(self, url, ca, user, password):
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.user, self.password = user, password
        self.cookie = None
        self.turns = {}
        self.phases = {}
        self.hands = {}
        self.pushes = 0
        self.rooms = 0                        # rooms carried, summed over the pushes (a delta carries the changed)
        self.bytes = 0
        self.parse_s = 0.0
        self.reconnects = 0
        self.ended = 0              # streams the host ended (a slow client dropped)
        self.errors = []
        self.first_push = None
        self.last_push = None
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.conn = None

    def _conn(self):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)

    def login(self):
        c = self._conn()
        try:
            c.request("GET", "/login")
            r = c.getresponse()
            page = r.read().decode("utf-8", "replace")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            csrf_cookie = cookies_of(r)[LOGIN_CSRF]
            body = urlencode({"username": self.user, "password": self.password, "csrf_token": token})
            c.request("POST", "/login", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": "%s=%s" % (LOGIN_CSRF, csrf_cookie),
                "Origin": "https://%s:%d" % (self.host, self.port)})
            r = c.getresponse()
            r.read()
            if r.status != 303:
                raise RuntimeError("login refused: HTTP %d" % r.status)
            session = [(k, v) for k, v in cookies_of(r).items() if k != LOGIN_CSRF and v]
            if not session:
                raise RuntimeError("login gave no session cookie")
            self.cookie = "; ".join("%s=%s" % kv for kv in session)
        finally:
            c.close()

    def run(self):
        try:
            self.login()
        except Exception as e:
            self.errors.append("login: %s: %s" % (type(e).__name__, e))
            self.connected.set()
            return
        retry_s = 2.0
        while not self.stop.is_set():
            try:
                retry_s = self._stream(retry_s)
                self.ended += 1
            except (OSError, http.client.HTTPException) as e:
                if self.stop.is_set():
                    return
                self.errors.append("stream: %s: %s" % (type(e).__name__, e))
            if self.stop.wait(retry_s):
                return
            self.reconnects += 1

    def _stream(self, retry_s):
        c = self.conn = self._conn()
        c.request("GET", "/api/live/stream", headers={"Cookie": self.cookie, "Accept": "text/event-stream",
                                                      "Cache-Control": "no-cache"})
        r = c.getresponse()
        if r.status != 200:
            raise OSError("stream refused: HTTP %d" % r.status)
        self.connected.set()
        try:
            while not self.stop.is_set():
                line = r.readline()
                if not line:
                    return retry_s
                if line.startswith(b"data: "):
                    self._payload(line, time.time())
                elif line.startswith(b"retry: "):
                    retry_s = int(line[7:]) / 1000.0
        finally:
            c.close()
        return retry_s

    def _payload(self, line, at):
        t = time.perf_counter()
        data = json.loads(line[6:])
        with self.lock:
            self.pushes += 1
            self.rooms += len(data.get("rooms", ()))
            self.bytes += len(line)
            if self.first_push is None:
                self.first_push = at
            self.last_push = at
            for room in data.get("rooms", ()):
                for sv in room.get("sessions") or ():
                    sid = sv.get("id")
                    if not sid:
                        continue
                    n = sum(int(v.get("turns", 0)) for v in (sv.get("voices") or {}).values())
                    seen = self.turns.setdefault(sid, [])
                    if n and (not seen or n > seen[-1][0]):
                        seen.append([n, at])
                    self.phases.setdefault("%s|%s" % (sid, sv.get("phase")), at)
                for h in room.get("hands") or ():
                    if h.get("source") == "puck":
                        self.hands.setdefault("%s|%s|%s" % (h.get("device"), h.get("boot"), h.get("hand")), at)
        self.parse_s += time.perf_counter() - t

    def hub_timing(self):
        """GET /api/live/timing: where the host's hub spent each change's time (talkpuck.live.hub), or None."""
        c = self._conn()
        try:
            c.request("GET", "/api/live/timing", headers={"Cookie": self.cookie or ""})
            r = c.getresponse()
            body = r.read()
            return json.loads(body) if r.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError) as e:
            self.errors.append("timing: %s: %s" % (type(e).__name__, e))
            return None
        finally:
            c.close()

    def result(self):
        with self.lock:
            return {"turns": self.turns, "phases": self.phases, "hands": self.hands, "pushes": self.pushes, "rooms": self.rooms,
                    "bytes": self.bytes, "parse_s": self.parse_s, "reconnects": self.reconnects,
                    "ended": self.ended, "errors": self.errors[:20], "first_push": self.first_push,
                    "last_push": self.last_push}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    password = sys.stdin.readline().rstrip("\r\n")
    reader = Reader(args.url, args.ca, args.user, password)
    th = threading.Thread(target=reader.run, daemon=True)
    th.start()
    reader.connected.wait(120)
    print("ready" if not reader.errors else "failed %s" % reader.errors[0], flush=True)
    sys.stdin.readline()            # a line, or end of input: stop
    reader.stop.set()
    res = reader.result()
    res["hub_timing"] = reader.hub_timing() if reader.cookie else None
    with open(args.out, "w") as f:
        json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
