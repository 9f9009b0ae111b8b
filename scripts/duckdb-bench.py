#!/usr/bin/env python3
"""Compare segq with DuckDB on the queries of `segq-bench random --json FILE`.

DuckDB is a comparison tool only, never a dependency of segq:

    pip install duckdb          # the PyPI package; neither pandas nor pyarrow is needed
    segq-bench random --db demo.db --queries 300 --seed 1 --json random.json
    scripts/duckdb-bench.py random.json

The store's raw tables -- contacts, contact_attributes, campaigns, links, events, lists,
list_members; never the rollups activity, contact_activity, event_stats -- are copied
into a DuckDB file beside the store (STORE.duckdb, or --cache), through Python's sqlite3
module and a CSV per table; the copy is reused while the store's size and modification
time are unchanged. DuckDB's columns have one type, so contact_attributes.value is split
into value_text (strings) and value_num (numbers; booleans as 1/0), as the plain SQL of
segq-bench expects; events.external_id, which no query reads, is left out.

Each query's plain SQL (written by segq-bench from the bound query, independently of
segq's planner) runs with DuckDB's default threads; the median wall and CPU time (the
process's, so every DuckDB thread) of --runs runs after one warm-up is reported, and the
ratio of segq's counting time (one thread's CPU) to DuckDB's wall time. Every DuckDB
count must equal segq's: a difference is a correctness bug in one of them, reported
loudly, and the exit status is then 1.
"""

import argparse
import csv
import json
import math
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time

try:
    import duckdb
except ImportError:
    sys.exit("duckdb-bench.py needs the duckdb package from PyPI: pip install duckdb")

NULL = "\\N"

# table -> (its columns: name, DuckDB type, the SQLite expression that reads it)
TABLES = {
    "contacts": [
        ("id", "BIGINT", "id"), ("email", "VARCHAR", "email"), ("phone", "VARCHAR", "phone"),
        ("first_name", "VARCHAR", "first_name"), ("last_name", "VARCHAR", "last_name"),
        ("created_at", "BIGINT", "created_at")],
    "contact_attributes": [
        ("contact_id", "BIGINT", "contact_id"), ("name", "VARCHAR", "name"), ("type", "VARCHAR", "type"),
        ("value_text", "VARCHAR", "CASE WHEN type = 'string' THEN value END"),
        ("value_num", "DOUBLE", "CASE WHEN type <> 'string' THEN value END")],
    "campaigns": [
        ("id", "BIGINT", "id"), ("name", "VARCHAR", "name"), ("channel", "VARCHAR", "channel"),
        ("sent_at", "BIGINT", "sent_at"), ("messages", "BIGINT", "messages")],
    "links": [
        ("id", "BIGINT", "id"), ("campaign_id", "BIGINT", "campaign_id"), ("url", "VARCHAR", "url"),
        ("path", "VARCHAR", "path"), ("footer", "INTEGER", "footer")],
    "events": [
        ("id", "BIGINT", "id"), ("kind", "INTEGER", "kind"), ("contact_id", "BIGINT", "contact_id"),
        ("campaign_id", "BIGINT", "campaign_id"), ("message", "BIGINT", "message"), ("ts", "BIGINT", "ts"),
        ("link_id", "BIGINT", "link_id"), ("bounce", "VARCHAR", "bounce"), ("reason", "VARCHAR", "reason"),
        ("machine", "INTEGER", "machine")],
    "lists": [("id", "BIGINT", "id"), ("name", "VARCHAR", "name")],
    "list_members": [("list_id", "BIGINT", "list_id"), ("contact_id", "BIGINT", "contact_id")],
}


def store_stamp(store):
    st = os.stat(store)
    return f"{st.st_size}:{int(st.st_mtime)}"


