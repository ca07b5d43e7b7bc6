"""`unbundled follow` against a real PostgreSQL 15, live:
  - a follow running while random transactions commit reaches the table's
    state (its record's storage equals SELECT; its change events agree with
    PostgreSQL's op by op) and stops cleanly on SIGTERM, and the slot's
    confirmed_flush_lsn has advanced to the last transaction;
  - a follow killed with SIGKILL mid-stream and restarted resumes from the
    slot: the restarted one receives only transactions past the slot's
    confirmed_flush_lsn, nothing confirmed was left unprocessed, and its
    record holds every change exactly once (none lost, none repeated);
  - a record continued from a slot that is behind it skips what it holds;
  - --create-slot, and --max-changes (a clean stop that confirms its last
    transaction).

usage: follow_test.py UNBUNDLED WORKDIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_server import Server  # noqa: E402
import workload as wl  # noqa: E402

CONSUMERS = [
    {"name": "by_qty", "type": "secondary_index", "field": "qty"},
    {"name": "per_label", "type": "materialized_view", "group_by": "label", "sum": "qty"},
]


def json_lines(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def slot(pg, name):
    active, lsn = pg.psql(f"SELECT active, confirmed_flush_lsn FROM pg_replication_slots "
                          f"WHERE slot_name = '{name}';").strip().split("|")
    return active == "t", wl.pg_lsn(lsn)


def main():
    unbundled, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    started = time.monotonic()
    spec = os.path.join(work, "consumers.json")
    json.dump(CONSUMERS, open(spec, "w"))
    with Server("unbundled-pg-follow") as pg:
        pg.psql(wl.TABLE_SQL)
        for name in ("truth", "kr", "mc", "behind"):
            pg.psql(f"SELECT pg_create_logical_replication_slot('{name}', 'wal2json');")
        follow = [unbundled, "follow", "--dsn", pg.dsn, "--consumers", spec, "--json"]
        live_out, a_out = os.path.join(work, "live.out"), os.path.join(work, "a.out")
        live_rec, kr_rec = os.path.join(work, "live.json"), os.path.join(work, "kr.json")
        # The live follow makes its own slot, before any transaction commits.
        live = subprocess.Popen(follow + ["--slot", "live", "--create-slot", "--record", live_rec],
                                stdout=open(live_out, "w"))
        wait_for(lambda: os.path.exists(live_out) and any("following" in l for l in json_lines(live_out)), 30,
                 "the live follow to create its slot and start")
        a = subprocess.Popen(follow + ["--slot", "kr", "--record", kr_rec], stdout=open(a_out, "w"))

        # Part 1 commits slowly, so that the kill lands mid-stream.
        w = wl.Workload(seed=int(os.environ.get("UNBUNDLED_PG_SEED", "1414")))
        part1 = subprocess.Popen(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", pg.dsn],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        part1.stdin.write(w.script(120, pause=0.02))
        part1.stdin.close()

        def a_progress():
            lines = json_lines(a_out)
            return (sum(1 for l in lines if "change" in l) >= 60 and any("confirmed" in l for l in lines))
        wait_for(a_progress, 60, "the first follow to process and confirm 60 changes")
        a.send_signal(signal.SIGKILL)
        a.wait()
        assert part1.wait(timeout=120) == 0
        part1_end = pg.psql("SELECT pg_current_wal_lsn();").strip()
        wait_for(lambda: not slot(pg, "kr")[0], 30, "the killed follow's slot to become inactive")
        _, confirmed = slot(pg, "kr")
        a_lines = json_lines(a_out)
        a_commits = [wl.pg_lsn(l["commit"]["end_lsn"]) for l in a_lines if "commit" in l]
        record = json.load(open(kr_rec))
        through = wl.pg_lsn(record["description"].rsplit(" ", 1)[1])
        assert through >= confirmed, "a position was confirmed before the record holding it was on disk"
        behind_rec = os.path.join(work, "behind.json")
        shutil.copyfile(kr_rec, behind_rec)
        print(f"killed after {sum(1 for l in a_lines if 'change' in l)} changes; slot confirmed "
              f"{confirmed:X}, record through {through:X}")

        # Part 2 commits while no follow reads slot kr.
        pg.psql(w.script(60))
        end = pg.psql("SELECT pg_current_wal_lsn();").strip()
        b_out = os.path.join(work, "b.out")
        subprocess.run(follow + ["--slot", "kr", "--record", kr_rec, "--until-idle", "3"],
                       stdout=open(b_out, "w"), timeout=120, check=True)
        b_lines = json_lines(b_out)
        assert any("resumed" in l for l in b_lines), "the restarted follow did not continue its record"

        # Stop the live follow cleanly, once it has seen the last commit.
        truth_file = os.path.join(work, "truth.ndjson")
        subprocess.run(["pg_recvlogical", "-d", pg.dsn, "--slot", "truth", "--start", "--no-loop",
                        "--endpos", end, "-f", truth_file, "-o", "format-version=2",
                        "-o", "include-xids=1", "-o", "include-lsn=1", "-o", "include-pk=1"],
                       check=True, timeout=60)
        truth = open(truth_file, encoding="utf-8").read().splitlines()
        expected = wl.expected_events(truth)
        txns = wl.transactions_of(truth)
        last_end = txns[-1][1]
        wait_for(lambda: any("commit" in l and wl.pg_lsn(l["commit"]["end_lsn"]) >= last_end
                             for l in json_lines(live_out)), 60, "the live follow to reach the last commit")
        live.send_signal(signal.SIGTERM)
        assert live.wait(timeout=30) == 0, "the live follow did not stop cleanly on SIGTERM"
        live_lines = json_lines(live_out)
        assert live_lines[-1].get("stopped") == "signal", live_lines[-1]

        table = wl.table_rows(pg)
        print(f"{w.statements} statements, {len(expected)} changes in {len(txns)} transactions")

        # The live follow: the same state, the same events, every change
        # printed once, and the slot confirmed to the end.
        storage, events = wl.engine_run(unbundled, live_rec)
        assert storage == table, "the live follow's storage differs from SELECT"
        wl.compare_events(events, expected, "live follow")
        printed = sum(1 for l in live_lines if "change" in l)
        assert printed == sum(n for _, _, n in txns), f"{printed} changes printed"
        assert slot(pg, "live")[1] >= last_end, "the live slot's confirmed_flush_lsn did not reach the end"
        print(f"live follow: storage equals SELECT ({len(table)} rows), {len(events)} events agree")

        # The killed and restarted follow.
        a_changes = sum(1 for l in a_lines if "change" in l)
        assert a_changes < sum(n for _, end, n in txns if end <= wl.pg_lsn(part1_end)), \
            "the first follow had processed all of part 1: the kill was not mid-stream"
        received = [wl.pg_lsn(l["commit"]["end_lsn"]) for l in b_lines if "commit" in l] + \
                   [wl.pg_lsn(l["skipped"]["end_lsn"]) for l in b_lines if "skipped" in l]
        assert received and min(received) > confirmed, \
            "the restarted follow received a transaction at or before the slot's confirmed_flush_lsn"
        lost = [end for _, end, n in txns if n and end <= confirmed and end not in a_commits]
        assert not lost, f"confirmed but never processed: {lost[:5]}"
        storage, events = wl.engine_run(unbundled, kr_rec)
        assert storage == table, "after kill and restart, storage differs from SELECT"
        wl.compare_events(events, expected, "killed and restarted follow")
        assert slot(pg, "kr")[1] >= last_end
        print(f"killed and restarted: resumed past {confirmed:X}, "
              f"{sum(1 for l in b_lines if 'skipped' in l)} transactions skipped as already recorded, "
              f"every change once")

        # A slot behind its record (as after a crash between writing the
        # record and confirming): what the record holds is skipped, not
        # applied twice.
        c_out = os.path.join(work, "behind.out")
        subprocess.run(follow + ["--slot", "behind", "--record", behind_rec, "--until-idle", "3"],
                       stdout=open(c_out, "w"), timeout=120, check=True)
        c_lines = json_lines(c_out)
        skipped = [wl.pg_lsn(l["skipped"]["end_lsn"]) for l in c_lines if "skipped" in l]
        assert skipped == [end for _, end, n in txns if n and end <= through], "skipped other than the record's"
        storage, events = wl.engine_run(unbundled, behind_rec)
        assert storage == table, "a slot behind its record: storage differs from SELECT"
        wl.compare_events(events, expected, "slot behind its record")
        print(f"a slot behind its record: {len(skipped)} recorded transactions skipped, every change once")

        # --max-changes stops after the transaction that reaches N, having
        # confirmed exactly what it processed.
        r = subprocess.run(follow + ["--slot", "mc", "--max-changes", "5"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        mc = [json.loads(l) for l in r.stdout.splitlines()]
        assert mc[-1].get("stopped") == "max-changes", mc[-1]
        got = sum(1 for l in mc if "change" in l)
        ends = [wl.pg_lsn(l["commit"]["end_lsn"]) for l in mc if "commit" in l]
        assert got >= 5 and got - 5 < max(n for _, _, n in txns), f"{got} changes for --max-changes 5"
        assert slot(pg, "mc")[1] == ends[-1], "--max-changes did not confirm the last transaction it processed"
        print(f"--max-changes 5: stopped after {got} changes (whole transactions), confirmed its last")
    print(f"ok in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
