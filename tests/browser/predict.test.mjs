// Predictions: a predict step asks the student before it shows the engine's
// value. The answer stays hidden through a wrong try, shows with the lesson's
// "why" once answered (or revealed), Next waits for it, the score counts
// first-time answers, Back and forward keep the answer, and the lesson's text
// is shown as text, never as HTML.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { start, closePages, openPage, assertClean, blur, screenshot } from './harness.mjs';

const TMP = mkdtempSync(join(tmpdir(), 'unbundled-predict-'));
const STALE = resolve('scenarios/stale-index-read.json');
const scenario = JSON.parse(readFileSync(STALE, 'utf8'));
const N = scenario.steps.length;
const AT = scenario.steps.findIndex((s) => s.op === 'predict') + 1;  // the step number that shows it
const PREDICT = scenario.steps[AT - 1];

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

async function importFile(page, path, n) {
  await page.setInputFiles('#import-file', path);
  await page.waitForFunction((n) => document.querySelector('#step-label').textContent === `step ${n} of ${n}`, n, { timeout: 120_000 });
}

/** What the prediction box and the timeline show. */
function predictScreen(page) {
  return page.evaluate(() => {
    const box = document.querySelector('.predict:not([hidden])');
    const q = (s) => box?.querySelector(s) ?? null;
    return {
      step: document.querySelector('#step-label').textContent,
      current: document.querySelector('#current-step').textContent,
      shown: box !== null,
      where: box?.id ?? null,
      text: box?.textContent ?? '',
      prompt: q('#predict-prompt')?.textContent ?? null,
      promptHtml: q('#predict-prompt')?.innerHTML ?? null,
      choices: box ? Array.from(box.querySelectorAll('#predict-choices button')).map((b) => ({ text: b.textContent, disabled: b.disabled })) : [],
      feedback: q('#predict-feedback')?.textContent ?? null,
      actual: q('#predict-actual')?.textContent ?? null,
      why: q('#predict-why')?.textContent ?? null,
      result: q('#predict-result')?.textContent ?? null,
      // Beside the step line, or (a lesson, an imported file with narration) in the lesson panel's head.
      score: q('#predict-score')?.textContent ?? document.querySelector('#lesson-score:not([hidden])')?.textContent ?? null,
      nextDisabled: document.querySelector('#forward').disabled,
      nextTitle: document.querySelector('#forward').title,
      bold: document.querySelectorAll('.predict b, .predict img, .predict script').length,
    };
  });
}

test('a prediction is asked, retried, answered, scored and kept when stepping back', async () => {
  const page = await openPage(env.browser, env.base);
  await importFile(page, STALE, N);
  await blur(page);
  await page.keyboard.press('Home');
  // Play runs up to the prediction and waits there.
  await page.selectOption('#speed', '100');
  await page.click('#play');
  await page.waitForFunction((at) => document.querySelector('#step-label').textContent.startsWith(`step ${at} `)
    && document.querySelector('#play').getAttribute('aria-pressed') === 'false', AT, { timeout: 20_000 });
  let s = await predictScreen(page);
  assert.equal(s.step, `step ${AT} of ${N}`, 'Play paused at the prediction');
  assert.ok(s.shown, 'the question is shown');
  assert.equal(s.where, 'lesson-predict', 'an imported file keeps its narration: it is played as a lesson (issue 13 §5)');
  assert.equal(s.prompt, `Predict: ${PREDICT.prompt}`);
  assert.deepEqual(s.choices.map((c) => c.text), ['["u3"]', '["u1", "u2", "u3"]']);
  assert.equal(s.actual, null, 'the answer is not shown');
  assert.equal(s.why, null, 'nor the why');
  assert.ok(!s.text.includes(PREDICT.why), 'the why appears nowhere in the box');
  assert.equal(s.current, `Step ${AT}: predict: ${PREDICT.prompt}`, 'the step line does not give the answer away');
  assert.ok(s.nextDisabled, 'Next waits for the answer');
  assert.match(s.nextTitle, /Answer the prediction first/);
  assert.equal(s.score, 'Predictions: 0 of 1 right first time (1 not answered)', 'waiting: not counted as wrong');
  // → does not step past it either, nor does Play.
  await blur(page);
  await page.keyboard.press('ArrowRight');
  assert.equal((await predictScreen(page)).step, `step ${AT} of ${N}`, '→ waits too');
  await screenshot(page, 'predict-asked');

  // A wrong choice: told to try again, still hidden.
  await page.click('#predict-choices button:has-text("[\\"u3\\"]")');
  s = await predictScreen(page);
  assert.match(s.feedback, /Not quite — try again\. 1 wrong try so far\./);
  assert.equal(s.actual, null, 'still hidden after a wrong try');
  assert.equal(s.why, null);
  assert.deepEqual(s.choices, [{ text: '✗ ["u3"]', disabled: true }, { text: '["u1", "u2", "u3"]', disabled: false }]);
  assert.ok(s.nextDisabled);
  assert.equal(s.current, `Step ${AT}: predict: ${PREDICT.prompt}`);
  await screenshot(page, 'predict-wrong');

  // The right one: revealed with the why; right on try 2, so 0 of 1 right first time.
  await page.click('#predict-choices button:has-text("u1")');
  s = await predictScreen(page);
  assert.match(s.result, /^Right on try 2\. The engine says: \["u1", "u2", "u3"\]/);
  assert.equal(s.actual, '["u1", "u2", "u3"]');
  assert.equal(s.why, PREDICT.why);
  assert.equal(s.score, 'Predictions: 0 of 1 right first time');
  assert.equal(s.nextDisabled, false, 'Next is free again');
  assert.equal(s.current, `Step ${AT}: predict: ${PREDICT.prompt} Answer: ["u1", "u2", "u3"] (right on try 2)`);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'forward', 'the keyboard is on Next');
  await screenshot(page, 'predict-answered');

  // Back and forward again: the answer is kept, not asked again.
  await page.click('#back');
  s = await predictScreen(page);
  assert.equal(s.shown, false, 'no question on the step before');
  await page.click('#forward');
  s = await predictScreen(page);
  assert.equal(s.step, `step ${AT} of ${N}`);
  assert.match(s.result, /^Right on try 2\./, 'not asked again');
  assert.equal(s.choices.length, 0);
  await page.click('#forward');
  assert.equal((await predictScreen(page)).step, `step ${AT + 1} of ${N}`, 'Next moves on');
  assertClean(assert, page);
});

