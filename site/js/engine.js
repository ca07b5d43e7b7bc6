// The page's view of the WebAssembly engine: JSON strings in and out of the
// module become objects here. unbundled.js is loaded by index.html as a
// classic script and defines the global factory `createUnbundled`.

let modulePromise = null;

/** Loads the module once. Resolves to the Emscripten module. */
export function loadModule() {
  if (!modulePromise) {
    if (typeof globalThis.createUnbundled !== 'function') {
      return Promise.reject(new Error('unbundled.js did not load (is the site built?)'));
    }
    modulePromise = globalThis.createUnbundled();
  }
  return modulePromise;
}

/** One engine instance. Results are objects; call dispose() when done. */
export class Simulator {
  constructor(module) {
    this.module = module;
    this.handle = new module.Simulator();
  }
  /** Applies a step object; returns {ok: true, ...} or {ok: false, error}. */
  apply(step) {
    return JSON.parse(this.handle.apply(JSON.stringify(step)));
  }
  /** The whole state (O(history)): for exports and tests; the page draws view(). */
  state() {
    return JSON.parse(this.handle.state());
  }
  /**
   * What the page draws, O(window): {wal, events, storage, consumers[].rows,
   * located, ...}. The request names windows: {wal: {start, count}, ...}.
   */
  view(request = {}) {
    return JSON.parse(this.handle.view(JSON.stringify(request)));
  }
  /** One log record's bytes and header fields: {ok, lsn, offset, size, hex, fields, checksum_ok, ...}. */
  record(lsn) {
    return JSON.parse(this.handle.record(lsn));
  }
  /** {head, positions: {consumer: position}}: cheap, unlike state(). */
  positions() {
    return JSON.parse(this.handle.positions());
  }
  /** Applies steps without building their results (time travel). Returns how many, or -1. */
  replay(steps) {
    return this.handle.replay(JSON.stringify(steps));
  }
  /** The same, given the steps' JSON text. */
  replayText(text) {
    return this.handle.replay(text);
  }
  /** A checkpoint: a new Simulator in this one's state (null: out of memory). */
  clone() {
    const handle = this.handle.clone();
    if (!handle) return null;
    const copy = Object.create(Simulator.prototype);
    copy.module = this.module;
    copy.handle = handle;
    return copy;
  }
  /** Takes a checkpoint's state; false when memory ran out. */
  copyFrom(checkpoint) {
    return this.handle.copyFrom(checkpoint.handle);
  }
  dispose() {
    this.handle.delete();
    this.handle = null;
  }
}

/** Checks a scenario object's shape; returns null or the error message. */
export function scenarioError(module, scenario) {
  const r = JSON.parse(module.validateScenario(JSON.stringify(scenario)));
  return r.ok ? null : r.error;
}
