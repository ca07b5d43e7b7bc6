// Virtual lists longer than a browser's largest element (site/js/virtual.js):
// the log strip past about 272,000 log entries (Chromium's 2^25 px at 123 px
// an entry) and the change stream past a million events. Before, the strip's
// width stopped at 2^25 px and it drew no entry at all at 300,000 entries;
// now the entries it does not draw count smaller, and it scrolls to any of
// them. First the geometry's arithmetic, then the page at 300,000 entries.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { start, closePages, openPage, assertClean, screenshot, entriesOnScreen, logScreen } from './harness.mjs';
import { MAX_SCROLL_PX, geometry, offsetOf, rowAt, keepRow, unitOf, firstUnder } from '../../site/js/virtual.js';

test('geometry: every row has one offset and is found there; rows do not move while a list fits; a long list fits MAX_SCROLL_PX', () => {
  let seed = 7;
  const rnd = (n) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
  for (let round = 0; round < 2000; round++) {
    const pitch = [28, 32, 123][rnd(3)];
    const total = rnd(2) ? 1 + rnd(500) : 1 + rnd(3_000_000);
    const drawn = Math.min(total, 1 + rnd(60));
    const start = rnd(total - drawn + 1);
    const g = geometry(start, drawn, total, pitch);
    const what = JSON.stringify(g);
    // Whole: the list's length is within the limit, or is the list at its own size.
    const length = offsetOf(total, g);
    if (total * pitch <= MAX_SCROLL_PX) {
      assert.equal(g.unit, pitch, what);
      assert.equal(length, total * pitch, what);
    } else {
      assert.ok(length <= MAX_SCROLL_PX + drawn * pitch, `${what}: ${length} px`);
    }
    // Rows at random (and the window's edges): found at their offset, and
    // in order.
    const rows = [0, total - 1, start, start + drawn - 1, Math.min(total - 1, start + drawn), ...Array.from({ length: 20 }, () => rnd(total))];
    for (const r of rows) {
      assert.equal(rowAt(offsetOf(r, g), g), r, `${what}: row ${r}`);
      if (r > 0) assert.ok(offsetOf(r, g) > offsetOf(r - 1, g), `${what}: row ${r} after row ${r - 1}`);
    }
    // Another window over the same list: the row under an offset stays
    // under the offset keepRow gives; while the list fits, that offset is
    // the same one.
    const start2 = rnd(total - drawn + 1);
    const g2 = geometry(start2, drawn, total, pitch);
    const px = rnd(Math.max(1, Math.floor(length)));
    const kept = keepRow(px, g, g2);
    assert.equal(rowAt(kept, g2), rowAt(px, g), `${what} -> ${start2}: offset ${px}`);
    if (g.unit === pitch) assert.equal(kept, px, `${what}: a list that fits keeps its offsets`);
  }
  // At the end of a long list, the last rows; elsewhere, the row there.
  const long = geometry(1000, 40, 1_000_000, 32);
  assert.equal(firstUnder(offsetOf(1_000_000, long) - 300, true, 12, long), 1_000_000 - 12);
  assert.equal(firstUnder(offsetOf(500_000, long), false, 12, long), 500_000);
  const short = geometry(0, 40, 100, 32);
  assert.equal(firstUnder(3200 - 300, true, 12, short), rowAt(3200 - 300, short));
  assert.equal(unitOf(0, 32), 32);
  assert.equal(rowAt(-5, geometry(0, 10, 100, 28)), 0);
  assert.equal(rowAt(1e9, geometry(0, 10, 100, 28)), 99);
});

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

const eventsOnScreen = (page) => page.evaluate(() => {
  const s = document.querySelector('#stream');
  const box = s.getBoundingClientRect();
  return [...s.querySelectorAll('li[data-lsn]')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.bottom > box.top + 5 && r.top < box.bottom - 5 && r.height > 10;
  }).map((e) => Number(e.dataset.lsn));
});

/**
 * Scrolls list `list` (sideways: 'Left', or down: 'Top') 100 px at a time,
 * back and on, 25 times each way, and checks that the items on screen
 * (`items`, keyed by data-lsn) move 100 px each time, across at least three
 * windows drawn in turn.
 */
