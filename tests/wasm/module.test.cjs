// Tests of the built WebAssembly module itself, under Node's test runner.
// The module must give byte-for-byte the same results and state as the native
// program for every shipped scenario: a difference is a bug.
//
// Environment (set by CTest): see harness.cjs.
'use strict';
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { cli, scenariosDir, loadModule, scenarioFiles } = require('./harness.cjs');

let Module;
before(async () => { Module = await loadModule(); });

// Runs a scenario step by step through the module, as the page does.
function runInWasm(scenario) {
  const sim = new Module.Simulator();
  try {
    for (const spec of scenario.consumers ?? []) {
      const r = JSON.parse(sim.apply(JSON.stringify({ op: 'add_consumer', mode: 'replay', consumer: spec })));
      assert.equal(r.ok, true, r.error);
    }
    const results = scenario.steps.map((step) => sim.apply(JSON.stringify(step)));
    return `{"results":[${results.join(',')}],"state":${sim.state()}}`;
  } finally {
    sim.delete();
  }
}

for (const file of scenarioFiles(scenariosDir)) {
  test(`${path.relative(scenariosDir, file)}: wasm output is byte-identical to the native program's`, () => {
    let native;
    try {
      native = execFileSync(cli, ['run', '--compact', file], { encoding: 'utf8' });
    } catch (e) {
      assert.fail(`native run failed (exit ${e.status}): ${e.stderr}`);
    }
    const wasm = runInWasm(JSON.parse(fs.readFileSync(file, 'utf8')));
    assert.equal(wasm, native.trimEnd());
  });
}

test('a bad step comes back as an error result and changes nothing', () => {
  const sim = new Module.Simulator();
  try {
    sim.apply('{"op":"put","key":"u1","value":{"city":"London"}}');
    const before = sim.state();
    const bad = [
      ['{not json', /^step: not valid JSON/],
      [JSON.stringify({ op: 'put', key: 'k'.repeat(257), value: {} }), /^key: must be at most 256 bytes \(got 257\)$/],
      [JSON.stringify({ op: 'flush', consumer: 'nope' }), /^consumer: no consumer named 'nope'$/],
      [JSON.stringify({ op: 'put', key: 'u2', value: [1] }), /^value: must be a JSON object/],
      ['"just a string"', /^step: must be a JSON object$/],
    ];
    for (const [step, error] of bad) {
      const r = JSON.parse(sim.apply(step));
      assert.equal(r.ok, false);
      assert.match(r.error, error);
      assert.equal(sim.state(), before);
    }
  } finally {
    sim.delete();
  }
});

test('simulators are independent of each other', () => {
  const a = new Module.Simulator();
  const b = new Module.Simulator();
  try {
    a.apply('{"op":"put","key":"x","value":{}}');
    assert.equal(JSON.parse(a.state()).head, 1);
    assert.equal(JSON.parse(b.state()).head, 0);
  } finally {
    a.delete();
    b.delete();
  }
});

test('setSnapshotEventsListed: a snapshot\'s result lists that many r events, counts every row, and a clone keeps the setting', () => {
  const a = new Module.Simulator();
  const b = new Module.Simulator();
  const copies = [];
  try {
    const put = JSON.stringify({ op: 'put_random', count: 50, keys: 50, seed: 4 });
    a.apply(put);
    b.apply(put);
    a.setSnapshotEventsListed(3);
    const add = JSON.stringify({ op: 'add_consumer', consumer: { name: 'late', type: 'secondary_index', field: 'city' } });
    const listed = JSON.parse(a.apply(add)), whole = JSON.parse(b.apply(add));
    const rows = Object.keys(JSON.parse(b.state()).storage.data).length;
    assert.ok(rows > 3, `${rows} rows`);
    assert.equal(whole.snapshot.length, rows);
    assert.equal(whole.snapshot_rows, rows);
    assert.equal(listed.snapshot_rows, rows);
    assert.deepEqual(listed.snapshot, whole.snapshot.slice(0, 3));
    assert.equal(a.state(), b.state(), 'the same state either way');
    const rebuild = JSON.stringify({ op: 'rebuild', consumer: 'late' });
    copies.push(a.clone());
    assert.equal(JSON.parse(copies[0].apply(rebuild)).snapshot.length, 3, 'a clone lists as many');
    a.setSnapshotEventsListed(-1);
    assert.equal(JSON.parse(a.apply(rebuild)).snapshot.length, rows, '-1 lists all again');
  } finally {
    for (const s of [a, b, ...copies]) s.delete();
  }
});

