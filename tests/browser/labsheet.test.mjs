// The lab sheet (issue 13 §4): a printable worksheet of the open lesson. For
// every lesson on the site it lists every step of the lesson file in order,
// by what it asks for, never what came of it (no notes); every prediction as its
// question with ruled space to answer, never the answer; and at the end a
// picture of the log and consumers, as many log entries as the page shows
// at the lesson's last step. Printed, it is alone on the paper; the page
// printed without it keeps the picture and drops the controls.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { start, open, screenshot, closePages, settle, ARTIFACTS } from './harness.mjs';
import { pretty } from '../../site/js/render.js';

const env = await start();
after(async () => { await env.close(); });
afterEach(closePages);

// The lessons as the site serves them.
const fetchJson = async (path) => {
  const res = await fetch(new URL(path, env.base));
  assert.ok(res.ok, `${path}: HTTP ${res.status}`);
  return res.json();
};
const LESSONS = [];
for (const entry of await fetchJson('lessons/index.json')) {
  LESSONS.push({ ...entry, name: entry.file.replace(/\.json$/, ''), scenario: await fetchJson(`lessons/${entry.file}`) });
}

const DESKTOP = { width: 1280, height: 800 };

async function openSheet(page) {
  await page.click('#lab-sheet-open');
  await page.waitForSelector('#lab-sheet:not([hidden]) #lab-sheet-steps');
}

/** What the lab sheet shows, read from the screen. */
function readSheet(page) {
  return page.evaluate(() => {
    const sheet = document.querySelector('#lab-sheet');
    const text = (el) => el?.textContent ?? null;
    return {
      title: text(sheet.querySelector('#lab-sheet-title')),
      text: sheet.textContent,
      focused: document.activeElement?.id ?? null,
      bodyClass: document.body.classList.contains('has-lab-sheet'),
      steps: Array.from(sheet.querySelectorAll('#lab-sheet-steps > li')).map((li) => {
        const question = li.querySelector('.sheet-question');
        // The question without its list of choices (which holds every choice, the right one too).
        let asked = null;
        if (question) {
          const copy = question.cloneNode(true);
          copy.querySelector('.sheet-choices')?.remove();
          asked = copy.textContent;
        }
        return {
          step: li.dataset.step,
          op: li.dataset.op,
          action: text(li.querySelector('.sheet-action')),
          note: text(li.querySelector('.sheet-note')),
          prompt: text(li.querySelector('.sheet-prompt')),
          question: text(question),
          asked,
          choices: Array.from(li.querySelectorAll('.sheet-choices li')).map((c) => c.textContent.replace(/^☐\s*/, '')),
          marked: question ? question.querySelectorAll('.right, .correct, [aria-checked="true"], [aria-selected="true"], strong.ok').length : 0,
          lines: li.querySelectorAll('.sheet-answer .answer-line').length,
          space: li.querySelector('.sheet-answer')?.getBoundingClientRect().height ?? 0,
        };
      }),
      log: Array.from(sheet.querySelectorAll('#lab-sheet-log tbody tr.sheet-entry')).map((tr) => ({
        lsn: tr.dataset.lsn,
        op: tr.querySelector('td.op').textContent,
        key: tr.querySelector('td.key').textContent,
        // The value, without the flags line under it.
        value: Array.from(tr.querySelector('td.value').childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.data).join(''),
      })),
      consumers: Object.fromEntries(Array.from(sheet.querySelectorAll('.sheet-consumer')).map((c) => [c.dataset.consumer, c.querySelector('.sheet-figures').textContent])),
    };
  });
}

/** The page's own picture as it stands (the lesson's last step): its log summary, entries and consumers' figures. */
async function pageAtEnd(page) {
  // A prediction at the last step hides what it asks: shown, the figures are all there.
  if (await page.locator('#predict-reveal').isVisible()) await page.click('#predict-reveal');
  return page.evaluate(() => ({
    summary: document.querySelector('#log-summary').textContent,
    entries: Array.from(document.querySelectorAll('#log .entry[data-lsn]:not(.removed)')).map((e) => ({
      lsn: e.dataset.lsn,
      op: e.querySelector('.entry-op').firstChild.textContent,
      key: e.querySelector('.entry-key').textContent,
      value: e.querySelector('.entry-value')?.textContent ?? '',
    })),
    cards: Object.fromEntries(Array.from(document.querySelectorAll('#consumers article.card')).map((c) => [c.dataset.consumer,
      { position: c.querySelector('.position')?.textContent ?? null, lag: c.querySelector('.lag')?.textContent ?? null }])),
  }));
}

