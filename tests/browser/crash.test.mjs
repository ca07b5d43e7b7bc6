// The crash lab in the page, used as a student would: crash the database
// (with a torn write), recover and read the report, crash a consumer and see
// redelivery double-count in a view, check consistency, and flip a byte in a
// record's bytes view. Bad input to the new controls changes nothing.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { start, closePages, openPage, assertClean, screenState, put, card, screenshot } from './harness.mjs';

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

const text = (page, sel) => page.locator(sel).textContent();

test('a power crash with a torn write under async commit: down, then recovered, with the lost write named', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  await page.selectOption('#commit-mode', 'async');
  await put(page, 'u2', { name: 'Alan', city: 'Paris', age: 41 });
  assert.match(await text(page, '#current-step'), /acknowledged, but only written, not synced/);
  assert.ok(await page.locator('#log .entry[data-lsn="2"]').evaluate((e) => e.classList.contains('unsynced')), 'LSN 2 is drawn as not synced');
  assert.match(await text(page, '#log-summary'), /not yet synced; durable up to LSN 1/);

  await page.click('#flush-all');
  const s = await screenState(page);
  assert.equal(s.markers.users_by_city, 1, 'a flush cannot deliver LSN 2: it is not on disk');
  assert.equal(await card(page, 'users_by_city').locator('.lag').textContent(),
    'lag 0: caught up with the synced log; the entries after LSN 1 wait for a sync', 'the card says why it took nothing more');

  await page.fill('#torn-bytes', '10');
  await page.click('#crash-power');
  assert.ok(await page.locator('.down-banner').isVisible(), 'the page says the database is down');
  assert.match(await text(page, '.down-banner'), /The database is down\. A power loss: only the log bytes that were synced are on disk/);
  assert.match(await text(page, '#storage'), /lost in the crash/);
  assert.match(await text(page, '#log .entry.torn'), /10 bytes/);
  assert.match(await text(page, '#log-summary'), /1 entry, \d+ bytes, on disk up to a torn write; durable up to LSN 1; torn tail: 10 bytes/,
    'a torn tail is not "all synced"');
  assert.ok(await page.locator('#recover').isEnabled());
  assert.ok(await page.locator('#flush-all').isEnabled(), 'the control is there; the engine refuses it');
  // The Write panel says so too: its buttons look as they do while up.
  assert.ok(await page.locator('#write-down').isVisible(), 'the Write panel says the database is down');
  assert.match(await text(page, '#write-down'), /The database is down: it refuses every write and read until you press Recover/);
  await page.click('#flush-all');
  assert.match(await text(page, '#flush-error'), /database is down: recover first/);
  // The derived systems still answer, while the database is down.
  await card(page, 'users_by_city').locator('input[name=query]').fill('London');
  await card(page, 'users_by_city').getByRole('button', { name: 'Query' }).click();
  assert.match(await card(page, 'users_by_city').locator('.answer').textContent(), /database is down/);
  assert.match(await text(page, '.down-banner'), /A power loss/, 'the banner still says what took it down, a step later');
  await screenshot(page, 'crash-power-down');

  await page.click('#recover');
  const report = await text(page, '.recovery-report');
  assert.match(report, /Replayed 1 log entry/);
  assert.match(report, /torn tail of 10 bytes at byte \d+/);
  assert.match(await text(page, '#lost-acknowledged'), /Lost acknowledged write: LSN 2\. The client was told it succeeded/);
  const after = await screenState(page);
  assert.deepEqual(after.entries.map((e) => e.lsn), ['1']);
  assert.deepEqual(after.rows.map(([k]) => k), ['u1']);
  assert.equal(await page.locator('.down-banner').count(), 0);
  assert.ok(await page.locator('#write-down').isHidden(), 'up again: the Write panel says nothing of it');
  await screenshot(page, 'crash-recovery-report');
  assertClean(assert, page);
});

