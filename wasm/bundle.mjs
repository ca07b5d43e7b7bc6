// The page's modules as one file, for the served site and the offline page.
//
//   node wasm/bundle.mjs SITE_DIR
//
// writes SITE_DIR/js/main.bundle.js (and its source map) from
// SITE_DIR/js/main.js and its imports, and points SITE_DIR/index.html's
// module script at it. The separate modules stay beside it (the browser
// tests import some of them, and a source map points into them).
//
// Why: a browser fetches, parses and links each module of a graph on its own.
// With the CPU throttled 4x (the load target of issue #7), the page's
// thirteen modules took 132 ms of the main thread in resource requests in
// one trace of a load, and 40 ms as one file (bench/PERFORMANCE.md). The
// bundle sits in js/ so that a URL its code makes from import.meta.url (the
// read worker, share.js) resolves as it did.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Bundles SITE_DIR/js/main.js. With `outfile`, writes it there with a source
 * map, keeping the functions' names (a profile or a stack trace from the
 * served page reads as the code does; 6 KB more gzipped); without, returns
 * the text minified whole (the offline page, which has a size goal).
 */
export async function bundlePage(site, outfile = null) {
  const result = await build({
    entryPoints: [join(site, 'js/main.js')],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    logLevel: 'error',
    ...(outfile
      ? { outfile, sourcemap: 'linked', minifyWhitespace: true, minifySyntax: true }
      : { write: false, minify: true }),
  });
  return outfile ? null : result.outputFiles[0].text;
}

const MODULE_SCRIPT = /<script type="module" src="js\/main.js"><\/script>/;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const site = process.argv[2];
  if (!site) {
    console.error('usage: node wasm/bundle.mjs SITE_DIR');
    process.exit(2);
  }
  const page = join(site, 'index.html');
  const html = readFileSync(page, 'utf8');
  if (!MODULE_SCRIPT.test(html)) {
    console.error(`wasm/bundle.mjs: ${page} has no <script type="module" src="js/main.js"> to point at the bundle`);
    process.exit(1);
  }
  await bundlePage(site, join(site, 'js/main.bundle.js'));
  writeFileSync(page, html.replace(MODULE_SCRIPT, '<script type="module" src="js/main.bundle.js"></script>'));
}