const visible = (page, selector) => page.locator(selector).first().isVisible();

for (const lesson of LESSONS) {
  test(`lesson ${lesson.name}: the lab sheet lists its steps and questions, pictures its end, and prints alone`, async () => {
    const { steps } = lesson.scenario;
    // The page at the lesson's last step: what the engine's log and consumers are at its end.
    const page = await open(env.browser, `${env.base}?lesson=${lesson.name}&step=${steps.length}`, DESKTOP);
    await page.waitForFunction((n) => document.querySelector('#step-label').textContent.startsWith(`step ${n} `), steps.length);
    const end = await pageAtEnd(page);
    assert.ok(await visible(page, '#lab-sheet-open'), 'the lesson panel offers the lab sheet');
    await openSheet(page);
    const sheet = await readSheet(page);

    assert.equal(sheet.title, lesson.scenario.title);
    assert.equal(sheet.focused, 'lab-sheet-title', 'the focus moved to the sheet\'s heading');
    assert.ok(sheet.bodyClass);

    // Every step of the lesson file, in order, in words, with its note.
    assert.equal(sheet.steps.length, steps.length, 'one item per step');
    steps.forEach((step, i) => {
      const item = sheet.steps[i];
      const where = `${lesson.name} step ${i + 1}`;
      assert.equal(item.step, String(i + 1), where);
      assert.equal(item.op, step.op, where);
      assert.ok(item.action.startsWith(`Step ${i + 1}: `) && item.action.length > `Step ${i + 1}: `.length + 2, `${where}: described in words (${item.action})`);
      assert.ok(!/undefined|\[object Object\]/.test(item.action), `${where}: ${item.action}`);
      // Notes say what came of a step: on paper they would answer the questions before them.
      assert.equal(item.note, null, `${where}: no note`);
      if (step.op !== 'predict') {
        assert.equal(item.question, null, `${where}: no question`);
        return;
      }
      // A prediction: its question as the page shows it, space to answer, the answer nowhere.
      assert.equal(item.prompt, `Predict: ${step.prompt}`, `${where}: the question`);
      assert.ok(item.lines >= 2 && item.space > 40, `${where}: ruled space to answer (${item.lines} lines, ${item.space}px)`);
      assert.deepEqual(item.choices, (step.choices ?? []).map(pretty), `${where}: the choices, in the lesson's order, none marked`);
      assert.equal(item.marked, 0, `${where}: no choice marked`);
      assert.ok(!/[✓✔]|Answer:/.test(item.question), `${where}: no answer in the question`);
      if (typeof step.why === 'string' && step.why) assert.ok(!sheet.text.includes(step.why), `${where}: the lesson's "why" is not on the sheet`);
      // The answer's text, where it is distinctive enough to look for (not
      // a short number or word the question could hold for another reason).
      const answer = pretty(step.answer);
      if (answer.length >= 4 && !step.prompt.includes(answer)) {
        assert.ok(!item.asked.includes(answer), `${where}: the answer ${answer} is not in the question area`);
        // Nor in what the later steps that read or check say (a write's own value may hold it).
        steps.forEach((later, k) => {
          if (k <= i || ['put', 'insert', 'expect', 'predict'].includes(later.op)) return;
          assert.ok(!sheet.steps[k].action.includes(answer), `${where}: the answer ${answer} is not in step ${k + 1} (${sheet.steps[k].action})`);
        });
      }
    });
    assert.equal(sheet.steps.filter((s) => s.question !== null).length, steps.filter((s) => s.op === 'predict').length,
      'one answer space per prediction');

    // Print: the sheet alone, without its buttons.
    await page.emulateMedia({ media: 'print' });
    assert.ok(await visible(page, '#lab-sheet'), 'printed: the sheet');
    for (const selector of ['header.top', '.timeline', 'main.layout', '#lesson', '#lab-sheet-print', '#lab-sheet-close']) {
      assert.equal(await visible(page, selector), false, `printed: no ${selector}`);
    }
    if (lesson === LESSONS[0]) {
      await screenshot(page, 'labsheet-print');
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      const dir = join(ARTIFACTS, 'pdf');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `labsheet-${lesson.name}.pdf`), pdf);
      const text = pdf.toString('latin1');
      assert.ok(text.startsWith('%PDF-'), 'a PDF');
      const pages = (text.match(/\/Type\s*\/Page(?![a-z])/g) ?? []).length;
      assert.ok(pages >= 1 && pages < 30, `the PDF has ${pages} pages`);
    }
    await page.emulateMedia({ media: 'screen' });
    if (lesson === LESSONS[0]) await screenshot(page, 'labsheet-screen');

    // Escape closes it, and the focus goes back to the button.
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#lab-sheet').isHidden(), true, 'Escape closed the sheet');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'lab-sheet-open');
    assert.equal(await page.evaluate(() => document.body.classList.contains('has-lab-sheet')), false);
    assert.deepEqual(page.errors, []);

    // The picture at the end: as the page shows the lesson's last step.
    const count = /log file: ([\d,]+) entr/.exec(end.summary);
    assert.ok(count, `the page's log summary gives the count: ${end.summary}`);
    assert.equal(sheet.log.length, Number(count[1].replaceAll(',', '')), 'the sheet draws as many log entries as the engine\'s log holds');
    const drawn = new Map(sheet.log.map((e) => [e.lsn, e]));
    assert.ok(end.entries.length > 0 || sheet.log.length === 0);
    for (const e of end.entries) {
      const mine = drawn.get(e.lsn);
      assert.ok(mine, `LSN ${e.lsn} is on the sheet`);
      assert.deepEqual([mine.op, mine.key], [e.op, e.key], `LSN ${e.lsn}`);
      // The whole value (the page's strip cuts it short on screen, not in its text).
      assert.equal(mine.value.replace(/\s/g, ''), e.value.replace(/\s/g, ''), `LSN ${e.lsn}: its whole value`);
    }
    assert.deepEqual(Object.keys(sheet.consumers).sort(), Object.keys(end.cards).sort(), 'every consumer');
    for (const [name, card] of Object.entries(end.cards)) {
      const figures = sheet.consumers[name];
      const has = (text) => new RegExp(`(^|· )${text}( ·|$| \\()`).test(figures);
      const position = /^position \d+$/.exec(card.position ?? '');
      if (position) assert.ok(has(position[0]), `${name}: “${figures}” has ${position[0]}`);
      const lag = /^lag \d+/.exec(card.lag ?? '');
      if (lag) assert.ok(has(lag[0]), `${name}: “${figures}” has ${lag[0]}`);
    }
  });
}

