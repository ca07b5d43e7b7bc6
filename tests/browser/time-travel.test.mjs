// Time travel: Back/Forward, the slider, the keyboard, forks, Play, the help
// overlay, and how quickly a long history can be travelled.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { start, closePages, openPage, assertClean, screenState, put, blur, screenshot, logScreen } from './harness.mjs';

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

const label = (page) => page.locator('#step-label').textContent();

/** Sandbox with 3 puts and a flush: step 4 of 4. */
async function pageWithFourSteps() {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  await put(page, 'u2', { name: 'Alan', city: 'Manchester', age: 41 });
  await put(page, 'u3', { name: 'Grace', city: 'Arlington', age: 85 });
  await page.click('#flush-all');
  const s = await screenState(page);
  assert.equal(s.step, 'step 4 of 4');
  assert.deepEqual(s.markers, { users_by_city: 3, city_stats: 3 });
  return page;
}

test('Back, Forward, the slider and the arrow keys show older states', async () => {
  const page = await pageWithFourSteps();

  await page.click('#back');
  let s = await screenState(page);
  assert.equal(s.step, 'step 3 of 4');
  assert.deepEqual(s.markers, { users_by_city: 0, city_stats: 0 }, 'before the flush, nobody had processed anything');
  assert.equal(s.pending, 6);
  assert.match(await page.locator('#current-step').textContent(), /^Step 3: put u3/);

  await page.click('#back');
  await page.click('#back');
  s = await screenState(page);
  assert.equal(s.step, 'step 1 of 4');
  assert.deepEqual(s.entries.map((e) => e.lsn), ['1']);
  assert.deepEqual(s.rows.map((r) => r[0]), ['u1']);
  assert.deepEqual(s.stream.map((e) => e[0]), ['1']);
  assert.equal(await page.locator('#storage-lsn').textContent(), 'storage LSN 1 · 1 row');

  await page.click('#forward');
  s = await screenState(page);
  assert.equal(s.step, 'step 2 of 4');
  assert.deepEqual(s.rows.map((r) => r[0]), ['u1', 'u2']);
  await screenshot(page, 'time-travel-step-2-of-4');

  // The slider: drag it to 0 (the beginning) and to 3.
  await page.locator('#slider').fill('0');
  s = await screenState(page);
  assert.equal(s.step, 'step 0 of 4');
  assert.deepEqual(s.entries, []);
  assert.deepEqual(s.rows, []);
  assert.ok(await page.locator('#back').isDisabled(), 'nothing before step 0');
  assert.match(await page.locator('#current-step').textContent(), /the beginning/);
  await page.locator('#slider').fill('3');
  assert.equal(await label(page), 'step 3 of 4');

  // Arrow keys, Home and End, with the focus on the page, not in a field.
  await blur(page);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await label(page), 'step 2 of 4');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  s = await screenState(page);
  assert.equal(s.step, 'step 4 of 4');
  assert.deepEqual(s.markers, { users_by_city: 3, city_stats: 3 });
  assert.ok(await page.locator('#forward').isDisabled(), 'nothing after the last step');
  await page.keyboard.press('Home');
  assert.equal(await label(page), 'step 0 of 4');
  await page.keyboard.press('End');
  assert.equal(await label(page), 'step 4 of 4');

  // Arrow keys while typing in a field move the caret, not the timeline.
  await page.locator('#key').focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Home');
  assert.equal(await label(page), 'step 4 of 4');

  // On the focused slider, an arrow key moves exactly one step.
  await page.locator('#slider').focus();
  await page.keyboard.press('ArrowLeft');
  assert.equal(await label(page), 'step 3 of 4');
  assert.equal(await page.locator('#slider').inputValue(), '3');
  assertClean(assert, page);
});

