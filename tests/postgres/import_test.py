"""Against a real PostgreSQL 15: random INSERT, UPDATE and DELETE statements
with jsonb values, in single- and multi-statement transactions (some rolled
back), on a table with REPLICA IDENTITY FULL; the slot read with wal2json by
pg_recvlogical; `unbundled import --from wal2json`; then
  - the engine's storage equals SELECT from the table;
  - its change events agree with PostgreSQL's decoded changes, op by op, with
    before and after;
  - each transaction arrives as one unit (its changes, then one sync);
  - exported as Debezium envelopes and imported back, storage is the same.

usage: import_test.py UNBUNDLED WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_server import Server  # noqa: E402
import workload as wl  # noqa: E402


def main():
    unbundled, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)  # pg_recvlogical -f appends
    os.makedirs(work)
    started = time.monotonic()
    with Server("unbundled-pg-import") as pg:
        print(f"PostgreSQL up in {time.monotonic() - started:.1f} s"
              f" (output_plugin_libraries {'set' if pg.plugin_setting else 'not known to this release'})")
        pg.psql(wl.TABLE_SQL)
        pg.psql("SELECT pg_create_logical_replication_slot('imp', 'wal2json');")
        w = wl.Workload(seed=int(os.environ.get("UNBUNDLED_PG_SEED", "14")))
        pg.psql(w.script(160))
        print(f"{w.statements} statements run")
        end = pg.psql("SELECT pg_current_wal_lsn();").strip()

        # Read the slot as an instructor would: pg_recvlogical with wal2json.
        decoded = os.path.join(work, "changes.ndjson")
        subprocess.run(["pg_recvlogical", "-d", pg.dsn, "--slot", "imp", "--start", "--no-loop",
                        "--endpos", end, "-f", decoded,
                        "-o", "format-version=2", "-o", "include-xids=1", "-o", "include-lsn=1",
                        "-o", "include-pk=1"], check=True, timeout=60)
        lines = open(decoded, encoding="utf-8").read().splitlines()
        expected = wl.expected_events(lines)
        kinds = {op for op, *_ in expected}
        assert kinds == {"c", "u", "d"}, f"the workload should insert, update and delete: {kinds}"
        assert len(expected) >= 200, f"only {len(expected)} changes decoded"

        scenario = os.path.join(work, "imported.json")
        r = subprocess.run([unbundled, "import", "--from", "wal2json", "--out", scenario, decoded],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        storage, events = wl.engine_run(unbundled, scenario)

        table = wl.table_rows(pg)
        diff = next((k for k in sorted(set(storage) | set(table)) if storage.get(k) != table.get(k)), None)
        assert diff is None, (f"storage ({len(storage)} rows) differs from SELECT ({len(table)} rows) "
                              f"first at {diff}: engine {storage.get(diff)}, table {table.get(diff)}")
        print(f"storage equals SELECT: {len(table)} rows")
        wl.compare_events(events, expected, "import")
        print(f"{len(events)} change events agree with PostgreSQL's, op by op")

        # Transactions stay together: each committed transaction's changes
        # are followed by one sync (its COMMIT), and no sync splits them.
        steps = json.load(open(scenario))["steps"]
        txns = [t for t in wl.transactions_of(lines) if t[2] > 0]
        units, count = [], 0
        for s in steps:
            if s["op"] in ("put", "delete"):
                count += 1
            elif s["op"] == "sync" and "COMMIT" in s.get("note", ""):
                if count:
                    units.append(count)
                count = 0
        per_txn = [sum(1 for e in expected if e[4] is not None and str(e[4]) == xid) for xid, _, _ in txns]
        assert units == per_txn, f"steps per transaction {units[:10]}... != PostgreSQL's {per_txn[:10]}..."
        for s in steps:
            if s["op"] in ("put", "delete"):
                assert "xid " in s["note"] and "LSN " in s["note"], f"a step's note lacks xid or LSN: {s}"
        print(f"{len(txns)} transactions, each one unit ending in one sync")

        # Out as Debezium envelopes, and back in: the same storage.
        envelopes = os.path.join(work, "events.ndjson")
        r = subprocess.run([unbundled, "export", "--to", "debezium", "--out", envelopes, scenario],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        exported = [json.loads(l) for l in open(envelopes)]
        assert [(e["op"], e["source"]["lsn"]) for e in exported] == [(e["op"], e["lsn"]) for e in events]
        back = os.path.join(work, "back.json")
        r = subprocess.run([unbundled, "import", "--from", "debezium", "--out", back, envelopes],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        storage_back, _ = wl.engine_run(unbundled, back)
        assert storage_back == table, "Debezium export and import back changed storage"
        print("exported as Debezium and imported back: the same storage")
    print(f"ok in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
