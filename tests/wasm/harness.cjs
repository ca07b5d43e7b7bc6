// Shared set-up of the wasm tests run by CommonJS (module.test.cjs,
// interop.test.cjs): where CTest says things are, the built module loaded
// once, and the shipped scenario files.
//
// Environment (set by CTest): UNBUNDLED_SITE_DIR (holds unbundled.js/.wasm),
// UNBUNDLED_CLI (the native program), UNBUNDLED_SCENARIOS (scenarios folder).
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const siteDir = path.resolve(process.env.UNBUNDLED_SITE_DIR);
const cli = process.env.UNBUNDLED_CLI;
const scenariosDir = path.resolve(process.env.UNBUNDLED_SCENARIOS);

/** The built module (call in before()). */
async function loadModule() {
  const wasm = path.join(siteDir, 'unbundled.wasm');
  assert.ok(fs.existsSync(wasm), `${wasm} is missing: build the wasm module first (scripts/build)`);
  const factory = require(path.join(siteDir, 'unbundled.js'));
  // Debian's Emscripten 3.1.6 cannot fetch a file path under Node: hand it the bytes.
  return factory({ wasmBinary: fs.readFileSync(wasm) });
}

/** Every .json file under `dir`, in its subfolders too. */
function scenarioFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? scenarioFiles(path.join(dir, e.name))
      : e.name.endsWith('.json') ? [path.join(dir, e.name)] : []);
}

module.exports = { siteDir, cli, scenariosDir, loadModule, scenarioFiles };
