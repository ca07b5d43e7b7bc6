// The page's Debezium download (Module.debeziumNdjson) is the native
// `unbundled export --to debezium`: byte for byte, for every shipped
// scenario, and an error (nothing else) for a malformed one.
//
// Environment (set by CTest): UNBUNDLED_SITE_DIR, UNBUNDLED_CLI, UNBUNDLED_SCENARIOS.
'use strict';
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const siteDir = path.resolve(process.env.UNBUNDLED_SITE_DIR);
const cli = process.env.UNBUNDLED_CLI;
const scenariosDir = path.resolve(process.env.UNBUNDLED_SCENARIOS);

let Module;
before(async () => {
  const wasm = path.join(siteDir, 'unbundled.wasm');
  assert.ok(fs.existsSync(wasm), `${wasm} is missing: build the wasm module first (scripts/build)`);
  const factory = require(path.join(siteDir, 'unbundled.js'));
  Module = await factory({ wasmBinary: fs.readFileSync(wasm) });
});

function scenarioFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? scenarioFiles(path.join(dir, e.name))
      : e.name.endsWith('.json') ? [path.join(dir, e.name)] : []);
}

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
