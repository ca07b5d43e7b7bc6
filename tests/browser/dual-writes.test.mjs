// Dual writes, request ids and read-your-writes on the page: a consumer fed
// by the application is marked as such and cannot be stepped or flushed,
// the Clients panel lists the second writes waiting in each client (and
// only while there are any), a log entry shows its request id, a query that
// needs a write its consumer has not reached waits instead of showing an
// empty answer, and every name the scenario chose is rendered as text.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, closePages, openPage, assertClean, screenshot, card } from './harness.mjs';

const TMP = mkdtempSync(join(tmpdir(), 'unbundled-dual-'));
const CLIENT = '<b>A</b>';
const STEPS = [
  { op: 'configure', dedupe_requests: true },
  { op: 'put', key: 'u1', value: { city: 'London' }, request_id: 'req-<i>1</i>' },
  { op: 'put', key: 'u1', value: { city: 'London' }, request_id: 'req-<i>1</i>' },
  { op: 'put', key: 'u2', value: { city: 'Paris' }, direct: 'later', client: CLIENT },
  { op: 'insert', prefix: 'order-', value: { city: 'Oslo' }, direct: 'later', client: CLIENT },
  { op: 'flush' },
  { op: 'query', consumer: 'by_city', value: 'Oslo', min_position: 9 },
  { op: 'query', consumer: 'by_city', value: 'Paris', min_position: 9, fallback: 'storage' },
  { op: 'direct_write', client: CLIENT },
  { op: 'crash_client', client: CLIENT },
];
const N = STEPS.length;

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

async function openAt(viewport) {
  const file = join(TMP, 'dual.json');
  writeFileSync(file, JSON.stringify({
    title: 'Dual writes',
    consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }, { name: 'by_app', type: 'secondary_index', field: 'city', feed: 'direct' }],
    steps: STEPS,
  }));
  const page = await openPage(env.browser, env.base, viewport);
  await page.setInputFiles('#import-file', file);
  await page.waitForFunction((n) => document.querySelector('#step-label').textContent === `step ${n} of ${n}`, N);
  return page;
}

async function goTo(page, n) {
  await page.evaluate((n) => {
    const slider = document.querySelector('#slider');
    slider.value = String(n);
    slider.dispatchEvent(new Event('input'));
  }, n);
  assert.equal(await page.locator('#step-label').textContent(), `step ${n} of ${N}`);
}

const stepLine = (page) => page.locator('#current-step').textContent();