test('positions() summarizes the head and each consumer position', () => {
  const sim = new Module.Simulator();
  try {
    sim.apply(JSON.stringify({ op: 'add_consumer', mode: 'replay', consumer: { name: 'idx', type: 'secondary_index', field: 'city' } }));
    sim.apply('{"op":"put","key":"a","value":{"city":"Oslo"}}');
    sim.apply('{"op":"put","key":"b","value":{"city":"Lima"}}');
    sim.apply('{"op":"step","consumer":"idx"}');
    assert.deepEqual(JSON.parse(sim.positions()), { head: 2, positions: { idx: 1 } });
  } finally {
    sim.delete();
  }
});

test('validateScenario names what is wrong with a scenario', () => {
  assert.deepEqual(JSON.parse(Module.validateScenario('{"title":"t","steps":[]}')), { ok: true });
  assert.deepEqual(JSON.parse(Module.validateScenario('{"title":"t","steps":[{"op":"x"}]}')),
    { ok: false, error: "steps[0].op: unknown op 'x'" });
  assert.deepEqual(JSON.parse(Module.validateScenario('{oops')),
    { ok: false, error: 'scenario: not valid JSON (line 1, column 2: unexpected text: names and strings need "double quotes")' });
});

test('a bulk step checked whole says what the step itself would say, and takes nothing', () => {
  const sim = new Module.Simulator();
  const before = sim.state();
  for (const step of [
    { op: 'put_random', count: 100001 },
    { op: 'put_random', count: 0 },
    { op: 'put_random', count: 10, keys: 1000001 },
    { op: 'put_random', count: 1.5 },
  ]) {
    const checked = JSON.parse(Module.checkBulk(JSON.stringify(step)));
    assert.equal(checked.ok, false, JSON.stringify(step));
    assert.equal(checked.error, JSON.parse(sim.apply(JSON.stringify(step))).error, JSON.stringify(step));
  }
  assert.deepEqual(JSON.parse(Module.checkBulk('{"op":"put_random","count":100000,"keys":1000000}')), { ok: true });
  assert.match(JSON.parse(Module.checkBulk('{"op":')).error, /^step: not valid JSON/);
  assert.equal(JSON.parse(Module.checkBulk('[1]')).error, 'step: must be an object');
  assert.equal(sim.state(), before, 'checks take nothing');
  sim.delete();
});

