#!/usr/bin/env python3
"""egctl's commands for the console end to end: operators added with a password read from
standard input (or a terminal, asked twice without echo), stored as scrypt that Python's own
hashlib.scrypt verifies, weak passwords refused with the reason and nothing written; the audit
that names who changed what ("unix:<login name>" for egctl), filtered by --dist only when it
is given; and none of it bumping the configuration version the gateway reloads on.
Every test runs under an alarm, so a hang fails it instead of stalling the suite."""
import base64
import hashlib
import json
import os
import pty
import pwd
import select
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import EGCTL, main, test  # noqa: E402
from harness import within as timeout  # noqa: E402

ME = "unix:" + pwd.getpwuid(os.geteuid()).pw_name


def query(env, sql, *args):
    con = sqlite3.connect(env.db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def config_version(env):
    return query(env, "SELECT value FROM meta WHERE key = 'config_version'")[0][0]


def hash_of(env, name):
    rows = query(env, "SELECT hash FROM users WHERE name = ?", name)
    return rows[0][0] if rows else None


def b64(s):
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def scrypt_matches(stored, password):
    """Checks the stored form with Python's scrypt, not edgegate's."""
    prefix, _, params = stored.partition("$scrypt$")
    assert prefix == "", stored
    cost, salt, key = params.split("$")
    p = dict(kv.split("=") for kv in cost.split(","))
    got = hashlib.scrypt(password.encode(), salt=b64(salt), n=2 ** int(p["ln"]), r=int(p["r"]),
                         p=int(p["p"]), maxmem=128 << 20, dklen=len(b64(key)))
    return got == b64(key)


def user(env, *args, password=None):
    return env.run(EGCTL, "--db", env.db, "user", *args, check=False,
                   input=None if password is None else password)


def refused(env, r, says):
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert says in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@test
@timeout(60)
def a_user_is_added_with_a_password_from_standard_input(env):
    before = config_version(env)
    r = user(env, "add", "alice", password="correct horse battery\n")
    assert r.returncode == 0, r.stderr
    stored = hash_of(env, "alice")
    assert stored.startswith("$scrypt$ln=15,r=8,p=1$"), stored
    assert scrypt_matches(stored, "correct horse battery"), "the line, without its newline"
    assert not scrypt_matches(stored, "correct horse battery\n")
    with open(env.db, "rb") as f:
        assert b"correct horse battery" not in f.read()
    assert user(env, "list").stdout == "alice\n"
    assert json.loads(env.egctl("--json", "user", "list").stdout) == ["alice"]

    refused(env, user(env, "add", "alice", password="another password\n"), "already exists")
    assert hash_of(env, "alice") == stored, "a refused add changes nothing"
    r = user(env, "passwd", "alice", password="a new passphrase\r\n")
    assert r.returncode == 0, r.stderr
    assert scrypt_matches(hash_of(env, "alice"), "a new passphrase"), "CR LF is a line break too"
    refused(env, user(env, "passwd", "bob", password="whatever12\n"), "no user bob")

    # removing a user signs them out: their sessions go with them
    con = sqlite3.connect(env.db)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("INSERT INTO sessions VALUES ('d1', 'alice', 'c', 0, 9999999999)")
    con.commit()
    con.close()
    assert user(env, "rm", "alice").returncode == 0
    assert query(env, "SELECT count(*) FROM sessions") == [(0,)]
    assert user(env, "list").stdout == ""
    refused(env, user(env, "rm", "alice"), "no user alice")
    assert config_version(env) == before, "users never make the gateway reload"


@test
@timeout(60)
def a_weak_password_is_refused_with_the_reason_and_nothing_is_written(env):
    audit_before = query(env, "SELECT count(*) FROM audit")
    for password, says in [("short\n", "too short: it needs at least 8 characters"),
                           ("tab\tin the middle\n", "control character"),
                           ("", "no password on standard input"),
                           ("\n", "too short"),
                           ("x" * 1025 + "\n", "too long")]:
        refused(env, user(env, "add", "bob", password=password), says)
    assert query(env, "SELECT count(*) FROM users") == [(0,)]
    assert query(env, "SELECT count(*) FROM audit") == audit_before
    refused(env, user(env, "add", "a b", password="long enough pass\n"), "user name 'a b'")
    refused(env, user(env, "add", password="long enough pass\n"), "usage: egctl user")
    assert query(env, "SELECT count(*) FROM users") == [(0,)]


def on_terminal(env, args, answers):
    """Runs egctl with a terminal as standard input, typing each answer after its prompt.
    Returns (exit status, stderr, what the terminal showed)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([EGCTL, "--db", env.db] + args, stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    os.close(slave)
    shown = b""
    for answer in answers:
        time.sleep(0.3)  # the prompt is up and echo off before the answer is typed
        os.write(master, answer.encode() + b"\n")
    out, err = p.communicate(timeout=30)
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return p.returncode, err.decode(), shown.decode(errors="replace")


@test
@timeout(60)
def on_a_terminal_the_password_is_asked_twice_without_echo(env):
    rc, err, shown = on_terminal(env, ["user", "add", "carol"],
                                 ["typed unseen 42", "typed unseen 42"])
    assert rc == 0, err
    assert err.count("Password: ") == 1 and "Password (again): " in err, err
    assert "typed unseen" not in shown and "typed unseen" not in err, (shown, err)
    assert scrypt_matches(hash_of(env, "carol"), "typed unseen 42")
    rc, err, shown = on_terminal(env, ["user", "passwd", "carol"],
                                 ["first version 1", "second version"])
    assert rc == 1 and "the two passwords differ" in err, err
    assert scrypt_matches(hash_of(env, "carol"), "typed unseen 42"), "unchanged"


@test
@timeout(60)
def the_audit_names_who_changed_what(env):
    before = config_version(env)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1")
    env.egctl("origin", "set", "web", "--protocol", "https-only", "--https-port", "8443")
    assert config_version(env) > before, "configuration changes still reach the gateway"
    env.egctl("dist", "add", "shop")
    env.egctl("--dist", "shop", "origin", "add", "app", "--domain", "app.example")
    env.egctl("--dist", "shop", "behavior", "add", "/img/*", "--origin", "app")
    env.egctl("invalidate", "/a.txt", "/img/*")
    assert user(env, "add", "dave", password="long enough pass\n").returncode == 0

    rows = json.loads(env.egctl("--json", "audit").stdout)
    assert all(r["actor"] == ME for r in rows), rows
    assert [r["action"] for r in rows] == [
        "user.add", "invalidation.create", "behavior.add", "origin.add", "dist.add",
        "origin.update", "origin.add", "dist.add"], [r["action"] for r in rows]
    update = rows[5]
    assert (update["dist"], update["object"], update["detail"]) == \
        ("default", "web", "protocol: http-only -> https-only; https-port: 443 -> 8443"), update
    assert rows[1]["detail"] == "paths: /a.txt /img/*", rows[1]
    assert "pattern: /img/*" in rows[2]["detail"] and "origin: app" in rows[2]["detail"], rows[2]
    assert rows[0]["dist"] == "" and "long enough" not in json.dumps(rows)
    assert rows[0]["time"].endswith("Z") and abs(rows[0]["at"] - time.time()) < 120, rows[0]

    text = env.egctl("audit").stdout.splitlines()
    assert text[0].split() == ["TIME", "ACTOR", "DISTRIBUTION", "ACTION", "OBJECT", "DETAIL"]
    assert ME in text[1 + 5] and "origin.update" in text[1 + 5], text
    assert text[1 + 5].endswith("protocol: http-only -> https-only; https-port: 443 -> 8443")

    shop = json.loads(env.egctl("--dist", "shop", "--json", "audit").stdout)
    assert [r["action"] for r in shop] == ["behavior.add", "origin.add", "dist.add"], shop
    default = json.loads(env.egctl("--dist", "default", "--json", "audit").stdout)
    assert {r["dist"] for r in default} == {"default"}, default
    assert len(json.loads(env.egctl("--json", "audit", "--limit", "2").stdout)) == 2
    for bad in ("0", "-1", "x", ""):
        refused(env, env.egctl("audit", "--limit", bad, check=False), "--limit")
    refused(env, env.egctl("audit", "--since", "1", check=False), "unknown option --since")


@test
@timeout(60)
def a_write_refused_writes_no_audit_row(env):
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1")
    env.egctl("behavior", "add", "/x/*", "--origin", "web")
    n = query(env, "SELECT count(*) FROM audit")
    r = env.egctl("origin", "rm", "web", check=False)
    refused(env, r, "origin web is the target of behavior(s) /x/*, *")
    r = env.egctl("origin", "set", "web", "--http-port", "0", check=False)
    assert r.returncode == 1, r
    assert query(env, "SELECT count(*) FROM audit") == n
    assert query(env, "SELECT count(*) FROM origins") == [(1,)]


@test
@timeout(30)
def a_behavior_that_can_never_match_is_warned_of(env):
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1")
    assert "can never match" not in env.egctl("behavior", "add", "/img/*", "--origin", "o").stderr
    r = env.egctl("behavior", "add", "/img/a.png", "--origin", "o")
    assert "warning: behavior /img/a.png can never match: /img/*, evaluated before it" \
        in r.stderr, r.stderr
    # moved above, it can match: no warning
    r = env.egctl("behavior", "move", "/img/a.png", "--to", "0")
    assert r.returncode == 0 and "can never match" not in r.stderr, r.stderr


@test
@timeout(30)
def try_says_what_the_gateway_would_answer(env):
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", "8085")
    env.egctl("behavior", "add", "/r/*", "--origin", "o", "--viewer-protocol",
              "redirect-to-https", "--methods", "ALL")
    env.egctl("behavior", "add", "/s/*", "--origin", "o", "--viewer-protocol", "https-only")
    def tried(*args):
        return json.loads(env.egctl("--json", "try", *args).stdout)
    t = tried("GET", "/r/x?a=1")
    assert t["status"] == 301 and t["behavior"] == "/r/*" and \
        t["location"] == "https://www.example.com/r/x?a=1", t
    assert tried("POST", "/r/x")["status"] == 307
    assert tried("POST", "/r/x", "--http10")["status"] == 403
    assert tried("GET", "http://shop.example/s/x")["status"] == 403
    t = tried("GET", "https://shop.example/s/x")
    assert t["status"] == 0 and t["origin"] == "o" and t["origin_port"] == 8085, t
    t = tried("GET", "/other", "--https")
    assert t["behavior"] == "*" and t["origin_scheme"] == "http", t
    assert tried("GET", "/a/%2F")["status"] == 400
    r = env.egctl("try", "BREW", "/", check=False)
    assert r.returncode == 1 and "the method must be" in r.stderr, r.stderr
    out = env.egctl("try", "GET", "/s/x").stdout
    assert "behavior  /s/*" in out and "answer    403 " in out, out


if __name__ == "__main__":
    sys.exit(main())
