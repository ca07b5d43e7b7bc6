// Sessions outside the page: share links (and damaged ones), the embed view,
// reload and a corrupt saved session, export/import of scenario files, and
// the change stream as Debezium NDJSON.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import {
  start, closePages, openPage, assertClean, screenState, put, card, blur, screenshot, screenshotViewport, SITE_DIR, userHistory,
} from './harness.mjs';

const CLI = resolve(process.env.UNBUNDLED_CLI ?? 'build/cli/unbundled');
const LESSONS = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'));
const TMP = mkdtempSync(join(tmpdir(), 'unbundled-browser-'));

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

/** Navigates and waits for the first render, as open() does. */
async function goto(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
}

async function reload(page) {
  await page.reload();
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
}

/** A sandbox session using most kinds of step, left one step before its end. */
async function buildSession(page) {
  await put(page, 'u1', { name: 'Ada Lovelace', city: 'London', age: 36, bio: 'Wrote the first algorithm' });
  await put(page, 'u2', { name: 'Alan Turing', city: 'Manchester', age: 41 });
  await put(page, 'u1', { name: 'Ada Lovelace', city: 'Cambridge', age: 36 });
  await card(page, 'users_by_city').getByRole('button', { name: 'Step 1 event' }).click();
  await page.click('#flush-all');
  await put(page, 'u3', { name: 'Grace Hopper', city: 'Arlington', age: 85, bio: 'Built the first compiler' });
  await page.fill('#key', 'u2');
  await page.click('#delete');
  await page.selectOption('#consumer-type', 'full_text');
  await page.fill('#consumer-name', 'search');
  await page.click('#consumer-form button[type=submit]');
  await card(page, 'city_stats').locator('input[name=query]').fill('Cambridge');
  await card(page, 'city_stats').getByRole('button', { name: 'Query' }).click();
  await page.click('#back');
  assert.equal((await screenState(page)).step, 'step 8 of 9');
}

/** Everything the screen shows that a link must reproduce. */
async function fullScreen(page) {
  return {
    ...(await screenState(page)),
    current: await page.locator('#current-step').textContent(),
    cardsText: await page.locator('#consumers').textContent(),
  };
}

async function download(page, buttonSel) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(buttonSel)]);
  const path = join(TMP, dl.suggestedFilename());
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), path, text: readFileSync(path, 'utf8') };
}

async function assertEmptySandboxWithNotice(page, pattern) {
  const notice = page.locator('#notices .notice.error');
  assert.ok(await notice.count() >= 1, 'an error notice');
  assert.ok(await notice.first().isVisible());
  assert.match(await notice.first().textContent(), pattern);
  const s = await screenState(page);
  assert.equal(s.step, 'step 0 of 0', 'an empty session');
  assert.deepEqual(s.entries, []);
  assert.deepEqual(s.rows, []);
  assert.deepEqual(s.markers, { users_by_city: 0, city_stats: 0 }, 'the sandbox, not a blank page');
  assert.ok(await page.locator('#write-form').isVisible(), 'the controls are there');
}

test('a share link reproduces the same screen in a fresh browser context', async () => {
  const page = await openPage(env.browser, env.base);
  await buildSession(page);
  const sent = await fullScreen(page);
  await page.click('#share');
  await page.waitForFunction(() => document.querySelector('#share-url').value !== '');
  const url = await page.inputValue('#share-url');
  assert.ok(await page.locator('#share-url').isVisible());
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#s=[A-Za-z0-9_-]+$/);
  // The URL is in the box before the clipboard answers; the status comes after.
  await page.waitForFunction(() => document.querySelector('#share-status').textContent !== '');
  assert.match(await page.locator('#share-status').textContent(), /Copied|Copy it/);

  const other = await openPage(env.browser, url); // a new context: no shared storage
  assert.deepEqual(await fullScreen(other), sent, 'same step, log, markers, storage, stream and cards');
  assert.ok(!other.url().includes('#s='), 'the link is taken off the address bar once loaded');
  await screenshot(other, 'share-link-opened');
  // The whole history came along: Next goes to the query step the sender had.
  await other.click('#forward');
  assert.equal((await screenState(other)).step, 'step 9 of 9');
  assert.match(await card(other, 'city_stats').locator('.answer').textContent(), /city_stats answers/);
  assertClean(assert, page);
  assertClean(assert, other);
});

