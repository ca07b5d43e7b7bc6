#!/usr/bin/env python3
"""A real process kill: `unbundled run --log FILE --stream` writes a real log
file with fdatasync before it acknowledges each put (sync commit), and is
killed with SIGKILL at random moments. Recovery from the file must keep every
write the program acknowledged on stdout before it died, and the log must be
a prefix of what it was writing: no holes, nothing invented.

    kill_test.py PROGRAM WORK_DIR [KILLS]     (seeded; KILLS defaults to 12)
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

program, work = sys.argv[1], sys.argv[2]
kills = int(sys.argv[3]) if len(sys.argv) > 3 else 12
os.makedirs(work, exist_ok=True)
rng = random.Random(20261125)

N = 20000
scenario = os.path.join(work, 'many-puts.json')
with open(scenario, 'w') as f:
    json.dump({'title': 'many synced puts', 'steps': [
        {'op': 'put', 'key': f'k{i}', 'value': {'i': i, 'pad': 'x' * (i % 40)}} for i in range(N)]}, f)

total_acked = 0
for round_ in range(kills):
    log = os.path.join(work, f'kill-{round_}.log')
    if os.path.exists(log):
        os.remove(log)
    proc = subprocess.Popen([program, 'run', '--log', log, '--stream', scenario],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    acked = []
    writing = threading.Event()  # set once the program has opened its log and acknowledged a write
    def reader():
        for line in proc.stdout:
            r = json.loads(line)
            if r.get('ok') and r.get('acknowledged'):
                acked.append(r['event'])
                writing.set()
    t = threading.Thread(target=reader)
    t.start()
    # Parsing the scenario takes a while on a loaded machine: the random
    # moment is counted from the first acknowledged write.
    assert writing.wait(timeout=60), f'round {round_}: no write was acknowledged within 60 s'
    time.sleep(rng.uniform(0.0, 0.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t.join()
    assert proc.returncode == -signal.SIGKILL, f'round {round_}: the program ended by itself ({proc.returncode}) before the kill'

    out = subprocess.run([program, 'recover', '--compact', log], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    recovered = json.loads(out.stdout)
    result, state = recovered['result'], recovered['state']
    data = state['storage']['data']
    for event in acked:
        assert data.get(event['key']) == event['after'], \
            f'round {round_}: acknowledged LSN {event["lsn"]} ({event["key"]}) is missing after recovery'
    lsns = [e['lsn'] for e in state['wal']]
    assert lsns == list(range(1, len(lsns) + 1)), f'round {round_}: the recovered log has holes'
    assert len(lsns) >= len(acked), (len(lsns), len(acked))
    # Nothing invented: every recovered entry is a put the scenario asked for.
    for e in state['wal']:
        i = e['lsn'] - 1
        assert e['key'] == f'k{i}' and e['value']['i'] == i, e
    assert result['corruption'] is None, result
    total_acked += len(acked)
    print(f'kill {round_ + 1}: {len(acked)} acknowledged, {len(lsns)} recovered, '
          f'{result["discarded_bytes"]} torn bytes dropped')

assert total_acked > 0, 'no put was acknowledged before any kill: the test tested nothing'
