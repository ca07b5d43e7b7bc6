// The classic walk-through, clicked through as a student would, and user text
// that looks like HTML staying text.
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

test('walk-through: puts, a lagging index, a stale answer, step, flush, a snapshot consumer', async () => {
  const page = await openPage(env.browser, env.base);

  // The sandbox starts empty, with two consumers at position 0.
  let s = await screenState(page);
  assert.equal(s.step, 'step 0 of 0');
  assert.deepEqual(s.entries, []);
  assert.deepEqual(s.markers, { users_by_city: 0, city_stats: 0 });

  // A typed key and JSON value: the live check approves it, Put writes LSN 1.
  await page.fill('#key', 'u1');
  await page.fill('#value', '{"name": "Ada Lovelace", "city": "London", "age": 36, "bio": "Wrote the first algorithm"}');
  assert.match(await text(page, '#value-check'), /valid JSON object/);
  await page.click('#put');
  s = await screenState(page);
  assert.equal(s.step, 'step 1 of 1');
  assert.equal(s.entries.length, 1);
  assert.equal(s.entries[0].lsn, '1');
  assert.ok(s.entries[0].head, 'the only entry is the head');
  assert.equal(await page.locator('#log .entry.head .head-tag').textContent(), 'HEAD');
  assert.deepEqual(s.rows.map(([k, v]) => [k, JSON.parse(v)]),
    [['u1', { name: 'Ada Lovelace', city: 'London', age: 36, bio: 'Wrote the first algorithm' }]]);
  assert.deepEqual(s.stream, [['1', 'c', 'u1']]);
  assert.match(await text(page, '#current-step'), /put u1: log entry LSN 1, change event c/);

  // The Random user helper fills in the next free key and a JSON object.
  for (const expected of ['u2', 'u3']) {
    await page.click('#random-user');
    assert.equal(await page.inputValue('#key'), expected);
    const value = JSON.parse(await page.inputValue('#value'));
    assert.equal(typeof value.name, 'string');
    assert.equal(typeof value.city, 'string');
    assert.equal(typeof value.age, 'number');
    assert.match(await text(page, '#value-check'), /valid JSON object/);
    await page.click('#put');
  }

  // Nobody has flushed: both consumers lag at position 0, three cells pending each.
  s = await screenState(page);
  assert.equal(s.step, 'step 3 of 3');
  assert.deepEqual(s.entries.map((e) => e.lsn), ['1', '2', '3']);
  assert.deepEqual(s.entries.map((e) => e.head), [false, false, true], 'only LSN 3 is the head');
  assert.deepEqual(s.rows.map((r) => r[0]), ['u1', 'u2', 'u3']);
  assert.deepEqual(s.stream.map((e) => e[1]), ['c', 'c', 'c']);
  assert.deepEqual(s.markers, { users_by_city: 0, city_stats: 0 });
  assert.equal(s.pending, 6, 'three pending cells on each of the two tracks');
  for (const name of ['users_by_city', 'city_stats']) {
    assert.equal(await page.locator(`#log .cell.at[data-consumer="${name}"]`).getAttribute('data-position'), '0');
    assert.ok(await page.locator(`#log .cell.at[data-consumer="${name}"]`).evaluate((c) => c.classList.contains('start')),
      `${name}'s marker sits in the start column, before LSN 1`);
    assert.equal(await card(page, name).locator('.position').textContent(), 'position 0');
    assert.equal(await card(page, name).locator('.lag').textContent(), 'lag 3: 3 change events pending');
  }
  await screenshot(page, 'walkthrough-lagging');

  // A query on the lagging index is stale: it knows nothing, storage knows u1 is in London.
  const byCity = card(page, 'users_by_city');
  await byCity.locator('input[name=query]').fill('London');
  await byCity.getByRole('button', { name: 'Query' }).click();
  let answer = byCity.locator('.answer');
  assert.ok(await answer.evaluate((a) => a.classList.contains('stale')), 'the answer is marked stale');
  assert.equal(await answer.locator('code.result').textContent(), '[]');
  assert.ok(JSON.parse(await answer.locator('code.fresh-result').textContent()).includes('u1'), 'storage would answer with u1');
  assert.match(await answer.textContent(), /Stale: this consumer lags by 3 change events/);
  await screenshot(page, 'walkthrough-stale-query');

  // Step 1 event: the marker moves by exactly one, the other consumer stays.
  await byCity.getByRole('button', { name: 'Step 1 event' }).click();
  s = await screenState(page);
  assert.deepEqual(s.markers, { users_by_city: 1, city_stats: 0 });
  assert.ok(await markerUnder(page, 'users_by_city', 1), 'the marker is under LSN 1');
  assert.equal(await byCity.locator('.lag').textContent(), 'lag 2: 2 change events pending');
  assert.equal(s.pending, 2 + 3);

  // Flush one consumer: its marker moves under the head, lag 0; the other still lags.
  await byCity.getByRole('button', { name: 'Flush' }).click();
  s = await screenState(page);
  assert.deepEqual(s.markers, { users_by_city: 3, city_stats: 0 });
  assert.ok(await markerUnder(page, 'users_by_city', 3), 'the marker is under the head entry, LSN 3');
  assert.equal(await byCity.locator('.lag').textContent(), 'lag 0: caught up');
  assert.equal(await card(page, 'city_stats').locator('.lag').textContent(), 'lag 3: 3 change events pending');
  assert.ok(await byCity.getByRole('button', { name: 'Step 1 event' }).isDisabled(), 'nothing left to step');

  // Now the same query is fresh.
  await byCity.locator('input[name=query]').fill('London');
  await byCity.getByRole('button', { name: 'Query' }).click();
  answer = byCity.locator('.answer');
  assert.ok(!(await answer.evaluate((a) => a.classList.contains('stale'))), 'no longer stale');
  assert.equal(await answer.locator('code.result').textContent(), await answer.locator('code.fresh-result').textContent());
  assert.ok(JSON.parse(await answer.locator('code.result').textContent()).includes('u1'));
  assert.match(await answer.textContent(), /Up to date/);

  // Flush all: every marker under the head entry.
  await page.click('#flush-all');
  s = await screenState(page);
  assert.deepEqual(s.markers, { users_by_city: 3, city_stats: 3 });
  assert.equal(s.pending, 0);
  for (const name of ['users_by_city', 'city_stats']) {
    assert.ok(await markerUnder(page, name, 3), `${name} under the head`);
    assert.equal(await card(page, name).locator('.lag').textContent(), 'lag 0: caught up');
  }
  assert.match(await text(page, '#current-step'), /flush all consumers: 3 change events delivered/);
  await screenshot(page, 'walkthrough-flushed');

  // A late full-text consumer joins by snapshot: one r event per stored row.
  await put(page, 'u4', { name: 'Alan Turing', city: 'Manchester', age: 41, bio: 'Broke codes' });
  await page.selectOption('#consumer-type', 'full_text');
  await page.fill('#consumer-name', 'search');
  await page.fill('#config-fields input[name=fields]', 'name, bio');
  await page.check('input[name=mode][value=snapshot]');
  await page.click('#consumer-form button[type=submit]');
  assert.equal(await text(page, '#consumer-error'), '');
  s = await screenState(page);
  const search = card(page, 'search');
  assert.equal(s.markers.search, 4, 'the snapshot consumer starts at the storage LSN');
  assert.ok(await markerUnder(page, 'search', 4), 'its marker is under the head');
  assert.equal(await search.locator('.lag').textContent(), 'lag 0: caught up');
  const snap = search.locator('.snapshot li');
  assert.equal(await snap.count(), s.rows.length, 'one r event per stored row');
  assert.deepEqual(await snap.locator('.badge').allTextContents(), s.rows.map(() => 'r'));
  assert.deepEqual(await snap.locator('.key').allTextContents(), s.rows.map((r) => r[0]), 'in key order');
  assert.match(await search.locator('.snapshot').textContent(), /Snapshot at LSN 4: read 4 rows as r events/);
  // Its track shows LSN 1-4 as covered by the snapshot, not processed; the others processed them.
  const covered = await page.evaluate(() => {
    const label = Array.from(document.querySelectorAll('#log .track-label')).find((l) => l.textContent.includes('search'));
    const cells = [];
    for (let c = label.nextElementSibling; c && c.classList.contains('cell'); c = c.nextElementSibling) cells.push(c.className);
    return { search: cells.filter((c) => /\bcovered\b/.test(c)).length, all: document.querySelectorAll('#log .cell.covered').length };
  });
  assert.deepEqual(covered, { search: 4, all: 4 }, 'four covered cells, all on the snapshot consumer\'s track');
  assert.match(await page.locator('#log .cell.at[data-consumer="search"]').textContent(), /snapshot 4/);
  assert.match(await search.locator('.cost').textContent(), /snapshot at LSN 4 \(read 4 rows\); 0 change events processed/);
  await screenshot(page, 'walkthrough-snapshot');

  // The snapshot consumer lags after a new write: stale, then fresh after its Flush.
  await put(page, 'u5', { name: 'Grace Hopper', city: 'Arlington', age: 85, bio: 'Built the first compiler' });
  await search.locator('input[name=query]').fill('compiler');
  await search.getByRole('button', { name: 'Query' }).click();
  answer = search.locator('.answer');
  assert.ok(await answer.evaluate((a) => a.classList.contains('stale')));
  assert.equal(await answer.locator('code.result').textContent(), '[]');
  assert.equal(await answer.locator('code.fresh-result').textContent(), '["u5"]');
  await search.getByRole('button', { name: 'Flush' }).click();
  assert.equal((await screenState(page)).markers.search, 5);
  assert.match(await search.locator('.cost').textContent(), /; 1 change event processed from the stream since/);
  await search.locator('input[name=query]').fill('compiler');
  await search.getByRole('button', { name: 'Query' }).click();
  answer = search.locator('.answer');
  assert.ok(!(await answer.evaluate((a) => a.classList.contains('stale'))));
  assert.equal(await answer.locator('code.result').textContent(), '["u5"]');
  assert.equal(await answer.locator('code.fresh-result').textContent(), '["u5"]');
  assertClean(assert, page);
});