async function scrollsEvenly(page, list, items, side) {
  const at = () => page.evaluate(([list, items, side]) => Object.fromEntries([...document.querySelector(list).querySelectorAll(items)]
    .map((e) => [e.dataset.lsn, e.getBoundingClientRect()[side.toLowerCase()]])), [list, items, side]);
  for (const by of [-100, 100]) {
    let was = await at();
    const windows = new Set();
    for (let i = 0; i < 25; i++) {
      await page.locator(list).evaluate((el, [by, side]) => { el[`scroll${side}`] += by; }, [by, side]);
      await page.waitForTimeout(100);
      const now = await at();
      windows.add(Object.keys(now)[0]);
      const moves = Object.keys(now).filter((l) => l in was).map((l) => Math.round(was[l] - now[l]));
      assert.ok(moves.length > 0 && moves.every((m) => Math.abs(m - by) <= 1), `${list} scrolled ${by} px: the items on screen moved ${moves} px`);
      was = now;
    }
    assert.ok(windows.size >= 3, `${list}: the scroll went through ${windows.size} windows`);
  }
}

test('300,000 log entries and events: the log strip and the change stream draw and scroll to any of them', async (t) => {
  const page = await openPage(env.browser, env.base);
  await page.fill('#bulk-count', '100000');
  await page.fill('#bulk-keys', '100000');
  for (let i = 1; i <= 3; i++) {
    await page.click('#bulk-put');
    await page.waitForFunction((n) => document.querySelector('#step-label').textContent === `step ${n} of ${n}`, i, { timeout: 120000 });
  }
  await page.waitForFunction(() => /log file: 300,?000 entries/.test(document.querySelector('#log-summary').textContent));
  // At the head: the newest entries are drawn where the strip shows them.
  let lsns = await entriesOnScreen(page);
  assert.ok(lsns.includes(300000) && lsns.length >= 4, `the newest entries are on screen: ${lsns}`);
  const width = await page.locator('#log').evaluate((el) => el.scrollWidth);
  assert.ok(width <= MAX_SCROLL_PX + 50 * 200, `the strip is ${width} px wide`);
  t.diagnostic(`log strip: ${width} px for 300,000 entries`);

  // The scrollbar dragged to the middle, to the start and to a quarter: the
  // entries there are drawn under the view, in order.
  for (const [where, lo, hi] of [[0.5, 145000, 155000], [0, 1, 20], [0.25, 70000, 80000]]) {
    await page.locator('#log').evaluate((el, f) => { el.scrollLeft = f * (el.scrollWidth - el.clientWidth); }, where);
    await page.waitForFunction(([lo, hi]) => [...document.querySelectorAll('#log .log-grid > .entry[data-lsn]')]
      .some((e) => Number(e.dataset.lsn) >= lo && Number(e.dataset.lsn) <= hi), [lo, hi]);
    await page.waitForTimeout(200);
    lsns = await entriesOnScreen(page);
    assert.ok(lsns.length >= 4 && lsns.every((l) => l >= lo && l <= hi + 20), `at ${where} of the strip, entries ${lo}-${hi} are on screen: ${lsns}`);
    assert.deepEqual(lsns, [...lsns].sort((a, b) => a - b).map((l, i, a) => a[0] + i), `consecutive entries: ${lsns}`);
  }
  // Scrolling by a few entries from there moves by entries, as in a short log.
  const firstBefore = (await entriesOnScreen(page))[0];
  await page.locator('#log').evaluate((el) => { el.scrollLeft += 3 * 123; });
  await page.waitForTimeout(300);
  const firstAfter = (await entriesOnScreen(page))[0];
  assert.ok(firstAfter - firstBefore >= 2 && firstAfter - firstBefore <= 4, `three entries' width on: ${firstBefore} -> ${firstAfter}`);
  // Scrolled 100 px at a time, across the windows drawn in turn, what is on
  // screen moves 100 px each time. It moved 120 to 300 px every few entries:
  // a new window kept the place at the view's left edge, which had scrolled
  // into the spacer, where an entry counts a fraction of its width.
  await scrollsEvenly(page, '#log', '.log-grid > .entry[data-lsn]', 'Left');
  await screenshot(page, 'virtual-lists-log-quarter');

  // The folds count the entries before and after those on screen.
  const folds = await page.evaluate(() => [document.querySelector('#log-earlier').textContent, document.querySelector('#log-later').textContent]);
  const screen = await logScreen(page);
  assert.equal(folds[0], `◀ ${screen.before.toLocaleString('en')} earlier entries`, `entries on screen: ${screen.lsns}`);
  assert.equal(folds[1], `${screen.after.toLocaleString('en')} later entries ▶`, `entries on screen: ${screen.lsns}`);

  // 300,000 change events (the two consumers are flushed): the stream's
  // middle and end.
  await page.click('#flush-all');
  await page.waitForFunction(() => /lag 0/.test(document.querySelector('#consumers').textContent), null, { timeout: 120000 });
  const height = await page.locator('#stream').evaluate((el) => el.scrollHeight);
  assert.ok(height <= MAX_SCROLL_PX + 60 * 200, `the stream is ${height} px tall`);
  await page.locator('#stream').evaluate((el) => { el.scrollTop = (el.scrollHeight - el.clientHeight) / 2; });
  await page.waitForFunction(() => [...document.querySelectorAll('#stream li[data-lsn]')].some((e) => Math.abs(Number(e.dataset.lsn) - 150000) < 3000));
  await page.waitForTimeout(200);
  let events = await eventsOnScreen(page);
  assert.ok(events.length >= 4 && events.every((l) => Math.abs(l - 150000) < 3000), `the middle events are on screen: ${events}`);
  await page.locator('#stream').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForFunction(() => [...document.querySelectorAll('#stream li[data-lsn]')].some((e) => Number(e.dataset.lsn) === 300000));
  await page.waitForTimeout(200);
  events = await eventsOnScreen(page);
  assert.ok(events.includes(300000), `the newest event is on screen: ${events}`);
  // The keys that jump: Home to the first event, End to the last, Page Down
  // by a view of events (the browser's own smooth scrolling for them ended
  // short, stopped by the page keeping the event under view as windows came).
  const stream = page.locator('#stream');
  await stream.focus();
  for (const [key, check] of [
    ['Home', (e) => e[0] === 1],
    ['PageDown', (e) => e[0] > 5 && e[0] < 20],
    ['End', (e) => e.includes(300000)],
    ['PageUp', (e) => e.at(-1) < 300000 && e.at(-1) > 299980],
  ]) {
    await page.keyboard.press(key);
    await page.waitForTimeout(400);
    events = await eventsOnScreen(page);
    assert.ok(events.length >= 4 && check(events), `after ${key}, events on screen: ${events}`);
  }
  await stream.evaluate((el) => { el.scrollTop = (el.scrollHeight - el.clientHeight) / 2; });
  await page.waitForTimeout(300);
  await scrollsEvenly(page, '#stream', 'li[data-lsn]', 'Top');
  await screenshot(page, 'virtual-lists-stream');

  // Positions of six digits: the marker reads in full, in its cell.
  const markers = await page.locator('#log .cell.at .marker, #log .edge-hint').evaluateAll((ms) => ms.map((m) => [m.textContent, m.scrollWidth <= m.clientWidth + 1]));
  assert.ok(markers.length >= 2, `markers: ${JSON.stringify(markers)}`);
  for (const [text, fits] of markers) {
    assert.match(text, /pos 300000/);
    assert.ok(fits, `the marker "${text}" fits its cell`);
  }

  // An index's answer of thousands of keys: cut, with how many in all.
  const byCity = page.locator('article.card[data-consumer="users_by_city"]');
  await byCity.locator('input[name=query]').fill('Oslo');
  await byCity.getByRole('button', { name: 'Query' }).click();
  await page.waitForFunction(() => /query users_by_city/.test(document.querySelector('#current-step').textContent));
  const caption = await page.locator('#current-step').textContent();
  const all = Number(caption.match(/… \(([\d,]+) in all\)\]$/)?.[1].replaceAll(',', ''));
  assert.ok(all > 5000, `the caption gives the count: ${caption.slice(0, 300)}`);
  assert.equal(caption.match(/"r\d+"/g).length, 12, 'the caption shows the first twelve keys');
  assert.match(await byCity.locator('.answer code.result').textContent(), new RegExp(`… \\(${all.toLocaleString('en')} in all\\)\\]$`));
  let tall = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(tall < 6000, `the page is ${tall} px tall`);

  // A consumer added by snapshot reads all 100,000 rows of storage: its card
  // lists the first twenty r events and counts the rest (it listed every
  // one: 100,000 nodes, a task of 7-11 s and a page 609,000 px tall).
  await page.fill('#consumer-name', 'late');
  await page.click('#consumer-form button[type=submit]');
  const late = page.locator('article.card[data-consumer="late"]');
  await late.locator('.snapshot').waitFor({ timeout: 60000 });
  // (100,000 random keys of 100,000 each time: about 95,000 rows.)
  const read = (await late.locator('.snapshot').textContent()).match(/^Snapshot at LSN 300000: read ([\d,]+) rows as r events/);
  const rows = Number(read?.[1].replaceAll(',', ''));
  assert.ok(rows > 90000, `the snapshot read every row of storage: ${read}`);
  assert.equal(await late.locator('.snapshot ol.events > li').count(), 20);
  assert.equal(await late.locator('.snapshot-more').textContent(), `… and ${(rows - 20).toLocaleString('en')} more r events, not shown.`);
  tall = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(tall < 6000, `the page is ${tall} px tall`);

  // The window made narrower, then wider, with the strip at its end: it
  // stays at its end, the newest entry on screen (it was covered by the
  // blank edge column, 200 px short of the end), and draws the entries a
  // wider strip shows.
  await page.locator('#log').evaluate((el) => { el.scrollLeft = el.scrollWidth; });
  await page.waitForTimeout(300);
  for (const width of [900, 1920]) {
    await page.setViewportSize({ width, height: 1000 });
    await page.waitForTimeout(600);
    lsns = await entriesOnScreen(page);
    const shows = await page.locator('#log').evaluate((el) => Math.floor((el.clientWidth - 400) / 123));
    assert.ok(lsns.at(-1) === 300000 && lsns.length >= shows, `at ${width} px, the newest ${shows} or more entries are on screen: ${lsns}`);
  }
  assertClean(assert, page);
});