test('the limits table, and text checked under it, without a stack overflow at any depth', () => {
  const limits = JSON.parse(Module.limits());
  assert.equal(limits.value_depth, 32);
  assert.equal(limits.link_bytes, 4 * 1024 * 1024);
  assert.equal(limits.bulk_documents, 100000);
  assert.equal(limits.bulk_keys, 1000000);
  const deep = (n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  assert.deepEqual(JSON.parse(Module.checkValue(deep(32))), { ok: true });
  assert.deepEqual(JSON.parse(Module.checkValue(deep(33))),
    { ok: false, error: 'value: is nested more than 32 levels deep (the limit for a value)' });
  assert.match(JSON.parse(Module.checkValue(deep(200000))).error, /^value\.a\.a\.a\.a\.a\.a…: is nested more than 48 levels deep/);
  assert.match(JSON.parse(Module.checkJson(`{"v":1,"scenario":{"steps":[${deep(200000)}]}}`, 'link')).error,
    /^scenario\.steps\[0\]\.a\.a\.a…: is nested more than 48 levels deep/);
  assert.match(JSON.parse(Module.checkValue('{"n": 9007199254740993}')).error, /^value\.n: holds the integer 9007199254740993, beyond/);
  // A deep step through apply is refused as a result, not a trap.
  const sim = new Module.Simulator();
  const r = JSON.parse(sim.apply(`{"op":"put","key":"d","value":${deep(100000)}}`));
  assert.equal(r.ok, false);
  assert.match(r.error, /^value\.a\.a\.a\.a\.a…: is nested more than 48 levels deep/);
  sim.delete();
});

test('checkSession reads a session once: the text under the limits, then its scenario as validateScenario does', () => {
  const check = (session) => JSON.parse(Module.checkSession(typeof session === 'string' ? session : JSON.stringify(session), 'link'));
  const scenario = { title: 't', steps: [{ op: 'put', key: 'a', value: { n: 1 } }] };
  assert.deepEqual(check({ v: 1, scenario, cursor: 1 }), { ok: true });
  // The text itself refused: as checkJson says, naming the place.
  assert.deepEqual(check('{"v":1,"scenario":'), JSON.parse(Module.checkJson('{"v":1,"scenario":', 'link')));
  assert.match(check('{"v":1,"scenario":{"title":"t","steps":[{"op":"put","key":"n","value":{"n":9007199254740993}}]}}').error,
    /^scenario\.steps\[0\]\.value\.n: holds the integer 9007199254740993/);
  // A readable session whose scenario is not one: the same words as validateScenario.
  for (const bad of [{ title: 't', steps: [{ op: 'putt' }] }, { steps: [] }, [1]]) {
    const r = check({ v: 1, scenario: bad, cursor: 0 });
    assert.equal(r.ok, true);
    assert.equal(r.scenario_error, JSON.parse(Module.validateScenario(JSON.stringify(bad))).error);
  }
  // Over the work limit, named at the step that passes it.
  const steps = [{ op: 'add_consumer', consumer: { name: 's', type: 'full_text' } }];
  for (let i = 0; i < 2000; i++) steps.push({ op: 'put', key: `k${i}`, value: { text: 'x' } });
  for (let i = 0; i < 2000; i++) steps.push({ op: 'rebuild', consumer: 's' });
  assert.match(check({ v: 1, scenario: { title: 't', steps }, cursor: 0 }).scenario_error,
    /^steps\[\d+\]: this step would bring the session's work to [\d,]+ rows copied, over the limit of 1,000,000/);
  // The session's own fields are the page's to check; a session without a scenario reads as text.
  assert.deepEqual(check({ v: 1 }), { ok: true });
});

test('ScenarioCheck checks steps in slices as validateScenario checks them at once, the work counted across slices', () => {
  const steps = [{ op: 'add_consumer', consumer: { name: 's', type: 'full_text' } }];
  for (let i = 0; i < 2000; i++) steps.push({ op: 'put', key: `k${i}`, value: { text: 'x' } });
  for (let i = 0; i < 2000; i++) steps.push({ op: 'rebuild', consumer: 's' });
  const inSlices = (all, size) => {
    const check = new Module.ScenarioCheck();
    try {
      for (let i = 0; i < all.length; i += size) {
        const r = JSON.parse(check.add(JSON.stringify(all.slice(i, i + size)), i));
        if (!r.ok) return r;
      }
      return { ok: true };
    } finally {
      check.delete();
    }
  };
  const whole = (all) => JSON.parse(Module.validateScenario(JSON.stringify({ title: 't', steps: all })));
  // Over the work limit only with the slices before counted.
  assert.equal(whole(steps).ok, false);
  assert.deepEqual(inSlices(steps, 500), whole(steps));
  assert.deepEqual(inSlices(steps.slice(0, 2400), 500), { ok: true });
  // A bad step, named by its place in the whole scenario.
  const bad = [...steps.slice(0, 1200), { op: 'putt' }];
  assert.deepEqual(inSlices(bad, 500), whole(bad));
  assert.match(inSlices(bad, 500).error, /^steps\[1200\]\.op: unknown op 'putt'/);
  // A slice whose text is refused says so.
  const r = JSON.parse(new Module.ScenarioCheck().add('[{"op":', 0));
  assert.equal(r.unread, true);
});

test('ScenarioCheck.replay checks a slice as add does, then replays it as replayRefused does; a slice that fails is not replayed', () => {
  const steps = [{ op: 'add_consumer', consumer: { name: 's', type: 'full_text' } }];
  for (let i = 0; i < 300; i++) steps.push({ op: 'put', key: `k${i}`, value: { text: `w${i % 5}` } });
  steps.push({ op: 'flush', consumer: 'nobody' });  // well formed, refused by the engine
  const checked = new Module.Simulator();
  const plain = new Module.Simulator();
  const check = new Module.ScenarioCheck();
  try {
    for (let i = 0; i < steps.length; i += 100) {
      const text = JSON.stringify(steps.slice(i, i + 100));
      assert.equal(check.replay(checked, text, i), plain.replayRefused(text));
    }
    assert.equal(checked.state(), plain.state());
    // A malformed step in a slice: add's error, and none of the slice's steps taken.
    const before = checked.state();
    const slice = [{ op: 'put', key: 'x', value: {} }, { op: 'putt' }];
    assert.deepEqual(JSON.parse(check.replay(checked, JSON.stringify(slice), 301)),
      { ok: false, error: "steps[302].op: unknown op 'putt'" });
    assert.equal(checked.state(), before);
    // Text that is not read: unread, nothing taken.
    assert.equal(JSON.parse(check.replay(checked, '[{"op":', 303)).unread, true);
    assert.equal(checked.state(), before);
  } finally {
    check.delete();
    checked.delete();
    plain.delete();
  }
});

test('version matches package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
  assert.equal(Module.version(), pkg.version);
});
