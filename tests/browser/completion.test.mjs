// The completion record: at the end of a lesson the lesson panel shows the
// score and a completion link (the whole session with the student's
// answers); opened in a fresh browser, the link shows the replayed session
// and a summary whose right/wrong and score the page works out again from
// the engine's values. A link whose claims were edited says what does not
// match; a malformed record is reported and changes nothing else. The
// summary prints alone, on one page. The lesson's sources are shown as text.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, inflateSync } from 'node:zlib';
import { start, closePages, assertClean, screenState, screenshot, watchDialogs } from './harness.mjs';

// A lesson served in place of the shipped list: predictions by choice and by
// typed value, HTML in its texts, and sources.
const LESSON = {
  title: 'Predicting a lesson',
  description: 'A lesson that asks.',
  sources: ['DDIA 1st ed., ch. 11, “Change Data Capture”', 'DDIA 1st ed., ch. 12, “<b>Unbundling</b> Databases”'],
  consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }],
  steps: [
    { op: 'put', key: 'u1', value: { city: 'London' }, note: 'One put.' },
    { op: 'predict', prompt: 'How far behind is by_city?', ask: 'lag', consumer: 'by_city', choices: [0, 1], answer: 1, why: 'One change event is pending.' },
    { op: 'predict', prompt: 'What is the head LSN?', ask: 'head', answer: 1 },
    { op: 'flush', note: 'Caught up.' },
    { op: 'predict', prompt: 'Which keys does by_city list under <i>London</i>?', ask: 'result', consumer: 'by_city', query: { value: 'London' }, choices: [[], ['u1']], answer: ['u1'] },
  ],
};
const N = LESSON.steps.length;

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

const contexts = [];
afterEach(async () => { await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {}))); });

/** A fresh context (no saved state) whose site lists only LESSON; a page at `url`, rendered. */
async function openWithLesson(url, lesson = LESSON) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  await context.route('**/lessons/index.json', (route) => route.fulfill({ json: [{ file: 'demo.json', title: lesson.title }] }));
  await context.route('**/lessons/demo.json', (route) => route.fulfill({ json: lesson }));
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  watchDialogs(page);
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
  return page;
}

/** Plays LESSON to its end: prediction 1 wrong then right, 2 typed right first time, 3 wrong then Show answer. */
async function playLesson(page) {
  await page.click('#forward');
  await page.click('#forward');
  await page.click('#predict-choices button:has-text("0")');
  await page.click('#predict-choices button:has-text("1")');
  await page.click('#forward');
  await page.fill('#predict-input', '1');
  await page.click('#predict-check');
  await page.click('#forward');
  await page.click('#forward');
  await page.click('#predict-choices button:has-text("[]")');
  await page.click('#predict-reveal');
  assert.equal(await page.locator('#step-label').textContent(), `step ${N} of ${N}`);
}

async function completionLink(page) {
  await page.waitForFunction(() => document.querySelector('#completion-url').value.startsWith('http'));
  return page.locator('#completion-url').inputValue();
}

// A link's payload, decoded and encoded as the page does (zlib deflate, base64url).
const decode = (url) => JSON.parse(inflateSync(Buffer.from(new URL(url).hash.slice(3), 'base64url')).toString('utf8'));
const encode = (base, data) => `${base}#s=${deflateSync(Buffer.from(JSON.stringify(data))).toString('base64url')}`;

/** What the completion record shows. */
function summaryScreen(page) {
  return page.evaluate(() => {
    const el = document.querySelector('#completion');
    const text = (s) => el.querySelector(s)?.textContent ?? null;
    return {
      shown: !el.hidden,
      lesson: text('#summary-lesson'),
      student: text('#summary-student'),
      sources: text('#summary-sources'),
      session: text('#summary-session'),
      score: text('#summary-score'),
      ok: text('#summary-ok'),
      mismatch: text('#summary-mismatch'),
      problems: Array.from(el.querySelectorAll('#summary-mismatch li')).map((li) => li.textContent),
      rows: Array.from(el.querySelectorAll('#summary-table tbody tr')).map((tr) => Array.from(tr.cells).map((c) => c.textContent)),
      elements: el.querySelectorAll('b, i').length,
    };
  });
}

