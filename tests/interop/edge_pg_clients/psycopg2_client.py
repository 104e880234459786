#!/usr/bin/python3
"""psycopg2 (Debian's python3-psycopg2, libpq underneath) through the edge's PostgreSQL listener.

Run by tests/unit/edge/postgres_listener_test.cpp with the listener's port; the client holds no
password. Usage: psycopg2_client.py PORT DATABASE EXPECTED_ROLE [basic|bulk|cancel]
Prints one line of JSON and exits 0 when every check passed.
"""
import hashlib
import io
import json
import sys
import threading
import time

import psycopg2
import psycopg2.errors


def connect(port, database):
    # No password anywhere: the edge logs in with the grant's.
    return psycopg2.connect(host="127.0.0.1", port=port, dbname=database, user="anyone",
                            sslmode="prefer", connect_timeout=10, passfile="/nonexistent/tessera-no-pgpass")


def basic(conn, expected):
    with conn.cursor() as cur:
        cur.execute("select current_user, %s::int + 1", (41,))
        role, answer = cur.fetchone()
    assert role == expected, f"current_user is {role!r}, want {expected!r}"
    assert answer == 42
    return {"currentUser": role}


def bulk(conn, expected):
    out = {}
    with conn.cursor() as cur:
        # A result of several MB in one go.
        cur.execute("select i, repeat(md5(i::text), 100) from generate_series(1, 2000) i order by i")
        rows = cur.fetchall()
        received = "".join(r[1] for r in rows)
        cur.execute("select md5(string_agg(repeat(md5(i::text), 100), '' order by i)) "
                    "from generate_series(1, 2000) i")
        assert hashlib.md5(received.encode()).hexdigest() == cur.fetchone()[0], "result damaged"
        out["resultBytes"] = len(received)

        # COPY in, then out again: several MB each way.
        cur.execute("create temp table relay_copy (a int primary key, b text)")
        lines = "".join(f"{i}\t{hashlib.sha256(str(i).encode()).hexdigest() * 20}\n"
                        for i in range(1, 5001))
        cur.copy_expert("copy relay_copy from stdin", io.StringIO(lines))
        cur.execute("select count(*) from relay_copy")
        assert cur.fetchone()[0] == 5000
        back = io.StringIO()
        cur.copy_expert("copy (select * from relay_copy order by a) to stdout", back)
        assert back.getvalue() == lines, "COPY round trip damaged"
        out["copyBytes"] = len(lines)
    conn.commit()
    return out


def cancel(conn, expected):
    timer = threading.Timer(0.5, conn.cancel)
    begun = time.monotonic()
    timer.start()
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_sleep(10)")
        raise AssertionError("pg_sleep(10) was not cancelled")
    except psycopg2.errors.QueryCanceled:
        pass
    elapsed = time.monotonic() - begun
    assert elapsed < 5, f"cancel took {elapsed:.1f} s"
    conn.rollback()
    # The session survives the cancel.
    result = basic(conn, expected)
    result["cancelSeconds"] = round(elapsed, 2)
    return result


def main():
    port, database, expected = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else "basic"
    conn = connect(port, database)
    try:
        result = {"basic": basic, "bulk": bulk, "cancel": cancel}[mode](conn, expected)
    finally:
        conn.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
