// Lessons: every lesson in lessons/index.json played forward with Next (or →)
// and back with Back, its notes and progress checked at every step; leaving
// the script and returning to it.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, closePages, openPage, assertClean, screenState, put, blur, screenshot, SITE_DIR } from './harness.mjs';

const LESSONS = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'))
  .map((l) => ({ ...l, scenario: JSON.parse(readFileSync(join(SITE_DIR, 'lessons', l.file), 'utf8')) }));

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

/** What the lesson panel and the timeline show. */
function lessonScreen(page) {
  return page.evaluate(() => ({
    visible: !document.querySelector('#lesson').hidden,
    title: document.querySelector('#lesson-title').textContent,
    progress: document.querySelector('#lesson-progress').textContent,
    note: document.querySelector('#lesson-note').textContent,
    offscript: !document.querySelector('#lesson-offscript').hidden,
    step: document.querySelector('#step-label').textContent,
    current: document.querySelector('#current-step').textContent,
    refused: document.querySelector('#current-step').classList.contains('refused'),
    picker: document.querySelector('#lesson-picker').value,
  }));
}

test('the lesson picker lists every lesson in index.json, in order', async () => {
  assert.ok(LESSONS.length > 0, 'there are lessons');
  const page = await openPage(env.browser, env.base);
  const options = await page.locator('#lesson-picker option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(options, [['', 'Sandbox (free play)'], ...LESSONS.map((l) => [l.file, l.title])]);
  assert.ok(await page.locator('#lesson').isHidden(), 'no lesson panel in the sandbox');
  assertClean(assert, page);
});

LESSONS.forEach((lesson, li) => {
  const { steps } = lesson.scenario;
  const n = steps.length;
  const slug = lesson.file.replace(/\.json$/, '');
  const useKeys = li % 2 === 1; // alternate between the → key and the Next button

  test(`lesson ${slug}: ${n} steps forward with ${useKeys ? '→' : 'Next'}, then back with Back`, async () => {
    const page = await openPage(env.browser, env.base);
    await page.selectOption('#lesson-picker', lesson.file);
    await page.waitForFunction((t) => document.querySelector('#lesson-title').textContent === t, lesson.scenario.title);
    let s = await lessonScreen(page);
    assert.ok(s.visible, 'the lesson panel is shown');
    assert.equal(s.title, lesson.scenario.title);
    assert.equal(s.progress, `step 0 of ${n}`);
    assert.equal(s.step, `step 0 of ${n}`);
    assert.match(s.note, /Press Next \(or →\) to begin\./);
    if (lesson.scenario.description) assert.ok(s.note.startsWith(lesson.scenario.description), 'the description introduces the lesson');
    assert.equal(s.offscript, false);
    assert.deepEqual((await screenState(page)).entries, [], 'a lesson starts with an empty log');

    const middle = Math.ceil(n / 2);
    await blur(page);
    for (let i = 1; i <= n; i++) {
      if (useKeys) await page.keyboard.press('ArrowRight');
      else await page.click('#forward');
      s = await lessonScreen(page);
      assert.equal(s.step, `step ${i} of ${n}`);
      assert.equal(s.progress, i === n ? `finished (${n} steps)` : `step ${i} of ${n}`);
      assert.equal(s.note, steps[i - 1].note ?? '', `step ${i}'s note`);
      // Only a step that shows a refusal ("refused": text) is refused, for that reason.
      if (steps[i - 1].refused) {
        assert.equal(s.refused, true, `step ${i} is refused by the engine: ${s.current}`);
        assert.ok(s.current.includes(steps[i - 1].refused), `step ${i} is refused for “${steps[i - 1].refused}”: ${s.current}`);
      } else {
        assert.equal(s.refused, false, `step ${i} was not refused by the engine: ${s.current}`);
      }
      assert.equal(s.offscript, false);
      if (steps[i - 1].op === 'expect') assert.match(s.current, /^Step \d+: check .+: holds$/);
      if (i === middle) await screenshot(page, `lesson-${slug}-step-${i}`);
    }
    await screenshot(page, `lesson-${slug}-step-${n}-last`);
    assert.ok(await page.locator('#forward').isDisabled(), 'Next is disabled at the end');

    for (let i = n - 1; i >= 0; i--) {
      await page.click('#back');
      s = await lessonScreen(page);
      assert.equal(s.step, `step ${i} of ${n}`);
      assert.equal(s.progress, `step ${i} of ${n}`);
      if (i > 0) assert.equal(s.note, steps[i - 1].note ?? '');
    }
    assert.match(s.note, /Press Next \(or →\) to begin\./);
    assert.deepEqual((await screenState(page)).entries, [], 'back at the start, the log is empty again');
    assert.equal(s.picker, lesson.file, 'the picker still names the lesson');
    assertClean(assert, page);
  });
});

test('taking an own action mid-lesson leaves the script; Return to the lesson goes back to that step', async () => {
  const lesson = LESSONS.find((l) => l.scenario.steps.length >= 6) ?? LESSONS[0];
  const { steps } = lesson.scenario;
  const n = steps.length;
  const at = Math.min(5, n - 1);
  const page = await openPage(env.browser, env.base);
  await page.selectOption('#lesson-picker', lesson.file);
  await page.waitForFunction((t) => document.querySelector('#lesson-title').textContent === t, lesson.scenario.title);
  await blur(page);
  for (let i = 0; i < at; i++) await page.keyboard.press('ArrowRight');
  let s = await lessonScreen(page);
  assert.equal(s.progress, `step ${at} of ${n}`);
  const onScriptScreen = await screenState(page);

  await put(page, 'mine', { note: 'my own experiment', city: 'Oslo' });
  s = await lessonScreen(page);
  assert.ok(s.offscript, '#lesson-offscript is shown');
  assert.match(await page.locator('#lesson-offscript').textContent(), /You left the lesson/);
  assert.equal(s.progress, `paused at step ${at}`);
  assert.match(s.note, /Your own steps/);
  assert.equal(s.step, `step ${at + 1} of ${at + 1}`);
  assert.ok((await screenState(page)).rows.some(([k]) => k === 'mine'), 'the own put is on screen');
  await screenshot(page, 'lesson-offscript');

  await page.click('#lesson-return');
  s = await lessonScreen(page);
  assert.equal(s.offscript, false, 'back on the script');
  assert.equal(s.step, `step ${at} of ${n}`);
  assert.equal(s.progress, `step ${at} of ${n}`);
  assert.equal(s.note, steps[at - 1].note ?? '');
  assert.ok(await page.locator('#fork-notice').isHidden());
  assert.deepEqual(await screenState(page), onScriptScreen, 'the same picture as before leaving');
  // And the lesson carries on from there.
  await page.click('#forward');
  s = await lessonScreen(page);
  assert.equal(s.note, steps[at].note ?? '');

  // Choosing the sandbox closes the lesson.
  await page.selectOption('#lesson-picker', '');
  await page.waitForFunction(() => document.querySelector('#lesson').hidden);
  assert.equal((await screenState(page)).step, 'step 0 of 0');
  assertClean(assert, page);
});

test('the sandbox is kept while visiting a lesson', async () => {
  const page = await openPage(env.browser, env.base);
  await put(page, 'mine', { city: 'Oslo', age: 30 });
  await put(page, 'also-mine', { city: 'Lima', age: 40 });
  const sandbox = await screenState(page);
  await page.selectOption('#lesson-picker', LESSONS[0].file);
  await page.waitForFunction(() => !document.querySelector('#lesson').hidden);
  await page.click('#forward');
  assert.ok(!(await screenState(page)).rows.some(([k]) => k === 'mine'), 'the lesson has its own data');
  await page.selectOption('#lesson-picker', '');
  await page.waitForFunction(() => document.querySelector('#lesson').hidden);
  assert.deepEqual(await screenState(page), sandbox, 'the sandbox comes back as it was');
  assertClean(assert, page);
});
