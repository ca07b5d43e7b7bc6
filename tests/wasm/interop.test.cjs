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
