"""pgserver — a PostgreSQL for the tests: the one reachable at TALKPUCK_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/test), else one of the test run's own, made with Debian's
initdb in a temporary directory and started on a free port (initdb refuses root: as root it runs as
user `nobody`). Never skipped: a machine with neither a server nor the binaries fails, saying
what to install. Each test then takes a schema of its own (conftest.db_url), so runs never collide.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _usable(url):
    import sqlalchemy
    try:
        eng = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                                       connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(sqlalchemy.text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:
        return False


def binaries():
    """Directory of Debian's PostgreSQL server binaries (newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class OwnServer:
    """A throwaway cluster: initdb, pg_ctl start on 127.0.0.1:<free port>, database `test`; stop() removes it."""

    def __init__(self, bindir):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="tp-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = _free_port()
        self.url = "postgresql://postgres@127.0.0.1:%d/test" % self.port
        self._as = []
        if os.geteuid() == 0:                        # initdb and postgres refuse to run as root
            os.chmod(self.dir, 0o777)
            self._as = ["runuser", "-u", "nobody", "--"]

    def _run(self, *args):
        subprocess.run(self._as + list(args), check=True, capture_output=True, timeout=120, cwd=self.dir)

    def start(self):
        b = self.bindir
        self._run(os.path.join(b, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self._run(os.path.join(b, "pg_ctl"), "-D", self.data, "-w", "-t", "60", "-l", os.path.join(self.dir, "log"),
                  "-o", "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off" % (self.port, self.dir), "start")
        self._run(os.path.join(b, "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "test")
        return self

    def stop(self):
        try:
            self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def server(own=False):
    """(url, OwnServer or None): the reachable server, else (or with own=True) one started here."""
    url = os.environ.get("TALKPUCK_TEST_PG", DEFAULT_URL)
    if not own and _usable(url):
        return url, None
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("no PostgreSQL for the tests: none reachable at %s and no server binaries under "
                           "/usr/lib/postgresql/*/bin (apt-get install postgresql, or set TALKPUCK_TEST_PG)" % url)
    srv = OwnServer(bindir).start()
    return srv.url, srv
