// bench/page_baseline.mjs, the driver of scripts/page-baseline, against the
// built site (as both of its pages: building the baseline's commit here
// would take minutes). It checks that the driver still finds what it clicks
// on this page and reports every figure, so the command does not rot
// between the times someone runs it; the figures are not checked, only
// that they are there and are times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { SITE_DIR } from './harness.mjs';

const DRIVER = 'bench/page_baseline.mjs';
const run = (...args) => spawnSync(process.execPath, [DRIVER, ...args], { encoding: 'utf8', timeout: 300000 });

test('the driver loads, imports and clicks through both pages and prints every figure', () => {
  const r = run('--baseline', SITE_DIR, '--current', SITE_DIR, '--sizes', '200', '--rounds', '1');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const time = (x) => Number.isInteger(x) && x >= 0 && x < 300000;
  for (const page of ['baseline', 'current']) {
    for (const rate of [1, 4]) {
      const load = lines.find((l) => l.page === page && l.load?.rate === rate)?.load;
      assert.ok(load, `a load of the ${page} page at ${rate}x`);
      assert.ok(time(load.firstFrameMs) && time(load.firstPutMs) && load.firstPutMs >= load.firstFrameMs, JSON.stringify(load));
    }
    const run200 = lines.find((l) => l.page === page && l.size === 200);
    assert.ok(run200, `the ${page} page driven at 200 steps`);
    assert.ok(time(run200.importMs), `import ${run200.importMs}`);
    assert.deepEqual(run200.clicks.map((c) => c.click), ['back', 'back', 'back', 'next', 'next', 'next', 'jump', 'put']);
    for (const c of run200.clicks) {
      // Event Timing reports nothing under 16 ms: 16 stands for "at most 16".
      assert.ok(time(c.paint) && c.paint >= 16 && time(c.work) && time(c.roundTrip), JSON.stringify(c));
    }
  }
  // The table: a row for each load figure and each click, with a ratio.
  for (const row of ['load at 1x: first frame', 'load at 4x: first put done', 'back', 'next', 'jump', 'put', 'import (change to frame)']) {
    assert.match(r.stdout, new RegExp(`^(-|200)\\s+${row.replace(/[()]/g, '\\$&')}\\s+\\d.*\\s\\d+\\.\\d{3}\\s*$`, 'm'), `a row for ${row}`);
  }
});

test('the driver refuses bad options by name, before starting a browser', () => {
  for (const [args, message] of [
    [['--baseline', SITE_DIR, '--current', SITE_DIR, '--rounds', '0'], /--rounds must be a positive integer/],
    [['--baseline', SITE_DIR, '--current', SITE_DIR, '--sizes', '10,abc'], /--sizes must be whole numbers from 100 to 200000/],
    [['--baseline', SITE_DIR], /--baseline and --current are both needed/],
    [['--current', SITE_DIR, '--bogus', '1'], /unknown option --bogus/],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '', 'nothing measured');
  }
});