test('pasting a share link into the address bar of an open page loads it', async () => {
  const sender = await openPage(env.browser, env.base);
  await put(sender, 'shared', { city: 'Lagos' });
  await sender.click('#share');
  await sender.waitForFunction(() => document.querySelector('#share-url').value !== '');
  const url = await sender.inputValue('#share-url');
  const page = await openPage(env.browser, env.base);
  await put(page, 'mine', { city: 'Oslo' });
  await page.goto(url); // same document: only the fragment changes
  await page.waitForFunction(() => document.querySelector('#storage tr[data-key="shared"]'));
  assert.deepEqual(await screenState(page), await screenState(sender));
  assertClean(assert, page);
  assertClean(assert, sender);
});

test('a share link taken mid-lesson opens that lesson at that step', async () => {
  const lesson = LESSONS[1] ?? LESSONS[0];
  const script = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', lesson.file), 'utf8'));
  const page = await openPage(env.browser, env.base);
  await page.selectOption('#lesson-picker', lesson.file);
  await page.waitForFunction((t) => document.querySelector('#lesson-title').textContent === t, script.title);
  await blur(page);
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
  await page.click('#share');
  await page.waitForFunction(() => document.querySelector('#share-url').value !== '');
  const other = await openPage(env.browser, await page.inputValue('#share-url'));
  assert.equal(await other.locator('#lesson-title').textContent(), script.title);
  assert.equal(await other.locator('#lesson-progress').textContent(), `step 4 of ${script.steps.length}`);
  assert.equal(await other.locator('#lesson-note').textContent(), script.steps[3].note);
  assert.equal(await other.locator('#lesson-picker').inputValue(), lesson.file);
  assert.deepEqual(await screenState(other), await screenState(page));
  assertClean(assert, page);
  assertClean(assert, other);
});

test('a damaged or edited share link gives a notice and an empty session, never a blank page', async () => {
  const page = await openPage(env.browser, env.base);
  await buildSession(page);
  await page.click('#share');
  await page.waitForFunction(() => document.querySelector('#share-url').value !== '');
  const url = await page.inputValue('#share-url');
  const [prefix, payload] = url.split('#s=');
  assert.ok(payload.length > 40);

  // Edited in the middle (each of 6 characters swapped for another), cut short, foreign characters.
  const mid = Math.floor(payload.length / 2);
  const swap = (c) => (c === 'A' ? 'z' : 'A');
  const edited = payload.slice(0, mid) + [...payload.slice(mid, mid + 6)].map(swap).join('') + payload.slice(mid + 6);
  const variants = {
    edited,
    truncated: payload.slice(0, mid),
    'foreign characters': `${payload.slice(0, mid)}!*%3C${payload.slice(mid)}`,
  };
  // A well-formed link whose session is not valid: it is checked, not trusted.
  const pack = (obj) => deflateSync(Buffer.from(JSON.stringify(obj))).toString('base64url');
  variants['unknown op'] = pack({ v: 1, scenario: { title: 'x', steps: [{ op: 'putt', key: 'a' }] }, cursor: 0 });
  variants['cursor out of range'] = pack({ v: 1, scenario: { title: 'x', steps: [] }, cursor: 5 });
  variants['not JSON'] = pack('{"v": 1, "scenario": ');

  for (const [what, bad] of Object.entries(variants)) {
    const other = await openPage(env.browser, `${prefix}#s=${bad}`);
    await assertEmptySandboxWithNotice(other, /This share link cannot be opened: /);
    if (what === 'unknown op') assert.match(await other.locator('#notices').textContent(), /unknown op 'putt'/);
    if (what === 'cursor out of range') assert.match(await other.locator('#notices').textContent(), /cursor/);
    assert.ok(!other.url().includes('#s='), `${what}: the damaged fragment is removed from the address`);
    if (what === 'edited') await screenshot(other, 'share-link-damaged');
    assertClean(assert, other);
  }
  assertClean(assert, page);
});

