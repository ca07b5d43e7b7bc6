// Projector, phone and keyboard (issue 13 §4), at 1024×768, 1280×800 and
// 390×844:
// - presentation mode: at every step of every built-in lesson the lesson,
//   the timeline, the log with every consumer's position and every consumer
//   are on one screen, nothing scrolls, and the type is never under 14 px
//   (the figures are printed: the smallest and largest type per lesson);
// - a phone: no page wider than the screen, and with the log in view, Next
//   is on the same screen, at every step of every lesson;
// - the log strip shows an entry's whole value on hover and on focus, and
//   keeps its head in view when the text grows (A+);
// - the focus stays where the student was when a control becomes disabled;
// - a consumer card keeps its height while its lag goes from 0 to many and
//   back, so what is under the cards does not jump at each step.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, closePages, openPage, put, card, assertClean, screenshotViewport, SITE_DIR } from './harness.mjs';

const LESSONS = JSON.parse(readFileSync(join(SITE_DIR, 'lessons', 'index.json'), 'utf8'))
  .map((l) => ({ name: l.file.replace(/\.json$/, ''), steps: JSON.parse(readFileSync(join(SITE_DIR, 'lessons', l.file), 'utf8')).steps }));

const PROJECTOR = { width: 1024, height: 768 };
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

/** Steps forward, answering a waiting prediction by revealing it. False at the end. */
async function next(page) {
  if (await page.locator('#predict-reveal:visible').count()) await page.click('#predict-reveal');
  if (await page.locator('#forward').isDisabled()) return false;
  const before = await page.textContent('#step-label');
  await page.click('#forward');
  await page.waitForFunction((b) => document.querySelector('#step-label').textContent !== b, before);
  return true;
}

/** What presentation mode must show, measured on the screen. */
function presentation(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    const inView = (el) => {
      const r = el.getBoundingClientRect();
      return r.top >= -0.5 && r.left >= -0.5 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5;
    };
    const log = document.querySelector('#log');
    const strip = log.getBoundingClientRect();
    const labelRight = log.querySelector('.log-label')?.getBoundingClientRect().right ?? strip.left;
    const fresh = log.querySelector('.entry.fresh');
    const f = fresh?.getBoundingClientRect();
    return {
      step: document.querySelector('#step-label').textContent,
      scroll: { height: root.scrollHeight, width: root.scrollWidth, innerHeight, innerWidth },
      px: Number.parseFloat(getComputedStyle(root).fontSize),
      hidden: ['.controls', '.top', '.legend', '#operator-panel'].filter((s) => document.querySelector(s)?.checkVisibility()),
      lesson: inView(document.querySelector('#lesson')),
      timeline: inView(document.querySelector('#forward')) && inView(document.querySelector('#back')),
      log: inView(document.querySelector('#log-panel')),
      // Each consumer's track (its name and position) under the log, and its card.
      tracks: [...log.querySelectorAll('.track-label')].filter((t) => !inView(t)).map((t) => t.textContent),
      cards: [...document.querySelectorAll('#consumers article.card')].filter((c) => !inView(c) || c.scrollHeight > c.clientHeight + 1).map((c) => c.dataset.consumer),
      // The entry the step wrote is in the strip's visible part.
      fresh: fresh ? f.left >= labelRight - 1 && f.right <= strip.right + 1 : true,
    };
  });
}

