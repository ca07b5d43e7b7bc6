// Offline: the one-file page (unbundled-offline.html) opened from disk works
// with no server and no network, fetches nothing, and keeps the bundle goal;
// the multi-file site opened from disk says what to do instead of showing an
// empty shell. (browser.offline-walkthrough and browser.offline-lessons run
// the walk-throughs against the same file.)
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SITE_DIR, launchChromium, openPage, closePages, assertClean, screenState, put, screenshot } from './harness.mjs';

const OFFLINE = join(SITE_DIR, 'unbundled-offline.html');
const OFFLINE_URL = pathToFileURL(OFFLINE).href;

let browser;
before(async () => { browser = await launchChromium(); });
afterEach(closePages);
after(async () => { await browser?.close(); });

test('the offline page is one file under 400 KB gzipped that names no other file', () => {
  const html = readFileSync(OFFLINE, 'utf8');
  const gzipped = gzipSync(html, { level: 9 }).length;
  console.log(`unbundled-offline.html: ${Math.round(html.length / 1024)} KB, ${Math.round(gzipped / 1024)} KB gzipped`);
  assert.ok(gzipped < 400 * 1024, `${gzipped} bytes gzipped`);
  // No script, stylesheet or image is loaded from a path: all is inline.
  assert.deepEqual(html.match(/<(script|link|img)\b[^>]*\b(src|href)=["'](?!data:)[^"']*["']/gi) ?? [], []);
  // Its policy allows its own inline scripts by hash, never any inline script or eval.
  const policy = html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
  const scripts = policy.match(/script-src ([^;]*)/)[1];
  assert.match(scripts, /^'sha256-[^']+' 'sha256-[^']+' 'wasm-unsafe-eval'$/);
  assert.match(policy, /connect-src 'none'/);
});

test('opened from disk, the offline page runs the engine and requests nothing but itself', async () => {
  const requests = [];
  const page = await openPage(browser, OFFLINE_URL);
  page.on('request', (r) => requests.push(r.url()));
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  await page.click('#flush-all');
  const s = await screenState(page);
  assert.deepEqual(s.entries.map((e) => e.lsn), ['1']);
  assert.deepEqual(s.rows.map((r) => r[0]), ['u1']);
  assert.deepEqual(s.markers, { users_by_city: 1, city_stats: 1 });
  // Every lesson is there, read from the page itself.
  const lessons = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'));
  assert.equal(await page.locator('#lesson-picker option').count(), lessons.length + 1);
  await page.selectOption('#lesson-picker', lessons[0].file);
  await page.waitForFunction((t) => document.querySelector('#lesson-title').textContent === t, lessons[0].title);
  assert.deepEqual(requests.filter((u) => !u.startsWith(OFFLINE_URL)), [], 'no request for another file');
  await screenshot(page, 'offline-lesson');
  assertClean(assert, page);
});

test('the offline page imports a scenario file without a worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unbundled-offline-'));
  const file = join(dir, 'lab.json');
  writeFileSync(file, JSON.stringify({
    title: 'A lab from a file',
    consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
    steps: [{ op: 'put', key: 'a', value: { city: 'Oslo' } }, { op: 'flush' }],
  }));
  const page = await openPage(browser, OFFLINE_URL);
  await page.setInputFiles('#import-file', file);
  // An import may ask to confirm first (it lists any refused steps).
  const confirm = page.locator('#import-review button', { hasText: /open|import/i }).first();
  await Promise.race([
    page.waitForFunction(() => /of 2$/.test(document.querySelector('#step-label')?.textContent ?? '')),
    confirm.waitFor({ state: 'visible' }).then(() => confirm.click()),
  ]);
  await page.waitForFunction(() => /of 2$/.test(document.querySelector('#step-label').textContent));
  assertClean(assert, page);
});

test('the offline page refuses a file over the work limit before any step runs, changing nothing', async () => {
  // 2,000 puts then 2,000 rebuilds of a full-text consumer (browser.hardening
  // refuses the same file on the served page).
  const steps = [{ op: 'add_consumer', consumer: { name: 'search', type: 'full_text' } }];
  for (let i = 0; i < 2000; i++) steps.push({ op: 'put', key: `k${i}`, value: { text: `graph database ${i}` } });
  for (let i = 0; i < 2000; i++) steps.push({ op: 'rebuild', consumer: 'search' });
  const dir = mkdtempSync(join(tmpdir(), 'unbundled-offline-'));
  const file = join(dir, 'rebuilds.json');
  writeFileSync(file, JSON.stringify({ title: 'Rebuilds', steps }));
  const page = await openPage(browser, OFFLINE_URL);
  await put(page, 'u1', { city: 'Oslo' });
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1');
  const shown = await screenState(page);
  await page.setInputFiles('#import-file', file);
  await page.waitForFunction(() => document.querySelector('#import-error').textContent !== '');
  assert.match(await page.locator('#import-error').textContent(),
    /Could not import rebuilds\.json: steps\[\d+\]: this step would bring the session's work to [\d,]+ rows copied, over the limit of 1,000,000.*Nothing was changed\./);
  assert.ok(await page.locator('#progress').isHidden(), 'refused before the steps began to replay');
  assert.deepEqual(await screenState(page), shown, 'the session on screen is as it was');
  assertClean(assert, page);
});

test('the multi-file site opened from disk says to open the offline page or serve the folder', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(pathToFileURL(join(SITE_DIR, 'index.html')).href);
  const hint = page.locator('#file-hint');
  await hint.waitFor({ state: 'visible' });
  const text = await hint.textContent();
  assert.match(text, /opened as a file/);
  assert.match(text, /unbundled-offline\.html/);
  assert.match(text, /scripts\/run/);
  assert.equal(await hint.locator('a').getAttribute('href'), 'unbundled-offline.html');
  await context.close();
});