test('crashing and recovering keeps the page where it was and the keyboard in the Failure panel', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  // Scrolled down to the Failure panel, as a student is when they click.
  await page.locator('#recover').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollBy(0, 200));
  assert.ok(await page.evaluate(() => window.scrollY) > 100, 'the page is scrolled');
  // Where the Failure panel is on the screen (a banner drawn above it moves
  // the page's content, and the browser scrolls to keep the panel put).
  const where = () => page.evaluate(() => ({
    y: Math.round(document.querySelector('#recover').closest('.panel').getBoundingClientRect().top),
    panel: document.activeElement?.closest('.panel')?.getAttribute('aria-label') ?? null, id: document.activeElement?.id }));
  const scrolled = (await where()).y;
  await page.click('#crash-process');
  await page.waitForSelector('.down-banner');
  assert.match(await text(page, '.down-banner'), /The database is down\. A process crash: every log byte written reached the OS/);
  // Crash process is disabled now: the focus goes to Recover, what comes
  // next (not to the slider at the top of the page, nor to the commit mode).
  let now = await where();
  assert.deepEqual([now.panel, now.id], ['Failure', 'recover'], 'the keyboard is on Recover');
  assert.ok(Math.abs(now.y - scrolled) < 40, `the panel stays where it was on screen (${scrolled} → ${now.y} px)`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.down-banner', { state: 'detached' });
  // Recover is disabled now: the focus goes to the way to its report, which
  // is drawn at the top of the page, off screen.
  now = await where();
  assert.deepEqual([now.panel, now.id], ['Failure', 'report-open'], 'after Recover, the keyboard is on the report\'s button');
  assert.ok(Math.abs(now.y - scrolled) < 40, `the panel stays where it was on screen (${scrolled} → ${now.y} px)`);
  const onScreen = () => page.evaluate(() => {
    const r = document.querySelector('.recovery-report').getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  });
  assert.equal(await onScreen(), false, 'the report is off screen');
  await page.keyboard.press('Enter');
  assert.equal(await onScreen(), true, 'the report is scrolled into view');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'report', 'and has the focus');
  // The next step is not a recovery: no way to a report.
  await put(page, 'u2', { name: 'Bo', city: 'Oslo', age: 40 });
  assert.ok(await page.locator('#report-link').isHidden());
  assertClean(assert, page);
});

