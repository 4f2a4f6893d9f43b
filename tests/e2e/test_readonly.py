#!/usr/bin/env python3
"""A database edgegate may only read: egctl lists it and refuses to change it in one line, the
gateway and its policy workers serve from it, and the front applies invalidations it cannot
mark Completed (saying so once). "Read-only" is the file mode 444 in a directory 555, read by
a user other than the owner (root ignores file modes, so as root the readers run as nobody),
so SQLite can create neither the -wal nor the -shm file it reads a WAL database through.
Every test runs under an alarm, so a hang fails it instead of stalling the suite."""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import EDGEGATE, EGCTL, eventually, main, request, test  # noqa: E402
from harness import within as timeout  # noqa: E402

# The reader: another user when we are root, else ourselves (the modes then bind us too).
READER = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] \
    if os.getuid() == 0 else []


def conf_db(env):
    """Moves the test's database into its own directory (env.dir must stay writable for the
    logs) and returns that directory; env.egctl and the gateway then use it."""
    d = env.path("conf")
    os.makedirs(d)
    os.chmod(d, 0o755)
    env.db = os.path.join(d, "edgegate.db")
    env.egctl("init")
    return d


def lock(env, file_mode=0o444):
    """The database file and its directory become read-only (anything beside it too)."""
    d = os.path.dirname(env.db)
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), file_mode if name == "edgegate.db" else 0o444)
    os.chmod(d, 0o555)


def unlock(env):
    d = os.path.dirname(env.db)
    os.chmod(d, 0o755)
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o644)


def as_owner(env, *args):
    """egctl run by the database's owner while it is locked for the reader: root writes
    whatever the modes say; another user has to lift them for the moment."""
    if os.getuid() != 0:
        unlock(env)
    try:
        return env.egctl(*args)
    finally:
        if os.getuid() != 0:
            lock(env)


