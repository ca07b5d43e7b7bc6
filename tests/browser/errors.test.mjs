// Mistakes are explained next to the control that caused them, in words, and
// change nothing: not the log, not storage, not any consumer's position.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { start, closePages, openPage, assertClean, screenState, put, card, screenshot } from './harness.mjs';

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

/** A page with some history: two puts and one consumer stepped, so positions differ. */
async function pageWithHistory() {
  const page = await openPage(env.browser, env.base);
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  await put(page, 'u2', { name: 'Alan', city: 'Manchester', age: 41 });
  await card(page, 'users_by_city').getByRole('button', { name: 'Step 1 event' }).click();
  const s = await screenState(page);
  assert.equal(s.step, 'step 3 of 3');
  assert.deepEqual(s.markers, { users_by_city: 1, city_stats: 0 });
  return page;
}

/**
 * Asserts an error message is shown inside `container`, is words, and matches
 * `pattern`. A bulk step answers a task after the click (it is taken in parts,
 * its result drawn in a task of its own), so the message is waited for.
 */
async function assertErrorNear(page, errorSel, containerSel, pattern) {
  const el = page.locator(errorSel);
  await el.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {});
  assert.ok(await el.isVisible(), `${errorSel} is visible`);
  const msg = (await el.textContent()).trim();
  assert.match(msg, pattern);
  assert.doesNotMatch(msg, /undefined|\[object|NaN|^\s*$/, 'a message in words');
  assert.ok(await el.evaluate((e, c) => !!e.closest(c), containerSel), `${errorSel} sits in ${containerSel}, next to the control`);
  return msg;
}

test('bad JSON in the value: the live check says so, Put refuses, nothing changes', async () => {
  const page = await pageWithHistory();
  const before = await screenState(page);

  await page.fill('#key', 'u3');
  await page.fill('#value', '{"name": "Grace", ');
  assert.match(await page.locator('#value-check').textContent(), /^value: .*JSON/);
  assert.ok(await page.locator('#value-check').evaluate((e) => e.classList.contains('bad')), 'the live check is marked bad');
  assert.equal(await page.locator('#value').getAttribute('aria-invalid'), 'true');
  await page.click('#put');
  await assertErrorNear(page, '#write-error', '#write-form', /value: .*JSON/);
  assert.deepEqual(await screenState(page), before, 'nothing changed');
  await screenshot(page, 'errors-bad-json');

  // Valid JSON that is not an object is refused too.
  await page.fill('#value', '[1, 2, 3]');
  assert.match(await page.locator('#value-check').textContent(), /must be a JSON object/);
  await page.click('#put');
  await assertErrorNear(page, '#write-error', '#write-form', /must be a JSON object/);
  assert.deepEqual(await screenState(page), before, 'nothing changed');

  // Fixing it clears the complaint, and the put goes through.
  await page.fill('#value', '{"name": "Grace", "city": "Arlington"}');
  assert.match(await page.locator('#value-check').textContent(), /valid JSON object/);
  await page.click('#put');
  assert.equal(await page.locator('#write-error').textContent(), '');
  assert.equal((await screenState(page)).entries.length, before.entries.length + 1);
  assertClean(assert, page);
});

test('a key over 256 bytes and an empty key are refused with the reason, nothing changes', async () => {
  const page = await pageWithHistory();
  const before = await screenState(page);

  await put(page, 'k'.repeat(257), { name: 'Too long' });
  const msg = await assertErrorNear(page, '#write-error', '#write-form', /256 bytes/);
  assert.match(msg, /key/);
  assert.match(msg, /257/);
  assert.deepEqual(await screenState(page), before, 'nothing changed');

  await page.click('#delete');
  await assertErrorNear(page, '#write-error', '#write-form', /256 bytes/);
  assert.deepEqual(await screenState(page), before, 'delete changed nothing either');

  await put(page, '', { name: 'Nobody' });
  await assertErrorNear(page, '#write-error', '#write-form', /key: must not be empty/);
  assert.deepEqual(await screenState(page), before, 'nothing changed');

  // 256 bytes exactly is fine (the limit is inclusive).
  await put(page, 'k'.repeat(256), { name: 'Long but fine' });
  assert.equal(await page.locator('#write-error').textContent(), '');
  assert.equal((await screenState(page)).entries.length, before.entries.length + 1);
  assertClean(assert, page);
});

