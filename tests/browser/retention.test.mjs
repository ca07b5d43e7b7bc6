// Log retention in the page, used as a student would: compact a history and
// see the gaps its removed LSNs leave in the log strip, and the removed
// entries in the full view; a truncation refused while a consumer's
// committed position pins the log, then forced, putting that consumer out of
// range until its rebuild; a recovery that loads the checkpoint. Bad input
// to the new controls changes nothing.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  start, closePages, openPage, assertClean, screenState, put, card, markerUnder, screenshot,
} from './harness.mjs';

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

const text = (page, sel) => page.locator(sel).textContent();
const lsns = async (page) => (await screenState(page)).entries.map((e) => Number(e.lsn));

/**
 * The boundaries drawn across the log strip: for each label, the LSN of the
 * entry its line runs beside (`before`: the line is on that entry's left,
 * `after`: on its right, 'start' for the start column) and its notes.
 */
function boundaries(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('#log .log-mark')).map((m) => {
    const r = m.getBoundingClientRect();
    const left = m.classList.contains('left');
    const edge = left ? r.left : r.right;
    const cols = [...document.querySelectorAll('#log .entry[data-lsn]'), document.querySelector('#log .log-start')];
    const next = cols.find((e) => {
      const b = e.getBoundingClientRect();
      return Math.abs((left ? b.left : b.right) - (left ? edge + 3 : edge - 3)) < 2;
    });
    return {
      [left ? 'before' : 'after']: next?.dataset.lsn ? Number(next.dataset.lsn) : 'start',
      notes: Array.from(m.querySelectorAll('.mark-note')).map((n) => n.textContent),
    };
  }));
}

/** Fills a retention field (empty string: clear it). */
async function fill(page, id, value) {
  await page.fill(`#${id}`, String(value));
}