// A marker too wide for its cell ("▲ snapshot 99000" at 1440 px, "◀
// position 99000" in large type or on a phone) showed "snapshot 9900", an
// LSN ten times smaller: its words are cut now, never its LSN. And at the
// start of a long strip, a marker in the start column, on screen, had an
// edge hint beside it ("◀ position 0") as if it were off screen.
test('markers at five-digit LSNs keep their LSN whole in any type size; a marker on screen at the strip\'s start has no edge hint', async () => {
  const page = await openPage(env.browser, env.base);
  await page.fill('#bulk-count', '99000');
  await page.fill('#bulk-keys', '1000');
  await page.click('#bulk-put');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1', null, { timeout: 120000 });
  await page.fill('#consumer-name', 'late');
  await page.click('#consumer-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 2 of 2', null, { timeout: 120000 });
  // Whether a marker's LSN (its digits, wherever they are in its text) is
  // drawn whole inside the marker's box, which clips what overflows, and
  // inside every box around it that clips.
  const lsnsWhole = () => page.locator('#log .marker').evaluateAll((ms) => ms.map((m) => {
    const walker = document.createTreeWalker(m, NodeFilter.SHOW_TEXT);
    let node, found = null;
    while ((node = walker.nextNode()) && !found) {
      const at = node.data.search(/\d+/);
      if (at >= 0) found = [node, at, at + node.data.match(/\d+/)[0].length];
    }
    if (!found) return [m.textContent, true];
    const range = document.createRange();
    range.setStart(found[0], found[1]);
    range.setEnd(found[0], found[2]);
    const r = range.getBoundingClientRect();
    let inside = r.width > 0;
    for (let box = found[0].parentElement; box && inside; box = box.parentElement) {
      if (getComputedStyle(box).overflowX === 'visible') continue;
      const b = box.getBoundingClientRect();
      inside = r.left >= b.left - 1 && r.right <= b.right + 1;
      if (box === m) break;
    }
    return [m.textContent, inside];
  }));
  for (const [how, set] of [
    ['at 1440 px', async () => {}],
    ['on a phone', () => page.setViewportSize({ width: 390, height: 900 })],
    ['presenting', async () => { await page.setViewportSize({ width: 1440, height: 1000 }); await page.keyboard.press('p'); }],
  ]) {
    await set();
    await page.waitForTimeout(600);
    const markers = await lsnsWhole();
    assert.ok(markers.some(([text]) => /99000/.test(text)), `${how}: the late consumer's marker: ${JSON.stringify(markers)}`);
    for (const [text, whole] of markers) assert.ok(whole, `${how}: the LSN of "${text}" is whole in its marker`);
  }
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1440, height: 1000 });
  // At the strip's start: position 0 is drawn in the start column, on screen.
  await page.locator('#log').evaluate((el) => { el.scrollLeft = 0; });
  await page.waitForFunction(() => document.querySelector('#log .entry[data-lsn="1"]'));
  await page.waitForTimeout(400);
  assert.equal(await page.locator('#log .cell.start.at .marker').count(), 2, 'the two consumers at position 0 have their markers in the start column');
  assert.deepEqual(await page.locator('#log .edge-hint').allTextContents(), [], 'no edge hint for a marker on screen');

  // A truncation of 19,999 entries: the gap before the first entry is
  // counted in thousands, and the boundary says what truncated it.
  await page.click('#checkpoint');
  await page.fill('#truncate-before', '20000');
  await page.check('#truncate-force');
  await page.click('#truncate');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 4 of 4', null, { timeout: 60000 });
  await page.locator('#log').evaluate((el) => { el.scrollLeft = 0; });
  await page.waitForFunction(() => document.querySelector('#log .entry[data-lsn="20000"]'));
  await page.waitForTimeout(400);
  assert.deepEqual(await page.locator('#log .log-mark .mark-note').allTextContents(), ['gap: 19k LSNs', 'truncated before 20000']);
  assert.match(await page.locator('#log .log-mark').getAttribute('title'), /LSN 1–19999 are not in the log: a truncation removed them/);
  assertClean(assert, page);
});

