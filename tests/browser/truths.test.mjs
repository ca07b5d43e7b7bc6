// What the page says must be true (issue 13 §6): a consumer is "up to date"
// only when its lag is 0, and the add-consumer form suggests a name that
// fits the field it derives from.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { start, closePages, openPage, assertClean, put, card } from './harness.mjs';

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

async function ask(page, consumer, text) {
  await card(page, consumer).locator('input[name=query]').fill(text);
  await card(page, consumer).getByRole('button', { name: 'Query' }).click();
  return card(page, consumer).locator('.answer').textContent();
}

for (const viewport of [{ width: 1024, height: 768 }, { width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test(`"Up to date" only beside a lag of 0 (${viewport.width}×${viewport.height})`, async () => {
    const page = await openPage(env.browser, env.base, viewport);
    await put(page, 'u1', { city: 'London', age: 30 });
    await page.click('#flush-all');
    // A write the index has not processed, which does not change the answer for London.
    await put(page, 'u2', { city: 'Paris', age: 40 });
    assert.match(await card(page, 'users_by_city').locator('.lag').textContent(), /^lag 1/);
    let answer = await ask(page, 'users_by_city', 'London');
    assert.match(answer, /users_by_city answers/);
    assert.doesNotMatch(answer, /up to date/i, 'not "up to date" with a lag of 1');
    assert.match(answer, /same answer as storage, although it lags by 1 change event/);
    assert.ok(await card(page, 'users_by_city').locator('.answer').isVisible());

    await page.click('#flush-all');
    assert.match(await card(page, 'users_by_city').locator('.lag').textContent(), /^lag 0/);
    answer = await ask(page, 'users_by_city', 'London');
    assert.match(answer, /Up to date: the same answer as storage/, 'up to date once the lag is 0');
    // The operator's table agrees: a status of "up to date" only at lag 0.
    const rows = await page.locator('#op-table tbody tr').evaluateAll((trs) => trs.map((tr) => [
      tr.querySelector('.op-lag').textContent, tr.querySelector('.op-status').textContent]));
    for (const [lag, status] of rows) assert.equal(status === 'up to date', lag === '0', `lag ${lag}, status ${status}`);
    assertClean(assert, page);
  });
}

test('the suggested consumer name fits the field chosen', async () => {
  const page = await openPage(env.browser, env.base);
  const name = () => page.inputValue('#consumer-name');
  const config = (field) => page.locator(`#config-fields input[data-config="${field}"]`);

  await page.selectOption('#consumer-type', 'secondary_index');
  assert.equal(await config('field').inputValue(), 'city');
  // users_by_city is taken in the sandbox: the next free name of the same kind.
  assert.equal(await name(), 'users_by_city_2', 'an index of city is suggested a name with city, never age');
  await config('field').fill('age');
  assert.equal(await name(), 'users_by_age', 'the name follows the field');
  await config('field').fill('city, team');
  assert.equal(await name(), 'users_by_city_and_team');

  await page.selectOption('#consumer-type', 'materialized_view');
  assert.equal(await config('group_by').inputValue(), 'city');
  assert.equal(await name(), 'city_stats_2', 'city_stats is taken');
  await config('group_by').fill('team');
  assert.equal(await name(), 'team_stats');

  // A name the student typed is theirs: changing the field keeps it.
  await page.fill('#consumer-name', 'my_view');
  await config('group_by').fill('age');
  assert.equal(await name(), 'my_view');

  // The suggestion is added as it reads.
  await page.fill('#consumer-name', '');
  await config('group_by').fill('country');
  assert.equal(await name(), 'country_stats');
  await page.click('#consumer-form button[type=submit]');
  await card(page, 'country_stats').waitFor();
  assert.equal(await card(page, 'country_stats').locator('.config').textContent(), '{"group_by": "country", "sum": "age"}');
  assertClean(assert, page);
});

test('a query asked as of storage is labelled as storage\'s fresh answer, beside the consumer\'s own older one', async () => {
  // Lesson 8, step 14: item_search, at position 2, still lists the red
  // teapot o2 (deleted at LSN 5); asked as of storage, a fresh derivation
  // lists only o4 (the blue teapot, LSN 6). The card once printed storage's
  // answer as item_search's own and called the two the same.
  const page = await openPage(env.browser, `${env.base}?lesson=08-one-consumer-far-behind&step=14`, { width: 1280, height: 800 });
  const answer = card(page, 'item_search').locator('.answer');
  await answer.waitFor();
  const text = await answer.textContent();
  assert.match(text, /Asked as of storage \(a fresh full-text search derived from storage at LSN 6\): \["o4"\]/);
  assert.match(text, /item_search itself \(as of position 2\): \["o2"\]/);
  assert.match(text, /item_search's own answer is older: it lags by 4 change events/);
  assert.doesNotMatch(text, /same answer/i);
  assert.match(await page.textContent('#current-step'), /as of storage \(a fresh derivation, not item_search itself\): \["o4"\]/);
  assertClean(assert, page);
});
