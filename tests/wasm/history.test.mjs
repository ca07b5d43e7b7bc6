// The page's history (site/js/history.js) over the real module: time travel
// through its checkpoints lands on exactly the state a fresh replay reaches,
// and the saved text of a session equals JSON.stringify of it however the
// history grew or forked.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { History, scenarioText } from '../../site/js/history.js';
import { Simulator } from '../../site/js/engine.js';

const require = createRequire(import.meta.url);
const siteDir = path.resolve(process.env.UNBUNDLED_SITE_DIR ?? 'build-wasm/site');

let Module;
before(async () => {
  const factory = require(path.join(siteDir, 'unbundled.js'));
  Module = await factory({ wasmBinary: fs.readFileSync(path.join(siteDir, 'unbundled.wasm')) });
});

const CONSUMERS = [
  { name: 'by_city', type: 'secondary_index', field: 'city' },
  { name: 'stats', type: 'materialized_view', group_by: 'city', sum: 'age', list: true },
  { name: 'search', type: 'full_text', fields: ['name'] },
];

// Puts, deletes, flushes, single steps and a consumer crash, over 300 keys.
function steps(n, seed) {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = next() % 100;
    const key = `k${next() % 300}`;
    if (r < 70) out.push({ op: 'put', key, value: { name: `user ${next() % 50} ${i}`, city: ['Oslo', 'Lima', 'Pune'][next() % 3], age: next() % 90 } });
    else if (r < 80) out.push({ op: 'delete', key });
    else if (r < 90) out.push({ op: 'flush' });
    else if (r < 97) out.push({ op: 'step', consumer: CONSUMERS[next() % 3].name });
    else out.push({ op: 'crash_consumer', consumer: CONSUMERS[next() % 3].name });
  }
  return out;
}

function freshState(stepsSoFar) {
  return fresh(stepsSoFar).state;
}

// A fresh engine given these steps: its state, the last step's result and
// the positions before and after it.
function fresh(stepsSoFar) {
  const sim = new Simulator(Module);
  for (const spec of CONSUMERS) sim.apply({ op: 'add_consumer', mode: 'replay', consumer: spec });
  let result = null, before = sim.positions().positions;
  stepsSoFar.forEach((s, k) => {
    if (k === stepsSoFar.length - 1) before = sim.positions().positions;
    result = sim.apply(s);
  });
  const out = { state: sim.state(), result, before, after: sim.positions().positions };
  sim.dispose();
  return out;
}

test('going to any step through checkpoints gives the state a fresh replay gives', async () => {
  const all = steps(4000, 7);
  const history = new History(Module, { title: 'checkpoints', consumers: CONSUMERS, steps: all });
  assert.equal(await history.load(), true);
  assert.ok(history.checkpoints.length > 3, `checkpoints were taken (${history.checkpoints.length})`);
  // Where a load leaves the cursor, at the end, the last steps' results are
  // worked out already (in a task of their own, not the first drawing's).
  assert.ok(history.known(4000) && history.known(3990), 'the results at the end are known');
  assert.deepEqual(history.current().result, fresh(all).result, 'the last step\'s result');
  assert.equal(history.known(2000), false, 'a step in the middle is worked out when reached');
  for (const i of [0, 3999, 1, 2500, 2499, 4000, 17, 1234, 3000, 2999]) {
    history.goTo(i);
    const f = fresh(all.slice(0, i));
    assert.deepEqual(history.state(), f.state, `step ${i}`);
    if (i === 0) continue;
    // A loaded step's result and the positions around it, worked out when
    // the cursor reached it, are what taking the step gives.
    assert.deepEqual(history.current().result, f.result, `the result of step ${i}`);
    assert.deepEqual(history.positions[i - 1], f.before, `positions before step ${i}`);
    assert.deepEqual(history.positions[i], f.after, `positions after step ${i}`);
  }
  history.dispose();
});