test('the sheet says what each step asks for, never what came of it, and asks as the page asks', async () => {
  for (const lesson of [LESSONS[0], LESSONS[3]]) {
    const page = await open(env.browser, `${env.base}?lesson=${lesson.name}`, DESKTOP);
    await openSheet(page);
    const sheet = await readSheet(page);
    await page.click('#lab-sheet-close');
    assert.equal(await page.locator('#lab-sheet').isHidden(), true, 'Close closed it');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'lab-sheet-open', 'the focus is back on the button');
    const { steps } = lesson.scenario;
    let outcomes = 0;
    for (let i = 1; i <= steps.length; i++) {
      await page.click('#forward');
      await page.waitForFunction((i) => document.querySelector('#step-label').textContent.startsWith(`step ${i} `), i);
      const step = steps[i - 1];
      if (step.op === 'predict') {
        assert.equal(await page.locator('#predict-prompt').textContent(), sheet.steps[i - 1].prompt, `step ${i}: the question`);
        await page.click('#predict-reveal');
        continue;
      }
      // The page says what came of a read ("query by_city for Rome: [\"u2\"]"):
      // the sheet names the read, not its answer.
      const said = await page.locator('#current-step').textContent();
      const action = sheet.steps[i - 1].action;
      if (step.consumer && typeof step.consumer === 'string') assert.ok(action.includes(step.consumer), `step ${i}: ${action} names ${step.consumer}`);
      if (step.key) assert.ok(action.includes(step.key), `step ${i}: ${action} names ${step.key}`);
      if (['query', 'get', 'verify'].includes(step.op)) {
        const outcome = said.slice(said.lastIndexOf(': ') + 2);
        assert.ok(outcome.length > 0 && !action.includes(outcome), `step ${i}: “${action}” does not give away “${outcome}”`);
        outcomes++;
      }
    }
    assert.ok(outcomes > 0, `${lesson.name} has reads whose outcome the sheet keeps back`);
    assert.deepEqual(page.errors, []);
  }
});