test('a bulk step outside the engine\'s limits is refused whole next to its form, nothing changes', async () => {
  const page = await pageWithHistory();
  const before = await screenState(page);
  // The form's bounds are the engine's (Module.limits()), not the page's own.
  const limits = await page.evaluate(async () => {
    const { loadModule, limits } = await import('/js/engine.js');
    return limits(await loadModule());
  });
  assert.equal(await page.locator('#bulk-count').getAttribute('max'), String(limits.bulk_documents));
  assert.equal(await page.locator('#bulk-keys').getAttribute('max'), String(limits.bulk_keys));
  assert.match(await page.locator('#bulk-form label').first().textContent(), /put random documents \(1 to 100,000\)/);

  for (const [count, keys, pattern, field] of [
    [String(limits.bulk_documents + 1), '1000', /^count: must be at most 100000 \(got 100001\)$/, '#bulk-count'],
    ['', '1000', /^count: must be at least 1$/, '#bulk-count'],
    ['2.5', '1000', /^count: must be a whole number from 1 to 100000 \(got 2\.5\)$/, '#bulk-count'],
    ['5000', String(limits.bulk_keys + 1), /^keys: must be at most 1000000 \(got 1000001\)$/, '#bulk-keys'],
  ]) {
    await page.fill('#bulk-count', count);
    await page.fill('#bulk-keys', keys);
    await page.click('#bulk-put');
    await assertErrorNear(page, '#bulk-error', '#bulk-form', pattern);
    // The field the error names is marked, and only that one.
    assert.deepEqual(await page.locator('#bulk-form input').evaluateAll((xs) => xs.filter((x) => x.getAttribute('aria-invalid') === 'true').map((x) => `#${x.id}`)), [field]);
    assert.deepEqual(await screenState(page), before, `${count} over ${keys} keys changed nothing`);
  }
  await screenshot(page, 'errors-bulk-limits');
  // Within the limits, the same form writes one step.
  await page.fill('#bulk-count', '50');
  await page.fill('#bulk-keys', '10');
  await page.click('#bulk-put');
  await page.waitForFunction(() => document.querySelector('#step-label')?.textContent.includes('step 4 of 4'));
  assert.equal(await page.locator('#bulk-error').textContent(), '');
  assert.equal(await page.locator('#bulk-form [aria-invalid]').count(), 0, 'no field is marked once the step is taken');
  assertClean(assert, page);
});

test('a duplicate consumer name is refused next to the form, nothing changes', async () => {
  const page = await pageWithHistory();
  const before = await screenState(page);

  await page.selectOption('#consumer-type', 'secondary_index');
  await page.fill('#consumer-name', 'users_by_city');
  await page.fill('#config-fields input[name=field]', 'name');
  await page.click('#consumer-form button[type=submit]');
  const msg = await assertErrorNear(page, '#consumer-error', '#consumer-form', /already exists/);
  assert.match(msg, /users_by_city/);
  assert.deepEqual(await screenState(page), before, 'no new card, track or marker');
  assert.equal(await page.locator('article.card').count(), 2);
  await screenshot(page, 'errors-duplicate-consumer');
  assertClean(assert, page);
});

test('a consumer config missing a required field is refused, nothing changes', async () => {
  const page = await pageWithHistory();
  const before = await screenState(page);

  await page.selectOption('#consumer-type', 'secondary_index');
  await page.fill('#consumer-name', 'by_nothing');
  await page.fill('#config-fields input[name=field]', '');
  await page.check('input[name=mode][value=replay]');
  await page.click('#consumer-form button[type=submit]');
  await assertErrorNear(page, '#consumer-error', '#consumer-form', /field: (must be a non-empty string|is required)/);
  assert.deepEqual(await screenState(page), before, 'nothing changed');

  await page.selectOption('#consumer-type', 'materialized_view');
  await page.fill('#consumer-name', 'stats_by_nothing');
  await page.fill('#config-fields input[name=group_by]', '   ');
  await page.click('#consumer-form button[type=submit]');
  await assertErrorNear(page, '#consumer-error', '#consumer-form', /group_by: (must be a non-empty string|is required)/);
  assert.deepEqual(await screenState(page), before, 'nothing changed');

  // An empty name is refused too.
  await page.selectOption('#consumer-type', 'full_text');
  await page.fill('#consumer-name', '');
  await page.click('#consumer-form button[type=submit]');
  await assertErrorNear(page, '#consumer-error', '#consumer-form', /name/);
  assert.deepEqual(await screenState(page), before, 'nothing changed');

  // With the field filled in, the same form works and the error goes away.
  await page.selectOption('#consumer-type', 'secondary_index');
  await page.fill('#consumer-name', 'by_name');
  await page.fill('#config-fields input[name=field]', 'name');
  await page.click('#consumer-form button[type=submit]');
  assert.equal(await page.locator('#consumer-error').textContent(), '');
  assert.equal(await page.locator('article.card').count(), 3);
  assertClean(assert, page);
});
