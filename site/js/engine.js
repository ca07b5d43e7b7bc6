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
    // The offline page (unbundled-offline.html) carries the wasm binary
    // inline, gzipped and in base64, since a page opened from disk cannot
    // fetch it.
    const inline = globalThis.document?.getElementById('offline-wasm');
    modulePromise = inline
      ? inlineWasm(inline).then((wasmBinary) => globalThis.createUnbundled({ wasmBinary }))
      : compiledEarly().then((compiled) => (compiled ? instantiate(compiled) : globalThis.createUnbundled()));
  }
  return modulePromise;
}

/** The module file-hint.js compiled while the page was parsed, or null (not started, or it failed). */
async function compiledEarly() {
  try {
    return (await globalThis.unbundledWasm) ?? null;
  } catch {
    return null;
  }
}

/** The Emscripten module over an already compiled WebAssembly.Module. */
function instantiate(compiled) {
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const ready = globalThis.createUnbundled({
    instantiateWasm(imports, receiveInstance) {
      WebAssembly.instantiate(compiled, imports).then((instance) => receiveInstance(instance, compiled), fail);
      return {};
    },
  });
  return Promise.race([ready, failed]);
}

async function inlineWasm(block) {
  const bytes = Uint8Array.from(atob(block.textContent.trim()), (c) => c.charCodeAt(0));
  if (block.dataset.encoding !== 'gzip') return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The r events an add_consumer's or a rebuild's result lists (the page's
 * card shows them; `snapshot_rows` counts every row the snapshot read).
 * Listing all of storage cost 90% of a snapshot at 60,000 rows.
 */
export const SNAPSHOT_LISTED = 20;

/** A view() request for the totals alone (the log's entries, events, stored rows): every window empty. */
export const TOTALS_ONLY = Object.freeze({ wal: { count: 0 }, events: { count: 0 }, storage: { count: 0 } });

/** One engine instance. Results are objects; call dispose() when done. */
export class Simulator {
  constructor(module) {
    this.module = module;
    this.handle = new module.Simulator();
    this.handle.setSnapshotEventsListed(SNAPSHOT_LISTED);
  }
  /** Applies a step object; returns {ok: true, ...} or {ok: false, error}. */
  apply(step) {
    return JSON.parse(this.handle.apply(JSON.stringify(step)));
  }
  /**
   * Starts the work of a recover, replay_storage, verify, truncate or
   * compact step, to be done in parts by advancePrepared before apply(step)
   * uses it: {ok, done, phase, at, of} (phase 'reading', at/of in bytes of
   * the log file, then 'replaying', in log entries; a verify's 'folding'
   * and 'feeding', in change events, then 'comparing', in consumers; a
   * compaction's 'scanning', then a compaction's or a truncation's
   * 'removing', both in log entries), or the step's own
   * refusal {ok: false, error}. Nothing changes until the step; any other
   * step, or dropPrepared(), drops the work.
   */
  prepare(step) {
    return JSON.parse(this.handle.prepare(JSON.stringify(step)));
  }
  /** Takes up to `budget` records of the prepared work, within one phase: {ok, done, phase, at, of}. */
  advancePrepared(budget) {
    return JSON.parse(this.handle.advancePrepared(budget));
  }
  dropPrepared() {
    this.handle.dropPrepared();
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
  /** As replayText, with the steps refused: {applied, refused: [[index in text, error], ...]}, or null (out of memory). */
  replayRefused(text) {
    return JSON.parse(this.handle.replayRefused(text));
  }
  /**
   * As replayRefused, each step first checked by `check` (a
   * Module.ScenarioCheck, whose count of the session's work goes on across
   * calls) from the same parse of the text; steps[first] is the text's first
   * step. {ok: false, error, unread?} when a step fails the check (nothing
   * of this text is replayed then), or null (out of memory).
   */
  replayChecked(check, text, first) {
    return JSON.parse(check.replay(this.handle, text, first));
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
  if (scenario === undefined) return 'scenario: missing';
  let text;
  try {
    text = JSON.stringify(scenario);
  } catch {
    // Only a scenario that never passed engineCheck can be this deep.
    return `scenario: nested more than ${limits(module).json_depth} levels deep (the limit for JSON input)`;
  }
  const r = JSON.parse(module.validateScenario(text));
  return r.ok ? null : r.error;
}

const limitsOf = new WeakMap();
/**
 * The engine's limits (core/limits.h), from the module, so the page's live
 * checks use the engine's numbers: {key_bytes, value_bytes, value_depth,
 * json_depth, json_bytes, field_name_bytes, session_steps, session_work,
 * consumers, title_bytes, note_bytes, exact_integer, ...}.
 */
export function limits(module) {
  let table = limitsOf.get(module);
  if (!table) limitsOf.set(module, table = Object.freeze(JSON.parse(module.limits())));
  return table;
}

/**
 * A bulk step (put_random) checked whole by the engine, under its limits
 * (count, keys, from), and nothing taken: {ok: true}, or {ok: false, error}
 * naming the field. A caller that takes a big step in parts (bulkParts)
 * asks this first, so that a step the engine would refuse whole is refused
 * whole, before any part is written.
 */
export function bulkCheck(module, step) {
  return JSON.parse(module.checkBulk(JSON.stringify(step)));
}

/**
 * Reads JSON text from outside (a link, a file) as the engine does, under
 * its limits, before the page parses it: null, or the error, which names
 * `what` or the place and the limit.
 */
export function engineCheck(module, text, what) {
  const r = JSON.parse(module.checkJson(text, what));
  return r.ok ? null : r.error;
}

/**
 * Readies the engine's readers of outside text (the JSON reader under the
 * limits, the scenario check, the work meter) while the page is idle. V8
 * compiles a WebAssembly function on its first call into a baseline tier,
 * and optimizes it in the background only after it has run for a while: a
 * page's first link of 200 KB took 50-110 ms in the engine, and 5 ms once
 * optimized (headless Chromium). Four checks of a made-up 16 KB session,
 * each in its own idle moment (5-11 ms, so a link that comes meanwhile
 * waits little), from `after` ms after the page is drawn (its first moments
 * are left to it), get there before a link is pasted. Nothing of the page's state
 * is touched. Returns a function that stops what is left of it (a link
 * being read warms the readers itself).
 */
export function warmReaders(module, rounds = 4, after = 300) {
  const steps = [{ op: 'add_consumer', consumer: { name: 'teams', type: 'materialized_view', group_by: 'team' } }];
  for (let i = 0; i < 100; i++) {
    steps.push(
      { op: 'put', key: `user${i}`, value: { name: 'Ada Lovelace', team: 'search', n: i, tags: ['a', 'b'], ok: true, none: null, f: 1.5 } },
      { op: 'flush', note: 'a note' },
      { op: 'rebuild', consumer: 'teams' },
    );
  }
  const text = JSON.stringify({ v: 1, scenario: { title: 'warm', steps }, cursor: 0 });
  const idle = globalThis.requestIdleCallback ?? ((fn) => setTimeout(fn, 50));
  const cancel = globalThis.cancelIdleCallback ?? clearTimeout;
  let pending = null;
  const round = (left) => {
    pending = idle(() => {
      pending = null;
      module.checkSession(text, 'link');
      if (left > 1) round(left - 1);
    });
  };
  let start = setTimeout(() => {
    start = null;
    round(rounds);
  }, after);
  return () => {
    if (start !== null) clearTimeout(start);
    if (pending !== null) cancel(pending);
    start = pending = null;
  };
}

/**
 * A session's text (a link) read as engineCheck reads it, with its scenario
 * validated in the same pass: {error} when the text is refused, else
 * {scenarioError}: null, or what scenarioError would say of its scenario.
 */
export function engineCheckSession(module, text, what) {
  const r = JSON.parse(module.checkSession(text, what));
  return r.ok ? { error: null, scenarioError: r.scenario_error ?? null } : { error: r.error, scenarioError: null };
}

/** A value's text checked exactly as a put checks it: null, or the error. */
export function valueError(module, text) {
  const r = JSON.parse(module.checkValue(text));
  return r.ok ? null : r.error;
}

/**
 * Resolves in a task of its own: long engine work (an import, a bulk step,
 * a large flush, a whole-file check) awaits it between slices, so the page
 * draws frames and takes input in between. A timer, not a message: between
 * message tasks Chromium drew no frame for up to 200 ms of an import.
 */
export function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The parts of a put_random step, `part` documents at a time. Each part
 * writes exactly what the whole step writes at those places: it starts at
 * the step's `from` plus what came before, and its keys are the whole
 * step's (they default to the whole count, not the part's). Yields
 * `{ step, written }`, `written` counting the documents up to that part's end.
 * Check the whole step first (bulkCheck): parts of a step over the limits
 * would each be taken.
 */
export function* bulkParts(step, part) {
  const count = Number(step.count);
  for (let done = 0; done < count; done += part) {
    const n = Math.min(part, count - done);
    yield { step: { ...step, count: n, keys: step.keys ?? count, from: (step.from ?? 0) + done }, written: done + n };
  }
}