// What took the database down is the engine's to say: a crash step refused
// while it is already down (a lesson's expected refusal, or an imported
// file's) took nothing down. The page used to read the kind off the newest
// step that asked for a crash, and called this process crash a power loss.
test('a crash refused while the database is down does not change what the banner says took it down', async () => {
  const page = await openPage(env.browser, env.base);
  const steps = [
    { op: 'put', key: 'u1', value: { name: 'Ada', city: 'London' } },
    { op: 'crash', kind: 'process' },
    { op: 'crash', kind: 'power', refused: 'database is down' },
  ];
  await page.setInputFiles('#import-file', { name: 'refused-crash.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ title: 'A refused crash', steps })) });
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 3 of 3');
  assert.match(await text(page, '#current-step'), /database is down/);
  assert.match(await text(page, '.down-banner'), /The database is down\. A process crash: every log byte written reached the OS/);
  assertClean(assert, page);
});

test('a power loss that leaves no record says so in the change stream and the log line', async () => {
  const page = await openPage(env.browser, env.base);
  await page.selectOption('#commit-mode', 'async');
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  await put(page, 'u2', { name: 'Alan', city: 'Paris', age: 41 });
  assert.equal(await page.locator('#stream li[data-lsn]').count(), 2);
  await page.fill('#torn-bytes', '20');
  await page.click('#crash-power');
  await page.waitForSelector('.down-banner');
  assert.equal(await text(page, '#stream'), 'No change events read back from the log file: recovery rebuilds the stream from what survived.');
  assert.match(await text(page, '#log-summary'), /0 entries, 20 bytes, on disk up to a torn write; durable up to LSN 0; torn tail: 20 bytes at byte 0/);
  await page.click('#recover');
  await page.waitForSelector('.down-banner', { state: 'detached' });
  assert.equal(await text(page, '#stream'), 'No change events yet.');
  assert.match(await text(page, '#log-summary'), /0 entries, 0 bytes, all synced/);
  assertClean(assert, page);
});

test('a write that dies before its sync is not acknowledged, and recovery says so', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London' });
  await page.selectOption('#write-crash', 'before_sync');
  await page.fill('#write-torn', '5');
  await put(page, 'u2', { name: 'Alan', city: 'Paris' });
  assert.match(await text(page, '#current-step'), /power failed before the sync \(5 bytes .*Not acknowledged/);
  await page.click('#recover');
  assert.match(await text(page, '#lost-unacknowledged'), /Lost LSN 2, never acknowledged/);
  assertClean(assert, page);
});

test('a consumer crash redelivers events: the view double-counts, the index does not, and Check consistency names the group', async () => {
  const page = await openPage(env.browser, env.base);
  // A view that keeps its state in an external store and commits every 3 events.
  await page.selectOption('#consumer-type', 'materialized_view');
  await page.fill('#consumer-name', 'city_counts');
  await page.locator('#config-fields input[name=sum]').fill('');
  await page.selectOption('#consumer-offsets', 'separate');
  await page.fill('#consumer-commit-every', '3');
  await page.locator('#consumer-form button[type=submit]').click();
  assert.equal(await text(page, '#consumer-error'), '');
  for (const [k, city] of [['u1', 'London'], ['u2', 'London'], ['u3', 'Paris'], ['u4', 'London'], ['u5', 'Paris']]) {
    await put(page, k, { name: k, city });
  }
  await page.click('#flush-all');
  const c = card(page, 'city_counts');
  assert.match(await c.locator('.committed').textContent(), /committed 3/);
  await c.getByRole('button', { name: 'Crash consumer' }).click();
  assert.match(await c.locator('.answer.crashed').textContent(), /back to its committed position 3; 2 change events will be delivered again/);
  assert.match(await c.locator('.position').textContent(), /position 3/);
  await c.getByRole('button', { name: 'Flush' }).click();
  assert.equal(await page.locator('#log .cell.redelivered.c2, #log .cell.redelivered').count() >= 2, true, 'redelivered events are marked on the track');
  await page.click('#verify');
  const verdict = await c.locator('.answer.verify').textContent();
  assert.match(verdict, /Not consistent/);
  const rows = await c.locator('.answer.verify tr[data-row]').evaluateAll((trs) => trs.map((tr) => tr.dataset.row));
  assert.deepEqual(rows, ['London', 'Paris'], 'the double-counted groups are named');
  assert.match(await card(page, 'users_by_city').locator('.answer.verify').textContent(), /Consistent/);
  await screenshot(page, 'crash-consumer-verify');
  assertClean(assert, page);
});

test('the bytes view shows a record, and flipping a byte breaks its checksum until recovery finds it', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, '<b>bold</b>', { note: '<img src=x onerror=alert(1)>' });
  await put(page, 'u2', { city: 'Paris' });
  await page.click('#log .entry[data-lsn="1"]');
  assert.ok(await page.locator('#bytes').isVisible());
  assert.match(await text(page, '#checksum-verdict'), /Checksum holds/);
  assert.match(await text(page, '#bytes-body'), /<b>bold<\/b>/, 'the key is shown as text');
  assert.equal(await page.locator('#bytes-body b, #bytes-body img').count(), 0, 'user text never becomes HTML');
  await page.click('#bytes .byte[data-byte="25"]');
  assert.match(await text(page, '#current-step'), /corrupt LSN 1: byte 25/);
  assert.match(await text(page, '#checksum-verdict'), /Checksum mismatch/);
  assert.ok(await page.locator('#bytes .byte[data-byte="25"]').evaluate((b) => b.classList.contains('flipped')), 'the flipped byte is marked');
  await screenshot(page, 'crash-bytes-view');
  await page.click('#crash-process');
  await page.click('#recover');
  assert.match(await text(page, '.recovery-report'), /damaged record at byte 0 \(it claims LSN 1\): checksum mismatch/);
  assert.deepEqual((await screenState(page)).entries, [], 'point in time: everything from the damage on is gone');
  assertClean(assert, page);
});