test('a typed answer, bad JSON, Show answer and HTML in the lesson text, at 390 px', async () => {
  const file = join(TMP, 'html-predict.json');
  writeFileSync(file, JSON.stringify({
    title: 'Predictions as text',
    consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
    steps: [
      { op: 'put', key: 'u1', value: { city: 'London' } },
      { op: 'predict', prompt: '<b>x</b> What is the head LSN? <img src=x onerror="window.__xss=1">', ask: 'head', answer: 1, why: '<script>window.__xss=2</script>One put: LSN 1.' },
      { op: 'predict', prompt: 'Which keys does by_city list under London?', ask: 'result', consumer: 'by_city', query: { value: 'London' }, choices: [['<i>u1</i>'], []], answer: [], why: 'Nothing was flushed.' },
      { op: 'flush' },
    ],
  }));
  const page = await openPage(env.browser, env.base, { width: 390, height: 900 });
  await importFile(page, file, 4);
  await blur(page);
  await page.keyboard.press('Home');
  await page.click('#forward');
  await page.click('#forward');
  let s = await predictScreen(page);
  assert.equal(s.step, 'step 2 of 4');
  assert.equal(s.prompt, 'Predict: <b>x</b> What is the head LSN? <img src=x onerror="window.__xss=1">', 'the prompt is shown as text');
  assert.equal(s.bold, 0, 'no element made from the lesson text');
  assert.ok(s.promptHtml.includes('&lt;b&gt;'), 'escaped in the page');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'predict-input', 'the keyboard is on the answer field');

  // Not JSON: an error in words, not a try.
  await page.fill('#predict-input', 'one <b>bold</b>');
  await page.click('#predict-check');
  const err = await page.locator('#predict-error').textContent();
  assert.match(err, /^That is not a JSON value \(/);
  assert.ok(err.includes('"London"'), 'says how to write one');
  assert.equal(await page.evaluate(() => document.querySelectorAll('#predict-error b').length), 0, 'the error is text');
  assert.equal((await predictScreen(page)).feedback.includes('Not quite'), false, 'bad JSON is not a try');
  await screenshot(page, 'predict-bad-json-390');

  // A wrong value, then Show answer.
  await page.fill('#predict-input', '2');
  await page.press('#predict-input', 'Enter');
  s = await predictScreen(page);
  assert.match(s.feedback, /Not quite — try again\. 1 wrong try so far\./);
  assert.equal(s.actual, null);
  await page.click('#predict-reveal');
  s = await predictScreen(page);
  assert.match(s.result, /^Revealed, after 1 wrong try\. The engine says: 1/);
  assert.equal(s.why, '<script>window.__xss=2</script>One put: LSN 1.', 'the why is shown as text');
  assert.equal(s.bold, 0);
  assert.equal(s.score, 'Predictions: 0 of 1 right first time');

  // The next: choices with HTML in them, right first time by value.
  await page.click('#forward');
  s = await predictScreen(page);
  assert.deepEqual(s.choices.map((c) => c.text), ['["<i>u1</i>"]', '[]']);
  assert.equal(s.bold, 0);
  assert.equal(await page.evaluate(() => document.querySelectorAll('.predict i').length), 0, 'choices are text');
  await page.click('#predict-choices button:has-text("[]")');
  s = await predictScreen(page);
  assert.match(s.result, /^Right on try 1\./);
  assert.equal(s.score, 'Predictions: 1 of 2 right first time');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 390, `no sideways scroll at 390 px (${wide})`);
  await screenshot(page, 'predict-answered-390');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'nothing the lesson wrote ran');
  assertClean(assert, page);
});