test('dual writes, clients, request ids and a query that waits for its write', async () => {
  const page = await openAt({ width: 1280, height: 800 });

  // A retry with the same request id: nothing written, and the entry shows its id.
  await goTo(page, 3);
  assert.equal(await stepLine(page), 'Step 3: put u1 (request req-<i>1</i>): duplicate of LSN 1, nothing written; the retry gets the first write\'s result');
  assert.equal(await page.locator('#log .entry[data-lsn]').count(), 1);
  assert.equal(await page.locator('#log .entry[data-lsn="1"] .entry-req').textContent(), 'req req-<i>1</i>');
  assert.match(await page.locator('#log-summary').textContent(), /retries deduplicated by request id/);
  assert.ok(await page.locator('#clients-panel').isHidden(), 'no Clients panel while no second write waits');

  // The direct consumer: marked, and it cannot be stepped or flushed.
  const app = card(page, 'by_app');
  assert.equal(await app.locator('.feed-tag').textContent(), 'fed by the application (dual write)');
  assert.equal(await app.locator('.offsets').textContent(), 'no offsets: it reads no log');
  assert.match(await card(page, 'by_city').locator('.offsets').textContent(), /^offsets: with state · commits every 1 event$/);
  for (const action of ['step', 'flush']) {
    const button = app.locator(`[data-action="${action}"]`);
    assert.ok(await button.isDisabled(), `${action} is disabled on a direct consumer`);
    assert.match(await button.getAttribute('title'), /Fed by the application/);
  }
  assert.match(await page.locator('#log .track-label.direct .track-pos').textContent(), /fed by the app/);

  // Two dual writes whose second writes wait in the client.
  await goTo(page, 5);
  assert.equal(await stepLine(page), 'Step 5: dual write: order-3 to the log at LSN 3 (change event c, create); its second write waits in client <b>A</b>');
  assert.ok(await page.locator('#clients-panel').isVisible());
  const client = page.locator('#clients .client');
  assert.equal(await client.count(), 1);
  assert.equal(await client.locator('h3').textContent(), 'client <b>A</b> · 2 writes to send to by_app');
  assert.deepEqual(await client.locator('li').allTextContents(), ['LSN 2 put u2', 'LSN 3 put order-3']);
  assert.equal(await app.locator('.lag').textContent(), 'lag 2: 2 writes to send, waiting in clients');
  await screenshot(page, 'dual-writes-clients');

  // Read-your-writes: not ready, then answered by storage.
  await goTo(page, 7);
  assert.equal(await stepLine(page), 'Step 7: query by_city for Oslo, needing LSN 9: not ready — by_city is at position 3 (waiting)');
  const waiting = card(page, 'by_city').locator('.answer');
  assert.match(await waiting.textContent(), /^Waiting: by_city is at position 3, before LSN 9/);
  assert.equal(await waiting.locator('code').count(), 0, 'no answer is shown, not even an empty one');
  await screenshot(page, 'dual-writes-not-ready');
  await goTo(page, 8);
  assert.match(await card(page, 'by_city').locator('.answer').textContent(), /^Answered by storage: by_city is at position 3, before LSN 9, so storage answered instead: \["u2"\]/);

  // The client sends one, then crashes with the other.
  await goTo(page, 9);
  assert.equal(await stepLine(page), 'Step 9: client <b>A</b> sends LSN 2\'s write (put u2) to by_app; 1 more write waiting in it');
  assert.equal(await card(page, 'by_app').locator('.lag').textContent(), 'lag 1: 1 write to send, waiting in clients');
  await goTo(page, 10);
  assert.equal(await stepLine(page), 'Step 10: client <b>A</b> crashes: lost its second write of LSN 3 (order-3); the direct consumers will never get it');
  assert.match(await page.locator('#clients').textContent(), /Client <b>A<\/b> crashed: its 1 unsent write \(LSN 3: put order-3\) is lost/);
  assert.equal(await page.locator('#clients .client').count(), 0);
  assert.equal(await page.locator('#log b, #log i, #clients b, #clients i, #current-step b').count(), 0, 'names are text, never HTML');
  assertClean(assert, page);
});

test('the Clients panel and a direct consumer at 390 px, and the buttons take the steps', async () => {
  const page = await openAt({ width: 390, height: 844 });
  await goTo(page, 5);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 390, `no sideways scroll at 390 px (${wide})`);
  await page.locator('#clients-panel').scrollIntoViewIfNeeded();
  await screenshot(page, 'dual-writes-clients-390');
  // Send the oldest write from the panel: a new step (the history forks here).
  await page.click('#clients [data-action="direct-write"]');
  assert.equal(await page.locator('#step-label').textContent(), 'step 6 of 6');
  assert.match(await stepLine(page), /^Step 6: client <b>A<\/b> sends LSN 2's write \(put u2\) to by_app; 1 more write waiting in it$/);
  await page.click('#clients [data-action="crash-client"]');
  assert.match(await stepLine(page), /^Step 7: client <b>A<\/b> crashes: lost its second write of LSN 3 \(order-3\)/);
  assertClean(assert, page);
});