def load(store, cache):
    """The DuckDB copy of the store's raw tables, built unless a current one exists."""
    stamp = store_stamp(store)
    if os.path.exists(cache):
        try:
            con = duckdb.connect(cache, read_only=True)
            if con.execute("SELECT stamp FROM segq_source").fetchone()[0] == stamp:
                return con
            con.close()
        except duckdb.Error:
            pass
    print(f"copying the raw tables of {store} into {cache} (once) ...", file=sys.stderr)
    t0 = time.perf_counter()
    src = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    # Built under another name and renamed at the end: a failure leaves no half copy.
    tmp = cache + ".building"
    for leftover in (tmp, tmp + ".wal"):
        if os.path.exists(leftover):
            os.remove(leftover)
    con = duckdb.connect(tmp)
    with tempfile.TemporaryDirectory() as d:
        for table, columns in TABLES.items():
            path = os.path.join(d, table + ".csv")
            cur = src.execute("SELECT " + ", ".join(f"ifnull({e}, '{NULL}')" for _, _, e in columns) + f" FROM {table}")
            written = 0
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                while True:
                    rows = cur.fetchmany(100_000)
                    if not rows:
                        break
                    w.writerows(rows)
                    written += len(rows)
            con.execute(f"CREATE TABLE {table} (" + ", ".join(f"{n} {t}" for n, t, _ in columns) + ")")
            if written:
                spec = "{" + ", ".join(f"'{n}': '{t}'" for n, t, _ in columns) + "}"
                con.execute(f"INSERT INTO {table} SELECT * FROM read_csv('{path}', auto_detect = false, header = false, "
                            f"delim = ',', quote = '\"', escape = '\"', columns = {spec}, nullstr = '{NULL}')")
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            m = src.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if n != m:
                sys.exit(f"copying {table}: {m} rows in the store, {n} in DuckDB")
            os.remove(path)
    con.execute("CREATE TABLE segq_source AS SELECT ? AS stamp, ? AS store", [stamp, os.path.abspath(store)])
    con.execute("CHECKPOINT")
    con.close()
    os.replace(tmp, cache)
    print(f"  copied in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return duckdb.connect(cache, read_only=True)


def run_timed(con, sql, cutoff_s):
    """(count, wall ms, CPU ms) of one run, or None when it passed the cutoff."""
    timer = threading.Timer(cutoff_s, con.interrupt)
    timer.start()
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        n = con.execute(sql).fetchone()[0]
        return n, (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000
    except (duckdb.InterruptException, RuntimeError):
        return None
    finally:
        timer.cancel()


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def fmt(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", help="the file written by segq-bench random --json")
    ap.add_argument("--cache", help="the DuckDB copy of the store (default: STORE.duckdb beside it)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per query after one warm-up (default 3)")
    ap.add_argument("--cutoff", type=float, default=60.0, help="interrupt a DuckDB query after this many seconds")
    ap.add_argument("--worst", type=int, default=10, help="list this many queries with the worst ratio")
    ap.add_argument("--out", help="write the report's figures per query to this JSON file")
    args = ap.parse_args()

    with open(args.json) as f:
        report = json.load(f)
    store = report["store"]
    con = load(store, args.cache or store + ".duckdb")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}, {threads} threads, on the raw tables of {store}; "
          f"median of {args.runs} runs after one warm-up\n")

    rows, mismatches, failures, checked = [], [], [], 0
    for q in report["queries"]:
        sql = q["duckdbSQL"]
        try:
            first = run_timed(con, sql, args.cutoff)
        except duckdb.Error as e:
            failures.append((q, str(e)))
            continue
        if first is None:
            failures.append((q, f"over {args.cutoff} s"))
            continue
        n = first[0]
        walls, cpus = [], []
        for _ in range(args.runs):
            r = run_timed(con, sql, args.cutoff)
            if r is None:
                break
            walls.append(r[1])
            cpus.append(r[2])
        wall = statistics.median(walls) if walls else first[1]
        cpu = statistics.median(cpus) if cpus else first[2]
        if q.get("count") is not None:
            checked += 1
            if n != q["count"]:
                mismatches.append((q, n))
        segq = q["countMs"] if q.get("countMs") is not None else 2 * report["cutoffMs"]
        rows.append({"index": q["index"], "text": q["text"], "count": n, "segqMs": segq,
                     "segqCapped": q["countCapped"], "duckdbWallMs": wall, "duckdbCpuMs": cpu,
                     "ratio": segq / max(wall, 0.01)})

    if rows:
        ratios = [r["ratio"] for r in rows]
        print(f"| {len(rows)} queries | p50 | p95 | max |")
        print("|---|---:|---:|---:|")
        print(f"| DuckDB wall ms | {fmt(pct([r['duckdbWallMs'] for r in rows], .5))} | "
              f"{fmt(pct([r['duckdbWallMs'] for r in rows], .95))} | {fmt(max(r['duckdbWallMs'] for r in rows))} |")
        print(f"| DuckDB CPU ms (all threads) | {fmt(pct([r['duckdbCpuMs'] for r in rows], .5))} | "
              f"{fmt(pct([r['duckdbCpuMs'] for r in rows], .95))} | {fmt(max(r['duckdbCpuMs'] for r in rows))} |")
        print(f"| segq count CPU ms | {fmt(pct([r['segqMs'] for r in rows], .5))} | "
              f"{fmt(pct([r['segqMs'] for r in rows], .95))} | {fmt(max(r['segqMs'] for r in rows))} |")
        print(f"| segq / DuckDB wall | {fmt(pct(ratios, .5))}× | {fmt(pct(ratios, .95))}× | {fmt(max(ratios))}× |")
        within = sum(1 for x in ratios if x <= 3)
        faster = sum(1 for x in ratios if x <= 1)
        print(f"\nsegq within 3× of DuckDB on {within} of {len(rows)} queries; as fast or faster on {faster}"
              " (capped segq times are lower bounds)")
        print(f"\n{min(args.worst, len(rows))} worst ratios:\n")
        print("| # | segq ms | DuckDB wall ms | DuckDB CPU ms | segq / DuckDB | contacts | query |")
        print("|---:|---:|---:|---:|---:|---:|---|")
        for r in sorted(rows, key=lambda r: -r["ratio"])[:args.worst]:
            capped = "≥ " if r["segqCapped"] else ""
            print(f"| {r['index']} | {capped}{fmt(r['segqMs'])} | {fmt(r['duckdbWallMs'])} | {fmt(r['duckdbCpuMs'])} | "
                  f"{fmt(r['ratio'])}× | {r['count']} | `{r['text']}` |")

    for q, why in failures:
        print(f"\n⚠ DuckDB could not run query {q['index']} ({why}): {q['text']}\n  {q['duckdbSQL']}")
    if mismatches:
        print(f"\n⚠⚠ {len(mismatches)} DIFFERENT ANSWERS: a correctness bug in segq or in the plain SQL ⚠⚠")
        for q, n in mismatches:
            print(f"  query {q['index']}: segq {q.get('count')}, DuckDB {n}: {q['text']}\n    {q['duckdbSQL']}")
    else:
        unknown = len(rows) - checked
        print(f"\nevery DuckDB count equals segq's ({checked} queries compared"
              + (f"; {unknown} not, segq's run interrupted before it answered)" if unknown else ")"))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if mismatches or failures else 0


if __name__ == "__main__":
    sys.exit(main())