test('a typed JSON answer is compared as a value: key order does not matter', async () => {
  const file = join(TMP, 'object-predict.json');
  writeFileSync(file, JSON.stringify({
    title: 'Object answers',
    steps: [
      { op: 'put', key: 'u1', value: { name: 'Ada', city: 'London' } },
      { op: 'predict', prompt: 'What does storage hold for u1?', ask: 'value', key: 'u1', answer: { name: 'Ada', city: 'London' } },
    ],
  }));
  const page = await openPage(env.browser, env.base);
  await importFile(page, file, 2);
  // Imported at its end: the prediction is asked there too.
  let s = await predictScreen(page);
  assert.ok(s.shown);
  assert.equal(s.actual, null);
  // The engine's object lists city first: typed the other way round.
  await page.fill('#predict-input', '{"name": "Ada", "city": "London"}');
  await page.click('#predict-check');
  s = await predictScreen(page);
  assert.match(s.result, /^Right on try 1\. The engine says: \{"city": "London", "name": "Ada"\}/);
  assert.equal(s.why, null, 'no why given, none shown');
  assert.equal(s.score, 'Predictions: 1 of 1 right first time');
  assertClean(assert, page);
});

test('in a lesson, the question and the score are in the lesson panel', async () => {
  // A lesson served in place of the shipped list (a small one, whatever the shipped lessons ask).
  const lesson = {
    title: 'Predicting a lesson',
    description: 'A lesson that asks.',
    consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
    steps: [
      { op: 'put', key: 'u1', value: { city: 'London' }, note: 'One put.' },
      { op: 'predict', prompt: 'How far behind is by_city?', ask: 'lag', consumer: 'by_city', choices: [0, 1], answer: 1, why: 'One change event is pending.' },
      { op: 'flush', note: 'Caught up.' },
    ],
  };
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.route('**/lessons/index.json', (route) => route.fulfill({ json: [{ file: 'predict-demo.json', title: 'Predicting a lesson' }] }));
    await context.route('**/lessons/predict-demo.json', (route) => route.fulfill({ json: lesson }));
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${env.base}?lesson=predict-demo&step=0`);
    await page.waitForFunction(() => document.querySelector('#lesson-title')?.textContent === 'Predicting a lesson');
    await page.click('#forward');
    await page.click('#forward');
    let s = await predictScreen(page);
    assert.equal(s.where, 'lesson-predict', 'the question is in the lesson panel');
    assert.ok(await page.locator('#predict').isHidden(), 'not beside the step line as well');
    assert.equal(s.actual, null);
    assert.equal(await page.locator('#lesson-score').textContent(), 'Predictions: 0 of 1 right first time (1 not answered)');
    // An action of the student's own at the question leaves the script; returning asks it again.
    await page.click('#flush-all');
    assert.ok(await page.locator('#lesson-offscript').isVisible(), 'off the script');
    assert.equal((await predictScreen(page)).shown, false, 'no question on the student\'s own step');
    await page.click('#lesson-return');
    s = await predictScreen(page);
    assert.equal(s.step, 'step 2 of 3');
    assert.equal(s.where, 'lesson-predict', 'asked again in the lesson panel');
    assert.deepEqual(s.choices.map((c) => c.text), ['0', '1']);
    assert.equal(s.actual, null);
    await page.click('#predict-choices button:has-text("1")');
    s = await predictScreen(page);
    assert.match(s.result, /^Right on try 1\. The engine says: 1/);
    assert.equal(s.why, 'One change event is pending.');
    assert.equal(await page.locator('#lesson-score').textContent(), 'Predictions: 1 of 1 right first time');
    await screenshot(page, 'predict-lesson');
    // Leaving the script and returning keeps the answer and the score.
    await page.click('#back');
    await page.click('#flush-all');
    assert.ok(await page.locator('#lesson-offscript').isVisible(), 'off the script');
    await page.click('#lesson-return');
    await page.click('#forward');
    s = await predictScreen(page);
    assert.match(s.result, /^Right on try 1\./, 'not asked again');
    assert.equal(await page.locator('#lesson-score').textContent(), 'Predictions: 1 of 1 right first time');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// While a prediction waits for its answer, nothing else on the page may read
// it out: the figure it asks about is replaced by a placeholder (as text,
// titles included, so a screen reader does not read it either), everything
// else stays, and it comes back once the student answers or asks to see it.
test('a pending prediction hides its answer everywhere else on the page, and only that', async () => {
  const HIDDEN = '? — answer the prediction first';
  const file = join(TMP, 'hidden-answers.json');
  // Keys and cities without digits, so that a number on screen is a figure.
  const people = [['ada', 'Lisbon'], ['bo', 'Lisbon'], ['cy', 'Tromso'], ['dee', 'Tromso'], ['eve', 'Lisbon'],
    ['fay', 'Tromso'], ['gus', 'Lisbon'], ['hal', 'Tromso'], ['ivy', 'Lisbon']];
  const put = ([key, city]) => ({ op: 'put', key, value: { city } });
  const steps = [
    put(people[0]), put(people[1]), { op: 'flush' }, ...people.slice(2).map(put),
    { op: 'predict', prompt: 'How far behind is by_city?', ask: 'lag', consumer: 'by_city', choices: [0, 2, 7], answer: 7 },
    { op: 'predict', prompt: 'What does by_city list under Lisbon?', ask: 'result', consumer: 'by_city', query: { value: 'Lisbon' },
      choices: [['ada', 'bo'], ['ada', 'bo', 'eve', 'gus', 'ivy']], answer: ['ada', 'bo'] },
    { op: 'predict', prompt: 'What is the head LSN?', ask: 'head', choices: [7, 9, 10], answer: 9 },
    { op: 'flush' },
  ];
  writeFileSync(file, JSON.stringify({ title: 'Hidden answers', consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }], steps }));
  const LAG = 11, RESULT = 12, HEAD = 13;
  const page = await openPage(env.browser, env.base, { width: 1280, height: 800 });
  await importFile(page, file, steps.length);
  await blur(page);
  await page.keyboard.press('Home');
  const forwardTo = async (n) => {
    while (Number((await page.locator('#step-label').textContent()).split(' ')[1]) < n) await page.click('#forward');
    assert.equal(await page.locator('#step-label').textContent(), `step ${n} of ${steps.length}`);
  };
  const panels = () => page.evaluate(() => ({
    card: document.querySelector('article.card[data-consumer="by_city"]').textContent,
    log: document.querySelector('#log-panel').textContent,
    stream: document.querySelector('#stream').textContent,
    storage: document.querySelector('#storage-lsn').textContent,
    titles: Array.from(document.querySelectorAll('[title], [aria-label]'), (e) => `${e.getAttribute('title') ?? ''} ${e.getAttribute('aria-label') ?? ''}`).join('\n'),
  }));
  // A number as a word of its own (the log's size in bytes aside).
  const hasNumber = (text, n) => new RegExp(`(^|[^\\d])${n}([^\\d]|$)`).test(text.replace(/\d+ bytes?/g, ''));

  // The lag: the card's lag line, the track's summary and its shading are hidden.
  await forwardTo(LAG);
  let p = await panels();
  assert.ok(!hasNumber(p.card, 7), `no 7 on by_city's card while its lag is asked: ${p.card}`);
  assert.ok(p.card.includes(`lag ${HIDDEN}`), 'a placeholder stands in for the lag');
  assert.ok(!/lag 7/.test(p.titles), 'nor in a title or label');
  assert.equal(await page.locator('#log .cell.pending, #log .cell.done').count(), 0, 'the track does not shade what is pending');
  assert.ok(p.card.includes('position 2') && p.card.includes('committed 2'), 'its position stays, to reason from');
  assert.ok(p.log.includes('LSN 9'), 'the log stays as it is');
  assert.ok(p.card.includes('ada, bo'), 'and so does the state');
  // The consumer-group table hides it as "?" (explained on hover) and
  // still fits its panel: the whole placeholder in five of its cells pushed
  // the status and the chart off the panel's right edge.
  const row = await page.evaluate(() => {
    const tr = [...document.querySelectorAll('#operator tr')].find((r) => r.textContent.includes('by_city'));
    const panel = document.querySelector('#operator-panel');
    return { lag: tr.querySelector('.op-lag').textContent, title: tr.querySelector('.op-lag .masked')?.title,
      bytes: tr.querySelector('.op-bytes').textContent, fits: panel.querySelector('table').getBoundingClientRect().right <= panel.getBoundingClientRect().right };
  });
  assert.deepEqual(row, { lag: '?', title: 'Hidden until you answer the prediction (or press Show answer)', bytes: '?', fits: true });
  await screenshot(page, 'predict-hidden-lag');
  await page.click('#predict-choices button:has-text("7")');
  p = await panels();
  assert.ok(p.card.includes('lag 7: 7 change events pending'), 'shown once answered');
  assert.ok(!p.card.includes(HIDDEN));
  assert.ok(await page.locator('#log .cell.pending').count() > 0, 'the track is shaded again');

  // A query's result: the card's state table is hidden (and the query field's example).
  await forwardTo(RESULT);
  p = await panels();
  for (const key of ['ada', 'bo']) assert.ok(!p.card.includes(key), `${key} is not on by_city's card while its answer is asked`);
  assert.ok(p.card.includes(`Its state (what it would answer): ${HIDDEN}`));
  assert.ok(p.card.includes('lag 7'), 'the lag is not asked now: shown');
  assert.equal(await page.locator('article.card[data-consumer="by_city"] input[name=query]').getAttribute('placeholder'), 'e.g. London', 'no key from its state as the example');
  await page.click('#predict-reveal');
  p = await panels();
  assert.ok(p.card.includes('ada, bo'), 'the state is shown after Show answer');
  assert.ok(!p.card.includes(HIDDEN));

  // The head: every LSN on the strip, the stream and storage, the HEAD tag and the entry count.
  await forwardTo(HEAD);
  p = await panels();
  assert.ok(!hasNumber(p.log, 9), `no 9 in the log panel while the head is asked: ${p.log}`);
  assert.ok(!p.log.includes('HEAD'), 'no HEAD tag');
  assert.ok(p.log.includes(`durable up to LSN ${HIDDEN}`) && p.log.includes(`entries: ${HIDDEN}`));
  assert.ok(p.log.includes('LSN ?'), 'each entry is there, its LSN hidden');
  assert.ok(!hasNumber(p.stream, 9), `nor in the change stream: ${p.stream}`);
  assert.match(p.storage, /^storage LSN \? /, 'nor as the storage LSN');
  assert.ok(!/LSN 9/.test(p.titles), 'nor in a title or label');
  assert.ok(p.log.includes('ivy') && p.stream.includes('ivy'), 'the entries themselves stay');
  await screenshot(page, 'predict-hidden-head');
  await page.click('#predict-choices button:has-text("10")');
  assert.ok(!(await panels()).log.includes('HEAD'), 'still hidden after a wrong try');
  await page.click('#predict-choices button:has-text("9")');
  p = await panels();
  assert.ok(p.log.includes('LSN 9') && p.log.includes('HEAD'), 'shown once right');
  assert.ok(p.log.includes('9 entries'));
  assert.ok(p.storage.includes('LSN 9'));
  assertClean(assert, page);
});