test('the saved text of a session is JSON.stringify of it, as it grows and forks', async () => {
  const all = steps(2600, 11);
  const history = new History(Module, { title: 'text "quoted"', description: 'd', consumers: CONSUMERS, steps: all });
  assert.equal(await history.load(), true);
  const same = (what) => assert.equal(history.scenarioParts().join(''), JSON.stringify(history.toSession().scenario), what);
  same('after loading 2,600 steps (two whole chunks and a part)');
  // The whole chunks are the same strings from one save to the next: only
  // the first part (the scenario's fields) and the last change.
  const parts = history.scenarioParts();
  assert.equal(parts.length, 22, 'the fields, 20 chunks of 128 steps, and the rest');
  history.act({ op: 'flush' });
  const next = history.scenarioParts();
  assert.ok(next.slice(1, 21).every((p, i) => p === parts[i + 1]), 'the whole chunks are reused');
  assert.notEqual(next[21], parts[21], 'the last part has the new step');
  same('after one more step');
  history.goTo(2600);
  history.goTo(1500);
  const r = history.act({ op: 'put', key: 'new', value: { name: 'fork' } });
  assert.equal(r.result.ok, true);
  assert.equal(history.steps.length, 1501);
  same('after a fork at step 1,500');
  assert.deepEqual(history.state(), fresh([...all.slice(0, 1500), { op: 'put', key: 'new', value: { name: 'fork' } }]).state,
    'the fork of a loaded history is the state of its steps');
  history.goTo(1499);
  history.goTo(1501);
  assert.deepEqual(history.current().result, r.result, 'and its new step keeps its result');
  for (const s of steps(700, 3)) history.act(s);
  same('after growing past a chunk again');
  history.dispose();
  // No steps, fewer than a chunk, and exactly a chunk (no steps after it).
  for (const n of [0, 5, 128, 256, 1024]) {
    const h = new History(Module, { title: 't', consumers: CONSUMERS, steps: steps(n, 5) });
    assert.equal(await h.load(), true);
    assert.equal(h.scenarioParts().join(''), JSON.stringify(h.toSession().scenario), `${n} steps`);
    h.dispose();
  }
});

test('a loaded bulk step and a flush of thousands are taken in parts, with the results and positions taking them gives, and never taken whole', async () => {
  const all = [
    { op: 'put', key: 'a', value: { name: 'Ada', city: 'Oslo', age: 36 } },
    { op: 'put_random', count: 12000, keys: 3000, seed: 3 },
    { op: 'flush' },
    { op: 'put_random', count: 7000, seed: 4 },
    { op: 'flush', consumer: 'by_city' },
    { op: 'put', key: 'b', value: { name: 'Bo', city: 'Lima', age: 41 } },
    { op: 'flush' },
  ];
  const history = new History(Module, { title: 'bulk', consumers: CONSUMERS, steps: [] });
  history.pending = all;
  // Every step the engine is handed, by any of the history's calls.
  const handed = [];
  for (const name of ['apply', 'replay', 'replayText', 'replayRefused']) {
    const call = history.sim[name].bind(history.sim);
    history.sim[name] = (x) => {
      handed.push(...(typeof x === 'string' ? JSON.parse(x) : Array.isArray(x) ? x : [x]));
      return call(x);
    };
  }
  const check = new Module.ScenarioCheck();
  assert.equal(await history.load(null, null, { check }), true);
  check.delete();
  const whole = (s) => (s.op === 'put_random' && s.from === undefined) || (s.op === 'flush' && s.limit === undefined && s !== all[6]);
  assert.deepEqual(handed.filter(whole), [], 'no bulk step, nor a flush of thousands, handed over whole');
  assert.ok(handed.filter((s) => s.op === 'put_random').length >= 6 + 4, 'the bulk steps in parts of 2,000');
  assert.ok(handed.filter((s) => s.op === 'flush' && s.limit === 5000).length >= 2, 'the flushes in parts of 5,000');
  for (const i of [2, 3, 4, 5]) assert.ok(history.known(i), `step ${i}'s result is known once loaded`);
  for (const i of [7, 3, 2, 5, 4, 1, 6, 0, 7]) {
    history.goTo(i);
    const f = fresh(all.slice(0, i));
    assert.deepEqual(history.state(), f.state, `step ${i}`);
    if (i === 0) continue;
    const r = history.current().result;
    for (const field of ['ok', 'written', 'first', 'last', 'delivered']) assert.deepEqual(r[field], f.result[field], `step ${i}'s ${field}`);
    assert.deepEqual(history.positions[i - 1], f.before, `positions before step ${i}`);
    assert.deepEqual(history.positions[i], f.after, `positions after step ${i}`);
  }
  assert.deepEqual(handed.filter(whole), [], 'nor by time travel');
  history.dispose();
});