test('the f key flushes every consumer', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { city: 'Oslo', age: 30 });
  await put(page, 'u2', { city: 'Lima', age: 40 });
  assert.deepEqual((await screenState(page)).markers, { users_by_city: 0, city_stats: 0 });
  await page.locator('#log-panel').focus();
  await page.keyboard.press('f');
  const s = await screenState(page);
  assert.equal(s.step, 'step 3 of 3');
  assert.deepEqual(s.markers, { users_by_city: 2, city_stats: 2 });
  // Typing an "f" into a field is typing, not a flush.
  await page.fill('#key', '');
  await page.locator('#key').press('f');
  assert.equal(await page.inputValue('#key'), 'f');
  assert.equal((await screenState(page)).step, 'step 3 of 3');
  assertClean(assert, page);
});

test('what a student types into a query box stays while the page redraws, and a query step shows its own question', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { city: 'Oslo', age: 30 });
  const byCity = card(page, 'users_by_city');
  const stats = card(page, 'city_stats');
  await byCity.locator('input[name=query]').fill('Osl');
  await byCity.locator('input[name=min_position]').fill('1');
  await stats.locator('input[name=query]').fill('Lima');
  // Other steps redraw every card: the typing stays, each in its own card.
  await put(page, 'u2', { city: 'Lima', age: 40 });
  await page.click('#flush-all');
  assert.equal((await screenState(page)).step, 'step 3 of 3');
  assert.equal(await byCity.locator('input[name=query]').inputValue(), 'Osl');
  assert.equal(await byCity.locator('input[name=min_position]').inputValue(), '1');
  assert.equal(await stats.locator('input[name=query]').inputValue(), 'Lima');
  // Asked, then stepped away from and back onto: the step shows its question.
  await byCity.locator('input[name=query]').fill('Oslo');
  await byCity.locator('input[name=min_position]').fill('');
  await byCity.locator('button[data-action=query]').click();
  assert.equal((await screenState(page)).step, 'step 4 of 4');
  await stats.locator('input[name=query]').fill('Paris');
  await page.locator('#slider').focus();
  await page.keyboard.press('ArrowLeft');
  assert.equal((await screenState(page)).step, 'step 3 of 4');
  await byCity.locator('input[name=query]').fill('London');
  await page.locator('#slider').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal((await screenState(page)).step, 'step 4 of 4');
  assert.equal(await byCity.locator('input[name=query]').inputValue(), 'Oslo', 'the query step shows the question it asked');
  assert.equal(await stats.locator('input[name=query]').inputValue(), 'Paris', 'another card keeps its typing');
  assertClean(assert, page);
});

