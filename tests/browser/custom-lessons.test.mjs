// Custom labs and embeds (issue 13 §5): an imported or linked scenario keeps
// its lesson narration (title, notes, predictions); ?lesson=URL opens an
// instructor's own lesson file from this origin or one that allows it by
// CORS, with clear errors; an embed has every control it needs to finish a
// lesson (A+, the step list) and no text about what it hides.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { createServer } from 'node:http';
import {
  start, closePages, openPage, assertClean, blur, screenshotViewport, watchDialogs, SITE_DIR,
} from './harness.mjs';

const LESSONS = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'));
const TMP = mkdtempSync(join(tmpdir(), 'unbundled-custom-'));
const VIEWPORTS = [{ width: 1024, height: 768 }, { width: 1280, height: 800 }, { width: 390, height: 844 }];

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

// An instructor's own lesson: a title, a description, notes and a prediction.
const LAB = {
  title: 'Lab 3: a lagging index',
  description: 'Our course\'s own lab.',
  consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
  steps: [
    { op: 'put', key: 'u1', value: { name: 'Ada', city: 'London' }, note: 'Ada moves to London: one log entry.' },
    { op: 'predict', prompt: 'Before a flush, what does by_city list under London?', ask: 'result', consumer: 'by_city', query: { value: 'London' }, choices: [[], ['u1']], answer: [], why: 'Nothing was flushed yet.' },
    { op: 'flush', note: 'A flush delivers the change event.' },
  ],
};

const note = (page) => page.locator('#lesson-note').textContent();

test('an imported lesson file keeps its title, notes and predictions', async () => {
  const page = await openPage(env.browser, env.base, { width: 1280, height: 800 });
  const path = join(TMP, 'lab3.json');
  writeFileSync(path, JSON.stringify(LAB));
  await page.setInputFiles('#import-file', path);
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 3 of 3');
  assert.ok(await page.locator('#lesson').isVisible(), 'played as a lesson');
  assert.equal(await page.locator('#lesson-title').textContent(), LAB.title);
  assert.equal(await note(page), LAB.steps[2].note);
  await blur(page);
  await page.keyboard.press('Home');
  assert.equal(await note(page), `${LAB.description} Press Next (or →) to begin.`);
  await page.click('#forward');
  assert.equal(await note(page), LAB.steps[0].note);
  await page.click('#forward');
  assert.ok(await page.locator('#lesson-predict').isVisible(), 'the prediction is asked in the lesson panel');
  assert.match(await page.locator('#lesson-predict').textContent(), /Before a flush/);
  assert.ok(await page.locator('#forward').isDisabled(), 'Next waits for the answer');
  await page.locator('#predict-choices button').first().click();
  assert.match(await page.locator('#predict-result').textContent(), /Right on try 1/);
  assert.match(await page.locator('#session-banner').textContent(), /opened from the file “lab3\.json”/);
  assertClean(assert, page);
});

test('a share link of a narrated scenario keeps its narration', async () => {
  const data = { v: 1, scenario: LAB, cursor: 1 };
  const page = await openPage(env.browser, `${env.base}#s=${deflateSync(Buffer.from(JSON.stringify(data))).toString('base64url')}`);
  assert.ok(await page.locator('#lesson').isVisible());
  assert.equal(await page.locator('#lesson-title').textContent(), LAB.title);
  assert.equal(await note(page), LAB.steps[0].note);
  assert.match(await page.locator('#lesson-progress').textContent(), /^step 1 of 3/);
  assertClean(assert, page);
});

/** A page whose requests for `routes` ({url: {status, body, headers}}) are answered by the test. */
async function pageWithRoutes(url, routes, viewport) {
  const context = await env.browser.newContext({ viewport: viewport ?? { width: 1280, height: 800 } });
  for (const [pattern, reply] of Object.entries(routes)) {
    await context.route(pattern, (route) => route.fulfill({ status: reply.status ?? 200, body: reply.body, headers: reply.headers ?? { 'content-type': 'application/json' } }));
  }
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // A refused cross-origin fetch is logged by the browser itself; the page's own errors are what count.
  page.on('console', (m) => { if (m.type() === 'error' && !/CORS|Failed to load resource|net::/.test(m.text())) page.errors.push(m.text()); });
  watchDialogs(page);
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
  return { page, context };
}

test('?lesson=URL opens an instructor\'s lesson file from the same origin, as a lesson beside the student\'s work', async () => {
  const { page, context } = await pageWithRoutes(`${env.base}?lesson=labs/lab3.json&step=1`, {
    '**/labs/lab3.json': { body: JSON.stringify(LAB) },
  });
  await page.waitForFunction(() => document.querySelector('#lesson-title').textContent !== '');
  assert.equal(await page.locator('#lesson-title').textContent(), LAB.title);
  assert.equal(await note(page), LAB.steps[0].note);
  assert.match(await page.locator('#step-label').textContent(), /^step 1 of 3/);
  assert.match(await page.locator('#session-banner').textContent(), /opened from the lesson file http:\/\/127\.0\.0\.1:\d+\/labs\/lab3\.json/);
  assert.ok(!page.url().includes('lesson='), 'the address is cleaned once it opened');
  assertClean(assert, page);
  await context.close();
});