test('a load that lists refusals names exactly the steps the engine refuses, with its errors, and ends in the same state', async () => {
  // Valid shapes the engine refuses: consumers that do not exist, a
  // truncation with no checkpoint, a get of an empty key.
  const all = steps(3000, 23);
  const bad = [
    [5, { op: 'flush', consumer: 'nope' }],
    [700, { op: 'step', consumer: 'ghost' }],
    [1800, { op: 'truncate', before: 2 }],
    [2999, { op: 'get', key: '' }],
  ];
  for (const [at, step] of bad) all.splice(at, 0, step);
  // What applying every step one by one refuses.
  const sim = new Simulator(Module);
  for (const spec of CONSUMERS) sim.apply({ op: 'add_consumer', mode: 'replay', consumer: spec });
  const want = [];
  all.forEach((s, i) => {
    const r = sim.apply(s);
    if (!r.ok) want.push({ step: i + 1, error: r.error });
  });
  const state = sim.state();
  sim.dispose();
  assert.ok(want.length >= bad.length, `the engine refuses the planted steps (${want.length} refused)`);
  for (const [at] of bad) assert.ok(want.some((w) => w.step === at + 1), `step ${at + 1} is refused`);

  const history = new History(Module, { title: 'refusals', consumers: CONSUMERS, steps: [] });
  history.pending = all;
  const refusals = [];
  const check = new Module.ScenarioCheck();
  assert.equal(await history.load(null, null, { check, refusals }), true);
  check.delete();
  assert.deepEqual(refusals, want);
  assert.deepEqual(history.state(), state, 'the same state as applying them one by one');
  history.dispose();
});

test('load with a check refuses a malformed step or a session over its work limit, named by its place, as the whole scenario\'s check does', async () => {
  const puts = Array.from({ length: 3000 }, (_, i) => ({ op: 'put', key: `k${i}`, value: { text: `w${i % 7}` } }));
  const consumers = [{ name: 's', type: 'full_text', fields: ['text'] }];
  const loadChecked = async (steps) => {
    const history = new History(Module, { title: 't', consumers, steps: [] });
    history.pending = steps;
    const check = new Module.ScenarioCheck();
    try {
      await history.load(null, null, { check, refusals: [] });
      return { ok: true, steps: history.steps.length };
    } catch (e) {
      return { ok: false, error: e.message, unread: e.unread, steps: history.steps.length };
    } finally {
      check.delete();
      history.dispose();
    }
  };
  const whole = (steps) => JSON.parse(Module.validateScenario(JSON.stringify({ title: 't', consumers, steps })));
  // A malformed step deep in the file: the whole check's error, and no step
  // of its slice or after it is taken.
  const bad = [...puts.slice(0, 2500), { op: 'putt' }, ...puts.slice(2500)];
  const r = await loadChecked(bad);
  assert.equal(r.ok, false);
  assert.equal(r.error, whole(bad).error);
  assert.match(r.error, /^steps\[2500\]\.op: unknown op 'putt'/);
  assert.ok(r.steps < 2500, `stopped before the bad step (${r.steps} taken)`);
  // The session's work counted across slices, refused steps included.
  const costly = [...puts, ...Array.from({ length: 400 }, () => ({ op: 'rebuild', consumer: 'nobody' }))];
  assert.equal(whole(costly).ok, false);
  const c = await loadChecked(costly);
  assert.equal(c.ok, false);
  assert.equal(c.error, whole(costly).error);
  // Under the limit, loaded whole.
  assert.deepEqual(await loadChecked(costly.slice(0, 3300)), { ok: true, steps: 3300 });
});

// Export writes a step a line: JSON.parse gives back the very scenario
// (strings with newlines, quotes and other scripts, nested values, no
// steps), and a long session's file is about the size of compact JSON, not
// the 1.9 times of JSON indented whole, which an import could refuse.
test('an exported scenario parses back to itself, a step a line, about the size of compact JSON', () => {
  const odd = 'line one\nline two "quoted" \\ tab\t é 中文 😀 \u2028';
  const scenarios = [
    { title: 'no steps', consumers: [], steps: [] },
    {
      title: odd, description: odd, sources: ['DDIA 12'],
      consumers: [{ name: 'i', type: 'secondary_index', field: 'city' }, { name: 's', type: 'full_text', fields: ['a', 'b'] }],
      steps: [
        { op: 'put', key: odd, value: { a: [1, { b: null, c: [true, false] }], d: -0.5, e: {} } },
        { op: 'predict', prompt: odd, choices: ['x', 'y'], answer: 0, note: odd },
        { op: 'flush' },
      ],
    },
  ];
  scenarios.push({ title: 'x', description: undefined, steps: [{ op: 'put', key: 'k', value: { a: 1 }, note: undefined }] });
  for (const scenario of scenarios) {
    const text = scenarioText(scenario);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(scenario)));
    const lines = text.split('\n');
    for (const step of scenario.steps) assert.ok(lines.some((l) => l.trim().replace(/,$/, '') === JSON.stringify(step)), 'a step a line');
  }
  const long = { title: 'long', consumers: [{ name: 'i', type: 'secondary_index', field: 'city' }],
    steps: Array.from({ length: 20000 }, (_, i) => ({ op: 'put', key: `u${i}`, value: { name: `user ${i}`, city: 'Oslo', age: 20 + (i % 50) } })) };
  const compact = JSON.stringify(long).length, exported = scenarioText(long).length;
  assert.ok(exported < 1.1 * compact, `${exported} bytes exported against ${compact} compact`);
});