// The checksum covers type, LSN and payload, not the length: a flipped
// length byte left "✓ Checksum holds" in the bytes view, while recovery
// found the record corrupt. And skip mode drops a stretch of bytes up to the
// next valid record, which can hold more than the damaged record.
test('a flipped length byte is shown as damage; skip mode says how many bytes it dropped', async () => {
  const page = await openPage(env.browser, env.base);
  for (const k of ['u1', 'u2', 'u3']) await put(page, k, { city: 'Oslo' });
  await page.click('#log .entry[data-lsn="2"]');
  const size = Number((await text(page, '#bytes-body')).match(/, (\d+) bytes, /)[1]);
  await page.click('#bytes .byte[data-byte="5"]');
  assert.match(await text(page, '#current-step'), /corrupt LSN 2: byte 5 .*; nothing notices until the next recovery \(crash, then recover\)/);
  assert.match(await text(page, '#checksum-verdict'), new RegExp(`^✗ Length field damaged: it says \\d+ payload bytes, but this record has ${size - 17}\\. The checksum still holds over this record's bytes`));
  assert.ok(await page.locator('#checksum-verdict').evaluate((p) => p.classList.contains('bad')));
  // LSN 1's value damaged too: skip mode drops from LSN 1's first byte to
  // LSN 3, the next valid record (LSN 2's length no longer says where it ends).
  await page.click('#log .entry[data-lsn="1"]');
  const first = Number((await text(page, '#bytes-body')).match(/, (\d+) bytes, /)[1]);
  await page.click('#bytes .byte[data-byte="25"]');
  await page.click('#crash-process');
  assert.equal(await page.locator('#recover').getAttribute('title'), '');
  await page.selectOption('#recover-as', 'skip');
  await page.click('#recover');
  const report = await text(page, '.recovery-report');
  assert.match(report, new RegExp(`Found a damaged record at byte 0 \\(it claims LSN 1\\): checksum mismatch\\. Skip mode dropped the ${first + size} bytes from there to the next valid record \\(any record in them is lost\\)`));
  assert.match(report, /Lost acknowledged writes: LSN 1–2\./);
  assert.deepEqual((await screenState(page)).entries.map((e) => e.lsn), ['3'], 'LSN 3 kept');
  // Up again: Recover says why it cannot be pressed.
  assert.match(await page.locator('#recover').getAttribute('title'), /^The database is up: crash it first/);
  assertClean(assert, page);
});

