// The page describes every step in words, one describer per op. The op table
// lives once, in the engine (core/simulator.cc, Module.ops()); this test fails
// if the page's describers and the engine's table disagree, and if any
// describer says "undefined" about a real result of a shipped scenario.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { DESCRIBE, describeStep, lsnList, LIST_SHOWN } from '../../site/js/steps.js';

const require = createRequire(import.meta.url);
const siteDir = path.resolve(process.env.UNBUNDLED_SITE_DIR ?? 'build-wasm/site');
const scenariosDir = path.resolve(process.env.UNBUNDLED_SCENARIOS ?? 'scenarios');

let Module;
before(async () => {
  const factory = require(path.join(siteDir, 'unbundled.js'));
  Module = await factory({ wasmBinary: fs.readFileSync(path.join(siteDir, 'unbundled.wasm')) });
});

test('the page describes exactly the ops in the engine\'s op table', () => {
  const ops = JSON.parse(Module.ops()).map((op) => op.name);
  assert.deepEqual(Object.keys(DESCRIBE).sort(), [...ops].sort());
  for (const op of JSON.parse(Module.ops())) {
    assert.ok(op.summary.length > 10, `${op.name} has a one-line description`);
    assert.equal(typeof op.needs_database, 'boolean');
  }
});

function scenarioFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? scenarioFiles(path.join(dir, e.name)) : e.name.endsWith('.json') ? [path.join(dir, e.name)] : []);
}

test('every step of every shipped scenario is described in words', () => {
  let described = 0;
  const seen = new Set();
  for (const file of scenarioFiles(scenariosDir)) {
    const scenario = JSON.parse(fs.readFileSync(file, 'utf8'));
    const sim = new Module.Simulator();
    try {
      for (const spec of scenario.consumers ?? []) sim.apply(JSON.stringify({ op: 'add_consumer', mode: 'replay', consumer: spec }));
      for (const step of scenario.steps) {
        const result = JSON.parse(sim.apply(JSON.stringify(step)));
        const words = describeStep(step, result);
        assert.doesNotMatch(words, /undefined|NaN|\[object/, `${path.basename(file)}: ${JSON.stringify(step)} -> ${words}`);
        assert.ok(words.length > 3);
        seen.add(step.op);
        described++;
      }
    } finally {
      sim.delete();
    }
  }
  assert.ok(described > 100, `${described} steps described`);
  // The shipped scenarios exercise every op but remove_consumer at least once.
  const ops = JSON.parse(Module.ops()).map((op) => op.name).filter((n) => n !== 'remove_consumer');
  assert.deepEqual(ops.filter((n) => !seen.has(n)), [], 'ops no shipped scenario uses');
});

// A compaction at scale removes thousands of entries in hundreds of
// ranges; its sentence lists the first LIST_SHOWN and counts the rest.
test('a step\'s lists of LSNs are ranges, the first twelve of them shown and the rest counted; its counts are grouped by thousands', () => {
  assert.equal(lsnList([1, 2, 3, 5, 7, 8]), '1–3, 5, 7–8');
  const many = Array.from({ length: 300 }, (_, i) => [10 * i + 1, 10 * i + 2]).flat();
  const text = lsnList(many);
  assert.equal(text.split(', ').length, LIST_SHOWN + 1);
  assert.ok(text.startsWith('1–2, 11–12, 21–22,'), text);
  assert.ok(text.endsWith(', … and 288 more ranges'), text);
  const sim = new Module.Simulator();
  try {
    // Keys in a scrambled order: each key's last write, kept, falls
    // anywhere, so what is removed is hundreds of ranges.
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      sim.apply(JSON.stringify({ op: 'put', key: `k${(x >> 8) % 300}`, value: { i } }));
    }
    const step = { op: 'compact', upto: 2000 };
    const result = JSON.parse(sim.apply(JSON.stringify(step)));
    const words = describeStep(step, result);
    assert.match(words, new RegExp(`^compact the log up to LSN 2000: removed ${result.removed.length.toLocaleString('en')} log entries \\(LSN .*, … and \\d+ more ranges\\), log ${result.bytes_before.toLocaleString('en')} → ${result.bytes_after.toLocaleString('en')} bytes$`));
    assert.ok(words.length < 400, `${words.length} characters: ${words}`);
  } finally {
    sim.delete();
  }
});