for (const lesson of LESSONS) {
  test(`presentation mode at 1024×768: every step of ${lesson.name} on one screen`, async () => {
    const page = await openPage(env.browser, `${env.base}?lesson=${lesson.name}&present=1`, PROJECTOR);
    await page.waitForFunction(() => document.documentElement.classList.contains('present') && !document.querySelector('#lesson').hidden);
    const sizes = [];
    do {
      const p = await presentation(page);
      const where = `${lesson.name}, ${p.step}`;
      assert.ok(p.scroll.height <= p.scroll.innerHeight && p.scroll.width <= p.scroll.innerWidth,
        `${where}: nothing scrolls (the page is ${p.scroll.width}×${p.scroll.height})`);
      assert.ok(p.px >= 14, `${where}: type at ${p.px} px`);
      assert.deepEqual(p.hidden, [], `${where}: the controls, header, legend and operator's table are set aside`);
      assert.ok(p.lesson && p.timeline && p.log, `${where}: the lesson, Back and Next, and the log are on screen`);
      assert.deepEqual(p.tracks, [], `${where}: every consumer's position under the log is on screen`);
      assert.deepEqual(p.cards, [], `${where}: every consumer's card is whole on screen`);
      assert.ok(p.fresh, `${where}: the entry the step wrote is in view in the strip`);
      sizes.push(p.px);
    } while (await next(page));
    assert.equal(await page.textContent('#step-label'), `step ${lesson.steps.length} of ${lesson.steps.length}`);
    console.log(`# presentation ${lesson.name}: type ${Math.min(...sizes)}–${Math.max(...sizes)} px over ${sizes.length} steps`);
    if (lesson.name.startsWith('08')) await screenshotViewport(page, 'present-1024-lesson-08-end');
    assertClean(assert, page);
  });
}

test('presentation mode: the button, P and Esc, the address, and a larger screen', async () => {
  const lesson = LESSONS[10];
  const page = await openPage(env.browser, `${env.base}?lesson=${lesson.name}&step=8`, LAPTOP);
  assert.equal(await page.evaluate(() => document.documentElement.scrollHeight > innerHeight), true, 'the ordinary page scrolls');
  await page.click('#present');
  await page.waitForFunction(() => document.documentElement.classList.contains('present'));
  assert.equal(new URL(page.url()).searchParams.get('present'), '1', 'the address keeps it, for a reload');
  let p = await presentation(page);
  assert.ok(p.scroll.height <= p.scroll.innerHeight, `fits 1280×800 (${p.scroll.height})`);
  assert.ok(p.px >= 16, `larger type on a larger screen: ${p.px} px`);
  await screenshotViewport(page, 'present-1280-lesson-11-step-8');
  // Keys: Esc leaves it, P comes back, the timeline's button leaves it again.
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.documentElement.classList.contains('present'));
  assert.equal(new URL(page.url()).searchParams.has('present'), false);
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.documentElement.classList.contains('present'));
  await page.reload();
  await page.waitForFunction(() => document.documentElement.classList.contains('present') && !document.querySelector('#lesson').hidden);
  p = await presentation(page);
  assert.ok(p.scroll.height <= p.scroll.innerHeight, 'still presenting, and fitting, after a reload');
  await page.click('#present-exit');
  await page.waitForFunction(() => !document.documentElement.classList.contains('present'));
  assert.equal(await page.locator('.controls').isVisible(), true, 'the controls are back');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'present', 'the focus is on the header\'s Present button');
  assertClean(assert, page);
});

test('a phone at 390×844: every step of every lesson fits the width, and Next is on screen with the log', async () => {
  for (const lesson of LESSONS) {
    const page = await openPage(env.browser, `${env.base}?lesson=${lesson.name}`, PHONE);
    await page.waitForFunction(() => !document.querySelector('#lesson').hidden);
    do {
      const m = await page.evaluate(() => {
        const log = document.querySelector('#log');
        log.scrollIntoView({ block: 'end' });
        const r = (el) => el.getBoundingClientRect();
        const next = r(document.querySelector('#forward')), strip = r(log);
        return {
          step: document.querySelector('#step-label').textContent,
          width: document.documentElement.scrollWidth,
          next: next.top >= -1 && next.bottom <= innerHeight + 1,
          log: strip.top >= -1 && strip.bottom <= innerHeight + 1,
          apart: next.bottom <= strip.top + 1 || next.top >= strip.bottom - 1,
        };
      });
      const where = `${lesson.name}, ${m.step}`;
      assert.ok(m.width <= PHONE.width, `${where}: the page is ${m.width} px wide`);
      assert.ok(m.next && m.log && m.apart, `${where}: Next and the log strip are both on screen, side by side (${JSON.stringify(m)})`);
    } while (await next(page));
    if (lesson.name.startsWith('04')) await screenshotViewport(page, 'phone-390-lesson-04-end');
    assertClean(assert, page);
    await page.context().close();
  }
});