test('a share link edited anywhere is refused, not loaded as a different session', async (t) => {
  // The README promises: "A damaged or edited link gives a clear notice and an
  // empty session". Links carry a checksum (zlib's Adler-32), so a changed
  // character cannot decode to a different, well-formed session. Edit one
  // character at positions spread over the whole link, including the middle of
  // the stored values, and open each.
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada Lovelace', city: 'London', age: 36 });
  await put(page, 'u2', { name: 'Alan Turing', city: 'Manchester', age: 41 });
  await page.click('#share');
  await page.waitForFunction(() => document.querySelector('#share-url').value !== '');
  const [prefix, payload] = (await page.inputValue('#share-url')).split('#s=');
  const positions = [];
  for (let k = 1; k <= 8; k++) positions.push(Math.floor((payload.length - 1) * k / 9));
  for (const i of positions) {
    const c = payload[i] === 'A' ? 'B' : 'A';
    const candidate = payload.slice(0, i) + c + payload.slice(i + 1);
    const other = await openPage(env.browser, `${prefix}#s=${candidate}`);
    await assertEmptySandboxWithNotice(other, /This share link cannot be opened: it is not a compressed session/);
    assertClean(assert, other);
    await other.context().close();
  }
  t.diagnostic(`edited characters at ${positions.join(', ')} of ${payload.length}: all refused`);
  assertClean(assert, page);
});

test('a share link carrying markup shows it as text', async () => {
  const key = '<img src=x onerror=alert(1)>';
  const session = {
    v: 1,
    scenario: { title: '<script>alert(2)</script>', consumers: [], steps: [{ op: 'put', key, value: { b: '<b>x</b>' } }] },
    cursor: 1,
  };
  const url = `${env.base}#s=${deflateSync(Buffer.from(JSON.stringify(session))).toString('base64url')}`;
  const page = await openPage(env.browser, url);
  await page.waitForTimeout(200);
  const s = await screenState(page);
  assert.equal(s.step, 'step 1 of 1');
  assert.deepEqual(s.rows.map(([k, v]) => [k, JSON.parse(v)]), [[key, { b: '<b>x</b>' }]]);
  assert.equal(await page.locator('#log img, #storage img, #stream img, #log b, #storage b, #stream b').count(), 0);
  assertClean(assert, page);
});

