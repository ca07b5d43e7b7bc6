#!/usr/bin/env python3
"""The log as a real file, used as a person would from a shell.

`run --log` writes it, `dump` lists it, `recover` reads it back without
changing it, and `run --log` on an existing log reopens it (cutting a torn
tail) and appends; a corrupt log is refused and left unchanged.

    log_file_test.py PROGRAM SCENARIO_DIR WORK_DIR
"""
import hashlib
import json
import os
import re
import subprocess
import sys

program, scenarios, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
log = os.path.join(work, 'u.log')
if os.path.exists(log):
    os.remove(log)


def run(expected_exit, *args):
    p = subprocess.run([program, *args], capture_output=True, text=True)
    assert p.returncode == expected_exit, f'{args}: exit {p.returncode}\n{p.stdout}\n{p.stderr}'
    return p.stdout, p.stderr


def expect(regex, text):
    assert re.search(regex, text), f'expected /{regex}/ in:\n{text}'


def digest():
    return hashlib.sha256(open(log, 'rb').read()).hexdigest()


run(0, 'run', '--compact', '--log', log, os.path.join(scenarios, 'first.json'))
# put u1 {"city":"London"}: 17 + 4 + 2 + 17 = 40 bytes; u2 {"city":"Paris"}: 39.
assert os.path.getsize(log) == 79, os.path.getsize(log)

out, _ = run(0, 'dump', log)
expect(r'@0 size 40 lsn 1 checksum 0x[0-9a-f]{8} put "u1" \{"city":"London"\}', out)
expect(r'@40 size 39 lsn 2 checksum 0x[0-9a-f]{8} put "u2"', out)
expect(r'# 2 records, 0 problems', out)

# A torn tail: a record cut short after 10 of its bytes.
with open(log, 'ab') as f:
    f.write(open(log, 'rb').read()[40:50])
out, _ = run(0, 'dump', log)
expect(r'@79 TORN TAIL: torn tail; 10 bytes dropped', out)
before = digest()
out, _ = run(0, 'recover', '--compact', log)
result = json.loads(out)['result']
assert result['recovered'] == 2 and result['discarded_bytes'] == 10, result
assert digest() == before, 'recover changed the file'

# Reopen: the torn tail is cut, the two entries are there, writing goes on.
out, _ = run(0, 'run', '--compact', '--log', log, os.path.join(scenarios, 'second.json'))
reopened = json.loads(out)['reopened']
assert reopened['recovered'] == 2 and reopened['discarded_bytes'] == 10, reopened
assert os.path.getsize(log) == 79 + 39, os.path.getsize(log)

# Bit rot in the first record: the log is not reopened, and not changed.
data = bytearray(open(log, 'rb').read())
data[30] ^= 0xFF
open(log, 'wb').write(data)
before = digest()
_, err = run(2, 'run', '--compact', '--log', log, os.path.join(scenarios, 'second.json'))
expect(r'cannot reopen the log: recovery: corrupt record at byte offset 0 \(claims LSN 1\): '
       r'checksum mismatch', err)
assert digest() == before, 'a refused reopen changed the file'
out, _ = run(1, 'recover', '--compact', '--recovery', 'absolute', log)
out, _ = run(0, 'recover', '--compact', '--recovery', 'skip', log)
result = json.loads(out)['result']
assert result['recovered'] == 3 and result['replayed'] == 2, result
assert result['corruption'] == {'lsn': 1, 'offset': 0, 'reason': 'checksum mismatch'}, result
out, _ = run(0, 'recover', '--compact', log)
assert json.loads(out)['result']['recovered'] == 0
