// Never losing a student's work (issue 13 §1): a share link, a completion
// link or an imported file opens as a session of its own beside the
// student's saved work, never over it; the page says which session is shown
// and offers the way back; Reset can be undone until the next action; an
// import lists the steps the engine refused, with its reasons, before it
// replaces anything.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import {
  start, closePages, openPage, assertClean, screenState, put, screenshot, SITE_DIR,
} from './harness.mjs';

const LESSONS = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'));
const TMP = mkdtempSync(join(tmpdir(), 'unbundled-sessions-'));
const VIEWPORTS = [{ width: 1024, height: 768 }, { width: 1280, height: 800 }, { width: 390, height: 844 }];

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

const link = (data) => `${env.base}#s=${deflateSync(Buffer.from(JSON.stringify(data))).toString('base64url')}`;

/** Opens `url` in `page` as a fresh load (not a same-document fragment change). */
async function load(page, url) {
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
}

async function reload(page) {
  await page.reload();
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
}

const keys = async (page) => (await screenState(page)).rows.map((r) => r[0]);

/** The page is no wider than its viewport (nothing forces sideways scrolling). */
async function assertFits(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide in a ${width} px viewport`);
}

const SHARED = {
  v: 1,
  scenario: { title: 'From a classmate', consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
    steps: [{ op: 'put', key: 'theirs', value: { city: 'Lagos' } }, { op: 'flush' }] },
  cursor: 2,
};

for (const viewport of VIEWPORTS) {
  test(`a share link opens beside the saved sandbox, never over it, and says so (${viewport.width}×${viewport.height})`, async () => {
    const page = await openPage(env.browser, env.base, viewport);
    await put(page, 'mine', { city: 'Oslo' });
    assert.equal(await page.locator('#session-banner').isHidden(), true, 'no banner over the student\'s own sandbox');

    await load(page, link(SHARED));
    assert.deepEqual(await keys(page), ['theirs'], 'the link\'s session is shown');
    const banner = page.locator('#session-banner');
    assert.ok(await banner.isVisible(), 'a banner says which session is shown');
    assert.match(await banner.textContent(), /Shown: “From a classmate”, opened from a share link\..*your own work is saved and unchanged/);
    assert.ok(await page.locator('#back-to-own').isVisible());
    assert.equal(await page.locator('#lesson-picker').inputValue(), '#opened', 'the picker names the opened session, not the sandbox');
    assert.equal(await page.locator('#lesson-picker option[value="#opened"]').textContent(), 'Opened: From a classmate');
    await assertFits(page, 'with the banner');
    if (viewport.width !== 1024) await screenshot(page, `session-banner-${viewport.width}`);

    // Work in the opened session is kept too: in its own slot, across a reload.
    await put(page, 'extra', { city: 'Lima' });
    await page.waitForTimeout(400);  // the save gap
    await reload(page);
    assert.deepEqual(await keys(page), ['extra', 'theirs'], 'a reload shows the opened session, with the step taken in it');
    assert.ok(await banner.isVisible(), 'still marked as opened after a reload');

    // The way back: the student's own sandbox, as they left it.
    await page.click('#back-to-own');
    await page.waitForFunction(() => document.querySelector('#session-banner').hidden);
    assert.deepEqual(await keys(page), ['mine']);
    assert.equal(await page.locator('#lesson-picker').inputValue(), '');
    await reload(page);
    assert.deepEqual(await keys(page), ['mine'], 'a reload after going back shows the student\'s own');

    // The opened session stays one pick away.
    await page.selectOption('#lesson-picker', '#opened');
    await page.waitForFunction(() => !document.querySelector('#session-banner').hidden);
    assert.deepEqual(await keys(page), ['extra', 'theirs']);
    // And the Sandbox entry is the student's own, not the link's.
    await page.selectOption('#lesson-picker', '');
    await page.waitForFunction(() => document.querySelector('#session-banner').hidden);
    assert.deepEqual(await keys(page), ['mine']);
    assertClean(assert, page);
  });
}

test('a completion link opens beside a lesson in progress; going back returns to the lesson at its step', async () => {
  const lesson = LESSONS[0];
  const script = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', lesson.file), 'utf8'));
  const page = await openPage(env.browser, `${env.base}?lesson=${lesson.file.replace(/\.json$/, '')}&step=3`);
  await put(page, 'sandbox-before', { city: 'Oslo' });  // leaves the script: the student's own steps
  await page.click('#lesson-return');
  assert.match(await page.locator('#lesson-progress').textContent(), /^step 3 of /);
  await page.waitForTimeout(400);

  const completion = { v: 1, scenario: script, cursor: script.steps.length, lesson: lesson.file, completion: { score: { right: 0, of: 0 }, student: 'Sam' } };
  await load(page, link(completion));
  await page.waitForSelector('#completion:not([hidden])');
  assert.match(await page.locator('#session-banner').textContent(), /opened from a completion link/);
  await page.click('#back-to-own');
  await page.waitForFunction(() => document.querySelector('#session-banner').hidden);
  assert.equal(await page.locator('#lesson-title').textContent(), script.title, 'the student\'s lesson is back');
  assert.match(await page.locator('#lesson-progress').textContent(), /^step 3 of /, 'at the step they were on');
  assertClean(assert, page);
});

test('Reset can be undone until the next action, and a reload after it keeps the reset', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { city: 'Oslo' });
  await put(page, 'u2', { city: 'Lima' });
  await page.click('#back');
  const before = await screenState(page);
  await page.waitForTimeout(400);

  await page.click('#reset');
  await page.waitForSelector('#undo-reset');
  assert.equal((await screenState(page)).step, 'step 0 of 0', 'Reset empties the sandbox');
  await page.click('#undo-reset');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 2');
  assert.deepEqual(await screenState(page), before, 'Undo reset brings back the session, at its step');
  assert.equal(await page.locator('#undo-reset').count(), 0, 'one undo');
  await page.waitForTimeout(400);
  await reload(page);
  assert.deepEqual(await screenState(page), before, 'and it is saved again');

  // The next action ends the offer; what Reset forgot stays forgotten.
  await page.click('#reset');
  await page.waitForSelector('#undo-reset');
  await put(page, 'fresh', { city: 'Pune' });
  assert.equal(await page.locator('#undo-reset').count(), 0, 'the next action takes the undo away');
  await page.waitForTimeout(400);
  await reload(page);
  const s = await screenState(page);
  assert.equal(s.step, 'step 1 of 1');
  assert.deepEqual(s.rows.map((r) => r[0]), ['fresh']);
  assertClean(assert, page);
});

/** A scenario file whose second and fourth steps the engine refuses (the shapes are valid). */
function fileWithRefusals() {
  const scenario = {
    title: 'Half-broken lab',
    consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
    steps: [
      { op: 'put', key: 'a', value: { city: 'Oslo' } },
      { op: 'flush', consumer: 'nope' },
      { op: 'put', key: 'b', value: { city: 'Lima' } },
      { op: 'step', consumer: 'ghost' },
      // A lesson's step marked as refused with the text it is refused with: expected, not listed.
      { op: 'commit', consumer: 'phantom', refused: 'phantom' },
      { op: 'flush' },
    ],
  };
  const path = join(TMP, 'half-broken.json');
  writeFileSync(path, JSON.stringify(scenario));
  return path;
}

for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test(`an import lists the steps the engine refused, with reasons, before it replaces anything (${viewport.width}×${viewport.height})`, async () => {
    const page = await openPage(env.browser, env.base, viewport);
    await put(page, 'mine', { city: 'Oslo' });
    const mine = await screenState(page);
    const path = fileWithRefusals();

    await page.setInputFiles('#import-file', path);
    const review = page.locator('#import-review');
    await review.waitFor({ state: 'visible' });
    assert.match(await review.locator('h2').textContent(), /refused 2 of the 6 steps in “half-broken\.json”/);
    const items = await review.locator('#import-refusals li').evaluateAll((lis) => lis.map((li) => [li.dataset.step, li.textContent]));
    assert.deepEqual(items.map((x) => x[0]), ['2', '4'], 'the refused steps, not the one marked as expected');
    assert.match(items[0][1], /^Step 2 \(flush nope\): .*nope/);
    assert.match(items[1][1], /^Step 4 \(step ghost\): .*ghost/);
    assert.deepEqual(await screenState(page), mine, 'nothing is replaced while the student decides');
    await assertFits(page, 'with the list of refused steps');
    await screenshot(page, `import-refusals-${viewport.width}`);

    await page.click('#import-cancel');
    assert.ok(await review.isHidden());
    assert.match(await page.locator('#notices').textContent(), /cancelled: nothing was changed/);
    assert.deepEqual(await screenState(page), mine, 'Cancel changes nothing');

    await page.setInputFiles('#import-file', path);
    await review.waitFor({ state: 'visible' });
    await page.click('#import-open');
    await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 6 of 6');
    assert.match(await page.locator('#notices').textContent(), /Imported “Half-broken lab” \(6 steps, 2 steps refused by the engine\)/);
    assert.match(await page.locator('#session-banner').textContent(), /opened from the file “half-broken\.json”/);
    assert.deepEqual(await keys(page), ['a', 'b']);
    // The refused steps stay in the history, marked refused.
    await page.fill('#slider', '2');
    await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 2 of 6');
    assert.match(await page.locator('#current-step').textContent(), /refused/);

    // The student's sandbox was not touched.
    await page.click('#back-to-own');
    await page.waitForFunction(() => document.querySelector('#session-banner').hidden);
    assert.deepEqual(await screenState(page), mine);
    assertClean(assert, page);
  });
}

test('an import the engine takes whole opens at once, beside the sandbox', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'mine', { city: 'Oslo' });
  const path = join(TMP, 'clean.json');
  writeFileSync(path, JSON.stringify({ title: 'Clean', consumers: [], steps: [{ op: 'put', key: 'k', value: { a: 1 } }] }));
  await page.setInputFiles('#import-file', path);
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1'
    && document.querySelector('#storage tr[data-key="k"]'));
  assert.ok(await page.locator('#import-review').isHidden(), 'no review when nothing was refused');
  await page.waitForTimeout(400);
  await reload(page);
  assert.deepEqual(await keys(page), ['k'], 'the imported session is what a reload shows');
  await page.selectOption('#lesson-picker', '');
  await page.waitForFunction(() => document.querySelector('#storage tr[data-key="mine"]'));
  assert.deepEqual(await keys(page), ['mine'], 'the sandbox is the student\'s own');
  assertClean(assert, page);
});