// The strip's keys move it by entries, in a strip that fits and in one too
// long for that: the browser's own moved it 40 px an arrow (a third of an
// entry), and its Page keys, which go up and down, did nothing.
test('the log strip\'s arrow keys move it an entry, its Page keys a view of entries, Home and End to its ends', async () => {
  for (const n of [200, 99000]) {
    const page = await openPage(env.browser, env.base);
    await page.fill('#bulk-count', String(n));
    await page.fill('#bulk-keys', '1000');
    await page.click('#bulk-put');
    await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1', null, { timeout: 120000 });
    await page.focus('#log');
    const press = async (key) => {
      await page.keyboard.press(key);
      await page.waitForTimeout(400);
      return (await logScreen(page)).lsns;
    };
    let before = await press('Home');
    assert.equal(before[0], 1, `${n}: Home shows LSN 1`);
    await press('ArrowRight');
    // Two entries on (the first went past the start column), LSN 1 is under
    // the left edge column, which says so (it was blank).
    assert.equal((await press('ArrowRight'))[0], 2);
    assert.equal(await page.locator('#log .log-grid > .log-fold.edge-left').textContent(), '◀ 1 earlier entry', `${n}: the left edge counts LSN 1`);
    before = await press('PageDown');
    let now = await press('PageDown');
    assert.ok(now.length >= 4 && now[0] === before.at(-1), `${n}: Page Down shows the next view, the last entry of the one before first: ${before} then ${now}`);
    before = now;
    now = await press('ArrowRight');
    assert.equal(now[0], before[0] + 1, `${n}: the right arrow moves an entry: ${before} then ${now}`);
    before = now;
    now = await press('PageUp');
    assert.equal(now.at(-1), before[0], `${n}: Page Up shows the view before: ${before} then ${now}`);
    now = await press('End');
    assert.equal(now.at(-1), n, `${n}: End shows the newest entry`);
    before = now;
    now = await press('ArrowLeft');
    assert.equal(now.at(-1), before.at(-1) - 1, `${n}: the left arrow moves an entry: ${before} then ${now}`);
    assert.equal(await page.locator('#step-label').textContent(), 'step 1 of 1', 'the keys moved the strip, not the history');
    // The same keys with one of its entries focused (they did nothing, and
    // the arrows scrolled the browser's 40 px).
    const onEntry = async (key) => {
      // An entry on screen (focusing one scrolls it into view).
      await page.locator(`#log .entry[data-lsn="${(await logScreen(page)).lsns[1]}"]`).focus();
      return press(key);
    };
    now = await onEntry('Home');
    assert.equal(now[0], 1, `${n}: Home on an entry shows LSN 1`);
    now = await onEntry('End');
    assert.equal(now.at(-1), n, `${n}: End on an entry shows the newest entry`);
    // The arrows on an entry move the focus to the entry beside it (one
    // entry is in the Tab order).
    const second = (await logScreen(page)).lsns[1];
    await page.locator(`#log .entry[data-lsn="${second}"]`).focus();
    const focusedLsn = () => page.evaluate(() => Number(document.activeElement.dataset.lsn));
    await press('ArrowLeft');
    assert.equal(await focusedLsn(), second - 1, `${n}: the left arrow on an entry focuses the one before`);
    await press('ArrowRight');
    await press('ArrowRight');
    assert.equal(await focusedLsn(), second + 1, `${n}: the right arrow on an entry focuses the one after`);
    assert.deepEqual(await page.$$eval('#log .entry[tabindex="0"]', (es) => es.map((e) => Number(e.dataset.lsn))), [second + 1], 'one entry in the Tab order: the focused one');
    before = (await logScreen(page)).lsns;
    now = await onEntry('PageUp');
    assert.equal(now.at(-1), before[0], `${n}: Page Up on an entry shows the view before: ${before} then ${now}`);
    assert.equal(await page.locator('#step-label').textContent(), 'step 1 of 1');
    assertClean(assert, page);
  }
});

