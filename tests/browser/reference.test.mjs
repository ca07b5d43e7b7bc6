// What the reference system can do, in the page: an index over several
// fields, a list view, a prefix scan, and an index lookup that fetches from
// storage and shows a stale document.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { start, closePages, openPage, assertClean, screenState, put, card, screenshot } from './harness.mjs';

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

const text = (page, sel) => page.locator(sel).textContent();

async function addConsumer(page, type, name, config) {
  await page.selectOption('#consumer-type', type);
  await page.fill('#consumer-name', name);
  for (const [field, value] of Object.entries(config)) {
    const input = page.locator(`#config-fields input[name=${field}]`);
    if (typeof value === 'boolean') await input.setChecked(value);
    else await input.fill(value);
  }
  await page.locator('#consumer-form button[type=submit]').click();
  assert.equal(await text(page, '#consumer-error'), '');
}

test('an index over several fields answers by field and shows one posting list per field', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London', team: 'storage' });
  await put(page, 'u2', { name: 'Alan', city: 'Paris', team: 'storage' });
  await addConsumer(page, 'secondary_index', 'by_city_team', { field: 'city, team' });
  const c = card(page, 'by_city_team');
  assert.match(await c.locator('.config').textContent(), /"fields": \["city", "team"\]/);
  const rows = await c.locator('.state tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent));
  assert.deepEqual(rows, ['cityLondonu1', 'cityParisu2', 'teamstorageu1, u2']);
  await c.locator('select[name=field]').selectOption('team');
  await c.locator('input[name=query]').fill('storage');
  await c.getByRole('button', { name: 'Query' }).click();
  assert.match(await c.locator('.answer .result').textContent(), /\["u1", "u2"\]/);
  assert.match(await text(page, '#current-step'), /query by_city_team: \["u1", "u2"\]/);
  assertClean(assert, page);
});

test('a list view keeps each group\'s keys in the order they arrived', async () => {
  const page = await openPage(env.browser, env.base);
  await addConsumer(page, 'materialized_view', 'members', { group_by: 'city', sum: '', list: true });
  for (const [k, city] of [['u3', 'London'], ['u1', 'London'], ['u2', 'Paris']]) await put(page, k, { name: k, city });
  await page.click('#flush-all');
  const c = card(page, 'members');
  assert.match(await c.locator('.state thead').textContent(), /keys, in arrival order/);
  assert.match(await c.locator('.state tr[data-group="London"]').textContent(), /u3, u1/);
  await screenshot(page, 'reference-list-view');
  assertClean(assert, page);
});

test('an index lookup that fetches from storage marks the documents a lagging index is wrong about', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London' });
  await put(page, 'u2', { name: 'Grace', city: 'London' });
  await page.click('#flush-all');
  await put(page, 'u1', { name: 'Ada', city: 'Paris' });
  const c = card(page, 'users_by_city');
  await c.locator('input[name=query]').fill('London');
  await c.locator('input[name=fetch]').check();
  await c.getByRole('button', { name: 'Query' }).click();
  const answer = c.locator('.answer.fetched');
  assert.match(await answer.textContent(), /Stale index read: 1 document no longer matches/);
  assert.match(await answer.locator('tr[data-key="u1"]').textContent(), /"city": "Paris".*stale/);
  assert.match(await answer.locator('tr[data-key="u2"]').textContent(), /matches/);
  await screenshot(page, 'reference-fetched-stale');
  await c.getByRole('button', { name: 'Flush' }).click();
  await c.locator('input[name=fetch]').check();
  await c.getByRole('button', { name: 'Query' }).click();
  assert.match(await c.locator('.answer.fetched').textContent(), /Every fetched document matches/);
  assertClean(assert, page);
});

test('a prefix scan reads storage in key order, beside get', async () => {
  const page = await openPage(env.browser, env.base);
  for (const k of ['user:2', 'order:1', 'user:1']) await put(page, k, { k });
  const before = await screenState(page);
  await page.fill('#key', 'user:');
  await page.click('#scan');
  assert.match(await text(page, '#get-result'), /scan “user:” → 2 rows/);
  const keys = await page.locator('#get-result td.key').allTextContents();
  assert.deepEqual(keys, ['user:1', 'user:2']);
  assert.deepEqual((await screenState(page)).rows, before.rows, 'a scan changes nothing');
  await page.click('#replay-storage');
  assert.match(await text(page, '#current-step'), /replay storage from the log: 3 log entries replayed, storage LSN 3/);
  assert.deepEqual((await screenState(page)).rows, before.rows, 'storage replayed from the log is the same storage');
  assertClean(assert, page);
});