test('?lesson=URL on another origin opens when that origin allows it by CORS, and says why not when it does not', async () => {
  // A second server, on another port: another origin. It allows CORS for /open/ only.
  const other = createServer((req, res) => {
    const headers = { 'content-type': 'application/json' };
    if (req.url.startsWith('/open/')) headers['access-control-allow-origin'] = '*';
    res.writeHead(200, headers);
    res.end(JSON.stringify(LAB));
  });
  await new Promise((ok) => other.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${other.address().port}`;
  try {
    const allowed = await pageWithRoutes(`${env.base}?lesson=${encodeURIComponent(`${origin}/open/lab3.json`)}`, {});
    await allowed.page.waitForFunction(() => document.querySelector('#lesson-title').textContent !== '');
    assert.equal(await allowed.page.locator('#lesson-title').textContent(), LAB.title);
    assertClean(assert, allowed.page);
    await allowed.context.close();

    const refused = await pageWithRoutes(`${env.base}?lesson=${encodeURIComponent(`${origin}/closed/lab3.json`)}`, {});
    const text = await refused.page.locator('#notices .notice.error').textContent();
    assert.match(text, new RegExp(`The lesson file ${origin}/closed/lab3\\.json could not be opened: the server could not be reached, or it does not let this page read the file \\(it must send the header Access-Control-Allow-Origin`));
    assert.equal(await refused.page.locator('#step-label').textContent(), 'step 0 of 0', 'an empty session instead');
    assertClean(assert, refused.page);
    await refused.context.close();
  } finally {
    await new Promise((ok) => other.close(ok));
  }
});

test('?lesson=URL says clearly what is wrong with a missing, unreadable or invalid lesson file', async () => {
  const cases = [
    ['labs/missing.json', { status: 404, body: 'not found', headers: { 'content-type': 'text/plain' } }, /could not be opened: the server answered HTTP 404 \(no such file\)/],
    ['labs/broken.json', { body: '{"title": "x", "steps": [' }, /could not be opened: it is not a lesson file \(.*not valid JSON/],
    ['labs/bad-op.json', { body: JSON.stringify({ title: 'x', steps: [{ op: 'putt', key: 'a' }] }) }, /could not be opened: it is not a lesson file \(.*putt/],
    ['javascript:alert(1)//x.json', null, /could not be opened: only http and https addresses can be opened/],
  ];
  for (const [address, reply, pattern] of cases) {
    const routes = reply ? { [`**/${address}`]: reply } : {};
    const { page, context } = await pageWithRoutes(`${env.base}?lesson=${encodeURIComponent(address)}`, routes);
    const text = await page.locator('#notices .notice.error').textContent();
    assert.match(text, pattern, address);
    assert.doesNotMatch(text, /The lessons are:/, 'a file address is not told the built-in lessons');
    assert.equal(await page.locator('#step-label').textContent(), 'step 0 of 0');
    assertClean(assert, page);
    await context.close();
  }
});

for (const viewport of VIEWPORTS) {
  test(`an embed has A+ and the lesson's step list, and no text about what it hides (${viewport.width}×${viewport.height})`, async () => {
    const lesson = LESSONS[0];
    const script = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', lesson.file), 'utf8'));
    const page = await openPage(env.browser, `${env.base}?embed=1&lesson=${lesson.file.replace(/\.json$/, '')}&step=3`, viewport);
    const a = page.locator('#embed-text-size');
    assert.ok(await a.isVisible(), 'A+ is on the embed');
    const box = await a.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, 'A+ is within the frame');
    await a.click();
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains('large')), 'A+ enlarges the text');
    assert.equal(await a.textContent(), 'A−');
    await a.click();
    assert.ok(!await page.evaluate(() => document.documentElement.classList.contains('large')));

    // The step list: the steps reached so far with their notes, the rest by number.
    const steps = page.locator('#lesson-steps');
    assert.ok(await steps.isVisible());
    await steps.locator('summary').click();
    const items = page.locator('#lesson-step-list button');
    assert.equal(await items.count(), script.steps.length);
    assert.match(await items.nth(0).textContent(), /^1\. /);
    assert.ok(await items.nth(3).isDisabled(), 'a step not reached yet cannot give away later notes');
    assert.equal(await items.nth(3).textContent(), '4. not reached yet');
    await items.nth(0).click();
    assert.match(await page.locator('#step-label').textContent(), /^step 1 of /);
    assert.equal(await items.nth(0).getAttribute('aria-current'), 'step');
    const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    assert.ok(scroll <= width, `the embed is ${scroll} px wide in a ${width} px frame`);
    if (viewport.width === 390) await screenshotViewport(page, 'embed-step-list-390');
    assertClean(assert, page);
  });
}

test('an embed with a bad lesson name points to its own address, not to a menu it lacks', async () => {
  const page = await openPage(env.browser, `${env.base}?embed=1&lesson=no-such-lesson`, { width: 900, height: 650 });
  const text = await page.locator('#notices .notice.error').textContent();
  assert.match(text, /no lesson named 'no-such-lesson'/);
  assert.match(text, /Check the lesson= part of this embed's address/);
  const visible = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(visible, /menu/i, 'no text points to a menu');
  assert.doesNotMatch(visible, /below/i, 'no text points to a form below');
  assert.doesNotMatch(visible, /Add (a|one)/i, 'no text asks to add a consumer with a form the embed hides');
  assertClean(assert, page);
});

test('the full page\'s notice for a bad lesson name points to the Lesson menu', async () => {
  const page = await openPage(env.browser, `${env.base}?lesson=no-such-lesson`);
  assert.match(await page.locator('#notices .notice.error').textContent(), /Pick a lesson from the Lesson menu/);
  assertClean(assert, page);
});