test('a new action after stepping back forks the history, and the fork can be undone', async () => {
  const page = await pageWithFourSteps();
  assert.ok(await page.locator('#fork-notice').isHidden());
  await blur(page);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await label(page), 'step 2 of 4');

  await put(page, 'u9', { name: 'Fork', city: 'Oslo', age: 20 });
  let s = await screenState(page);
  assert.equal(s.step, 'step 3 of 3');
  assert.deepEqual(s.rows.map((r) => r[0]), ['u1', 'u2', 'u9']);
  const notice = page.locator('#fork-notice');
  assert.ok(await notice.isVisible(), 'the fork notice is shown');
  assert.match(await notice.textContent(), /forked at step 2/);
  assert.match(await notice.textContent(), /2 later steps were replaced/);
  await screenshot(page, 'time-travel-fork');

  await page.click('#undo-fork');
  assert.ok(await notice.isHidden(), 'the notice goes away');
  s = await screenState(page);
  assert.equal(s.step, 'step 2 of 4');
  await page.click('#forward');
  await page.click('#forward');
  s = await screenState(page);
  assert.equal(s.step, 'step 4 of 4');
  assert.deepEqual(s.rows.map((r) => r[0]), ['u1', 'u2', 'u3'], 'u3 is back, u9 is gone');
  assert.deepEqual(s.markers, { users_by_city: 3, city_stats: 3 }, 'the flush is back');
  assertClean(assert, page);
});

test('Play runs to the end through every step; Space plays and pauses', async () => {
  const page = await pageWithFourSteps();
  await page.locator('#slider').fill('0');
  await page.selectOption('#speed', '100'); // very fast
  // Record every step label the screen shows while playing.
  // And what the Play button said while it ran: at this speed the four
  // steps can be over before the test reads the button back.
  await page.evaluate(() => {
    window.__labels = [];
    new MutationObserver(() => window.__labels.push(document.querySelector('#step-label').textContent))
      .observe(document.querySelector('#step-label'), { childList: true, characterData: true, subtree: true });
    const play = document.querySelector('#play');
    window.__play = [];
    new MutationObserver(() => window.__play.push(`${play.getAttribute('aria-pressed')} ${play.textContent}`))
      .observe(play, { attributes: true, childList: true, characterData: true, subtree: true });
  });
  await page.click('#play');
  const running = await page.evaluate(() => window.__play);
  assert.ok(running.some((s) => /^true .*Pause/.test(s)), `pressed, and says Pause, while it plays (${JSON.stringify(running)})`);
  await page.waitForFunction(() => document.querySelector('#play').getAttribute('aria-pressed') === 'false', null, { timeout: 5000 });
  assert.equal(await label(page), 'step 4 of 4');
  assert.match(await page.locator('#play').textContent(), /Play/);
  const seen = [...new Set(await page.evaluate(() => window.__labels))];
  for (const k of [1, 2, 3, 4]) assert.ok(seen.includes(`step ${k} of 4`), `showed step ${k} on the way`);

  // Space at the end starts again from step 0; Space again pauses there.
  await page.selectOption('#speed', '1000');
  await blur(page);
  await page.keyboard.press(' ');
  assert.equal(await label(page), 'step 0 of 4');
  assert.equal(await page.locator('#play').getAttribute('aria-pressed'), 'true');
  assert.match(await page.locator('#notices').textContent(), /Playing from step 0: Play at the last step starts the history again\./, 'and says so');
  await page.keyboard.press(' ');
  assert.equal(await page.locator('#play').getAttribute('aria-pressed'), 'false');
  const pausedAt = await label(page);
  await page.waitForTimeout(1300);
  assert.equal(await label(page), pausedAt, 'paused: the step does not advance');
  assertClean(assert, page);
});

test('the help overlay opens with ? and closes with Escape', async () => {
  const page = await pageWithFourSteps();
  const help = page.locator('#help');
  assert.ok(await help.isHidden());
  await blur(page);
  await page.keyboard.press('?');
  assert.ok(await help.isVisible(), '? opens the help');
  assert.match(await help.textContent(), /Keyboard shortcuts/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'help-close', 'focus moves into the dialog');
  await screenshot(page, 'help-overlay');
  // While it is open, the arrow keys do not move the timeline behind it.
  await page.keyboard.press('ArrowLeft');
  assert.equal(await label(page), 'step 4 of 4');
  await page.keyboard.press('Escape');
  assert.ok(await help.isHidden(), 'Escape closes it');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'help-button', 'focus returns to the ? button');

  await page.click('#help-button');
  assert.ok(await help.isVisible());
  await page.click('#help-close');
  assert.ok(await help.isHidden());
  // From Import scenario (a file input, which takes no typing) ? opens it too.
  await page.focus('#import-file');
  await page.keyboard.press('?');
  assert.ok(await help.isVisible(), '? on Import scenario opens the help');
  await page.keyboard.press('Escape');
  assertClean(assert, page);
});