test('a bulk step over the limits is refused whole before any part is written, with the engine\'s error', async () => {
  const history = new History(Module, { title: 'bulk', consumers: CONSUMERS, steps: [{ op: 'put', key: 'a', value: { city: 'Oslo' } }] });
  assert.equal(await history.load(), true);
  const before = history.state(), steps = history.steps.length;
  for (const [step, error] of [
    [{ op: 'put_random', count: 100001, seed: 2 }, 'count: must be at most 100000 (got 100001)'],
    [{ op: 'put_random', count: 4000, keys: 1000001, seed: 2 }, 'keys: must be at most 1000000 (got 1000001)'],
  ]) {
    let parts = 0;
    const { result, discarded } = await history.actInParts(step, 2000, () => parts++);
    assert.deepEqual(result, { ok: false, error }, JSON.stringify(step));
    assert.deepEqual(discarded, []);
    assert.equal(parts, 0, 'no part was taken');
    assert.equal(history.steps.length, steps, 'nothing recorded');
    assert.deepEqual(history.state(), before, 'nothing changed');
  }
  history.dispose();
});

test('a bulk step taken in parts writes what the whole step writes, with or without its keys, and a replay lands on it', async () => {
  for (const step of [
    { op: 'put_random', count: 5000, seed: 9 },
    { op: 'put_random', count: 4500, keys: 700, seed: 3, from: 40 },
  ]) {
    const history = new History(Module, { title: 'bulk', consumers: CONSUMERS, steps: [{ op: 'put', key: 'a', value: { city: 'Oslo' } }] });
    assert.equal(await history.load(), true);
    const seen = [];
    const { result } = await history.actInParts(step, 2000, (done, total) => seen.push([done, total]));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(seen, [[2000, step.count], [4000, step.count], [step.count, step.count]], 'progress, part by part');
    const whole = fresh([{ op: 'put', key: 'a', value: { city: 'Oslo' } }, step]);
    assert.deepEqual(history.state(), whole.state, `${JSON.stringify(step)}: in parts as whole`);
    assert.equal(result.first, whole.result.first);
    assert.equal(result.last, whole.result.last);
    history.goTo(0);
    history.goTo(2);
    assert.deepEqual(history.state(), whole.state, 'a replay of the recorded step');
    history.dispose();
  }
});

// 3,000 steps with a checkpoint, a sync and a process crash at the end: a
// recovery reads 8,000-odd records back and replays those after the checkpoint.
function crashedHistory() {
  const all = steps(3000, 11);
  all.splice(1500, 0, { op: 'checkpoint' });
  all.push({ op: 'sync' }, { op: 'crash', kind: 'process' });
  return all;
}