test('compacting a history leaves gaps in the log strip; the full view shows the removed entries, struck through', async () => {
  const page = await openPage(env.browser, env.base);
  // LSN 1..6; u1 is written three times, so compaction up to 5 keeps only
  // its newest entry there (LSN 5). The key is user text: shown as text.
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  await put(page, '<i>u2</i>', { name: 'Alan', city: 'Paris', age: 41 });
  await put(page, 'u1', { name: 'Ada', city: 'Oslo', age: 36 });
  await put(page, 'u3', { name: 'Grace', city: 'Lima', age: 45 });
  await put(page, 'u1', { name: 'Ada', city: 'Pune', age: 37 });
  await put(page, '<i>u2</i>', { name: 'Alan', city: 'Lagos', age: 42 });
  // users_by_city processes up to LSN 3, one event at a time.
  for (let i = 0; i < 3; i++) await card(page, 'users_by_city').getByRole('button', { name: 'Step 1 event' }).click();
  assert.equal((await screenState(page)).markers.users_by_city, 3);
  assert.ok(await page.locator('#log-full').isHidden(), 'nothing removed yet: no full view to offer');
  assert.deepEqual(await boundaries(page), [], 'no gaps in a log nothing was removed from');

  await fill(page, 'compact-upto', 5);
  await page.click('#compact');
  assert.equal(await text(page, '#retention-error'), '');
  assert.match(await text(page, '#current-step'), /compact the log up to LSN 5: removed 2 log entries \(LSN 1, 3\), log \d+ → \d+ bytes/);
  assert.deepEqual(await lsns(page), [2, 4, 5, 6], 'LSNs are never renumbered');
  assert.match(await text(page, '#log-summary'), /log file: 4 entries/);
  assert.match(await text(page, '#log-retention'), /2 entries removed by retention/);
  assert.match(await text(page, '#retention-size'), /log: 4 entries, \d+ bytes/);
  assert.deepEqual(await boundaries(page), [
    { before: 2, notes: ['gap: 1 LSN'] },
    { before: 4, notes: ['gap: 1 LSN'] },
  ], 'a gap marker before LSN 2 (LSN 1 is gone) and before LSN 4 (LSN 3 is gone)');
  assert.match(await page.locator('#log .log-mark').nth(1).getAttribute('title'), /LSN 3 is not in the log: compaction removed them/);
  // The change events of the removed entries went with them.
  assert.deepEqual((await screenState(page)).stream.map(([lsn]) => Number(lsn)), [2, 4, 5, 6]);
  // users_by_city's position, LSN 3, was removed: its marker stands at the
  // newest entry before it.
  assert.ok(await markerUnder(page, 'users_by_city', 2), 'position 3 is drawn under LSN 2');
  assert.match(await page.locator('#log .cell.at[data-consumer="users_by_city"]').textContent(), /position 3/);
  assert.match(await card(page, 'users_by_city').locator('.position').textContent(), /position 3/);
  await screenshot(page, 'retention-compacted');

  // The full view: the same log with the removed entries, marked.
  assert.equal(await text(page, '#log-full'), 'Show removed entries (2)');
  await page.click('#log-full');
  assert.equal(await page.locator('#log-full').getAttribute('aria-pressed'), 'true');
  assert.deepEqual(await lsns(page), [1, 2, 3, 4, 5, 6]);
  const removed = await page.locator('#log .entry.removed').evaluateAll((es) => es.map((e) => ({
    lsn: Number(e.dataset.lsn), by: e.dataset.removed, tag: e.querySelector('.removed-tag').textContent,
    struck: getComputedStyle(e.querySelector('.entry-key')).textDecorationLine,
  })));
  assert.deepEqual(removed, [
    { lsn: 1, by: 'compaction', tag: 'compacted', struck: 'line-through' },
    { lsn: 3, by: 'compaction', tag: 'compacted', struck: 'line-through' },
  ]);
  assert.deepEqual(await boundaries(page), [], 'the full view has no gaps left');
  assert.ok(await markerUnder(page, 'users_by_city', 3), 'in the full view, position 3 is drawn under its removed entry');
  assert.match(await text(page, '#log .entry[data-lsn="2"]'), /<i>u2<\/i>/, 'the key is shown as text');
  assert.equal(await page.locator('#log i, #consumers i, #stream i').count(), 0, 'user text never becomes HTML');
  // A removed entry has no bytes to show.
  await page.click('#log .entry[data-lsn="1"]');
  assert.ok(await page.locator('#bytes').isHidden());
  await screenshot(page, 'retention-full-view');

  // The full view stays on across steps, and turns off again.
  await put(page, 'u4', { name: 'Edsger', city: 'Oslo', age: 50 });
  assert.deepEqual(await lsns(page), [1, 2, 3, 4, 5, 6, 7]);
  await page.click('#log-full');
  assert.deepEqual(await lsns(page), [2, 4, 5, 6, 7]);
  // Back in time, before the compaction, nothing is missing.
  await page.click('#back');
  await page.click('#back');
  assert.deepEqual(await lsns(page), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(await boundaries(page), []);
  assertClean(assert, page);
});

test('the full view tells a tombstone compaction dropped for its age from a delete a newer entry superseded; a truncation of a log with gaps says what it removed', async () => {
  const page = await openPage(env.browser, env.base);
  const del = async (key) => { await page.fill('#key', key); await page.click('#delete'); };
  await put(page, 'u1', { city: 'Oslo' });  // 1
  await put(page, 'u2', { city: 'Lima' });  // 2
  await del('u1');                          // 3: superseded by the put at 5
  await del('u2');                          // 4: dropped for its age
  await put(page, 'u1', { city: 'Pune' });  // 5
  await put(page, 'u3', { city: 'Rome' });  // 6: superseded by the put at 7
  await put(page, 'u3', { city: 'Kyiv' });  // 7
  await page.click('#sync');
  await fill(page, 'compact-upto', 7);
  await fill(page, 'compact-tombstones', 5);
  await page.click('#compact');
  assert.match(await text(page, '#current-step'), /removed 5 log entries \(LSN 1–4, 6\).*dropped the tombstone of u2 \(LSN 4\)/);
  await page.click('#log-full');
  const removed = await page.locator('#log .entry.removed').evaluateAll((es) => es.map((e) => ({
    lsn: Number(e.dataset.lsn), tag: e.querySelector('.removed-tag').textContent, why: e.title.replace(/^.*Not in the log: /, ''),
  })));
  const superseded = 'compaction removed it (a newer entry of the same key supersedes it).';
  assert.deepEqual(removed, [
    { lsn: 1, tag: 'compacted', why: superseded },
    { lsn: 2, tag: 'compacted', why: superseded },
    { lsn: 3, tag: 'compacted', why: superseded },
    { lsn: 4, tag: 'dropped', why: 'compaction removed it (a tombstone dropped after its retention: it was before "drop tombstones before").' },
    { lsn: 6, tag: 'compacted', why: superseded },
  ]);
  // What is left before LSN 8 is LSN 5 and 7: the truncation says so rather
  // than list them as if they were the log's first entries.
  await page.click('#checkpoint');
  await page.click('#log-full');
  // The full view off (it lists the removed entries first). Truncated before
  // LSN 3, where compaction had left nothing before LSN 5: the log's summary
  // says where it was cut and which entry is now first.
  await fill(page, 'truncate-before', 3);
  await page.check('#truncate-force');
  await page.click('#truncate');
  assert.match(await text(page, '#log-retention'), /truncated before LSN 3; its first entry left is LSN 5/);
  await fill(page, 'truncate-before', 8);
  await page.check('#truncate-force');
  await page.click('#truncate');
  assert.match(await text(page, '#current-step'), /truncate the log before LSN 8 \(forced\): removed 2 log entries \(every entry still in the log before LSN 8\)/);
  // Nothing is left: the hint does not ask for another checkpoint, and
  // compaction suggests no LSN.
  assert.equal(await text(page, '#retention-hint'), 'The log has no entries left: there is nothing to truncate.');
  assert.equal(await page.locator('#compact-upto').getAttribute('placeholder'), 'LSN');
  assertClean(assert, page);
});

test('a consumer pins the log; a forced truncation puts it out of range; its rebuild brings it back; recovery loads the checkpoint', async () => {
  const page = await openPage(env.browser, env.base);
  for (const [k, city] of [['u1', 'London'], ['u2', 'Paris'], ['u3', 'London']]) await put(page, k, { name: k, city, age: 30 });
  await page.click('#flush-all');
  await put(page, 'u4', { name: 'u4', city: 'Oslo', age: 30 });
  await put(page, 'u5', { name: 'u5', city: 'Lima', age: 30 });
  // Both committed at 3: each pins the log, as two replication slots would.
  for (const name of ['users_by_city', 'city_stats']) {
    assert.match(await card(page, name).locator('.pins-tag').textContent(), /pins the log/, `${name}, tied`);
  }
  // And the retention line names both, as the cards do (it named only the
  // one the engine reports).
  assert.match(await text(page, '#log-retention'), /users_by_city and city_stats need those after their committed position 3/);
  await card(page, 'users_by_city').getByRole('button', { name: 'Flush' }).click();
  // city_stats is stuck at its committed position 3.
  assert.match(await card(page, 'city_stats').locator('.committed').textContent(), /committed 3/);

  // No checkpoint: recovery needs the whole log.
  assert.match(await text(page, '#retention-hint'), /Without a checkpoint, recovery needs every log entry/);
  await page.click('#checkpoint');
  assert.match(await text(page, '#current-step'), /checkpoint: storage image at LSN 5 \(5 rows\)/);
  assert.match(await text(page, '#checkpoint-note'), /last at LSN 5/);
  // The checkpoint is marked after LSN 5, and city_stats's committed
  // position 3 as what holds the log back.
  assert.deepEqual(await boundaries(page), [
    { before: 4, notes: ['pinned by city_stats'] },
    { after: 5, notes: ['checkpoint 5'] },
  ]);
  await put(page, 'u6', { name: 'u6', city: 'Pune', age: 30 });
  assert.deepEqual(await boundaries(page), [
    { before: 4, notes: ['pinned by city_stats'] },
    { before: 6, notes: ['checkpoint 5'] },
  ]);
  // What pins the log: city_stats, like a replication slot.
  assert.match(await text(page, '#log-retention'), /city_stats needs those after its committed position 3; a truncation can remove the entries before LSN 4 \(city_stats holds the rest back, like a replication slot\)/);
  assert.match(await card(page, 'city_stats').locator('.pins-tag').textContent(), /pins the log/);
  assert.equal(await card(page, 'users_by_city').locator('.pins-tag').count(), 0);
  const bytesBefore = await text(page, '#retention-size');

  // Refused while city_stats pins the entries: the engine's words, nothing changes.
  const pinned = await screenState(page);
  await page.fill('#truncate-before', '5');
  await page.click('#truncate');
  // The engine names the step's JSON field; beside the form, the page's word for it.
  assert.match(await text(page, '#retention-error'), /before: consumers still need entries before LSN 5: city_stats \(committed position 3\).*; tick “force” to remove them anyway, as max_slot_wal_keep_size does$/);
  assert.doesNotMatch(await text(page, '#retention-error'), /"force"/);
  assert.deepEqual(await screenState(page), pinned, 'a refused truncation changes nothing');
  assert.equal(await text(page, '#retention-size'), bytesBefore);
  await screenshot(page, 'retention-pinned');
  // The log keeps growing while city_stats lags.
  await put(page, 'u7', { name: 'u7', city: 'Oslo', age: 30 });
  assert.notEqual(await text(page, '#retention-size'), bytesBefore);

  // Forced: LSN 1-4 go, and city_stats (position 3) lost its next event.
  await page.check('#truncate-force');
  await page.click('#truncate');
  assert.equal(await text(page, '#retention-error'), '');
  assert.match(await text(page, '#current-step'), /truncate the log before LSN 5 \(forced\): removed 4 log entries \(LSN 1–4\).*; city_stats is now out of range: rebuild it/);
  assert.equal(await page.isChecked('#truncate-force'), false, 'force is for one truncation');
  assert.deepEqual(await lsns(page), [5, 6, 7]);
  assert.deepEqual(await boundaries(page), [
    { before: 5, notes: ['gap: 4 LSNs', 'truncated before 5'] },
    { before: 6, notes: ['checkpoint 5'] },
  ]);
  assert.match(await text(page, '#log-retention'), /truncated before LSN 5;? /);
  assert.doesNotMatch(await text(page, '#log-retention'), /first entry left/, 'LSN 5 is the first entry');
  const stats = card(page, 'city_stats');
  assert.ok(await stats.evaluate((c) => c.classList.contains('out-of-range')), 'the card is marked');
  assert.match(await stats.locator('.range-warning').textContent(),
    /Out of range \(Kafka's OFFSET_OUT_OF_RANGE.*\): the change event it needed next \(the first after LSN 3\) was removed by a truncation, and the log now starts at LSN 5\. Flush and step are refused\. Rebuild it/);
  assert.equal(await stats.locator('.lag').textContent(), 'out of range: it cannot catch up', 'not "pending": it can never take them');
  assert.ok(await stats.getByRole('button', { name: 'Flush' }).isDisabled());
  assert.ok(await stats.getByRole('button', { name: 'Step 1 event' }).isDisabled());
  assert.match(await page.locator('#log .track-label', { hasText: 'city_stats' }).textContent(), /pos 3, out of range/);
  // Its position, LSN 3, is no longer in the log: drawn in the start column.
  assert.match(await page.locator('#log .cell.at[data-consumer="city_stats"]').textContent(), /position 3/);
  assert.equal(await stats.locator('.pins-tag').count(), 0, 'a consumer out of range pins nothing');
  await screenshot(page, 'retention-out-of-range');
  // The full view lists the truncated entries before the log's start.
  await page.click('#log-full');
  assert.deepEqual(await page.locator('#log .entry.removed').evaluateAll((es) => es.map((e) => [Number(e.dataset.lsn), e.dataset.removed, e.querySelector('.removed-tag').textContent])),
    [[1, 'truncation', 'truncated'], [2, 'truncation', 'truncated'], [3, 'truncation', 'truncated'], [4, 'truncation', 'truncated']]);
  assert.deepEqual(await boundaries(page), [{ before: 5, notes: ['truncated before 5'] }, { before: 6, notes: ['checkpoint 5'] }]);
  assert.ok(await markerUnder(page, 'city_stats', 3), 'city_stats stands under its truncated entry');
  await page.click('#log-full');
  assert.deepEqual(await lsns(page), [5, 6, 7]);

  // Flush all: city_stats is refused, in the engine's words, on its card.
  await page.click('#flush-all');
  assert.match(await text(page, '#current-step'), /flush all consumers: 2 change events delivered in all \(each consumer gets its own copy of each event\); refused: city_stats \(out of range\)/);
  assert.match(await stats.locator('.error').textContent(), /'city_stats' is out of range: its next event \(after LSN 3\) was removed by a truncation.*OFFSET_OUT_OF_RANGE/);
  assert.match(await stats.locator('.position').textContent(), /position 3/);

  // A new consumer cannot replay a truncated log; by snapshot it can join.
  const beforeAdd = await screenState(page);
  await page.fill('#consumer-name', 'replayed');
  await page.check('input[name=mode][value=replay]');
  await page.locator('#consumer-form button[type=submit]').click();
  assert.match(await text(page, '#consumer-error'), /mode: a replay would miss the log entries before LSN 5, which a truncation removed, so the consumer would be silently incomplete; add it by “snapshot, then stream”$/);
  assert.deepEqual(await screenState(page), beforeAdd);

  // Rebuild: a snapshot of storage brings it back.
  await stats.getByRole('button', { name: 'Rebuild' }).click();
  assert.match(await text(page, '#current-step'), /rebuild city_stats: position 7/);
  assert.equal(await stats.evaluate((c) => c.classList.contains('out-of-range')), false);
  assert.equal(await stats.locator('.range-warning').count(), 0);
  assert.match(await stats.locator('.lag').textContent(), /lag 0/);
  await page.click('#verify');
  assert.match(await stats.locator('.answer.verify').textContent(), /Consistent/);
  await screenshot(page, 'retention-rebuilt');

  // A crash: recovery loads the checkpoint and replays only what follows it.
  await page.click('#crash-process');
  assert.ok(await page.locator('#checkpoint').isDisabled(), 'no checkpoint while the database is down');
  assert.ok(await page.locator('#truncate').isDisabled());
  assert.ok(await page.locator('#compact').isDisabled());
  await page.click('#recover');
  assert.match(await text(page, '#recovery-checkpoint'),
    /Loaded the checkpoint at LSN 5 first \(a storage image\), so only the 2 log entries after it were replayed\. Without the checkpoint: 3 log entries to replay, and even that would not rebuild storage/);
  assert.match(await text(page, '.recovery-report'), /Replayed 2 log entries into storage/);
  assert.deepEqual((await screenState(page)).rows.map(([k]) => k), ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']);
  await screenshot(page, 'retention-recovery');
  assertClean(assert, page);
});

// Consumers tied at the oldest commit each pin the log: the retention hint
// names them all, as the log's summary and the cards do (it named one).
test('the retention hint names every consumer tied at the committed position that pins the log', async () => {
  const page = await openPage(env.browser, env.base);
  for (const [k, city] of [['u1', 'London'], ['u2', 'Paris'], ['u3', 'London']]) await put(page, k, { name: k, city, age: 30 });
  await page.click('#flush-all');
  await put(page, 'u4', { name: 'u4', city: 'Oslo', age: 30 });
  await page.click('#checkpoint');
  await page.waitForFunction(() => /last at LSN 4/.test(document.querySelector('#checkpoint-note').textContent));
  assert.match(await text(page, '#log-retention'), /users_by_city and city_stats need those after their committed position 3/);
  assert.equal(await text(page, '#retention-hint'),
    'Without force, a truncation can remove the entries before LSN 4: the committed position 3 of users_by_city and city_stats pins the rest.');
  // One flushed past it: the other alone pins the log.
  await card(page, 'users_by_city').getByRole('button', { name: 'Flush' }).click();
  await page.waitForFunction(() => /city_stats's committed position 3 pins the rest/.test(document.querySelector('#retention-hint').textContent));
  assert.equal(await text(page, '#retention-hint'),
    'Without force, a truncation can remove the entries before LSN 4: city_stats\'s committed position 3 pins the rest.');
  assertClean(assert, page);
});

test('bad input to the retention controls is refused next to them and changes nothing', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { city: 'London' });
  await put(page, 'u1', { city: 'Paris' });
  const before = await screenState(page);
  const step = await text(page, '#step-label');
  const unchanged = async (why) => {
    assert.deepEqual(await screenState(page), before, why);
    assert.equal(await text(page, '#step-label'), step, `${why}: no step taken`);
  };

  // The page's own checks: an LSN is a whole number.
  await page.click('#truncate');
  assert.match(await text(page, '#retention-error'), /^truncate before: enter an LSN \(a whole number\)$/);
  await unchanged('an empty LSN');
  for (const bad of ['abc', '-1', '1.5', '<b>2</b>']) {
    await page.fill('#truncate-before', bad);
    await page.click('#truncate');
    assert.equal(await text(page, '#retention-error'), `truncate before: must be an LSN, a whole number (got “${bad}”)`);
    assert.equal(await page.locator('#truncate-before').getAttribute('aria-invalid'), 'true');
    await unchanged(`truncate before ${bad}`);
  }
  assert.equal(await page.locator('#retention-error b').count(), 0, 'user text never becomes HTML');
  await page.fill('#compact-upto', '1e3');
  await page.click('#compact');
  assert.match(await text(page, '#retention-error'), /^compact up to: must be an LSN/);
  await page.fill('#compact-upto', '2');
  await page.fill('#compact-tombstones', 'x');
  await page.click('#compact');
  assert.match(await text(page, '#retention-error'), /^drop tombstones before: must be an LSN, a whole number \(got “x”\)/);
  await unchanged('compact with a bad tombstone LSN');

  // The engine's checks, in its words.
  await page.fill('#truncate-before', '2');
  await page.click('#truncate');
  assert.match(await text(page, '#retention-error'), /there is no checkpoint, so storage recovery still needs every entry from LSN 1; checkpoint first/);
  assert.equal(await page.locator('#truncate-before').getAttribute('aria-invalid'), null, 'the field itself was fine');
  await unchanged('a truncation without a checkpoint');
  await page.fill('#truncate-before', '99');
  await page.check('#truncate-force');
  await page.click('#truncate');
  assert.match(await text(page, '#retention-error'), /before: must be from 1 to 3 \(the head \+ 1\)/);
  assert.equal(await page.isChecked('#truncate-force'), true, 'a refused truncation leaves force as it was');
  await unchanged('a truncation past the head');
  await page.fill('#compact-upto', '2');
  await page.fill('#compact-tombstones', '3');
  await page.click('#compact');
  assert.match(await text(page, '#retention-error'), /tombstones_before: must be at most upto \(2\)/);
  await unchanged('tombstones after upto');
  await page.fill('#compact-upto', '7');
  await page.fill('#compact-tombstones', '');
  await page.click('#compact');
  assert.match(await text(page, '#retention-error'), /upto: must be from 1 to 2 \(the durable LSN/);
  await unchanged('compaction past the durable LSN');
  // The next good action clears the error (Enter in the field takes it).
  await page.fill('#compact-upto', '2');
  await page.press('#compact-upto', 'Enter');
  assert.equal(await text(page, '#retention-error'), '');
  assert.deepEqual(await lsns(page), [2]);
  assertClean(assert, page);
});

test('an upsert consumer shows its apply mode and its state store; the page keeps its shape on a phone', async () => {
  const page = await openPage(env.browser, env.base, { width: 390, height: 844 });
  // A name typed before the type is chosen stays (only a suggested one is replaced).
  await page.fill('#consumer-name', 'teams');
  await page.selectOption('#consumer-type', 'materialized_view');
  assert.equal(await page.inputValue('#consumer-name'), 'teams');
  await page.locator('#config-fields input[name=group_by]').fill('city');
  await page.locator('#config-fields input[name=sum]').fill('');
  await page.selectOption('#consumer-apply', 'upsert');
  await page.locator('#consumer-form button[type=submit]').click();
  assert.equal(await text(page, '#consumer-error'), '');
  assert.equal(await text(page, `article.card[data-consumer="teams"] .apply`), 'apply: upsert · state store: 0 rows');
  assert.equal(await text(page, `article.card[data-consumer="users_by_city"] .apply`), 'apply: delta');
  for (const [k, city] of [['u1', 'London'], ['u2', 'Paris'], ['u1', 'Oslo']]) await put(page, k, { city });
  await page.click('#flush-all');
  assert.equal(await text(page, `article.card[data-consumer="teams"] .apply`), 'apply: upsert · state store: 2 rows');
  await page.click('#checkpoint');
  await page.fill('#compact-upto', '3');
  await page.click('#compact');
  assert.deepEqual(await boundaries(page), [{ before: 2, notes: ['gap: 1 LSN'] }, { after: 3, notes: ['checkpoint 3'] }]);
  // Nothing sticks out of the page sideways: the log strip scrolls inside its panel.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await screenshot(page, 'retention-phone');
  assertClean(assert, page);
});