def reader(env, *args):
    """egctl as the reader: (exit status, stdout, stderr)."""
    r = subprocess.run(READER + [EGCTL, "--db", env.db] + list(args), capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def state(env):
    """The database directory as it is: each file's name and a hash of its bytes."""
    d = os.path.dirname(env.db)
    out = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def restoring(fn):
    """Gives the scratch directory its modes back whatever the test did, so it can be
    removed (as a user other than root, rm cannot enter a 555 directory's files)."""
    def run(env):
        try:
            return fn(env)
        finally:
            if os.path.exists(env.path("conf")):
                unlock(env)
            for extra in ("copy",):
                if os.path.exists(env.path(extra)):
                    os.chmod(env.path(extra), 0o755)
    run.__name__ = fn.__name__
    return run


READS = [("dist", "list"), ("--json", "dist", "list"), ("origin", "list"),
         ("--json", "origin", "list"), ("--dist", "shop", "origin", "list"),
         ("behavior", "list"), ("--json", "behavior", "list"), ("invalidations",),
         ("--json", "invalidations"), ("--dist", "shop", "--json", "invalidations")]

WRITES = [("init",), ("dist", "add", "x"), ("dist", "set", "shop", "--comment", "c"),
          ("dist", "rm", "shop", "--force"), ("origin", "add", "o2", "--domain", "a.example"),
          ("origin", "set", "web", "--http-port", "81"),
          ("origin", "set", "web", "--protocol", "https-only", "--invalidate"),
          ("origin", "rm", "web"), ("behavior", "add", "/b/*", "--origin", "web"),
          ("behavior", "set", "/a/*", "--min-ttl", "1"), ("behavior", "move", "/a/*", "--to", "0"),
          ("behavior", "rm", "/a/*"), ("invalidate", "/x"),
          ("invalidate", "/y", "--caller-reference", "r1")]


def configure(env):
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", "8000")
    env.egctl("behavior", "add", "/a/*", "--origin", "web", "--viewer-protocol", "https-only")
    env.egctl("dist", "add", "shop", "--aliases", "shop.example")
    env.egctl("--dist", "shop", "origin", "add", "web", "--domain", "127.0.0.1")
    env.egctl("invalidate", "/a/*", "--caller-reference", "before")


@test
@timeout(60)
@restoring
def read_commands_list_a_read_only_database_and_write_nothing(env):
    conf_db(env)
    configure(env)
    want = {args: env.egctl(*args).stdout for args in READS}
    lock(env)
    before = state(env)
    assert list(before) == ["edgegate.db"], before   # no -wal, no -shm: nothing to read through
    for args in READS:
        rc, out, err = reader(env, *args)
        assert (rc, err) == (0, ""), (args, rc, err)
        assert out == want[args], (args, out, want[args])
    assert json.loads(reader(env, "--json", "invalidations")[1])[0]["status"] == "InProgress"
    assert state(env) == before, "a read changed the directory: %r" % state(env)


@test
@timeout(60)
@restoring
def write_commands_on_a_read_only_database_fail_in_one_line_and_change_nothing(env):
    conf_db(env)
    configure(env)
    for file_mode, says in ((0o444, "this user cannot write the file"),
                            # the file itself writable, its directory not: SQLite could not
                            # create the -wal, so a write could not happen either
                            (0o666, "this user cannot write its directory")):
        lock(env, file_mode)
        before = state(env)
        for args in WRITES:
            rc, out, err = reader(env, *args)
            assert rc == 1, (args, rc, out, err)
            assert len(err.strip().splitlines()) == 1, (args, err)
            assert err.startswith("egctl: database %s is read-only (" % env.db), (args, err)
            assert says in err, (args, err)
            assert state(env) == before, "a refused %r changed the database" % (args,)
        # and it can still be listed
        rc, out, err = reader(env, "behavior", "list")
        assert rc == 0 and "/a/*" in out, (rc, out, err)
        unlock(env)


@test
@timeout(60)
@restoring
def a_wal_database_is_read_through_its_shm_never_as_a_stale_snapshot(env):
    d = conf_db(env)
    configure(env)
    # another connection keeps the WAL open, so what egctl writes next stays in the -wal
    # file: the database file alone does not have it
    holder = sqlite3.connect(env.db)
    try:
        holder.execute("SELECT count(*) FROM distributions").fetchall()
        env.egctl("dist", "add", "walonly")
        assert os.path.getsize(env.db + "-wal") > 0 and os.path.exists(env.db + "-shm")
        lock(env)
        rc, out, err = reader(env, "dist", "list")
        assert rc == 0 and "walonly" in out, (rc, out, err)
        rc, out, err = reader(env, "dist", "add", "y")
        assert rc == 1 and "is read-only" in err and len(err.splitlines()) == 1, (rc, err)

        # the same files without the -shm, where the reader can create none: what the -wal
        # holds cannot be read, and a snapshot of the file alone would be stale
        copy = env.path("copy")
        os.makedirs(copy)
        for suffix in ("", "-wal"):
            shutil.copy(env.db + suffix, copy)
            os.chmod(os.path.join(copy, "edgegate.db" + suffix), 0o444)
        os.chmod(copy, 0o555)
        r = subprocess.run(READER + [EGCTL, "--db", os.path.join(copy, "edgegate.db"), "dist",
                                     "list"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and r.stdout == "", (r.returncode, r.stdout, r.stderr)
        assert len(r.stderr.splitlines()) == 1, r.stderr
        assert "-wal file holds changes" in r.stderr and "-shm" in r.stderr, r.stderr
        assert sorted(os.listdir(copy)) == ["edgegate.db", "edgegate.db-wal"], os.listdir(copy)
    finally:
        holder.close()
    assert os.path.dirname(env.db) == d


@test
@timeout(60)
@restoring
def an_old_schema_on_a_read_only_database_is_refused_not_migrated(env):
    conf_db(env)
    configure(env)
    con = sqlite3.connect(env.db)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    lock(env)
    before = state(env)
    for args in (("dist", "list"), ("dist", "add", "x")):
        rc, out, err = reader(env, *args)
        assert rc == 1 and out == "", (args, rc, out, err)
        assert len(err.splitlines()) == 1, err
        assert re.search(r"is read-only \(.*\): its schema is version 1 and this edgegate "
                         r"needs version \d+; upgrading it needs write access", err), err
    assert state(env) == before


def gateway_as_reader(env):
    """edgegate (and so its policy workers) run by the reader."""
    os.chmod(env.key, 0o644)   # the reader must load the viewer certificate's key
    args = READER + [EDGEGATE, "--db", env.db, "--http", "127.0.0.1:0", "--https",
                     "127.0.0.1:0", "--cert", env.cert, "--key", env.key, "--workers", "2"]
    p = env.start(args, "edgegate", stdout=subprocess.PIPE)
    line = p.stdout.readline().decode()
    m = re.search(r"http://[^ ]+:(\d+) https://[^ ]+:(\d+)", line)
    assert m, "edgegate did not start: %r\n%s" % (line, env.log("edgegate"))
    p.http, p.https = int(m.group(1)), int(m.group(2))
    return p


def readonly_lines(env):
    return [line for line in env.log("edgegate").splitlines() if "is read-only" in line]


@test
@timeout(90)
@restoring
def the_gateway_serves_from_a_read_only_database_and_applies_invalidations_once(env):
    origin = env.scripted_origin()
    conf_db(env)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(origin.port))
    env.egctl("behavior", "add", "/r/*", "--origin", "web", "--viewer-protocol",
              "redirect-to-https")
    env.egctl("invalidate", "/old/*", "--caller-reference", "before-start")
    lock(env)
    gw = gateway_as_reader(env)

    def get(path):
        r = request(gw.http, "GET", path)
        assert r.status == 200, (path, r)
        return r.header("X-Cache")

    # the workers decide from it, the front caches
    r = request(gw.http, "GET", "/r/x")
    assert r.status == 301 and r.header("Location") == "https://localhost:%d/r/x" % gw.https, r
    assert get("/a.txt") == "Miss from edgegate"
    assert get("/a.txt") == "Hit from edgegate"
    assert origin.count("/a.txt") == 1
    # the pending invalidation was applied at start; it could not be marked, which is said
    assert len(readonly_lines(env)) == 1, readonly_lines(env)
    assert "invalidations are applied but stay InProgress" in readonly_lines(env)[0]

    # its owner records an invalidation and a new behavior while the gateway runs
    as_owner(env, "invalidate", "/a.txt", "--caller-reference", "while-running")
    assert eventually(lambda: "invalidation 2 (while-running) applied: 1 object removed" in
                      env.log("edgegate"), 5), env.log("edgegate")[-2000:]
    assert get("/a.txt") == "Miss from edgegate", "the invalidation removed the object"
    assert origin.count("/a.txt") == 2
    assert get("/a.txt") == "Hit from edgegate"
    # the front remembers the workers' answers while the configuration version stays: a
    # change is seen when /r/x, answered 301 above, becomes 403
    as_owner(env, "behavior", "set", "/r/*", "--viewer-protocol", "https-only")
    assert eventually(lambda: request(gw.http, "GET", "/r/x").status == 403, 5), \
        env.log("edgegate")[-2000:]
    # that change did not apply the invalidations again: the object cached since stays
    assert get("/a.txt") == "Hit from edgegate", "an applied invalidation ran again"
    assert origin.count("/a.txt") == 2
    assert len(readonly_lines(env)) == 1, "logged once: %r" % readonly_lines(env)
    rc, out, err = reader(env, "--json", "invalidations")
    assert rc == 0 and [i["status"] for i in json.loads(out)] == ["InProgress"] * 2, (out, err)
    assert gw.poll() is None, "the gateway still runs"


if __name__ == "__main__":
    sys.exit(main())
