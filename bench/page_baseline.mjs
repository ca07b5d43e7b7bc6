// The page against the page the scale issue's targets were set on: both
// built sites are served, and each is driven in turn, in the same headless
// Chromium, through the same clicks on the same imported history. Run by
// scripts/page-baseline, which builds the two sites; see there.
//
//   node bench/page_baseline.mjs --baseline DIR --current DIR [--sizes N,N] [--rounds R]
//
// First, in each round, each page's load to interactive, unthrottled and
// with the CPU throttled 4x (DevTools' emulation): from asking for the page
// to the engine's first drawing, and to the first put done. Then, for each
// size N (puts and a flush every 100 steps over N / 5 keys, with
// the three consumers, as tests/browser/scale.test.mjs imports) and each
// round, each page in a fresh browser context: import the history, then
// click Back three times, Next three times, the middle of the timeline once
// and Put once. Each click is timed by the browser's Event Timing, as INP
// is: `paint` from the input to the paint after its handlers ran (including
// the wait for the next frame), `work` from the input to the end of its
// handlers, both for the event whose handlers ran longest (the pointerdown
// of a click changes nothing on screen, so its paint is the click's).
// Event Timing reports in 8 ms steps and nothing under 16 ms, so 16 means
// at most 16. The import is timed in the page, from the file input's change
// to the frame showing the history's last step. Prints one JSON line per
// page and round, then a table of each page's medians and their ratio
// (current / baseline).
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { serve } from '../scripts/serve.mjs';
import { launchChromium, userHistory } from '../tests/browser/harness.mjs';

const USAGE = 'usage: node bench/page_baseline.mjs --baseline DIR --current DIR [--sizes N,N] [--rounds R]';
const args = { sizes: [10000, 100000], rounds: 2 };
for (let i = 2; i < process.argv.length; i += 2) {
  const [flag, value] = [process.argv[i], process.argv[i + 1]];
  if (value === undefined) fail(`${flag} needs a value`);
  if (flag === '--baseline' || flag === '--current') args[flag.slice(2)] = resolve(value);
  else if (flag === '--sizes') args.sizes = value.split(',').map(Number);
  else if (flag === '--rounds') args.rounds = Number(value);
  else fail(`unknown option ${flag}`);
}
if (!args.baseline || !args.current) fail('--baseline and --current are both needed');
if (!args.sizes.every((n) => Number.isInteger(n) && n >= 100 && n <= 200000)) fail('--sizes must be whole numbers from 100 to 200000');
if (!Number.isInteger(args.rounds) || args.rounds < 1) fail('--rounds must be a positive integer');

function fail(message) {
  console.error(`page_baseline: ${message}\n${USAGE}`);
  process.exit(2);
}

const LONG = { timeout: 600000 };

async function drive(browser, base, n, file) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.waitForFunction(() => document.querySelector('#log')?.childElementCount > 0, null, LONG);
    const label = () => page.evaluate(() => document.querySelector('#step-label').textContent);
    const waitLabel = (text) => page.waitForFunction((x) => document.querySelector('#step-label').textContent === x, text, LONG);
    const frame = () => page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok())));
    await page.evaluate(() => {
      window.__events = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          window.__events.push({ paint: e.duration, work: e.processingEnd - e.startTime, handlers: e.processingEnd - e.processingStart });
        }
      }).observe({ type: 'event', durationThreshold: 16, buffered: false });
    });
    const rows = [];
    const timed = async (click, action, until) => {
      await page.evaluate(() => { window.__events = []; });
      const t0 = performance.now();
      await action();
      await until();
      await frame();
      const roundTrip = performance.now() - t0;
      await frame();  // Event Timing entries arrive after the paint they end at
      await page.waitForTimeout(50);
      // The event whose handlers did the work (a click's pointerdown, which
      // changes nothing on screen, would run to the paint after the click).
      const events = await page.evaluate(() => window.__events);
      const e = events.reduce((a, b) => (b.handlers > a.handlers ? b : a), { paint: 16, work: 0, handlers: -1 });
      rows.push({ click, paint: Math.max(16, e.paint), work: Math.round(e.work), roundTrip: Math.round(roundTrip) });
    };
    // An import is timed in the page, from the file input's change event
    // (handing the file to the page over the DevTools protocol, 3 s for
    // 9 MB here, comes before it) to the first frame showing its last step.
    await page.evaluate(() => document.querySelector('#import-file').addEventListener('change', () => { window.__changed = performance.now(); },
      { capture: true, once: true }));
    await page.setInputFiles('#import-file', { name: 'history.json', mimeType: 'application/json', buffer: file });
    await page.waitForFunction((x) => {
      if (document.querySelector('#step-label').textContent !== x) return false;
      window.__imported = performance.now();
      return true;
    }, `step ${n} of ${n}`, LONG);
    const importMs = Math.round(await page.evaluate(() => window.__imported - window.__changed));
    await page.waitForTimeout(1000);  // the saves that follow an import
    for (let i = 1; i <= 3; i++) await timed('back', () => page.click('#back'), () => waitLabel(`step ${n - i} of ${n}`));
    for (let i = 2; i >= 0; i--) await timed('next', () => page.click('#forward'), () => waitLabel(`step ${n - i} of ${n}`));
    const box = await page.locator('#slider').boundingBox();
    await timed('jump', () => page.mouse.click(box.x + box.width / 2, box.y + box.height / 2),
      () => page.waitForFunction((n) => {
        const m = /^step (\d+) of (\d+)$/.exec(document.querySelector('#step-label').textContent);
        return m && Number(m[2]) === n && Math.abs(Number(m[1]) - n / 2) < n / 10;
      }, n, LONG));
    const at = /^step (\d+) of/.exec(await label())[1];
    await timed('put', () => page.click('#put'), () => waitLabel(`step ${Number(at) + 1} of ${Number(at) + 1}`));
    if (errors.length) throw new Error(`the page reported errors: ${errors.join('; ')}`);
    return { importMs, rows };
  } finally {
    await context.close();
  }
}