test('a read that waits stays on the card until its consumer reaches the LSN, then can be asked again', async () => {
  const file = join(TMP, 'ryw.json');
  writeFileSync(file, JSON.stringify({
    title: 'Read your writes',
    consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
    steps: [
      { op: 'put', key: 'u1', value: { city: 'Oslo' } },
      { op: 'put', key: 'u2', value: { city: 'Oslo' } },
      { op: 'query', consumer: 'by_city', value: 'Oslo', min_position: 2 },
    ],
  }));
  const page = await openPage(env.browser, env.base, { width: 1280, height: 800 });
  await page.setInputFiles('#import-file', file);
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 3 of 3');
  const by = card(page, 'by_city');
  assert.match(await by.locator('.answer').textContent(), /^Waiting: by_city is at position 0/);
  // One event later the read still waits: position 1 is before LSN 2.
  await by.getByRole('button', { name: /^Step/ }).click();
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 4 of 4');
  assert.equal(await by.locator('.answer').textContent(),
    'A read from step 3 is still waiting: it needs LSN 2, and by_city is at position 1. Step or flush it.');
  // Once it reaches LSN 2 the read can go ahead, and asking again answers it.
  await by.getByRole('button', { name: /^Step/ }).click();
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 5 of 5');
  assert.match(await by.locator('.answer').textContent(), /^The read from step 3 can go ahead: by_city is at position 2, which includes LSN 2\./);
  await by.getByRole('button', { name: 'Ask again' }).click();
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 6 of 6');
  assert.match(await by.locator('.answer').textContent(), /^by_city answers \(position 2, which includes LSN 2\): \["u1", "u2"\]/);
  await screenshot(page, 'ryw-asked-again');
  assertClean(assert, page);
});

test('"else ask storage" on a card reads from storage when the consumer has not reached the LSN', async () => {
  const page = await openAt({ width: 1280, height: 800 });
  const by = card(page, 'by_city');
  await by.locator('input[name="query"]').fill('Paris');
  await by.locator('input[name="min_position"]').fill('4');
  await by.locator('input[name="fallback"]').check();
  await by.getByRole('button', { name: 'Query' }).click();
  await page.waitForFunction((n) => document.querySelector('#step-label').textContent === `step ${n} of ${n}`, N + 1);
  assert.match(await by.locator('.answer').textContent(), /^Answered by storage: by_city is at position 3, before LSN 4, so storage answered instead: \["u2"\]/);
  // Without needs LSN the box is refused on the page, naming what is missing.
  await by.locator('input[name="min_position"]').fill('');
  await by.locator('input[name="fallback"]').check();
  await by.getByRole('button', { name: 'Query' }).click();
  assert.equal(await by.locator('.error').textContent(), '“else ask storage” goes with needs LSN: give the LSN of the write this read must see');
  assert.equal(await page.locator('#step-label').textContent(), `step ${N + 1} of ${N + 1}`, 'nothing was added');
  assertClean(assert, page);
});

test('a lesson step offers to scroll to what it changed, below the fold', async () => {
  const page = await openPage(env.browser, env.base, { width: 1280, height: 800 });
  await page.selectOption('#lesson-picker', '01-why-not-dual-writes.json');
  await page.waitForFunction(() => document.querySelector('#lesson-title').textContent.startsWith('1. '));
  for (let i = 0; i < 4; i++) await page.click('#forward');  // step 4: a dual write whose second write waits
  const look = page.locator('#lesson-look button');
  assert.equal(await look.textContent(), '↓ Look at the clients');
  const inView = () => page.evaluate(() => {
    const r = document.querySelector('#clients-panel').getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  });
  assert.equal(await inView(), false, 'the Clients panel starts below the fold');
  await look.click();
  await page.waitForFunction(() => {
    const r = document.querySelector('#clients-panel').getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  });
  await page.click('#forward');  // step 5: B's dual write, also to the clients
  await page.click('#forward');  // step 6: client B sends its write to by_city_app
  assert.equal(await look.textContent(), '↓ Look at the clients');
  await page.click('#forward');  // step 7
  assert.equal(await look.textContent(), '↓ Look at the clients', 'step 7: client A sends its write');
  await page.click('#forward');  // step 8: a prediction about a storage row: no card to point at
  assert.ok(await page.locator('#lesson-look').isHidden(), 'nothing to look at for a storage prediction');
  assertClean(assert, page);
});
