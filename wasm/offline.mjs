// Builds the offline page: one self-contained HTML file that works opened
// from disk (file://), for lab rooms and exams without a network.
//
//   node wasm/offline.mjs SITE_DIR
//
// It reads the assembled site (index.html, style.css, unbundled.js and
// unbundled.wasm, js/, lessons/) and writes SITE_DIR/unbundled-offline.html:
//   - the page's modules bundled into one inline module script (esbuild);
//   - the stylesheet (minified: its comments were an eighth of the page's
//     gzipped size goal) and the Emscripten glue inline;
//   - the wasm binary, gzipped, as base64 in a data block (<script type=
//     "application/octet-stream">, which a browser never runs), inflated by
//     the page and handed to the module factory as `wasmBinary`, so nothing
//     is fetched;
//   - every lesson, and lessons/index.json, in a JSON data block the page
//     reads instead of fetching them;
//   - a Content-Security-Policy that allows exactly these inline scripts
//     (by their SHA-256) and no other script, and no fetch.
// Each file from a browser's point of view is the one HTML file: a page
// opened from disk may not fetch its neighbours or start module workers.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';
import { bundlePage } from './bundle.mjs';

const site = process.argv[2];
if (!site) {
  console.error('usage: node wasm/offline.mjs SITE_DIR');
  process.exit(2);
}
const read = (f) => readFileSync(join(site, f), 'utf8');

const sha = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

// Text placed inside <script> or <style> must not close its element early.
function inline(text, what) {
  if (/<\/(script|style)/i.test(text)) throw new Error(`${what} holds a closing </script> or </style>`);
  return text;
}

const mainJs = inline(await bundlePage(site), 'the bundled page');
const glueJs = inline(read('unbundled.js'), 'unbundled.js');
const css = inline((await transform(read('style.css'), { loader: 'css', minify: true })).code, 'style.css');

// Lessons as the page would fetch them, by their path.
const files = { 'lessons/index.json': JSON.parse(read('lessons/index.json')) };
for (const name of readdirSync(join(site, 'lessons'))) {
  if (name.endsWith('.json') && name !== 'index.json') files[`lessons/${name}`] = JSON.parse(read(`lessons/${name}`));
}
// JSON inside a script element: "<" is written as \u003c, so no text in a
// lesson can end the element.
const filesJson = JSON.stringify(files).replace(/</g, '\\u003c');
// Gzipped before base64: base64 of the raw binary compresses poorly, and
// the page inflates it with the browser's DecompressionStream.
const wasm = gzipSync(readFileSync(join(site, 'unbundled.wasm')), { level: 9 }).toString('base64');

let html = read('index.html');
const replace = (pattern, text, what) => {
  if (!pattern.test(html)) throw new Error(`index.html: ${what} not found`);
  html = html.replace(pattern, () => text);
};
// The multi-file site's hint for pages opened from disk is not needed here.
replace(/\s*<script src="js\/file-hint.js"><\/script>/, '', 'the file-hint script');
replace(/<link rel="stylesheet" href="style.css">/, `<style>${css}</style>`, 'the stylesheet link');
replace(/<script src="unbundled.js"><\/script>/,
  `<script type="application/json" id="offline-files">${filesJson}</script>\n` +
  `  <script type="application/octet-stream" id="offline-wasm" data-encoding="gzip">${wasm}</script>\n` +
  `  <script>${glueJs}</script>`, 'the unbundled.js script');
replace(/<script type="module" src="js\/main.js"><\/script>/, `<script type="module">${mainJs}</script>`,
  'the main.js module');

// The policy: the site's own, with the inline scripts and style allowed by
// hash. A page from disk has no origin of its own ('self' matches nothing
// useful there), so everything it needs is inline or data:.
const policy = [
  "default-src 'none'",
  `script-src ${sha(glueJs)} ${sha(mainJs)} 'wasm-unsafe-eval'`,
  // As the served site: style attributes set by the page's code are allowed
  // (a style cannot run code); scripts are not.
  "style-src 'unsafe-inline'",
  'img-src data: blob:',
  "connect-src 'none'",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
html = html.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/i, '');
replace(/<meta charset="utf-8">/, `<meta charset="utf-8">\n  <meta http-equiv="Content-Security-Policy" content="${policy}">`,
  'the charset meta');
html = html.replace(/<html lang="en">/, '<html lang="en" data-offline="">');

const out = join(site, 'unbundled-offline.html');
writeFileSync(out, html);
const gz = gzipSync(html, { level: 9 }).length;
console.log(`wrote ${out}: ${(html.length / 1024).toFixed(0)} KB, ${(gz / 1024).toFixed(0)} KB gzipped`);
