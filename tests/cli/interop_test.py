"""unbundled import and export on files, as a user runs them: a Debezium
fixture written from Debezium's documented envelope (with and without the
schema/payload wrapper, a Kafka key, a tombstone), and bad input, where each
error names the line and the field and no output file is written (an existing
one is left as it was).

usage: interop_test.py UNBUNDLED FIXTURES MALFORMED WORKDIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

unbundled, fixtures, malformed, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures.append(name)


def run(*args):
    return subprocess.run([unbundled, *args], capture_output=True, text=True)


# The Debezium fixture.
out = os.path.join(work, "debezium.json")
r = run("import", "--from", "debezium", "--out", out, os.path.join(fixtures, "debezium-postgres.ndjson"))
check("debezium import succeeds", r.returncode == 0, r.stderr)
check("debezium import counts tombstones", "skipped 2 tombstones" in r.stderr, r.stderr)
state = json.loads(run("run", "--compact", "--strict", out).stdout)["state"]
want = {
    "inventory.customers:1001": {"id": 1001, "first_name": "Sally", "email": "sally.thomas@example.com",
                                 "prefs": None},
    "inventory.customers:1003": {"id": 1003, "first_name": "Edward", "email": "ed@walker.com", "prefs": [1, 2]},
}
check("debezium r/c/u/d give the table's rows (jsonb parsed by the schema, key from the Kafka key)",
      state["storage"]["data"] == want, json.dumps(state["storage"]["data"]))
ops = [e["op"] for e in state["events"]]
check("debezium events replay as c, c, u, d, c", ops == ["c", "c", "u", "d", "c"], str(ops))

# Bad input: the error names the line and the field; nothing is written.
cases = [
    ("wal2json", "wal2json-bad-jsonb.ndjson", r"line 2: columns\[1\]\.value: a jsonb column's text: not valid JSON"),
    ("wal2json", "wal2json-no-pk.ndjson", r"line 2: pk: missing: run pg_recvlogical with -o include-pk=1"),
    ("wal2json", "wal2json-torn.ndjson", r"line 5: not valid JSON"),
    ("debezium", "debezium-bad-op.ndjson", r"line 2: op: unknown op \"x\""),
    ("debezium", "debezium-no-key.ndjson", r"line 2: after: has no value for primary-key column 'id'"),
]
for source, name, pattern in cases:
    target = os.path.join(work, name + ".json")
    r = run("import", "--from", source, "--out", target, os.path.join(fixtures, name))
    check(f"{name}: exit 2", r.returncode == 2, f"exit {r.returncode}")
    check(f"{name}: error names line and field", re.search(pattern, r.stderr) is not None, r.stderr)
    check(f"{name}: no output file", not os.path.exists(target) and
          not any(f.startswith(name + ".json") for f in os.listdir(work)), str(os.listdir(work)))
    check(f"{name}: nothing on stdout", r.stdout == "", r.stdout[:200])
    # An existing file is left as it was.
    with open(target, "w") as f:
        f.write("before")
    r = run("import", "--from", source, "--out", target, os.path.join(fixtures, name))
    check(f"{name}: an existing output file is unchanged", open(target).read() == "before")
    os.remove(target)

# Export of a malformed scenario: an error, and no file.
target = os.path.join(work, "export.ndjson")
r = run("export", "--to", "debezium", "--out", target, os.path.join(malformed, "unknown-op.json"))
check("export of a malformed scenario: exit 2, the place named, no file",
      r.returncode == 2 and "steps[1].op: unknown op" in r.stderr and not os.path.exists(target), r.stderr)

# Export, then import back: the same storage and the same events.
scenario = os.path.join(os.path.dirname(malformed), "..", "..", "scenarios", "walkthrough.json")
r = run("export", "--to", "debezium", "--out", target, scenario)
check("export of walkthrough.json succeeds", r.returncode == 0, r.stderr)
envelopes = [json.loads(l) for l in open(target)]
before = json.loads(run("run", "--compact", scenario).stdout)["state"]
check("one envelope per change event, in order, with source.lsn",
      [(e["op"], e["source"]["lsn"]) for e in envelopes] == [(e["op"], e["lsn"]) for e in before["events"]])
check("envelopes carry before and after as {key, value} rows",
      all((e["after"] or e["before"])["key"] == ev["key"] and
          (e["after"]["value"] if e["after"] else None) == ev["after"] and
          (e["before"]["value"] if e["before"] else None) == ev["before"]
          for e, ev in zip(envelopes, before["events"])))
back = os.path.join(work, "back.json")
r = run("import", "--from", "debezium", "--out", back, target)
after = json.loads(run("run", "--compact", back).stdout)["state"]
check("imported back: the same storage", after["storage"]["data"] == before["storage"]["data"])
check("imported back: the same change events (op, key, before, after)",
      [(e["op"], e["key"], e["before"], e["after"]) for e in after["events"]] ==
      [(e["op"], e["key"], e["before"], e["after"]) for e in before["events"]])

sys.exit(1 if failures else 0)
