// The page's Debezium download (Module.debeziumNdjson) is the native
// `unbundled export --to debezium`: byte for byte, for every shipped
// scenario, and an error (nothing else) for a malformed one.
//
// Environment (set by CTest): see harness.cjs.
'use strict';
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

const { cli, scenariosDir, loadModule, scenarioFiles } = require('./harness.cjs');

let Module;
before(async () => { Module = await loadModule(); });

test('the module exports every scenario\'s change stream exactly as the native program does', () => {
  let events = 0;
  for (const file of scenarioFiles(scenariosDir)) {
    const native = execFileSync(cli, ['export', '--to', 'debezium', file], { encoding: 'utf8' });
    const r = JSON.parse(Module.debeziumNdjson(fs.readFileSync(file, 'utf8')));
    assert.equal(r.ok, true, `${file}: ${r.error}`);
    assert.equal(r.ndjson, native, `${file}: the module's envelopes differ from the native export`);
    events += native ? native.trimEnd().split('\n').length : 0;
  }
  assert.ok(events > 100, `only ${events} envelopes across the scenarios`);
});

test('a malformed scenario is an error result naming the place', () => {
  const r = JSON.parse(Module.debeziumNdjson(JSON.stringify({ title: 'x', steps: [{ op: 'putt' }] })));
  assert.equal(r.ok, false);
  assert.match(r.error, /steps\[0\]\.op: unknown op/);
  assert.equal(r.ndjson, undefined);
});

// The page exports a part at a time (Module.DebeziumExport): its steps in
// slices, its lines in windows. Whatever the slices, the text is the
// native export's.
test('the export taken a part at a time is the whole export, byte for byte', () => {
  for (const file of scenarioFiles(scenariosDir)) {
    const scenario = JSON.parse(fs.readFileSync(file, 'utf8'));
    const whole = JSON.parse(Module.debeziumNdjson(JSON.stringify(scenario))).ndjson;
    const ex = new Module.DebeziumExport();
    try {
      const { steps, ...header } = scenario;
      assert.deepEqual(JSON.parse(ex.begin(JSON.stringify(header))), { ok: true });
      for (let i = 0; i < steps.length; i += 3) {
        assert.deepEqual(JSON.parse(ex.apply(JSON.stringify(steps.slice(i, i + 3)), i)), { ok: true }, file);
      }
      let text = '';
      for (let start = 0; start < ex.count(); start += 7) text += ex.lines(start, 7);
      assert.equal(text, whole, `${file}: the export in parts differs from the whole`);
      assert.equal(ex.lines(ex.count(), 7), '', 'nothing past the end');
    } finally {
      ex.delete();
    }
  }
});

test('an export in parts refuses a malformed step by its place in the session, and takes nothing of its slice', () => {
  const ex = new Module.DebeziumExport();
  try {
    assert.deepEqual(JSON.parse(ex.begin(JSON.stringify({ title: 'x', consumers: [] }))), { ok: true });
    assert.deepEqual(JSON.parse(ex.apply(JSON.stringify([{ op: 'put', key: 'a', value: {} }]), 0)), { ok: true });
    const r = JSON.parse(ex.apply(JSON.stringify([{ op: 'put', key: 'b', value: {} }, { op: 'putt' }]), 1));
    assert.equal(r.ok, false);
    assert.match(r.error, /^steps\[2\]\.op: unknown op/);
    assert.equal(ex.count(), 1, 'the slice with a bad step took none of its steps');
    assert.match(JSON.parse(ex.begin('{"consumers": 3')).error, /^scenario: /);
  } finally {
    ex.delete();
  }
});

// The page's driver (share.js's changeStreamParts) takes bulk steps by
// parts of their documents and flushes by parts of their events, as the
// page takes them: the text is still the whole export's.
test('the page\'s export in parts, bulk steps and flushes in parts too, is the whole export', async () => {
  const { changeStreamParts } = await import('../../site/js/share.js');
  const bulk = {
    title: 'bulk',
    consumers: [{ name: 'i', type: 'secondary_index', field: 'city' }, { name: 's', type: 'full_text' }],
    steps: [
      { op: 'put_random', count: 23, keys: 9, seed: 5 },
      { op: 'flush' },
      { op: 'put', key: 'k', value: { city: 'Oslo' } },
      { op: 'put_random', count: 17, keys: 30, seed: 6, from: 4 },
      { op: 'put_random', count: 13, seed: 7 },
      { op: 'put_random', count: 100001, seed: 8 },
      { op: 'flush', consumer: 'i' },
      { op: 'delete', key: 'k' },
      { op: 'checkpoint' },
      { op: 'truncate', before: 20, force: true },
      { op: 'flush', limit: 3 },
    ],
  };
  const files = scenarioFiles(scenariosDir).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  let events = 0;
  for (const scenario of [bulk, ...files]) {
    const whole = JSON.parse(Module.debeziumNdjson(JSON.stringify(scenario)));
    assert.equal(whole.ok, true, whole.error);
    const seen = [];
    const parts = await changeStreamParts(Module, scenario, scenario.steps.length, (what, done, total) => seen.push([what, done, total]),
      null, { slice: 3, part: 4, lines: 7 });
    assert.ok(parts.every((p) => p instanceof Blob));
    assert.equal(await new Blob(parts).text(), whole.ndjson, `${scenario.title}: the export in parts differs from the whole`);
    assert.deepEqual(seen.at(-1)?.[0] === 'event' ? seen.at(-1).slice(1) : [0, 0], whole.ndjson ? [seen.at(-1)[2], seen.at(-1)[2]] : [0, 0]);
    events += whole.ndjson.split('\n').length - 1;
  }
  assert.ok(events > 100);
  // Cancelled: null, at once.
  const controller = new AbortController();
  controller.abort();
  assert.equal(await changeStreamParts(Module, bulk, bulk.steps.length, null, controller.signal), null);
  // A malformed step stops it with the check's error, named by its place.
  await assert.rejects(changeStreamParts(Module, { title: 'x', steps: [{ op: 'put', key: 'a', value: {} }, { op: 'putt' }] }, 2, null, null),
    /steps\[1\]\.op: unknown op/);
});

