#!/usr/bin/env python3
"""The log as a real file, used as a person would from a shell.

`run --log` writes it, `dump` lists it, `recover` reads it back without
changing it, and `run --log` on an existing log reopens it (cutting a torn
tail) and appends; a corrupt log is refused and left unchanged. A log written
here byte by byte, with request ids (types 3 and 4), dumps and recovers.

    log_file_test.py PROGRAM SCENARIO_DIR WORK_DIR
"""
import hashlib
import json
import os
import re
import struct
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

# Records with request ids (types 3 and 4), encoded here from the grammar in
# core/log_format.h, independently of the engine.
CRC_TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    CRC_TABLE.append(c)


def masked_crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    c ^= 0xFFFFFFFF
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def record(type_, lsn, key, value=b'', request_id=b''):
    payload = b''
    if type_ in (3, 4):
        payload += struct.pack('<I', len(request_id)) + request_id
    payload += struct.pack('<I', len(key)) + key + value
    body = bytes([type_]) + struct.pack('<Q', lsn) + payload
    return struct.pack('<II', masked_crc32c(body), len(payload)) + body


ids_log = os.path.join(work, 'ids.log')
data = (record(3, 1, b'u1', b'{"a":1}', b'req-1') + record(1, 2, b'u2', b'{"b":2}') +
        record(4, 3, b'u1', request_id=b'req-3'))
open(ids_log, 'wb').write(data)
out, _ = run(0, 'dump', ids_log)
# 17 + 4 + 5 + 4 + 2 + 7 = 39 bytes; then 30; then 17 + 4 + 5 + 4 + 2 = 32.
expect(r'@0 size 39 lsn 1 checksum 0x[0-9a-f]{8} put "u1" \{"a":1\} request_id "req-1"\n', out)
expect(r'@39 size 30 lsn 2 checksum 0x[0-9a-f]{8} put "u2" \{"b":2\}\n', out)
expect(r'@69 size 32 lsn 3 checksum 0x[0-9a-f]{8} delete "u1" request_id "req-3"\n', out)
expect(r'# 3 records, 0 problems', out)
out, _ = run(0, 'recover', '--compact', '--recovery', 'absolute', ids_log)
result = json.loads(out)['result']
assert result['recovered'] == 3 and result['replayed'] == 3 and result['problems'] == [], result

# A request id length of 0 is corruption (its checksum is right), not a torn tail.
bad = bytearray(record(3, 1, b'u1', b'{"a":1}', b'req-1'))
bad[17:21] = struct.pack('<I', 0)
bad[0:4] = struct.pack('<I', masked_crc32c(bytes(bad[8:])))
open(ids_log, 'wb').write(bytes(bad) + record(1, 2, b'u2', b'{"b":2}'))
out, _ = run(0, 'dump', ids_log)
expect(r'@0 CORRUPTION: bad payload: request id length 0 \(a record without a request id is type 1 '
       r'or 2\); 39 bytes dropped \(header claims LSN 1\)', out)
expect(r'# 1 record, 1 problem', out)
