"""review_bench — server time of the review pages with many stored sessions, on SQLite and PostgreSQL.

Fills a fresh store with N sessions of about T turns each (rows written straight into the tables, as
ingest would have left them; 8 rooms, a warning event and two hands per session), then times, through
the real app (create_app, logged in as a host of 4 rooms, every room filter on):

  sessions list   /sessions, page 1 and a deep page, and with filters (overran, length, dates)
  review page     /sessions/<id> of random sessions (timeline, metrics, practitioner, note form)
  CSV export      /sessions/<id>.csv of random sessions

Server time is measured by an ASGI wrapper around the whole app (the login guard, the route, the
template, the body sent), from the request's arrival to its last body byte; requests come from an
in-process client (Starlette's TestClient), one at a time. Goal: p95 < 200 ms each.

    .venv/bin/python bench/review_bench.py                      # 10000 x 200, SQLite and PostgreSQL
    .venv/bin/python bench/review_bench.py --sessions 500 --db sqlite --no-record
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "host"))
sys.path.insert(0, HERE)

PG_URL = os.environ.get("TALKPUCK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ROOMS = ["Room %d" % i for i in range(8)]
DAY = 86400 * 1000


def fill(store, n_sessions, n_turns, seed=1):
    from sqlalchemy import insert

    from talkpuck.store import tables as t
    rnd = random.Random(seed)
    t0 = int(time.time() * 1000) - n_sessions * 3600 * 1000
    batch_s, batch_t, batch_h, batch_e = [], [], [], []

    def flush():
        with store.engine.begin() as c:
            if batch_s:
                c.execute(insert(t.sessions), batch_s)
            if batch_t:
                c.execute(insert(t.turns), batch_t)
            if batch_h:
                c.execute(insert(t.hands), batch_h)
            if batch_e:
                c.execute(insert(t.events), batch_e)
        for b in (batch_s, batch_t, batch_h, batch_e):
            b.clear()
    for i in range(n_sessions):
        sid = "s%06d" % i
        room = ROOMS[i % len(ROOMS)]
        device = "puck-%d" % (i % len(ROOMS))
        boot = "%08x" % i
        start = t0 + i * 3600 * 1000
        minutes = rnd.choice((30, 45, 60))
        actual = int(minutes * 60 * rnd.uniform(0.7, 1.2))
        batch_s.append({"id": sid, "device": device, "room": room, "source": "host", "purpose": "call %d" % i,
                        "limit_s": minutes * 60, "warn_s": 300, "phase": "ended", "requested_ms": start - 1000,
                        "started_ms": start, "ended_ms": start + actual * 1000, "extended_s": 0,
                        "break_before_s": rnd.randint(60, 7200), "short_break": rnd.random() < 0.1})
        at = start + 2000
        step = actual * 1000 // n_turns
        for k in range(n_turns):
            dur = int(step * rnd.uniform(0.4, 0.9))
            batch_t.append({"device": device, "boot": boot, "seq": k + 1, "session_id": sid, "voice": 1 + (k % 3),
                            "conf": 80, "start_ms": at, "end_ms": at + dur, "dur_ms": dur, "level_db": rnd.randint(-40, -28)})
            at += step
        for k in range(2):
            batch_h.append({"room": room, "source": "puck", "device": device, "boot": boot, "hand": k + 1,
                            "session_id": sid, "state": "acked", "raised_ms": start + 60000 * (k + 1),
                            "acked_ms": start + 60000 * (k + 1) + 15000, "puck_confirmed": True})
        batch_e.append({"device": device, "boot": boot, "seq": n_turns + 10, "kind": "session", "dev_ms": 0,
                        "wall_ms": start + (minutes - 5) * 60000, "received_ms": start + (minutes - 5) * 60000,
                        "payload": '{"phase":"warning","session":"%s"}' % sid})
        if len(batch_t) >= 20000:
            flush()
    flush()
    return t0


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


class ServerTime:
    """ASGI wrapper: the time of the last request, from its arrival to the end of its response body."""

    def __init__(self, app):
        self.app = app
        self.last_ms = None

    async def __call__(self, scope, receive, send):
        a = time.perf_counter()
        await self.app(scope, receive, send)
        self.last_ms = (time.perf_counter() - a) * 1000


def measure(client, timer, paths, warm=3):
    for p in paths[:warm]:
        client.get(p)
    out = []
    for p in paths:
        r = client.get(p)
        assert r.status_code == 200, (p, r.status_code, r.text[:200])
        out.append(timer.last_ms)
    return out


def run(url, n_sessions, n_turns, reps, data_dir):
    from talkpuck.api import create_app
    from talkpuck.service.settings import Settings
    from talkpuck.store import Store
    from webauth import logged_in
    store = Store(url)
    a = time.perf_counter()
    t0 = fill(store, n_sessions, n_turns)
    fill_s = time.perf_counter() - a
    if store.dialect == "postgresql":
        with store.engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    timer = ServerTime(create_app(Settings("mqtt://127.0.0.1:1", data_dir=data_dir), store))
    client = logged_in(timer, store, "bench", "host", ROOMS[:4])
    rnd = random.Random(2)
    visible = [i for i in range(n_sessions) if i % len(ROOMS) < 4]
    day = time.strftime("%Y-%m-%d", time.localtime((t0 + n_sessions * 1800 * 1000) / 1000))
    lists = ["/sessions", "/sessions?page=%d" % max(1, n_sessions // 2 // 25 // 2), "/sessions?overran=yes",
             "/sessions?min_minutes=40&room=Room+1", "/sessions?from=%s&back_to_back=no" % day]
    figures = {
        "sessions list": measure(client, timer, [lists[i % len(lists)] for i in range(reps)]),
        "review page": measure(client, timer, ["/sessions/s%06d" % rnd.choice(visible) for _ in range(reps)]),
        "CSV export": measure(client, timer, ["/sessions/s%06d.csv" % rnd.choice(visible) for _ in range(reps)]),
    }
    store.close()
    return fill_s, figures


def pg_schema():
    import sqlalchemy
    schema = "bench_" + uuid.uuid4().hex[:8]
    eng = sqlalchemy.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with eng.begin() as c:
        c.execute(sqlalchemy.text("CREATE SCHEMA %s" % schema))
    sep = "&" if "?" in PG_URL else "?"
    return eng, schema, PG_URL + sep + "options=-csearch_path%3D" + schema


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args(argv)
    rows = []
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        with tempfile.TemporaryDirectory() as d:
            if db == "sqlite":
                fill_s, figures = run("sqlite:///" + os.path.join(d, "bench.db"), args.sessions, args.turns, args.reps, d)
            else:
                import sqlalchemy
                eng, schema, url = pg_schema()
                try:
                    fill_s, figures = run(url, args.sessions, args.turns, args.reps, d)
                finally:
                    with eng.begin() as c:
                        c.execute(sqlalchemy.text("DROP SCHEMA %s CASCADE" % schema))
                    eng.dispose()
        for name, xs in figures.items():
            rows.append((db, name, statistics.median(xs), p95(xs), max(xs)))
        print("%s: filled %d sessions x %d turns in %.0f s" % (db, args.sessions, args.turns, fill_s), flush=True)
    lines = ["%d sessions x %d turns (8 rooms; a host of 4 rooms, room filter on), %d requests each, server time "
             "(ASGI wrapper around the app, guard included); goal p95 < 200 ms." % (args.sessions, args.turns, args.reps), "",
             "| database | page | median ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    lines += ["| %s | %s | %.1f | **%.1f** | %.1f |" % r for r in rows]
    print("\n".join(lines))
    if not args.no_record:
        import results
        results.append("Review pages: server time", lines)
    return rows


if __name__ == "__main__":
    main()