for (const viewport of [PROJECTOR, LAPTOP, PHONE]) {
  test(`the log strip at ${viewport.width}×${viewport.height}: whole values on hover and focus, the head in view after A+`, async () => {
    const page = await openPage(env.browser, env.base, viewport);
    const long = { bio: 'wrote the first published algorithm for a machine that did not exist yet', city: 'London', name: 'Ada Lovelace' };  // the engine keeps keys sorted
    await put(page, 'u1', long);
    await page.fill('#bulk-count', '30');
    await page.click('#bulk-put');
    await page.waitForFunction(() => document.querySelector('#log .entry.head')?.dataset.lsn === '31');
    const entry = page.locator('#log .entry[data-lsn="1"]');
    assert.ok(await entry.evaluate((e) => e.querySelector('.entry-value').scrollWidth > e.querySelector('.entry-value').clientWidth), 'the entry itself cuts the value short');
    await page.evaluate(() => { document.querySelector('#log').scrollLeft = 0; });
    await entry.hover();
    assert.equal(await page.textContent('#log-detail'), `LSN 1: put u1 = ${JSON.stringify(long)}`, 'hover: the whole value');
    // Focus, by keyboard, another entry.
    await page.locator('#log .entry[data-lsn="2"]').focus();
    const second = await page.textContent('#log-detail');
    assert.match(second, /^LSN 2: put r\d+ = \{"age":\d+,"city":"[^"]+","name":"[^"]+"\}$/, 'focus: that entry whole');

    // The head in view, with the text larger and back again.
    const headInView = () => page.evaluate(() => {
      const log = document.querySelector('#log');
      const head = log.querySelector('.entry.head').getBoundingClientRect();
      const left = log.querySelector('.log-label').getBoundingClientRect().right;
      return head.left >= left - 1 && head.right <= log.getBoundingClientRect().right + 1;
    });
    await page.evaluate(() => { const log = document.querySelector('#log'); log.scrollLeft = log.scrollWidth; });
    assert.equal(await headInView(), true, 'the head is in view');
    const size = () => page.evaluate(() => getComputedStyle(document.documentElement).fontSize);
    const small = await size();
    await page.click('#text-size');
    assert.notEqual(await size(), small, 'A+ made the text larger');
    assert.equal(await headInView(), true, 'A+: the head is still in view');
    await page.click('#text-size');
    assert.equal(await headInView(), true, 'A−: the head is still in view');
    assertClean(assert, page);
  });
}

test('a control that becomes disabled leaves the focus on its card, not on another button', async () => {
  const page = await openPage(env.browser, env.base, LAPTOP);
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  const flush = card(page, 'users_by_city').locator('button[data-action="flush"]');
  await flush.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('article.card[data-consumer="users_by_city"] button[data-action="flush"]').disabled);
  const focused = await page.evaluate(() => ({ tag: document.activeElement.tagName, consumer: document.activeElement.dataset.consumer, action: document.activeElement.dataset.action ?? null }));
  assert.deepEqual(focused, { tag: 'ARTICLE', consumer: 'users_by_city', action: null }, 'the card holds the focus (Flush is disabled: nothing to flush)');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.closest('article.card')?.dataset.consumer), 'users_by_city', 'Tab goes on inside the same card');
  assertClean(assert, page);
});

// Enter in a field of Add a consumer adds it; the form's fields are then
// drawn again, and the focus fell to the page's body, where the next arrow
// key undid the step on screen. A log record's bytes, opened with Enter on
// its entry, had no key to close them.
test('Enter in a consumer\'s field adds it and keeps the focus in the field; Escape closes a record\'s bytes', async () => {
  const page = await openPage(env.browser, env.base, LAPTOP);
  await page.selectOption('#consumer-type', 'secondary_index');
  const field = page.locator('#config-fields input[data-config="field"]');
  await field.fill('name');
  await field.press('Enter');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.config), 'field', 'the field drawn in its place has the focus');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.locator('#step-label').textContent(), 'step 1 of 1', 'an arrow key in the field does not move through time');

  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  const entry = page.locator('#log .entry[data-lsn="1"]');
  await entry.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('#bytes').hidden);
  await page.locator('#bytes button').first().focus();
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#bytes').isHidden(), true, 'Escape closed the bytes');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.lsn), '1', 'the focus is back on the entry');
  assert.equal(await page.locator('#step-label').textContent(), 'step 2 of 2');
  assertClean(assert, page);
});