// A consumer ahead of the log after a recovery lost writes it had processed:
// its card said "lag 0: caught up" above "Ahead of the log: rebuild it", the
// retention line said it needed the entries after its commit past the log's
// end, and an edge hint beside its marker scrolled nowhere.
test('a consumer ahead of the log is not called caught up, pins nothing and has no edge hint that goes nowhere', async () => {
  const page = await openPage(env.browser, env.base);
  const steps = [];
  for (let i = 0; i < 300; i++) steps.push({ op: 'put', key: `u${i}`, value: { city: 'Oslo' } });
  steps.push({ op: 'flush' }, { op: 'corrupt', lsn: 150, byte: 25 }, { op: 'crash', kind: 'process' }, { op: 'recover' });
  const scenario = { title: 'Ahead', consumers: [{ name: 'users_by_city', type: 'secondary_index', field: 'city' }], steps };
  await page.setInputFiles('#import-file', { name: 'ahead.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(scenario)) });
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 304 of 304');
  const c = card(page, 'users_by_city');
  assert.equal(await c.locator('.lag').textContent(), 'lag 0, but ahead of the log: rebuild it');
  assert.match(await text(page, '#log-retention'), /recovery needs every entry \(no checkpoint\); nothing more can be truncated/);
  assert.doesNotMatch(await text(page, '#log-retention'), /users_by_city/, 'its commit, past the log\'s end, needs nothing of it');
  assert.equal(await c.locator('.pins-tag').count(), 0);
  // The strip at its end: the marker past the log's end is on screen, whole.
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#log .edge-hint').count(), 0, 'no hint that scrolls nowhere');
  assert.equal(await page.locator('#log .cell.beyond.at .marker').textContent(), '▲ position 300');
  // A check names it as ahead of the log, not as one whose rows differ.
  await page.click('#verify');
  assert.match(await text(page, '#current-step'), /check consistency: users_by_city is ahead of the log \(it processed writes the database lost\): rebuild it$/);
  assertClean(assert, page);
});

test('a crash the session\'s work could not recover from is refused beside the Failure panel, and the database stays up', async () => {
  // 99 rows of 60 KB, then as many rebuilds as leave room for one more copy
  // of them but not two: each copies every row written (99 + 5,801 KiB).
  const bio = 'x'.repeat(60000);
  const steps = [];
  for (let i = 0; i < 99; i++) steps.push({ op: 'put', key: `b${i}`, value: { bio } });
  for (let i = 0; i < 169; i++) steps.push({ op: 'rebuild', consumer: 'by_city' });
  const scenario = { title: 'Near the work limit', consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }], steps };
  const page = await openPage(env.browser, env.base);
  await page.setInputFiles('#import-file', { name: 'near.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(scenario)) });
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 268 of 268', null, { timeout: 60000 });
  const before = await screenState(page);

  await page.click('#crash-process');
  assert.equal(await text(page, '#failure-error'),
    'session: this crash would leave the database down for good: the recovery after it would bring the session\'s work to 1,003,000 rows copied, '
    + 'over the limit of 1,000,000 (a recovery copies every row written so far: 99 rows and 5,801 KiB of them, counted 1 a row plus 1 a KiB: 5,900; '
    + 'the session\'s earlier steps copied 997,100); step back to an earlier step and go on from there (the work is counted to the step on screen), or start a new session');
  assert.ok(await page.locator('.down-banner').isHidden(), 'the database is up');
  assert.deepEqual(await screenState(page), before, 'nothing changed');
  // The other steps that copy every row are refused in the page's words.
  await page.click('#verify');
  assert.match(await text(page, '#failure-error'), /: Check consistency copies every row written so far \(99 rows/);
  // One step back, there is room for the crash and its recovery.
  await page.click('#back');
  await page.click('#crash-process');
  assert.ok(await page.locator('.down-banner').isVisible(), 'down');
  await page.click('#recover');
  assert.ok(await page.locator('.down-banner').isHidden(), 'and recovered');
  assertClean(assert, page);
});

test('bad input to the failure controls is refused next to them and changes nothing', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { city: 'London' });
  const before = await screenState(page);
  await page.fill('#torn-bytes', 'abc');
  await page.click('#crash-power');
  assert.match(await text(page, '#failure-error'), /torn bytes: must be a whole number of bytes \(got “abc”\)/);
  assert.deepEqual(await screenState(page), before);
  await page.fill('#torn-bytes', '9');
  await page.click('#crash-power');
  assert.match(await text(page, '#failure-error'), /torn_bytes: must be at most 0 \(the unsynced bytes\)/);
  assert.deepEqual(await screenState(page), before);
  assert.ok(await page.locator('#recover').isDisabled(), 'nothing to recover while the database is up');
  await page.fill('#consumer-commit-every', '0');
  await page.locator('#consumer-form button[type=submit]').click();
  assert.match(await text(page, '#consumer-error'), /consumer\.commit_every: must be a whole number from 1 to 1000000 \(got 0\)/);
  assert.deepEqual(await screenState(page), before);
  assertClean(assert, page);
});
