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

/** Starts the server and the browser. Returns {base, browser, close()}. */
export async function start() {
  const server = await serve(SITE_DIR, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  return {
    base,
    browser,
    async close() {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/**
 * A fresh browser context and page at `url`, waiting until the engine has
 * rendered. Page errors and console errors are collected in page.errors.
 */
export async function open(browser, url, viewport = { width: 1440, height: 1000 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('#step-label');
  await page.waitForFunction(() => document.querySelector('#log').childElementCount > 0);
  return page;
}

export async function screenshot(page, name) {
  const dir = join(ARTIFACTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