// On a phone the log strip's consumer names were cut to one line: lesson
// 1's by_city_log and by_city_app both read "by_city_…", and "pos 3, fed by
// the app" ran into the grid. They wrap now, after an underscore.
test('on a phone, every consumer\'s name and position on the log strip show whole', async () => {
  const page = await openPage(env.browser, `${env.base}?lesson=01-why-not-dual-writes&step=7`, PHONE);
  await page.waitForFunction(() => document.querySelector('#step-label').textContent.startsWith('step 7 '));
  const labels = await page.evaluate(() => [...document.querySelectorAll('#log .track-label')].map((t) => {
    const box = t.getBoundingClientRect();
    const name = t.querySelector('.track-name'), pos = t.querySelector('.track-pos');
    return { name: name.textContent, cut: name.scrollWidth > name.clientWidth + 1, pos: pos.textContent,
      spills: pos.getBoundingClientRect().right > box.right + 1 || pos.scrollWidth > pos.clientWidth + 1 };
  }));
  assert.deepEqual(labels.map((l) => l.name), ['by_city_log', 'by_city_app']);
  for (const l of labels) {
    assert.equal(l.cut, false, `${l.name} is whole`);
    assert.equal(l.spills, false, `"${l.pos}" stays in its label`);
  }
  assertClean(assert, page);
});

// On a phone a log record's fields were five columns, the words about each
// field in a column 60 px wide, broken mid-word ("mask ed", "paylo ad").
test('on a phone, a log record\'s bytes give the words about each field a line of their own', async () => {
  const page = await openPage(env.browser, env.base, PHONE);
  await put(page, 'u1', { name: 'Ada', city: 'London', age: 36 });
  await page.click('#log .entry[data-lsn="1"]');
  await page.waitForFunction(() => !document.querySelector('#bytes').hidden);
  const widths = await page.evaluate(() => {
    const table = document.querySelector('#bytes .record-fields').getBoundingClientRect().width;
    return [...document.querySelectorAll('#bytes .record-fields td.what')].map((td) => td.getBoundingClientRect().width / table);
  });
  assert.ok(widths.length >= 7, `${widths.length} fields`);
  for (const w of widths) assert.ok(w > 0.9, `a field's words take ${Math.round(w * 100)}% of the table's width`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'the page is no wider than the screen');
  assertClean(assert, page);
});

// A long storage cuts each row to one line; its whole value was only in the
// row's title, which a phone shows nowhere. The line under storage shows
// the row pointed at, or tapped.
test('a long storage\'s row cut short reads whole in the line under it, tapped on a phone or pointed at', async () => {
  const context = await env.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    await page.goto(`${env.base}?sandbox`);
    await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
    assert.equal(await page.locator('#storage-detail').isHidden(), true, 'no line while every row shows whole');
    await page.fill('#bulk-count', '1000');
    await page.click('#bulk-put');
    await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1');
    const detail = page.locator('#storage-detail');
    const idle = await detail.textContent();
    const row = page.locator('#storage tr[data-key]').nth(2);
    await row.scrollIntoViewIfNeeded();
    const [key, whole] = await row.evaluate((tr) => [tr.dataset.key, tr.querySelector('td.value').title]);
    assert.ok(whole.length > 20 && (await row.locator('td.value').evaluate((td) => td.scrollWidth > td.clientWidth)), 'the row is cut short');
    await row.tap();
    assert.equal(await detail.textContent(), `${key}: ${whole}`);
    await page.click('#put');
    await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 2 of 2');
    assert.equal(await detail.textContent(), idle, 'a new step puts back the idle line');
  } finally {
    await context.close();
  }
  const page = await openPage(env.browser, `${env.base}?sandbox`, LAPTOP);
  await page.fill('#bulk-count', '1000');
  await page.click('#bulk-put');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1');
  const row = page.locator('#storage tr[data-key]').nth(1);
  await row.hover();
  assert.equal(await page.locator('#storage-detail').textContent(), await row.evaluate((tr) => `${tr.dataset.key}: ${tr.querySelector('td.value').title}`));
  assertClean(assert, page);
});

