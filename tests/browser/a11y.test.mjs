// Accessibility: axe-core (@axe-core/playwright, run in Debian's Chromium)
// finds no serious or critical violation on the page, the embed, and every
// lesson at its last step (where the most is on screen).
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { start, closePages, openPage, put, settle, SITE_DIR } from './harness.mjs';

const LESSONS = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'))
  .map((l) => ({ ...l, steps: JSON.parse(readFileSync(join(SITE_DIR, 'lessons', l.file), 'utf8')).steps.length }));

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

/**
 * The serious and critical violations on the page as it is now, as readable
 * lines. Its fade-ins are finished first: a row caught half faded in (a
 * snapshot's r events, 0.35 s) failed the colour contrast check.
 */
async function violations(page) {
  await settle(page);
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `[${v.impact}] ${v.id} at ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
}

for (const viewport of [{ width: 1280, height: 800 }, { width: 1024, height: 768 }, { width: 390, height: 844 }]) {
  test(`the sandbox at ${viewport.width}×${viewport.height}, empty and after writes`, async () => {
    const page = await openPage(env.browser, env.base, viewport);
    assert.deepEqual(await violations(page), []);
    await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
    await put(page, 'u2', { name: 'Alan', city: 'Wilmslow', age: 41 });
    await page.click('#flush-all');
    await put(page, 'u1', { name: 'Ada', city: 'Paris', age: 37 });
    assert.deepEqual(await violations(page), []);
  });
}

test('the embed of a lesson', async () => {
  const page = await openPage(env.browser, `${env.base}?embed=1&lesson=${LESSONS[2].file.replace(/\.json$/, '')}&step=3`, { width: 800, height: 600 });
  assert.deepEqual(await violations(page), []);
});

for (const lesson of LESSONS) {
  test(`lesson ${lesson.file} at its last step`, async () => {
    const name = lesson.file.replace(/\.json$/, '');
    for (const step of [lesson.steps]) {
      const page = await openPage(env.browser, `${env.base}?lesson=${name}&step=${step}`);
      await page.waitForFunction((s) => document.querySelector('#step-label').textContent.startsWith(`step ${s} `), step);
      assert.deepEqual(await violations(page), [], `step ${step}`);
    }
  });
}

test('the lesson picker: arrow keys choose without opening, Enter opens, leaving puts back the lesson shown', async () => {
  const page = await openPage(env.browser, env.base);
  await page.focus('#lesson-picker');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.inputValue('#lesson-picker'), LESSONS[0].file, 'the arrow chose lesson 1');
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#lesson').isVisible(), false, 'an arrow key opens nothing');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('#lesson').hidden);
  assert.equal(await page.locator('#lesson-title').textContent(), LESSONS[1].title, 'Enter opened the chosen lesson');
  // Choosing another with the arrows and leaving the picker keeps the lesson open, and the picker says so.
  await page.focus('#lesson-picker');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  assert.equal(await page.inputValue('#lesson-picker'), LESSONS[1].file);
  assert.equal(await page.locator('#lesson-title').textContent(), LESSONS[1].title);
});