// A keyboard user in a long list (tried at 200,000 entries): an entry with
// the focus was removed once it scrolled out of the window drawn, or an
// edge marker once its marker came into view, and the focus fell to the
// page's body, where the next Home or arrow key moved through time; an
// entry taking the focus by Tab was left under a sticky fold; and End on a
// list already at its end scrolled the page 2,000 px.
test('the keyboard in long lists: the focus stays in the list as its window moves, one entry is in the Tab order and is clear of the sticky columns, keys at a list\'s end leave the page where it is', async () => {
  const page = await openPage(env.browser, env.base);
  const label = () => page.locator('#step-label').textContent();
  const bulk = async (n) => {
    await page.fill('#bulk-count', '100000');
    await page.fill('#bulk-keys', '100000');
    await page.click('#bulk-put');
    await page.waitForFunction((n) => document.querySelector('#step-label').textContent === `step ${n} of ${n}`, n, { timeout: 120000 });
  };
  await bulk(1);
  await page.click('#flush-all');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 2 of 2', null, { timeout: 120000 });
  await bulk(3);
  const focused = () => page.evaluate(() => {
    const a = document.activeElement;
    return a.id ? `#${a.id}` : `${a.tagName.toLowerCase()}.${a.className}`;
  });
  const press = async (key) => { await page.keyboard.press(key); await page.waitForTimeout(300); };

  // Page Up from an entry: the strip moves, and keeps the focus.
  await page.focus('#log');
  await press('End');
  await page.locator(`#log .entry[data-lsn="${(await logScreen(page)).lsns[1]}"]`).focus();
  for (let i = 0; i < 3; i++) {
    await press('PageUp');
    assert.equal(await focused(), '#log', `Page Up ${i + 1} from an entry`);
  }
  await press('Home');
  assert.equal((await logScreen(page)).lsns[0], 1, 'Home moved the strip');
  assert.equal(await label(), 'step 3 of 3', 'not the history');

  // An edge marker (a position off screen): Enter brings it into view; the
  // marker's button goes, and the strip has the focus.
  const edge = page.locator('#log .cell.at.edge-right[data-consumer="users_by_city"]');
  assert.match(await edge.textContent(), /100000 ▶/);
  await edge.focus();
  await press('Enter');
  assert.ok((await logScreen(page)).lsns.includes(100000), 'LSN 100000 is on screen');
  assert.equal(await focused(), '#log', 'the strip has the focus');

  // Tab from the strip: one entry (a roving tabindex; Tab went through
  // every entry drawn, 15 to 31 presses to leave the strip), whole between
  // the sticky columns, as is each entry the arrows then move to.
  await page.focus('#log');
  await press('End');
  const whole = () => page.evaluate(() => {
    const a = document.activeElement, el = document.querySelector('#log');
    if (!a.classList.contains('entry')) return null;
    const r = a.getBoundingClientRect();
    const left = (el.querySelector('.log-grid > .edge-left') ?? el.querySelector('.log-label')).getBoundingClientRect().right;
    const right = el.querySelector('.log-grid > .edge-right')?.getBoundingClientRect().left ?? el.getBoundingClientRect().right;
    return { lsn: Number(a.dataset.lsn), left: r.left - left, right: right - r.right };
  });
  let entriesTabbed = 0, presses = 0;
  while (await page.evaluate(() => document.querySelector('#log').contains(document.activeElement))) {
    await press('Tab');
    presses++;
    if (await whole()) entriesTabbed++;
    assert.ok(presses < 12, 'Tab leaves the strip');
  }
  assert.equal(entriesTabbed, 1, 'Tab goes through one entry');
  await press('Shift+Tab');
  while (!(await whole())) await press('Shift+Tab');
  for (const key of ['ArrowLeft', 'ArrowLeft', 'ArrowLeft', 'ArrowRight']) {
    const was = (await whole()).lsn;
    await press(key);
    const at = await whole();
    assert.equal(at?.lsn, was + (key === 'ArrowRight' ? 1 : -1), `${key} from LSN ${was}`);
    assert.ok(at.left >= 0 && at.right >= 0, `LSN ${at.lsn} is whole between the sticky columns: ${JSON.stringify(at)}`);
  }

  // The change stream: a focused event scrolled out of the window; then
  // the list's end keys at its end.
  await page.focus('#stream');
  await press('End');
  await press('Tab');
  assert.match(await focused(), /^summary/);
  for (let i = 0; i < 15; i++) await page.keyboard.press('ArrowUp');
  await page.waitForTimeout(300);
  assert.ok(await page.evaluate(() => document.querySelector('#stream').contains(document.activeElement)), `the stream has the focus, not ${await focused()}`);
  await press('ArrowLeft');
  assert.equal(await label(), 'step 3 of 3', 'the arrow did not move through time');
  for (const [id, keys] of [['stream', ['End', 'End', 'ArrowDown', 'PageDown']], ['storage', ['Home', 'Home', 'ArrowUp', 'PageUp']]]) {
    await page.focus(`#${id}`);
    await press(keys[0]);
    const y = await page.evaluate(() => scrollY);
    for (const key of keys.slice(1)) {
      await press(key);
      assert.equal(await page.evaluate(() => scrollY), y, `${key} on #${id} at its end left the page where it was`);
    }
  }
  assertClean(assert, page);
});