test('a recovery, a storage replay, a verify, a truncation, a compaction or a snapshot prepared in parts gives the step taken at once, is recorded once, and time travel lands on it', async () => {
  // Each step's phases in order (a verify's first is its parts of folding
  // and of feeding; a truncation has one).
  const read = [['reading'], ['replaying']], check = [['folding', 'feeding'], ['comparing']];
  const synced = (seed) => [...steps(3000, seed), { op: 'sync' }, { op: 'checkpoint' }];
  for (const [all, step, phases] of [
    [crashedHistory(), { op: 'recover' }, read],
    [crashedHistory(), { op: 'recover', recovery: 'skip' }, read],
    [steps(3000, 12), { op: 'replay_storage' }, read],
    [steps(3000, 13), { op: 'verify' }, check],
    [synced(14), { op: 'compact', upto: 1500 }, [['scanning'], ['removing']]],
    [synced(15), { op: 'truncate', before: 1000, force: true }, [['removing']]],
    // A snapshot reads storage: 3,000 random documents first, for rows enough.
    [[{ op: 'put_random', count: 3000, keys: 3000, seed: 7 }, ...steps(300, 16)],
      { op: 'add_consumer', consumer: { name: 'late', type: 'full_text', fields: ['name'] } }, [['snapshotting']]],
    [[{ op: 'put_random', count: 3000, keys: 3000, seed: 8 }, ...steps(300, 17)], { op: 'rebuild', consumer: 'stats' }, [['snapshotting']]],
  ]) {
    const history = new History(Module, { title: 'prepared', consumers: CONSUMERS, steps: all });
    assert.equal(await history.load(), true);
    const seen = [];
    // Slices of a tenth of a millisecond: parts of the smallest size (100 records).
    const { result, discarded } = await history.actPrepared(step, (at, of, phase) => seen.push({ at, of, phase }), null, { sliceMs: 0.1, part: 100 });
    const whole = fresh([...all, step]);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(result, whole.result, `${JSON.stringify(step)}: the result of the step taken at once`);
    assert.deepEqual(discarded, []);
    assert.deepEqual(history.state(), whole.state, 'the state of the step taken at once');
    assert.equal(history.steps.length, all.length + 1, 'recorded once');
    assert.deepEqual(history.steps.at(-1), step);
    // Progress: the read in bytes of the file, then the replay in log
    // entries (a verify's fold in change events, then its comparison in
    // consumers; a compaction's scan, then its removal, in log entries; a
    // snapshot's rows),
    // each rising to its end, the first in more than a few parts.
    const groups = phases.map((names) => seen.filter((p) => names.includes(p.phase)));
    assert.ok(groups[0].length > 5 && groups.every((g) => g.length > 0), `parts: ${groups.map((g) => g.length)} of ${phases}`);
    assert.equal(groups.reduce((n, g) => n + g.length, 0), seen.length);
    groups.forEach((g, k) => assert.equal(seen.indexOf(g[0]), groups.slice(0, k).reduce((n, h) => n + h.length, 0), `${phases} in order`));
    for (const phase of groups) {
      phase.forEach((p, k) => assert.ok(k === 0 || p.at >= phase[k - 1].at, 'never backwards'));
      phase.forEach((p) => assert.ok(p.at <= p.of, 'never past its end'));
    }
    const last = groups.at(-1);
    assert.deepEqual(last.at(-1), { at: last[0].of, of: last[0].of, phase: phases.at(-1)[0] });
    history.goTo(all.length - 5);
    history.goTo(all.length + 1);
    assert.deepEqual(history.state(), whole.state, 'a step back and forward lands on it again');
    history.dispose();
  }
});

test('a prepared recovery cancelled part way changes nothing and records nothing; a refused one is refused as the step is', async () => {
  const all = crashedHistory();
  const history = new History(Module, { title: 'prepared', consumers: CONSUMERS, steps: all });
  assert.equal(await history.load(), true);
  const before = history.state();
  const controller = new AbortController();
  let parts = 0;
  const { result, discarded } = await history.actPrepared({ op: 'recover' }, () => { if (++parts === 3) controller.abort(); }, controller.signal, { sliceMs: 0.1, part: 100 });
  assert.deepEqual(result, { ok: false, cancelled: true, error: 'cancelled: nothing changed' });
  assert.deepEqual(discarded, []);
  assert.equal(parts, 3);
  assert.equal(history.steps.length, all.length, 'nothing recorded');
  assert.deepEqual(history.state(), before, 'nothing changed: still down, as it was');
  assert.equal(history.busy, false);
  // Refused up front, as act() refuses it: an unknown mode, then with the database up.
  const refused = await history.actPrepared({ op: 'recover', recovery: 'later' });
  assert.equal(refused.result.ok, false);
  assert.match(refused.result.error, /^recovery: /);
  assert.equal(history.steps.length, all.length);
  assert.deepEqual(history.state(), before);
  assert.equal((await history.actPrepared({ op: 'recover' })).result.ok, true);
  const up = await history.actPrepared({ op: 'recover' });
  assert.deepEqual(up.result, { ok: false, error: 'recover: the database is up, so there is nothing to recover (crash it first)' });
  assert.equal(history.steps.length, all.length + 1);
  history.dispose();
});