test('Print prints; a custom lesson, an embed and ?sheet=1 have the sheet too', async () => {
  // An instructor's own lesson file (any address): a custom lesson, opened with its sheet.
  const file = LESSONS[1];
  let page = await open(env.browser, `${env.base}?lesson=lessons/${file.file}&sheet=1`, DESKTOP);
  await page.waitForSelector('#lab-sheet:not([hidden]) #lab-sheet-steps');
  let sheet = await readSheet(page);
  assert.equal(sheet.title, file.scenario.title);
  assert.equal(sheet.steps.length, file.scenario.steps.length);
  assert.equal(new URL(page.url()).searchParams.has('sheet'), false, 'sheet=1 is taken off the address');
  await page.evaluate(() => { window.printed = 0; window.print = () => { window.printed++; }; });
  await page.click('#lab-sheet-print');
  assert.equal(await page.evaluate(() => window.printed), 1, 'Print calls the browser\'s print');
  // No serious or critical accessibility violation with the sheet open (axe-core, as a11y.test.mjs).
  const axe = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} at ${n.target.join(' ')}`)), []);
  assert.deepEqual(page.errors, []);

  // An embed: the lesson panel has the button.
  page = await open(env.browser, `${env.base}?embed=1&lesson=${LESSONS[2].name}&step=2`, { width: 800, height: 600 });
  assert.ok(await visible(page, '#lab-sheet-open'), 'the embed offers the lab sheet');
  await openSheet(page);
  sheet = await readSheet(page);
  assert.equal(sheet.steps.length, LESSONS[2].scenario.steps.length);
  assert.deepEqual(page.errors, []);

  // Opening another lesson closes the sheet of the last one.
  page = await open(env.browser, `${env.base}?lesson=${LESSONS[0].name}&sheet=1`, DESKTOP);
  await page.waitForSelector('#lab-sheet:not([hidden])');
  await page.selectOption('#lesson-picker', LESSONS[3].file);
  await page.waitForFunction((t) => document.querySelector('#lesson-title').textContent === t, LESSONS[3].scenario.title);
  assert.equal(await page.locator('#lab-sheet').isHidden(), true);
  assert.equal(await page.evaluate(() => document.body.classList.contains('has-lab-sheet')), false);
  // The sandbox has no lesson, so no sheet to offer.
  await page.selectOption('#lesson-picker', '');
  await page.waitForFunction(() => document.querySelector('#lesson').hidden);
  assert.equal(await visible(page, '#lab-sheet-open'), false);
  assert.deepEqual(page.errors, []);
});

test('the page printed without a sheet: the picture, no controls, the log strip whole', async () => {
  const lesson = LESSONS.find((l) => l.name.startsWith('08-')) ?? LESSONS[0];
  const page = await open(env.browser, `${env.base}?lesson=${lesson.name}&step=14`, DESKTOP);
  await page.emulateMedia({ media: 'print' });
  for (const selector of ['.controls', '#share', '#reset', '#help-button', '#lesson-picker', '#back', '#forward', '#play', '#slider',
    '.legend', '.card-buttons', 'form.query', '#lab-sheet-open']) {
    assert.equal(await visible(page, selector), false, `printed: no ${selector}`);
  }
  for (const selector of ['#log .entry', '#consumers article.card', '#storage', '#step-label']) {
    assert.ok(await visible(page, selector), `printed: ${selector}`);
  }
  const strip = await page.evaluate(() => {
    const log = document.querySelector('#log');
    const box = log.getBoundingClientRect();
    const entries = Array.from(log.querySelectorAll('.entry'));
    const value = log.querySelector('.entry-value');
    return {
      overflow: log.scrollWidth - log.clientWidth,
      outside: entries.filter((e) => { const r = e.getBoundingClientRect(); return r.left < box.left - 1 || r.right > box.right + 1; }).length,
      entries: entries.length,
      valueCut: value ? value.scrollWidth > value.clientWidth + 1 : false,
      colour: getComputedStyle(document.querySelector('.picture')).printColorAdjust,
    };
  });
  assert.ok(strip.entries > 1);
  assert.equal(strip.overflow, 0, 'the log strip does not scroll sideways');
  assert.equal(strip.outside, 0, 'every log entry drawn is inside the strip');
  assert.equal(strip.valueCut, false, 'a log entry\'s value wraps, not cut');
  assert.equal(strip.colour, 'exact', 'colours print as on screen');
  await screenshot(page, 'labsheet-page-print');
  assert.deepEqual(page.errors, []);
});

test('at 390×844 the sheet fits the screen, for every lesson', async () => {
  const page = await open(env.browser, `${env.base}?lesson=${LESSONS[0].name}`, { width: 390, height: 844 });
  for (const lesson of LESSONS) {
    await page.goto(`${env.base}?lesson=${lesson.name}&sheet=1`);
    await page.waitForSelector('#lab-sheet:not([hidden]) #lab-sheet-end');
    await settle(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${lesson.name}: no sideways scroll (${width}px)`);
    if (lesson === LESSONS[0]) await screenshot(page, 'labsheet-390');
  }
  assert.deepEqual(page.errors, []);
});