test('a share link of 3,000 steps opens a slice at a time with progress; Cancel leaves an empty session and the saved work, and the link opens again', async () => {
  const session = { v: 1, scenario: userHistory(3000, 'Three thousand steps'), cursor: 2000 };
  const url = `${env.base}#s=${deflateSync(Buffer.from(JSON.stringify(session))).toString('base64url')}`;
  // Every text of the progress bar's label; with sessionStorage's "cancel"
  // set, its Cancel is clicked at the first count.
  const hooked = {
    async newContext(options) {
      const context = await env.browser.newContext(options);
      await context.addInitScript(() => {
        window.__progress = [];
        new MutationObserver(() => {
          const text = document.querySelector('#progress-label')?.textContent;
          if (!text || window.__progress.at(-1) === text) return;
          window.__progress.push(text);
          if (sessionStorage.getItem('cancel') === '1' && /^Opening the link's session: step \d/.test(text)) document.querySelector('#progress-cancel').click();
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
      return context;
    },
  };
  const page = await openPage(hooked, url);
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 2000 of 3000');
  const counts = (await page.evaluate(() => window.__progress)).filter((t) => /\d/.test(t));
  assert.ok(counts.length >= 2, `the progress said where it was: ${JSON.stringify(counts)}`);
  for (const text of counts) assert.match(text, /^Opening the link's session: step [\d,]+ of 3,000$/);
  const shown = await screenState(page);

  // Cancelled: an empty session, said in words (not as an error), and the link opens again.
  await page.evaluate(() => sessionStorage.setItem('cancel', '1'));
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 0 of 0');
  assert.equal(await page.locator('#notices .notice span').first().textContent(),
    'Opening the link\'s session was cancelled: an empty session was started instead. Open the link again to see it. Your saved work is kept: pick Sandbox or reload to get it back.');
  assert.equal(await page.locator('#notices .notice.error').count(), 0, 'a cancel is not an error');
  assert.ok(!page.url().includes('#s='), 'the link is off the address bar');
  await page.evaluate(() => sessionStorage.removeItem('cancel'));
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 2000 of 3000');
  assert.deepEqual(await screenState(page), shown, 'the link opens again');
  assertClean(assert, page);
});

test('the embed view shows the lesson note at the step, without the controls', async () => {
  const lesson = LESSONS[0];
  const script = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', lesson.file), 'utf8'));
  const viewport = { width: 900, height: 650 };
  const page = await openPage(env.browser, `${env.base}?embed=1&lesson=${lesson.file.replace(/\.json$/, '')}&step=3`, viewport);
  assert.ok(await page.evaluate(() => document.body.classList.contains('embed')));
  assert.equal(await page.locator('#lesson-note').textContent(), script.steps[2].note);
  assert.equal(await page.locator('#step-label').textContent(), `step 3 of ${script.steps.length}`);
  assert.equal(await page.locator('#lesson-title').textContent(), script.title);
  const chrome = page.locator('.chrome');
  assert.ok(await chrome.count() >= 3);
  for (let i = 0; i < await chrome.count(); i++) assert.ok(await chrome.nth(i).isHidden(), `.chrome element ${i} is hidden`);
  assert.ok(await page.locator('section.controls').isHidden(), 'the controls panel is hidden');
  assert.ok(await page.locator('#write-form').isHidden());
  assert.ok(await page.locator('#log').isVisible(), 'the picture is shown');
  assert.ok(await page.locator('#forward').isVisible(), 'the timeline is shown');
  // The log entries the first three steps wrote (the first lesson's first puts and inserts).
  const written = script.steps.slice(0, 3).filter((step) => step.op === 'put' || step.op === 'insert').length;
  assert.ok(written > 0, 'the first lesson writes in its first three steps');
  assert.equal((await screenState(page)).entries.length, written);
  const full = await page.locator('a.open-full').getAttribute('href');
  assert.ok(full && !full.includes('embed=1') && full.includes('lesson='), 'a link to the full simulator');
  // The embedded view still steps through the lesson.
  await page.click('#forward');
  assert.equal(await page.locator('#lesson-note').textContent(), script.steps[3].note);
  await page.click('#back');
  await screenshotViewport(page, 'embed-lesson-step-3');
  assertClean(assert, page);
});

test('an embed does not overwrite the saved session of the full page', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'mine', { city: 'Oslo' });
  await goto(page, `${env.base}?embed=1&lesson=${LESSONS[0].file}&step=2`);
  assert.match(await page.locator('#step-label').textContent(), /^step 2 of /);
  await goto(page, env.base);
  const s = await screenState(page);
  assert.equal(s.step, 'step 1 of 1');
  assert.deepEqual(s.rows.map((r) => r[0]), ['mine']);
  assertClean(assert, page);
});

test('a lesson link made before a renumbering finds the lesson by its name without the number', async () => {
  // Every shipped lesson, named with a number it does not have (99).
  const lesson = LESSONS[2];
  const script = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', lesson.file), 'utf8'));
  const old = lesson.file.replace(/^\d+-/, '99-').replace(/\.json$/, '');
  assert.notEqual(`${old}.json`, lesson.file);
  const page = await openPage(env.browser, `${env.base}?lesson=${old}&step=2`);
  assert.equal(await page.locator('#lesson-title').textContent(), script.title);
  assert.equal(await page.locator('#step-label').textContent(), `step 2 of ${script.steps.length}`);
  assertClean(assert, page);
});

test('an unknown lesson in the address gives a notice and an empty session', async () => {
  const page = await openPage(env.browser, `${env.base}?lesson=no-such-lesson&step=2`);
  await assertEmptySandboxWithNotice(page, /no lesson named 'no-such-lesson'/);
  assertClean(assert, page);
});

test('reload keeps the session, at the same step', async () => {
  const page = await openPage(env.browser, env.base);
  await buildSession(page);
  const before = await fullScreen(page);
  await reload(page);
  assert.deepEqual(await fullScreen(page), before);
  await page.click('#forward');
  assert.equal((await screenState(page)).step, 'step 9 of 9', 'the later steps are kept too');

  // A lesson in progress survives a reload as the lesson.
  const lesson = LESSONS[0];
  await page.selectOption('#lesson-picker', lesson.file);
  await page.waitForFunction(() => !document.querySelector('#lesson').hidden);
  await page.click('#forward');
  await page.click('#forward');
  const note = await page.locator('#lesson-note').textContent();
  await reload(page);
  assert.ok(await page.locator('#lesson').isVisible());
  assert.equal(await page.locator('#lesson-note').textContent(), note);
  assert.match(await page.locator('#lesson-progress').textContent(), /^step 2 of /);
  assertClean(assert, page);
});

test('Reset starts an empty sandbox and forgets the saved session', async () => {
  const page = await openPage(env.browser, env.base);
  await buildSession(page);
  await page.click('#reset');
  let s = await screenState(page);
  assert.equal(s.step, 'step 0 of 0');
  assert.deepEqual(s.rows, []);
  assert.deepEqual(s.markers, { users_by_city: 0, city_stats: 0 });
  await reload(page);
  s = await screenState(page);
  assert.equal(s.step, 'step 0 of 0', 'still empty after a reload');
  assert.equal(await page.locator('#notices .notice').count(), 0);
  assertClean(assert, page);
});

test('a corrupt saved session is discarded with a notice', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { city: 'Oslo' });
  await page.evaluate(() => localStorage.setItem('unbundled.session.v1', '{garbage'));
  await reload(page);
  // The corrupt session is discarded with a notice; the sandbox, kept in a
  // slot of its own, is what the page falls back to.
  const notice = page.locator('#notices .notice.error');
  assert.equal(await notice.count(), 1);
  assert.match(await notice.textContent(), /saved session could not be read/);
  let s = await screenState(page);
  assert.equal(s.step, 'step 1 of 1', 'the kept sandbox');
  assert.deepEqual(s.rows.map((r) => r[0]), ['u1']);

  // Both slots corrupt: notices, and an empty session.
  await page.evaluate(() => {
    localStorage.setItem('unbundled.session.v1', '{garbage');
    localStorage.setItem('unbundled.sandbox.v1', '{garbage');
  });
  await reload(page);
  await assertEmptySandboxWithNotice(page, /saved (session|sandbox) could not be read/);
  await screenshot(page, 'corrupt-saved-session');
  // Discarded: the next reload is quiet.
  await reload(page);
  assert.equal(await page.locator('#notices .notice').count(), 0);
  assert.equal((await screenState(page)).step, 'step 0 of 0');

  // Well-formed JSON holding an invalid session is refused the same way.
  await page.evaluate(() => localStorage.setItem('unbundled.session.v1',
    JSON.stringify({ v: 1, scenario: { title: 'x', steps: [{ op: 'putt' }] }, cursor: 0 })));
  await reload(page);
  await assertEmptySandboxWithNotice(page, /saved session could not be read.*unknown op 'putt'/);
  assertClean(assert, page);
});

test('Export downloads a scenario that the native program runs unchanged', async () => {
  const page = await openPage(env.browser, env.base);
  await buildSession(page);
  await page.click('#forward'); // to the end, so the screen shows the final state
  const screen = await screenState(page);
  const file = await download(page, '#export');
  assert.equal(file.name, 'unbundled-session.json');
  const scenario = JSON.parse(file.text);
  assert.equal(scenario.steps.length, 9);

  const run = spawnSync(CLI, ['run', '--compact', file.path], { encoding: 'utf8' });
  assert.equal(run.status, 0, `unbundled run exits 0 (stderr: ${run.stderr})`);
  const out = JSON.parse(run.stdout);
  assert.ok(out.results.every((r) => r.ok), 'every exported step runs');
  assert.equal(out.state.head, screen.entries.length, 'the same head as on screen');
  assert.deepEqual(Object.keys(out.state.storage.data), screen.rows.map((r) => r[0]));
  assert.deepEqual(screen.rows.map(([, v]) => JSON.parse(v)), Object.values(out.state.storage.data));
  assert.deepEqual(Object.fromEntries(out.state.consumers.map((c) => [c.name, c.position])), screen.markers);

  // Imported into a fresh page, the file gives the same screen.
  const other = await openPage(env.browser, env.base);
  await other.setInputFiles('#import-file', file.path);
  await other.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 9 of 9');
  assert.deepEqual(await screenState(other), screen);
  assert.match(await other.locator('#notices').textContent(), /Imported/);
  assertClean(assert, page);
  assertClean(assert, other);
});

test('importing a malformed file names what is wrong and changes nothing', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London' });
  await page.click('#flush-all');
  const before = await screenState(page);
  const cases = [
    ['bad.json', '{"title": "Broken", "steps": [', /Could not import bad\.json: not valid JSON.*Nothing was changed/],
    ['typo.json', JSON.stringify({ title: 'Typo', steps: [{ op: 'put', key: 'a', value: {} }, { op: 'putt', key: 'a' }] }),
      /Could not import typo\.json: steps\[1\]\.op: unknown op 'putt'.*Nothing was changed/],
    ['no-title.json', JSON.stringify({ steps: [] }), /Could not import no-title\.json: title/],
  ];
  for (const [name, text, pattern] of cases) {
    writeFileSync(join(TMP, name), text);
    await page.setInputFiles('#import-file', join(TMP, name));
    await page.waitForFunction((n) => document.querySelector('#import-error').textContent.includes(n), name);
    const msg = await page.locator('#import-error').textContent();
    assert.match(msg, pattern);
    assert.ok(await page.locator('#import-error').isVisible());
    assert.deepEqual(await screenState(page), before, `${name}: nothing changed`);
    assert.equal(await page.locator('#notices .notice').count(), 0, 'no "Imported" notice');
    if (name === 'typo.json') await screenshot(page, 'import-error');
  }
  // The next action clears the message.
  await page.click('#get');
  assert.equal(await page.locator('#import-error').textContent(), '');
  assertClean(assert, page);
});

test('the change stream exports as Debezium NDJSON, one envelope per line', async () => {
  const page = await openPage(env.browser, env.base);
  await buildSession(page);
  const stream = (await screenState(page)).stream;
  const file = await download(page, '#export-ndjson');
  assert.equal(file.name, 'change-stream.ndjson');
  assert.ok(file.text.endsWith('\n'));
  const lines = file.text.trimEnd().split('\n');
  assert.equal(lines.length, stream.length, 'one line per change event on screen');
  lines.forEach((line, i) => {
    const e = JSON.parse(line);
    for (const k of ['before', 'after', 'op', 'source', 'ts_ms']) assert.ok(k in e, `line ${i + 1} has ${k}`);
    assert.equal(typeof e.ts_ms, 'number');
    assert.equal(typeof e.source.ts_ms, 'number');
    assert.equal(String(e.source.lsn), stream[i][0], 'source.lsn matches the stream');
    assert.equal(e.op, stream[i][1], 'op matches the badge');
    const key = stream[i][2];
    if (e.op === 'c') { assert.equal(e.before, null); assert.equal(e.after.key, key); }
    if (e.op === 'u') { assert.equal(e.before.key, key); assert.equal(e.after.key, key); }
    if (e.op === 'd') { assert.equal(e.before.key, key); assert.equal(e.after, null); }
    assert.equal(e.source.snapshot, 'false');
  });
  assert.deepEqual(stream.map((e) => e[1]), ['c', 'c', 'u', 'c', 'd']);
  // ts_ms is the index of the step that wrote the entry (the engine's
  // export, as `unbundled export --to debezium`): the first three puts.
  assert.deepEqual(lines.slice(0, 3).map((l) => JSON.parse(l).ts_ms), [0, 1, 2]);
  // Stepped back, the download is the stream on screen then.
  for (let i = 0; i < 4; i += 1) await page.click('#back');
  const earlier = (await screenState(page)).stream;
  assert.ok(earlier.length < stream.length, 'stepping back shortens the stream');
  const again = await download(page, '#export-ndjson');
  assert.deepEqual(again.text.trimEnd().split('\n').map((l) => { const e = JSON.parse(l); return [String(e.source.lsn), e.op]; }),
    earlier.map((e) => [e[0], e[1]]));
  assertClean(assert, page);
});
