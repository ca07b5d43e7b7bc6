// Shared set-up for the browser tests: the built site served on 127.0.0.1 by
// scripts/serve.mjs, and Debian's Chromium driven by playwright-core (never a
// downloaded browser). Screenshots go to test-artifacts/screenshots/.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve } from '../../scripts/serve.mjs';

export const SITE_DIR = resolve(process.env.UNBUNDLED_SITE_DIR ?? 'build-wasm/site');
export const ARTIFACTS = resolve(process.env.UNBUNDLED_ARTIFACTS ?? 'test-artifacts');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Debian's Chromium (or $CHROMIUM), headless, with the flags every run here uses. */
export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

// A page to test instead of the served site: the offline page's file://
// address (the same tests, run against unbundled-offline.html from disk).
export const PAGE = process.env.UNBUNDLED_PAGE ?? null;

/** Starts the server (unless PAGE is set) and the browser. Returns {base, browser, close()}. */
export async function start() {
  if (PAGE) {
    const browser = await launchChromium();
    return { base: PAGE, browser, close: () => browser.close() };
  }
  const server = await serve(SITE_DIR, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launchChromium();
  return {
    base,
    browser,
    async close() {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}

const contexts = [];

/** Closes every context open() made (call it in afterEach). */
export async function closePages() {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
}

/**
 * A fresh browser context and page at `url`, waiting until the engine has
 * rendered. Page errors and console errors are collected in page.errors.
 */
export async function open(browser, url, viewport = { width: 1440, height: 1000 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('#step-label');
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
  return page;
}

/** Jumps the finite CSS animations (fade-ins, pulses) to their end, so a screenshot shows the settled picture. */
export async function settle(page) {
  await page.evaluate(() => {
    for (const a of document.getAnimations()) {
      if (Number.isFinite(a.effect?.getComputedTiming().endTime)) a.finish();
    }
  });
}

export async function screenshot(page, name) {
  await settle(page);
  const dir = join(ARTIFACTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

// ---------------------------------------------------------------- helpers for the tests
// Everything below reads what is on the screen (text, classes, data
// attributes), never the page's internal JavaScript state.

/** Starts recording dialogs (alert/confirm/prompt): page.dialogs lists their messages. */
export function watchDialogs(page) {
  page.dialogs = [];
  page.on('dialog', async (d) => {
    page.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
}

/** open() plus dialog recording. */
export async function openPage(browser, url, viewport) {
  const page = await open(browser, url, viewport);
  watchDialogs(page);
  return page;
}

/** Asserts that the page raised no errors and opened no dialog. */
export function assertClean(assert, page) {
  assert.deepEqual(page.errors, [], 'no page errors or console errors');
  assert.deepEqual(page.dialogs ?? [], [], 'no alert/confirm/prompt dialog');
}

/** What the screen shows: step label, log entries, markers, storage, stream. */
export function screenState(page) {
  return page.evaluate(() => {
    const q = (s) => Array.from(document.querySelectorAll(s));
    return {
      step: document.querySelector('#step-label').textContent,
      entries: q('#log .entry').map((e) => ({ lsn: e.dataset.lsn, head: e.classList.contains('head'), text: e.textContent })),
      markers: Object.fromEntries(q('#log .cell.at').map((c) => [c.dataset.consumer, Number(c.dataset.position)])),
      pending: q('#log .cell.pending').length,
      rows: q('#storage tr[data-key]').map((tr) => [tr.dataset.key, tr.querySelector('td.value').textContent]),
      storageLsn: document.querySelector('#storage-lsn').textContent,
      stream: q('#stream li[data-lsn]').map((li) => [li.dataset.lsn, li.querySelector('.badge').textContent, li.querySelector('.key').textContent]),
      cards: q('#consumers article.card').map((c) => [c.dataset.consumer, c.querySelector('.position').textContent, c.querySelector('.lag').textContent]),
    };
  });
}

/** Types a key and a JSON value into the write form and clicks Put. */
export async function put(page, key, value) {
  await page.fill('#key', key);
  await page.fill('#value', typeof value === 'string' ? value : JSON.stringify(value));
  await page.click('#put');
}

/** Moves the keyboard focus out of any field, to the page body. */
export async function blur(page) {
  await page.evaluate(() => document.activeElement?.blur());
}

/** A consumer's card. */
export function card(page, name) {
  return page.locator(`article.card[data-consumer="${name}"]`);
}

/** True when the consumer's ▲ marker is drawn in the same column as log entry `lsn`. */
export function markerUnder(page, consumer, lsn) {
  return page.evaluate(({ consumer, lsn }) => {
    const m = Array.from(document.querySelectorAll('#log .cell.at')).find((c) => c.dataset.consumer === consumer);
    const e = document.querySelector(`#log .entry[data-lsn="${lsn}"]`);
    if (!m || !e) return false;
    const a = m.getBoundingClientRect(), b = e.getBoundingClientRect();
    return Math.abs((a.left + a.right) / 2 - (b.left + b.right) / 2) < 2;
  }, { consumer, lsn });
}

/** Screenshot of the viewport only (for embed-sized views). */
export async function screenshotViewport(page, name) {
  await settle(page);
  const dir = join(ARTIFACTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

/**
 * A long history to import: `n` steps of puts of small user documents over
 * n/5 keys, a flush every 100 steps, and the three kinds of consumer
 * (browser.scale's 100,000 steps; scripts/page-baseline's sizes).
 */
export function userHistory(n, title = `${n} steps`) {
  const cities = ['London', 'Paris', 'Oslo', 'Lagos', 'Lima', 'Pune'];
  const keys = Math.max(1, Math.floor(n / 5));
  const steps = [];
  for (let i = 0; i < n; i++) {
    if (i % 100 === 99) steps.push({ op: 'flush' });
    else steps.push({ op: 'put', key: `u${i % keys}`, value: { name: `user ${i}`, city: cities[i % 6], age: 20 + (i % 50) } });
  }
  return {
    title,
    consumers: [
      { name: 'users_by_city', type: 'secondary_index', field: 'city' },
      { name: 'city_stats', type: 'materialized_view', group_by: 'city', sum: 'age' },
      { name: 'search', type: 'full_text', fields: ['name'] },
    ],
    steps,
  };
}

/**
 * The log strip's entries on screen (between its sticky edges): their LSNs,
 * and how many log entries come before and after them (counted by place in
 * the log, from the window drawn: LSNs can be missing), which is what its
 * folds ("◀ N earlier entries") say.
 */
export function logScreen(page) {
  return page.evaluate(() => {
    const log = document.querySelector('#log');
    const grid = log.querySelector('.log-grid');
    const left = (log.querySelector('.log-grid > .edge-left') ?? log.querySelector('.log-label')).getBoundingClientRect().right;
    const right = log.querySelector('.log-grid > .edge-right')?.getBoundingClientRect().left ?? log.getBoundingClientRect().right;
    const shown = [...log.querySelectorAll('.log-grid > .entry[data-lsn]')].map((e, i) => [e, i]).filter(([e]) => {
      const r = e.getBoundingClientRect();
      return r.right > left + 1 && r.left < right - 1;
    });
    const start = Number(grid.dataset.start), total = Number(grid.dataset.total);
    return {
      lsns: shown.map(([e]) => Number(e.dataset.lsn)),
      before: shown.length ? start + shown[0][1] : null,
      after: shown.length ? total - start - shown.at(-1)[1] - 1 : null,
    };
  });
}

/** The LSNs of the log strip's entries on screen (logScreen). */
export async function entriesOnScreen(page) {
  return (await logScreen(page)).lsns;
}
