"""Random SQL for the PostgreSQL tests, and an independent reading of what
PostgreSQL decoded (wal2json, format-version 2) as the engine's change events
should be. Written here, in Python, apart from the C++ importer it checks."""
import json
import random
import subprocess

TABLE_SQL = """
CREATE TABLE items (id integer PRIMARY KEY, doc jsonb, qty integer, label text);
ALTER TABLE items REPLICA IDENTITY FULL;
"""


def _word(rng):
    return rng.choice(["alpha", "Zürich", "naïve", "quote'd", 'dq"x', "a,b", "100%", "日本", "x y", ""])


def _jdoc(rng, depth=0):
    kind = rng.random()
    if depth < 2 and kind < 0.35:
        return {_word(rng) or "k": _jdoc(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 2 and kind < 0.5:
        return [_jdoc(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind < 0.65:
        return rng.randint(-10**6, 10**6)
    if kind < 0.75:
        return rng.choice([0.5, -2.25, 3.125])
    if kind < 0.85:
        return _word(rng)
    return rng.choice([True, False, None])


def _lit(text):
    return "'" + text.replace("'", "''") + "'"


def _doc_sql(rng):
    if rng.random() < 0.1:
        return "NULL"
    return _lit(json.dumps({"v": _jdoc(rng), "tag": _word(rng)}, ensure_ascii=False)) + "::jsonb"


class Workload:
    """Random transactions over `items`; keeps the ids that exist."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.ids = set()
        self.next_id = 1
        self.statements = 0

    def _statement(self, ids):
        rng = self.rng
        roll = rng.random()
        if not ids or roll < 0.4:
            i = self.next_id
            self.next_id += 1
            ids.add(i)
            return (f"INSERT INTO items VALUES ({i}, {_doc_sql(rng)}, {rng.randint(0, 9)}, "
                    f"{_lit(_word(rng))});")
        target = rng.choice(sorted(ids))
        if roll < 0.7:
            return f"UPDATE items SET doc = {_doc_sql(rng)}, qty = {rng.randint(0, 9)} WHERE id = {target};"
        if roll < 0.78:
            # Several rows in one statement.
            return f"UPDATE items SET qty = qty + 1 WHERE id % 5 = {rng.randint(0, 4)};"
        if roll < 0.82:
            # The primary key changes: the row moves to another key.
            i = self.next_id
            self.next_id += 1
            ids.discard(target)
            ids.add(i)
            return f"UPDATE items SET id = {i} WHERE id = {target};"
        ids.discard(target)
        return f"DELETE FROM items WHERE id = {target};"

    def script(self, transactions, pause=0.0):
        """SQL for `transactions` transactions: single statements (autocommit),
        BEGIN..COMMIT blocks of several, and some that ROLLBACK."""
        out = []
        for _ in range(transactions):
            n = self.rng.choice([1, 1, 2, 3, 4, 6])
            ids = set(self.ids)
            stmts = [self._statement(ids) for _ in range(n)]
            self.statements += n
            if n == 1:
                out.extend(stmts)
                self.ids = ids
            elif self.rng.random() < 0.1:
                out.append("BEGIN;")
                out.extend(stmts)
                out.append("ROLLBACK;")
            else:
                out.append("BEGIN;")
                out.extend(stmts)
                out.append("COMMIT;")
                self.ids = ids
            if pause:
                out.append(f"SELECT pg_sleep({pause});")
        return "\n".join(out) + "\n"


def table_rows(server):
    """SELECT of the whole table, as the importer keys and documents it."""
    text = server.psql("SELECT coalesce(json_agg(row_to_json(items) ORDER BY id), '[]') FROM items;")
    return {f"items:{r['id']}": r for r in json.loads(text)}


def _row(columns):
    row = {}
    for c in columns:
        v = c["value"]
        if c["type"] in ("json", "jsonb") and isinstance(v, str):
            v = json.loads(v)
        row[c["name"]] = v
    return row


def expected_events(ndjson_lines):
    """The change events the engine should emit for PostgreSQL's decoded
    changes, in order: [(op, key, before, after, xid)]. An UPDATE that moves a
    row to a new primary key is a delete and a create."""
    events = []
    for line in ndjson_lines:
        if not line.strip():
            continue
        m = json.loads(line)
        a = m["action"]
        if a not in ("I", "U", "D"):
            continue
        assert m["table"] == "items", m
        after = _row(m["columns"]) if a != "D" else None
        before = _row(m["identity"]) if "identity" in m else None
        key = lambda row: f"items:{row['id']}"
        if a == "I":
            events.append(("c", key(after), None, after, m.get("xid")))
        elif a == "D":
            events.append(("d", key(before), before, None, m.get("xid")))
        elif key(before) != key(after):
            events.append(("d", key(before), before, None, m.get("xid")))
            events.append(("c", key(after), None, after, m.get("xid")))
        else:
            events.append(("u", key(after), before, after, m.get("xid")))
    return events


def transactions_of(ndjson_lines):
    """[(xid, commit end LSN, number of changes)] in commit order."""
    out, changes = [], 0
    for line in ndjson_lines:
        if not line.strip():
            continue
        m = json.loads(line)
        if m["action"] == "B":
            changes = 0
        elif m["action"] in ("I", "U", "D"):
            changes += 1
        elif m["action"] == "C":
            out.append((str(m["xid"]), pg_lsn(m["nextlsn"]), changes))
    return out


def pg_lsn(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def engine_run(unbundled, scenario_path):
    """`unbundled run --strict` of a scenario: (storage, events)."""
    r = subprocess.run([unbundled, "run", "--compact", "--strict", scenario_path], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"unbundled run {scenario_path} failed ({r.returncode}): {r.stderr[:2000]}")
    state = json.loads(r.stdout)["state"]
    return state["storage"]["data"], state["events"]


def compare_events(actual, expected, what):
    """Engine change events against PostgreSQL's, op by op, before and after."""
    assert len(actual) == len(expected), f"{what}: {len(actual)} events, PostgreSQL decoded {len(expected)}"
    for i, (e, (op, key, before, after, _xid)) in enumerate(zip(actual, expected)):
        got = (e["op"], e["key"], e["before"], e["after"])
        want = (op, key, before, after)
        assert got == want, f"{what}: event {i} (LSN {e['lsn']}) differs:\n engine     {got}\n PostgreSQL {want}"