// On a phone a long strip's edge columns took an entry's width each, and
// with the labels left no room for an entry between them; and the strip's
// place was worked out from a pitch measured millions of px in, a tenth of
// a px off where an entry is 102.4 px wide, so that scrolled to its start
// it showed LSN 93.
test('on a phone, a long strip shows entries between its folds, at its start, middle and end', async () => {
  const page = await openPage(env.browser, env.base, { width: 390, height: 900 });
  await page.fill('#bulk-count', '99000');
  await page.fill('#bulk-keys', '1000');
  await page.click('#bulk-put');
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1', null, { timeout: 120000 });
  for (const [where, f, check] of [
    ['start', 0, (l) => l[0] === 1],
    ['middle', 0.5, (l) => l.some((x) => x > 49000 && x < 50000)],
    ['end', 1, (l) => l.at(-1) === 99000],
  ]) {
    await page.locator('#log').evaluate((el, f) => { el.scrollLeft = f * (el.scrollWidth - el.clientWidth); }, f);
    await page.waitForTimeout(600);
    const { lsns } = await logScreen(page);
    assert.ok(lsns.length >= 1 && check(lsns), `at its ${where}, entries on screen: ${lsns}`);
    // The entry's LSN is readable: its box is at least half on screen.
    const shown = await page.evaluate(() => {
      const el = document.querySelector('#log');
      const left = el.querySelector('.log-grid > .edge-left').getBoundingClientRect().right;
      const right = el.querySelector('.log-grid > .edge-right').getBoundingClientRect().left;
      return Math.max(...[...el.querySelectorAll('.log-grid > .entry[data-lsn]')].map((e) => {
        const r = e.getBoundingClientRect();
        return (Math.min(r.right, right) - Math.max(r.left, left)) / r.width;
      }));
    });
    if (where !== 'start') assert.ok(shown >= 0.5, `at its ${where}, an entry is at least half on screen (${shown})`);
  }
  await screenshot(page, 'virtual-lists-phone');
  assertClean(assert, page);
});