// Whether the database is down, asked: the banner, the Failure panel's
// status and the Write panel's note say nothing of it until the answer.
test('a prediction of whether the database is down hides the banner, its status and the Write panel\'s note', async () => {
  const file = join(TMP, 'down-asked.json');
  const steps = [
    { op: 'put', key: 'ada', value: { city: 'Lisbon' } },
    { op: 'crash', kind: 'process' },
    { op: 'predict', prompt: 'Is the database down?', ask: 'down', choices: [true, false], answer: true },
  ];
  writeFileSync(file, JSON.stringify({ title: 'Down asked', steps }));
  const page = await openPage(env.browser, env.base);
  await importFile(page, file, steps.length);
  const seen = () => page.evaluate(() => ({
    banner: document.querySelector('.down-banner') !== null,
    status: document.querySelector('#db-status').textContent,
    note: !document.querySelector('#write-down').hidden,
  }));
  assert.deepEqual(await seen(), { banner: false, status: '?', note: false });
  // A step back, before the question: all three say it; forward again, none.
  await page.click('#back');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 2 of 3');
  assert.deepEqual(await seen(), { banner: true, status: 'down: recover first', note: true });
  await page.click('#forward');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 3 of 3');
  assert.deepEqual(await seen(), { banner: false, status: '?', note: false });
  await page.click('#predict-choices button:has-text("true")');
  assert.deepEqual(await seen(), { banner: true, status: 'down: recover first', note: true });
  assertClean(assert, page);
});