// Load to interactive, the CPU throttled `rate` times: from asking for the
// page to the engine's first drawing (the log strip's first child: the HTML
// has none), and to the first put done (the form's own example document).
async function load(browser, base, rate) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    const t0 = performance.now();
    await page.goto(base);
    await page.waitForFunction(() => document.querySelector('#log')?.childElementCount > 0, null, LONG);
    const firstFrameMs = Math.round(performance.now() - t0);
    await page.click('#put');
    await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 1 of 1', null, LONG);
    return { rate, firstFrameMs, firstPutMs: Math.round(performance.now() - t0) };
  } finally {
    await context.close();
  }
}

const median = (xs) => { const v = [...xs].sort((a, b) => a - b); const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };

const pages = ['baseline', 'current'];
const servers = await Promise.all(pages.map((p) => serve(args[p], 0)));
const bases = Object.fromEntries(pages.map((p, i) => [p, `http://127.0.0.1:${servers[i].address().port}/`]));
const browser = await launchChromium();
const all = [];
try {
  for (let round = 1; round <= args.rounds; round++) {
    for (const which of round % 2 ? pages : [...pages].reverse()) {
      for (const rate of [1, 4]) {
        console.error(`page_baseline: load at ${rate}x throttling, round ${round}, ${which}`);
        const line = { load: await load(browser, bases[which], rate), round, page: which };
        all.push(line);
        console.log(JSON.stringify(line));
      }
    }
  }
  for (const n of args.sizes) {
    const file = Buffer.from(JSON.stringify(userHistory(n)));
    for (let round = 1; round <= args.rounds; round++) {
      // Alternate which page goes first, so neither always runs on a machine just warmed (or loaded) by the other.
      for (const which of round % 2 ? pages : [...pages].reverse()) {
        console.error(`page_baseline: ${n} steps, round ${round}, ${which}`);
        const { importMs, rows } = await drive(browser, bases[which], n, file);
        const line = { size: n, round, page: which, importMs, clicks: rows };
        all.push(line);
        console.log(JSON.stringify(line));
      }
    }
  }
} finally {
  await browser.close();
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
}

const table = [['size', 'click', 'baseline paint (work) ms', 'current paint (work) ms', 'current / baseline (paint)']];
for (const rate of [1, 4]) {
  for (const field of ['firstFrameMs', 'firstPutMs']) {
    const of = (which) => median(all.filter((l) => l.load?.rate === rate && l.page === which).map((l) => l.load[field]));
    table.push(['-', `load at ${rate}x: ${field === 'firstFrameMs' ? 'first frame' : 'first put done'}`, String(of('baseline')), String(of('current')),
      (of('current') / of('baseline')).toFixed(3)]);
  }
}
for (const n of args.sizes) {
  const of = (which, click, field) => median(all.filter((l) => l.size === n && l.page === which)
    .flatMap((l) => l.clicks.filter((c) => c.click === click).map((c) => c[field])));
  for (const click of ['back', 'next', 'jump', 'put']) {
    const b = of('baseline', click, 'paint'), c = of('current', click, 'paint');
    table.push([String(n), click, `${b} (${of('baseline', click, 'work')})`, `${c} (${of('current', click, 'work')})`, (c / b).toFixed(3)]);
  }
  const imp = (which) => median(all.filter((l) => l.size === n && l.page === which).map((l) => l.importMs));
  table.push([String(n), 'import (change to frame)', String(imp('baseline')), String(imp('current')), (imp('current') / imp('baseline')).toFixed(3)]);
}
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
console.log(`\nmedians over ${args.rounds} round(s); paint is Event Timing's duration (16 means at most 16)`);
for (const r of table) console.log(r.map((x, i) => x.padEnd(widths[i])).join('  '));