// A window scrolled down a long list stayed where it was when a jump back
// made the list shorter: storage read "Storage is empty." under "30 rows",
// and a card's state "Empty." beside "495 change events processed", until
// the list grew past the old place again.
test('storage and a state table scrolled to their ends still draw their rows after a jump back to a shorter list', async () => {
  const page = await openPage(env.browser, env.base);
  // 1,000 puts and a flush, then 1,000 more and a flush: storage and the
  // index hold 2,000 rows at the end, 30 and none at step 30, 1,000 each
  // at step 1,001.
  const steps = [];
  for (let i = 0; i < 2000; i++) {
    steps.push({ op: 'put', key: `k${String(i).padStart(4, '0')}`, value: { city: `c${String(i).padStart(4, '0')}` } });
    if (i === 999 || i === 1999) steps.push({ op: 'flush' });
  }
  const scenario = { title: 'Long lists', consumers: [{ name: 'by_city', type: 'secondary_index', field: 'city' }], steps };
  await page.setInputFiles('#import-file', { name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(scenario)) });
  const label = (text) => page.waitForFunction((x) => document.querySelector('#step-label').textContent === x, text, { timeout: 60000 });
  const jump = async (i) => {
    await page.locator('#slider').evaluate((el, i) => { el.value = String(i); el.dispatchEvent(new Event('input', { bubbles: true })); }, i);
    await label(`step ${i} of 2002`);
  };
  await label('step 2002 of 2002');
  const storage = page.locator('#storage');
  const state = page.locator('article.card[data-consumer="by_city"] .state-scroll');
  // Each scrolled to its end: the rows drawn start past row 1,900.
  for (const list of [storage, state]) {
    await list.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await list.locator('tr.spacer[data-where="before"]').evaluate((s) => new Promise((ok, fail) => {
      const t0 = performance.now();
      const wait = () => (Number(s.dataset.rows) > 1900 ? ok() : performance.now() - t0 > 10000 ? fail(new Error(`drawn from row ${s.dataset.rows}`)) : requestAnimationFrame(wait));
      wait();
    }));
  }
  // By step 0 (nothing stored: no list to scroll), as Home then Next went.
  await jump(0);
  await jump(30);
  assert.match(await page.locator('#storage-lsn').textContent(), /· 30 rows$/);
  assert.equal(await page.locator('#storage tr[data-key]').count(), 30, 'every row drawn, not "Storage is empty."');
  await jump(1001);
  assert.ok(await page.locator('#storage tr[data-key]').count() > 0, 'storage rows drawn');
  assert.ok(await state.locator('tbody tr:not(.spacer)').count() > 0, 'the index\'s rows drawn, not "Empty."');
  assert.equal(await state.locator('.empty').count(), 0);
  assertClean(assert, page);
});
