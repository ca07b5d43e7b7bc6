// Lessons: every lesson in lessons/index.json played forward with Next (or →)
// and back with Back, its notes and progress checked at every step, each
// prediction answered (alternately right first time, and wrong first then
// right) and the score checked at the end; each lesson's completion link
// opened in a fresh browser shows the same answers and score, and an edited
// one says what does not match; leaving the script and returning to it.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { start, closePages, openPage, assertClean, screenState, put, blur, screenshot, SITE_DIR } from './harness.mjs';

const LESSONS = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'))
  .map((l) => ({ ...l, scenario: JSON.parse(readFileSync(join(SITE_DIR, 'lessons', l.file), 'utf8')) }));

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

// Each lesson's completion link, by file, for the test of an edited one.
const LINKS = new Map();

/** A JSON value as the page writes it (render.js pretty). */
function pretty(value) {
  if (Array.isArray(value)) return `[${value.map(pretty).join(', ')}]`;
  if (value && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pretty(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

/** Equal as JSON values (the engine may order an object's keys otherwise). */
function sameJson(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return a === b;
}

/**
 * The answers to give a prediction: the lesson's answer (for choices, the
 * matching choice), after a wrong one when `wrongFirst` (another choice, or
 * a typed value that is not the answer).
 */
function answersFor(step, wrongFirst) {
  const right = step.choices ? step.choices.find((c) => sameJson(c, step.answer)) : step.answer;
  if (!wrongFirst) return [right];
  const wrong = step.choices ? step.choices.find((c) => !sameJson(c, step.answer)) : (sameJson(step.answer, 'not the answer') ? 'not this either' : 'not the answer');
  return wrong === undefined ? [right] : [wrong, right];
}

/** Gives one answer to the prediction on screen: a choice button, or the typed field. */
async function giveAnswer(page, step, value) {
  if (step.choices) await page.locator('#lesson-predict #predict-choices button').nth(step.choices.findIndex((c) => sameJson(c, value))).click();
  else {
    await page.fill('#lesson-predict #predict-input', JSON.stringify(value));
    await page.click('#lesson-predict #predict-check');
  }
}

/** At a prediction not yet answered, answers it right (for tests about other things). */
async function answerIfAsked(page, steps) {
  const at = Number((await page.locator('#step-label').textContent()).match(/^step (\d+)/)[1]);
  const step = steps[at - 1];
  if (step?.op === 'predict' && await page.locator('#lesson-predict #predict-result').count() === 0) {
    await giveAnswer(page, step, answersFor(step, false)[0]);
  }
}

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
  // The empty sandbox's hint names the first lesson as the menu lists it.
  assert.equal(await page.locator('#current-step').textContent(),
    `Step 0: an empty sandbox. New here? Pick “${LESSONS[0].title}” from the Lesson menu, or put a document.`);
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

    const sources = lesson.scenario.sources ?? [];
    assert.equal(await page.locator('#lesson-sources').isVisible(), sources.length > 0, 'a Reading line when the lesson has sources');
    if (sources.length) assert.equal(await page.locator('#lesson-sources').textContent(), `Reading: ${sources.join('; ')}`);

    const middle = Math.ceil(n / 2);
    const given = [];  // [{step, answers}] in the order asked
    await blur(page);
    for (let i = 1; i <= n; i++) {
      if (useKeys) await page.keyboard.press('ArrowRight');
      else await page.click('#forward');
      s = await lessonScreen(page);
      assert.equal(s.step, `step ${i} of ${n}`);
      // Finished only once the last step is done: a last prediction must be answered first.
      assert.equal(s.progress, i === n && steps[n - 1].op !== 'predict' ? `finished (${n} steps)` : `step ${i} of ${n}`);
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
      if (steps[i - 1].op === 'predict') {
        // Asked and waited at: alternately right first time, and wrong first then right.
        const step = steps[i - 1];
        assert.equal(await page.locator('#lesson-predict #predict-prompt').textContent(), `Predict: ${step.prompt}`);
        assert.ok(await page.locator('#forward').isDisabled(), `Next waits at step ${i}'s prediction`);
        assert.equal(await page.locator('#lesson-predict #predict-actual').count(), 0, 'the answer is hidden');
        const answers = answersFor(step, given.length % 2 === 1);
        for (const value of answers) await giveAnswer(page, step, value);
        const result = await page.locator('#lesson-predict #predict-result').textContent();
        assert.ok(result.startsWith(`Right on try ${answers.length}.`), `step ${i}: ${result}`);
        assert.ok(sameJson(JSON.parse(await page.locator('#lesson-predict #predict-actual').textContent()), step.answer), 'the engine\'s value is the lesson\'s answer');
        if (step.why) assert.equal(await page.locator('#lesson-predict #predict-why').textContent(), step.why);
        s = await lessonScreen(page);
        assert.ok(s.current.startsWith(`Step ${i}: predict: ${step.prompt} Answer: `) && s.current.endsWith(`(right on try ${answers.length})`), s.current);
        given.push({ step: i, answers });
        assert.equal(s.progress, i === n ? `finished (${n} steps)` : `step ${i} of ${n}`, 'answered: finished at the last step');
      }
      if (i === middle) await screenshot(page, `lesson-${slug}-step-${i}`);
    }
    await screenshot(page, `lesson-${slug}-step-${n}-last`);
    assert.ok(await page.locator('#forward').isDisabled(), 'Next is disabled at the end');

    // The score the answers imply, and the completion link.
    const right = given.filter((g) => g.answers.length === 1).length;
    const score = given.length ? `Predictions: ${right} of ${given.length} right first time` : 'No predictions to score';
    assert.equal(await page.locator('#complete-score').textContent(), score);
    if (given.length) assert.equal(await page.locator('#lesson-score').textContent(), score);
    // The link is the page's own address (http://, or file:// for the offline page) and the record.
    await page.waitForFunction(() => document.querySelector('#completion-url').value.startsWith(location.href.split(/[?#]/)[0]));
    const link = await page.locator('#completion-url').inputValue();
    LINKS.set(lesson.file, link);

    // Opened in a fresh browser: the replay, the same answers and score.
    const teacher = await openPage(env.browser, link);
    await teacher.waitForSelector('#completion:not([hidden])');
    const summary = await teacher.evaluate(() => ({
      lesson: document.querySelector('#summary-lesson').textContent,
      score: document.querySelector('#summary-score').textContent,
      ok: document.querySelector('#summary-ok')?.textContent ?? null,
      rows: Array.from(document.querySelectorAll('#summary-table tbody tr')).map((tr) => Array.from(tr.cells).map((c) => c.textContent)),
      step: document.querySelector('#step-label').textContent,
    }));
    assert.equal(summary.lesson, `Lesson: ${lesson.scenario.title} (${lesson.file})`);
    assert.equal(summary.score, score, 'the score, worked out again from the replay');
    assert.equal(summary.ok, '✓ Everything the link claims matches the replay.');
    assert.equal(summary.step, `step ${n} of ${n}`);
    assert.equal(summary.rows.length, given.length);
    given.forEach((g, k) => {
      const [num, at, prompt, answers, actual, verdict] = summary.rows[k];
      assert.deepEqual([num, at, prompt], [String(k + 1), String(g.step), steps[g.step - 1].prompt]);
      assert.equal(answers, g.answers.map((v, j) => `${j === g.answers.length - 1 ? '✓' : '✗'} ${pretty(v)}`).join(', '));
      assert.ok(sameJson(JSON.parse(actual), steps[g.step - 1].answer), `row ${k + 1}'s engine value ${actual}`);
      assert.equal(verdict, g.answers.length === 1 ? 'right first time' : `right on try ${g.answers.length}`);
    });
    assertClean(assert, teacher);
    await teacher.context().close();

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

test('an edited completion link of a lesson says what does not match', async (t) => {
  const lesson = LESSONS.find((l) => LINKS.has(l.file) && l.scenario.steps.some((step) => step.op === 'predict'));
  if (!lesson) return t.skip('no lesson asks a prediction yet');
  const link = LINKS.get(lesson.file);
  const data = JSON.parse(inflateSync(Buffer.from(new URL(link).hash.slice(3), 'base64url')).toString('utf8'));
  const { right, of } = data.completion.score;
  // The first wrong try claimed right, and a perfect score claimed.
  const p = data.predictions.find((x) => x.tries.length > 1) ?? data.predictions[0];
  const k = p.tries.findIndex((x) => !x.right);
  const claims = [];
  if (k >= 0) {
    p.tries[k].right = true;
    claims.push(`Step ${p.step}: try ${k + 1} (${pretty(p.tries[k].answer)}): the link says right, the replay says wrong`);
  }
  data.completion.score = { right: of, of };
  if (right !== of) claims.push(`Score: the link says ${of} of ${of} right first time, the replay gives ${right} of ${of}`);
  // A step of the lesson's changed (its note).
  data.scenario.steps[0] = { ...data.scenario.steps[0], note: 'edited' };
  claims.push(`Steps: step 1 differs from step 1 of the lesson “${lesson.scenario.title}”`);
  const page = await openPage(env.browser, `${env.base}#s=${deflateSync(Buffer.from(JSON.stringify(data))).toString('base64url')}`);
  await page.waitForSelector('#completion:not([hidden])');
  const problems = await page.locator('#summary-mismatch li').allTextContents();
  assert.equal(problems.length, claims.length, problems.join('\n'));
  claims.forEach((c, i) => assert.ok(problems.some((x) => x.startsWith(c)), `“${c}” in:\n${problems.join('\n')}`));
  assert.match(await page.locator('#summary-mismatch').textContent(), /^Does not match: /);
  assert.equal(await page.locator('#summary-score').textContent(), `Predictions: ${right} of ${of} right first time`, 'the score is the replay\'s');
  await screenshot(page, `lesson-${lesson.file.replace(/\.json$/, '')}-tampered`);
  assertClean(assert, page);
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
  for (let i = 0; i < at; i++) {
    await answerIfAsked(page, steps);
    await blur(page);
    await page.keyboard.press('ArrowRight');
  }
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
  // And the lesson carries on from there (once its question, if it asks one, is answered).
  await answerIfAsked(page, steps);
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