test('keys, values and names that look like HTML are shown as text, never run', async () => {
  const page = await openPage(env.browser, env.base);
  const key = '<img src=x onerror=alert(1)>';
  const value = { note: '<b>bold</b>', city: '<i>Paris</i>' };
  await page.fill('#key', key);
  await page.fill('#value', JSON.stringify(value));
  await page.click('#put');
  // A consumer name and a query that look like markup, too.
  const evilName = '<svg onload=alert(2)>';
  await page.selectOption('#consumer-type', 'secondary_index');
  await page.fill('#consumer-name', evilName);
  await page.click('#consumer-form button[type=submit]');
  assert.equal(await page.locator('#consumer-error').textContent(), '');
  const evil = page.locator('article.card').filter({ hasText: evilName });
  await evil.locator('input[name=query]').fill('<i>Paris</i>');
  await evil.getByRole('button', { name: 'Query' }).click();
  await page.locator('#stream summary').first().click(); // open before/after
  await page.locator('#stream li dd').last().waitFor();

  const seen = await page.evaluate(() => ({
    entryKey: document.querySelector('#log .entry .entry-key').textContent,
    entryValue: document.querySelector('#log .entry .entry-value').textContent,
    storageKey: document.querySelector('#storage tr[data-key] td.key').textContent,
    storageDataKey: document.querySelector('#storage tr[data-key]').dataset.key,
    storageValue: document.querySelector('#storage tr[data-key] td.value').textContent,
    streamKey: document.querySelector('#stream li .key').textContent,
    streamAfter: document.querySelector('#stream li dd:last-of-type').textContent,
    cardTitle: Array.from(document.querySelectorAll('article.card h3')).map((h) => h.textContent),
    trackNames: Array.from(document.querySelectorAll('#log .track-name')).map((t) => t.textContent),
    answer: document.querySelector('article.card .answer code.result')?.textContent,
    injected: document.querySelectorAll('#log img, #log b, #log i, #log svg, #storage img, #storage b, #storage i, #stream img, #stream b, #stream i, #consumers img, #consumers svg, #consumers b, #consumers i').length,
  }));
  assert.equal(seen.entryKey, key);
  assert.deepEqual(JSON.parse(seen.entryValue), value);
  assert.equal(seen.storageKey, key);
  assert.equal(seen.storageDataKey, key);
  assert.deepEqual(JSON.parse(seen.storageValue), value);
  assert.equal(seen.streamKey, key);
  assert.deepEqual(JSON.parse(seen.streamAfter), value);
  assert.ok(seen.cardTitle.includes(evilName), 'the consumer name is shown literally on its card');
  assert.ok(seen.trackNames.includes(evilName), 'and on its track under the log');
  assert.deepEqual(JSON.parse(seen.answer), [key], 'the query answer shows the key literally');
  assert.equal(seen.injected, 0, 'no element was created from user text');
  await page.waitForTimeout(200); // give an injected onerror/onload a chance to fire
  assertClean(assert, page);
});