// On a touch screen a tapped button kept its hover colour (there is no
// pointer to move away), and Next looked held down.
test('a tapped button on a touch screen does not keep a hover colour; a pointer\'s hover still shows', async () => {
  const context = await env.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    await page.goto(`${env.base}?lesson=01-why-not-dual-writes`);
    await page.waitForFunction(() => /^step 0 of/.test(document.querySelector('#step-label').textContent));
    await page.tap('#forward');
    await page.waitForFunction(() => /^step 1 of/.test(document.querySelector('#step-label').textContent));
    assert.equal(await page.locator('#forward').evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(255, 255, 255)');
  } finally {
    await context.close();
  }
  const page = await openPage(env.browser, `${env.base}?lesson=01-why-not-dual-writes`, LAPTOP);
  await page.hover('#forward');
  assert.equal(await page.locator('#forward').evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(238, 242, 247)');
});

test('a consumer card keeps its height while its lag leaves 0 and comes back', async () => {
  for (const size of [LAPTOP, { width: 1920, height: 1080 }, PHONE]) {
    const page = await openPage(env.browser, env.base, size);
    const heights = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('article.card')]
      .map((c) => [c.dataset.consumer, Math.round(c.getBoundingClientRect().height)])));
    const lags = () => page.locator('#consumers .lag').allTextContents();
    assert.deepEqual(new Set(await lags()), new Set(['lag 0: caught up']));
    const caughtUp = await heights();
    assert.ok(Object.keys(caughtUp).length >= 2, 'the starting consumers have cards');
    for (let i = 1; i <= 12; i++) await put(page, `u${i}`, { name: `User ${i}`, city: 'London', age: 30 + i });
    await page.waitForFunction(() => document.querySelector('#consumers .lag')?.textContent === 'lag 12: 12 change events pending');
    assert.deepEqual(await heights(), caughtUp, `${size.width}×${size.height}: lag 12 (${(await lags()).join('; ')})`);
    // Flushed, the cards show state rows: a new height, which a lag of 1 or
    // 12 after it does not change either.
    await page.click('#flush-all');
    await page.waitForFunction(() => document.querySelector('#consumers .lag')?.textContent === 'lag 0: caught up');
    const flushed = await heights();
    await put(page, 'u13', { name: 'User 13', city: 'Paris', age: 20 });
    await page.waitForFunction(() => document.querySelector('#consumers .lag')?.textContent === 'lag 1: 1 change event pending');
    assert.deepEqual(await heights(), flushed, `${size.width}×${size.height}: lag 1 after the flush`);
    await page.close();
  }
});

// A retention field's suggestion was cut to "e.g. 100" at 100,000 entries,
// which reads as a suggestion of LSN 100: each field shows its placeholder
// whole, at every width.
test('the retention fields show their suggested LSN whole at 100,000 entries', async () => {
  for (const size of [LAPTOP, PROJECTOR, PHONE]) {
    const page = await openPage(env.browser, env.base, size);
    await page.fill('#bulk-count', '100000');
    await page.fill('#bulk-keys', '20000');
    await page.click('#bulk-put');
    await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1', null, { timeout: 60000 });
    const fields = await page.evaluate(() => ['truncate-before', 'compact-upto', 'compact-tombstones'].map((id) => {
      const el = document.getElementById(id);
      const s = getComputedStyle(el);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const room = el.clientWidth - Number.parseFloat(s.paddingLeft) - Number.parseFloat(s.paddingRight);
      return { id, placeholder: el.placeholder, text: Math.ceil(ctx.measureText(el.placeholder).width), room };
    }));
    assert.equal(fields.find((f) => f.id === 'compact-upto').placeholder, 'e.g. 100000');
    for (const f of fields) assert.ok(f.text <= f.room, `${size.width}×${size.height}: #${f.id}'s “${f.placeholder}” is ${f.text} px in ${f.room} px`);
    await page.close();
  }
});