const ROWS = [
  ['1', '2', 'How far behind is by_city?', '✗ 0, ✓ 1', '1', 'right on try 2'],
  ['2', '3', 'What is the head LSN?', '✓ 1', '1', 'right first time'],
  ['3', '5', 'Which keys does by_city list under <i>London</i>?', '✗ [], Show answer', '["u1"]', 'Show answer, after 1 wrong try'],
];

test('a finished lesson gives a completion link; opened afresh it shows the replay and the same answers and score', async () => {
  const page = await openWithLesson(`${env.base}?lesson=demo&step=0`);
  // The lesson's sources, as text, from the start.
  assert.equal(await page.locator('#lesson-sources').textContent(),
    'Reading: DDIA 1st ed., ch. 11, “Change Data Capture”; DDIA 1st ed., ch. 12, “<b>Unbundling</b> Databases”');
  assert.equal(await page.locator('#lesson-sources cite').count(), 2);
  assert.equal(await page.locator('#lesson b').count(), 0, 'the sources are text, not HTML');
  assert.ok(await page.locator('#lesson-complete').isHidden(), 'no completion link before the end');

  await playLesson(page);
  const panel = page.locator('#lesson-complete');
  assert.ok(await panel.isVisible(), 'the lesson panel offers the completion link at the end');
  assert.equal(await page.locator('#complete-score').textContent(), 'Predictions: 1 of 3 right first time');
  assert.equal(await page.locator('#lesson-score').textContent(), 'Predictions: 1 of 3 right first time');
  await page.fill('#student-name', 'Ada <b>Lovelace</b>');
  const url = await completionLink(page);
  assert.ok(url.startsWith(`${env.base}#s=`), url);
  const data = decode(url);
  assert.equal(data.completion.student, 'Ada <b>Lovelace</b>', 'the link carries the name');
  assert.deepEqual(data.completion.score, { right: 1, of: 3 });
  assert.deepEqual(data.predictions, [
    { step: 2, tries: [{ answer: 0, right: false }, { answer: 1, right: true }] },
    { step: 3, tries: [{ answer: 1, right: true }] },
    { step: 5, tries: [{ answer: [], right: false }], revealed: true },
  ], 'the answers in order, by step number');
  assert.equal(data.lesson, 'demo.json');
  assert.equal(data.cursor, N);
  // Copy: the clipboard, or the box where the clipboard is refused.
  await page.click('#completion-copy');
  // The status is written once the clipboard answers, which may be after the click returns.
  await page.waitForFunction(() => document.querySelector('#completion-status').textContent !== '');
  assert.match(await page.locator('#completion-status').textContent(), /^(Copied to the clipboard\.|Copy it from the box\.)$/);
  await screenshot(page, 'completion-link');
  assertClean(assert, page);

  // The instructor's browser: nothing saved, the link opened.
  const teacher = await openWithLesson(url);
  await teacher.waitForSelector('#completion:not([hidden])');
  const s = await summaryScreen(teacher);
  assert.equal(s.lesson, 'Lesson: Predicting a lesson (demo.json)');
  assert.equal(s.student, 'Student: Ada <b>Lovelace</b> (as the link gives it)');
  assert.equal(s.sources, 'Reading: DDIA 1st ed., ch. 11, “Change Data Capture”; DDIA 1st ed., ch. 12, “<b>Unbundling</b> Databases”');
  assert.equal(s.session, `Replayed here from the link: ${N} steps, shown at step ${N}.`);
  assert.equal(s.score, 'Predictions: 1 of 3 right first time');
  assert.equal(s.ok, '✓ Everything the link claims matches the replay.');
  assert.equal(s.mismatch, null);
  assert.deepEqual(s.rows, ROWS);
  assert.equal(s.elements, 0, 'names and prompts from the link are text');
  // The replayed session is under it: the lesson at its end, with the answers.
  assert.equal((await screenState(teacher)).step, `step ${N} of ${N}`);
  assert.equal(await teacher.locator('#lesson-title').textContent(), LESSON.title);
  assert.equal(await teacher.locator('#lesson-score').textContent(), 'Predictions: 1 of 3 right first time');
  assert.match(await teacher.locator('#predict-result').textContent(), /^Revealed, after 1 wrong try\./);
  await teacher.click('#back');
  await teacher.click('#back');
  assert.match(await teacher.locator('#predict-result').textContent(), /^Right on try 1\. The engine says: 1/, 'step 3: the typed answer');
  await teacher.click('#back');
  assert.match(await teacher.locator('#predict-result').textContent(), /^Right on try 2\./, 'step 2: not asked again');
  assert.ok(await teacher.locator('#completion').isVisible(), 'the record stays while the instructor steps through');
  await screenshot(teacher, 'completion-instructor');
  // Closing it.
  await teacher.click('#summary-close');
  assert.ok(await teacher.locator('#completion').isHidden());
  assertClean(assert, teacher);
});