/** A scenario file of 1000 steps: 990 puts over 250 keys and a flush every 100th step. */
function bigScenario() {
  const cities = ['London', 'Paris', 'Oslo', 'Lagos', 'Lima', 'Pune'];
  const steps = [];
  for (let i = 0; i < 1000; i++) {
    if (i % 100 === 99) steps.push({ op: 'flush' });
    else steps.push({ op: 'put', key: `u${i % 250}`, value: { name: `User ${i}`, city: cities[i % cities.length], age: 20 + (i % 50) } });
  }
  return {
    title: 'A thousand steps',
    consumers: [
      { name: 'users_by_city', type: 'secondary_index', field: 'city' },
      { name: 'city_stats', type: 'materialized_view', group_by: 'city', sum: 'age' },
    ],
    steps,
  };
}

test('after 1000 actions, jumping to step 0 and back to the end stays interactive', async (t) => {
  const page = await openPage(env.browser, env.base);
  const file = { name: 'thousand.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bigScenario())) };
  const waitLabel = (text) => page.waitForFunction((x) => document.querySelector('#step-label').textContent === x, text, { timeout: 20000 });
  const frame = () => page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok())));
  const timed = async (action, text) => {
    const t0 = performance.now();
    await action();
    await waitLabel(text);
    await frame();
    return Math.round(performance.now() - t0);
  };

  const importMs = await timed(() => page.setInputFiles('#import-file', file), 'step 1000 of 1000');
  assert.match(await page.locator('#notices').textContent(), /Imported “A thousand steps” \(1000 steps\)/);
  let s = await screenState(page);
  assert.equal(s.entries.at(-1).lsn, '990', 'the log reaches LSN 990');
  assert.ok(s.entries.at(-1).head);
  if (s.entries.length < 990) {
    // Older entries are a window away, and the screen says how many come
    // before those on screen.
    const screen = await logScreen(page);
    assert.ok(screen.before >= 990 - s.entries.length, `${screen.before} entries before those on screen, of which ${990 - s.entries.length} not drawn`);
    assert.equal(await page.locator('#log-earlier').textContent(), `◀ ${screen.before.toLocaleString('en')} earlier entries`);
  }
  // Storage is a virtual list: of its 250 rows, those its panel shows and a
  // margin are drawn, and a spacer keeps the panel as tall as all of them.
  const shows = await page.locator('#storage').evaluate((el) => Math.ceil(el.clientHeight / 28));
  assert.ok(s.rows.length >= shows && s.rows.length < 50, `${s.rows.length} rows drawn, the panel shows ${shows}`);
  assert.equal(Number(await page.locator('#storage tr.spacer[data-where="after"]').getAttribute('data-rows')), 250 - s.rows.length);
  assert.deepEqual(s.markers, { users_by_city: 990, city_stats: 990 });

  await blur(page);
  const toStart = await timed(() => page.keyboard.press('Home'), 'step 0 of 1000');
  assert.equal((await screenState(page)).entries.length, 0, 'step 0 shows an empty log');
  const toEnd = await timed(() => page.keyboard.press('End'), 'step 1000 of 1000');
  s = await screenState(page);
  assert.equal(s.entries.at(-1).lsn, '990', 'the end shows the log up to LSN 990 again');
  assert.deepEqual(s.markers, { users_by_city: 990, city_stats: 990 });
  const backOne = await timed(() => page.keyboard.press('ArrowLeft'), 'step 999 of 1000');
  const sliderMid = await timed(() => page.locator('#slider').fill('500'), 'step 500 of 1000');
  s = await screenState(page);
  assert.equal(s.entries.at(-1).lsn, '495', 'step 500: 495 puts and 5 flushes');
  assert.equal(await page.locator('#storage-lsn').textContent(), 'storage LSN 495 · 250 rows');
  await blur(page);
  await page.keyboard.press('End');
  await waitLabel('step 1000 of 1000');
  const putAtEnd = await timed(() => put(page, 'new', { city: 'Oslo' }), 'step 1001 of 1001');
  await screenshot(page, 'time-travel-1000-steps');

  const figures = { importMs, toStartMs: toStart, toEndMs: toEnd, backOneFromEndMs: backOne, sliderToMiddleMs: sliderMid, putAfter1000Ms: putAtEnd };
  t.diagnostic(`time travel after 1000 steps (ms): ${JSON.stringify(figures)}`);
  assert.ok(toStart < 2000, `jump to step 0 took ${toStart} ms`);
  assert.ok(toEnd < 2000, `jump to the end took ${toEnd} ms`);
  assert.ok(backOne < 2000, `one step back from the end took ${backOne} ms`);
  assertClean(assert, page);
});