test('Print summary prints the completion record alone, on one page', async () => {
  const page = await openWithLesson(`${env.base}?lesson=demo&step=0`);
  await playLesson(page);
  const teacher = await openWithLesson(await completionLink(page));
  await teacher.waitForSelector('#completion:not([hidden])');
  await teacher.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
  await teacher.click('#summary-print');
  assert.equal(await teacher.evaluate(() => window.__printed), 1, 'the button prints');

  await teacher.emulateMedia({ media: 'print' });
  const shown = await teacher.evaluate(() => Array.from(document.body.children)
    .filter((el) => getComputedStyle(el).display !== 'none').map((el) => el.id || el.className));
  assert.deepEqual(shown, ['completion'], 'only the record is printed');
  assert.equal(await teacher.locator('#summary-print').isVisible(), false, 'no buttons on paper');
  assert.equal(await teacher.locator('#summary-table tbody tr').count(), 3);
  await screenshot(teacher, 'completion-print');
  const pdf = (await teacher.pdf({ format: 'A4' })).toString('latin1');
  assert.deepEqual(pdf.match(/\/Count \d+/g), ['/Count 1'], 'one page');
  assertClean(assert, teacher);
});

test('a completion link whose claims were edited says what does not match', async () => {
  const page = await openWithLesson(`${env.base}?lesson=demo&step=0`);
  await playLesson(page);
  const url = await completionLink(page);
  const data = decode(url);

  // A "right" flag turned and the score raised: both named, the score recomputed.
  const flagged = structuredClone(data);
  flagged.predictions[0].tries[0].right = true;
  flagged.completion.score = { right: 3, of: 3 };
  let teacher = await openWithLesson(encode(env.base, flagged));
  await teacher.waitForSelector('#completion:not([hidden])');
  let s = await summaryScreen(teacher);
  assert.equal(s.score, 'Predictions: 1 of 3 right first time', 'recomputed, not read from the link');
  assert.equal(s.ok, null);
  assert.match(s.mismatch, /^Does not match: 2 claims in this link disagree with the replay\./);
  assert.deepEqual(s.problems, [
    'Step 2: try 1 (0): the link says right, the replay says wrong (the engine\'s value is 1)',
    'Score: the link says 3 of 3 right first time, the replay gives 1 of 3',
  ]);
  assert.equal(s.rows[0][3], '✗ 0 (link says right), ✓ 1', 'the row marks the claim');
  assert.equal(s.rows[0][5], 'right on try 2');
  await screenshot(teacher, 'completion-tampered');
  assertClean(assert, teacher);

  // An answer changed to the right one with its claim left: the replay counts it right, and says so.
  const answers = structuredClone(data);
  answers.predictions[0].tries = [{ answer: 1, right: false }];
  teacher = await openWithLesson(encode(env.base, answers));
  await teacher.waitForSelector('#completion:not([hidden])');
  s = await summaryScreen(teacher);
  assert.equal(s.score, 'Predictions: 2 of 3 right first time');
  assert.deepEqual(s.problems, [
    'Step 2: try 1 (1): the link says wrong, the replay says right (the engine\'s value is 1)',
    'Score: the link says 1 of 3 right first time, the replay gives 2 of 3',
  ]);
  assertClean(assert, teacher);

  // Steps that are not the lesson's (a prompt reworded, a note changed): named, the answers still checked.
  const steps = structuredClone(data);
  steps.scenario.steps[2].prompt = 'What is the head LSN? (easy)';
  steps.scenario.steps[3].note = 'Edited.';
  teacher = await openWithLesson(encode(env.base, steps));
  await teacher.waitForSelector('#completion:not([hidden])');
  s = await summaryScreen(teacher);
  assert.equal(s.lesson, 'Lesson: Predicting a lesson (demo.json)', 'the lesson the link names');
  assert.deepEqual(s.problems, ['Steps: step 3 differs from step 3 of the lesson “Predicting a lesson” (the session is not the lesson\'s)']);
  assert.equal(s.score, 'Predictions: 1 of 3 right first time');
  assert.equal(s.rows[1][2], 'What is the head LSN? (easy)', 'the prompt the replay asked');
  // Opened as a session of its own, not as the site's lesson; it keeps its
  // own narration (issue 13 §5), so the lesson panel plays the link's steps.
  assert.equal(await teacher.locator('#lesson-picker').inputValue(), '#opened', 'opened as a session of its own, not as the lesson');
  assert.match(await teacher.locator('#session-banner').textContent(), /opened from a completion link/);
  assert.equal(await teacher.locator('#lesson-note').textContent(), steps.scenario.steps[steps.cursor - 1].note ?? '', 'with the link\'s own notes');
  assertClean(assert, teacher);

  // A malformed record: reported, naming the field; the session replays all the same.
  const broken = structuredClone(data);
  broken.predictions[1].tries[0].right = 'yes';
  teacher = await openWithLesson(encode(env.base, broken));
  await teacher.waitForSelector('#completion:not([hidden])');
  const notice = teacher.locator('#notices .notice.error');
  assert.equal(await notice.count(), 1);
  assert.equal(await notice.locator('span').textContent(),
    'The answers to the predictions in this link could not be read (predictions[1].tries[0].right: must be true or false), so they were left out. The session itself is as the link has it.');
  s = await summaryScreen(teacher);
  assert.deepEqual(s.problems, ['Record: the answers could not be read (predictions[1].tries[0].right: must be true or false), so none are counted']);
  assert.equal(s.score, 'Predictions: 0 of 3 right first time (3 not answered)');
  assert.equal((await screenState(teacher)).step, `step ${N} of ${N}`, 'the session is there');
  assert.equal(await teacher.locator('#lesson-title').textContent(), LESSON.title, 'as the lesson');
  // Waiting at the last prediction, which is asked afresh.
  assert.equal(await teacher.locator('#predict-actual').count(), 0);
  assert.ok(await teacher.locator('#lesson-predict #predict-choices').isVisible());
  assertClean(assert, teacher);
});

test('a share link of a lesson in progress carries the answers so far', async () => {
  const page = await openWithLesson(`${env.base}?lesson=demo&step=0`);
  await page.click('#forward');
  await page.click('#forward');
  await page.click('#predict-choices button:has-text("0")');
  await page.click('#predict-choices button:has-text("1")');
  await page.click('#share');
  await page.waitForFunction(() => document.querySelector('#share-url').value.startsWith('http'));
  const url = await page.locator('#share-url').inputValue();
  assert.deepEqual(decode(url).predictions, [{ step: 2, tries: [{ answer: 0, right: false }, { answer: 1, right: true }] }]);
  assert.equal('completion' in decode(url), false, 'a share link is not a completion link');
  const other = await openWithLesson(url);
  assert.ok(await other.locator('#completion').isHidden(), 'no completion record for a share link');
  assert.equal((await screenState(other)).step, 'step 2 of 5');
  assert.match(await other.locator('#predict-result').textContent(), /^Right on try 2\./);
  assert.equal(await other.locator('#lesson-score').textContent(), 'Predictions: 0 of 1 right first time');
  assertClean(assert, other);
});
