// Sessions outside the page: share links and files (the change stream as
// Debezium NDJSON is the engine's: core/interop). Everything read back from outside is
// untrusted: it is parsed as JSON, checked, and replayed through the engine;
// it is never evaluated or inserted as HTML.
import { scenarioError, limits, engineCheck, engineCheckSession, nextTask, bulkParts, bulkCheck } from './engine.js';
import { checkPredictions, checkCompletion } from './completion.js';
import { grouped } from './dom.js';

export const LINK_VERSION = 1;
// Browser storage slots (store.js): the session on screen (restored on
// reload), and the student's sandbox (kept while they visit lessons).
export const SLOT_CURRENT = 'unbundled.session.v1';
export const SLOT_SANDBOX = 'unbundled.sandbox.v1';
export const MAX_LINK_CHARS = 1_000_000;
// The fields a session (a link, a saved session) may have: like a step's,
// an unknown one is refused, so that nothing rides along unread.
const SESSION_FIELDS = ['v', 'scenario', 'cursor', 'lesson', 'predictions', 'completion'];

const MIB = 1024 * 1024;
const size = (bytes) => (bytes >= MIB ? `${Math.round(bytes / MIB)} MiB` : `${Math.round(bytes / 1024)} KiB`);

function toBase64Url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('it contains characters a share link never has');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  // A plain loop: Uint8Array.from with a mapping function took 0.5 s for a
  // 500 KB link here.
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/**
 * Inflates `bytes` a chunk at a time, counting, and stops at `max` bytes: a
 * small link that inflates to gigabytes (a decompression bomb) is refused
 * as soon as it passes the limit, without ever holding more.
 */
async function inflate(bytes, max) {
  // The compressed bytes go in 1 KiB at a time, as the output is read: the
  // decompressor inflates each input chunk whole (deflate inflates at most
  // 1032 times), so one big chunk would be inflated to gigabytes before any
  // of it could be counted.
  let at = 0;
  const input = new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) controller.close();
      else controller.enqueue(bytes.subarray(at, at += 1024));
    },
  }, { highWaterMark: 0 });
  const reader = input.pipeThrough(new DecompressionStream(FORMAT)).getReader();
  const parts = [];
  let total = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      throw new Error('it is not a compressed session (was it cut short or edited?)');
    }
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > max) {
      reader.cancel().catch(() => {});
      throw new Error(`it holds more than ${size(max)} of session text, the limit for a link (a longer session travels as an exported file)`);
    }
    parts.push(chunk.value);
  }
  const out = new Uint8Array(total);
  let to = 0;
  for (const part of parts) { out.set(part, to); to += part.length; }
  return out;
}

// zlib's 'deflate' format, not 'deflate-raw': its Adler-32 checksum makes an
// edited link fail to decode instead of decoding to a different session.
const FORMAT = 'deflate';

/**
 * Encodes {scenario, cursor, ...} compactly for a URL fragment: zlib deflate
 * + base64url. Given the module, a session over the engine's link limit is
 * refused with a message (it would be refused when opened).
 */
export async function encodeSession(session, module = null) {
  const json = JSON.stringify({ v: LINK_VERSION, ...session });
  const max = module ? limits(module).link_bytes : Infinity;
  if (json.length > max) {
    throw new Error(`This session is ${size(json.length)} of text, more than a link holds (${size(max)}): export it as a file to share it.`);
  }
  const packed = await pipe(new TextEncoder().encode(json), new CompressionStream(FORMAT));
  return toBase64Url(packed);
}

/**
 * Decodes a share-link payload into a checked {scenario, cursor}.
 * Throws an Error whose message says what is wrong.
 */
export async function decodeSession(module, text) {
  if (text.length > MAX_LINK_CHARS) {
    throw new Error(`it is ${grouped(text.length)} characters long; a share link may have at most ${grouped(MAX_LINK_CHARS)}`);
  }
  let json;
  try {
    const bytes = await inflate(fromBase64Url(text), limits(module).link_bytes);
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new Error(e.message.startsWith('it ') ? e.message : 'it is not a compressed session (was it cut short or edited?)');
  }
  // The engine reads the text first, under its limits (nesting, names,
  // integers): nothing too deep for JavaScript's own recursion gets parsed.
  // It validates the scenario in the same pass (one parse, not two).
  const { error, scenarioError: checked } = engineCheckSession(module, json, 'link');
  if (error) throw new Error(error);
  let data;
  try {
    data = JSON.parse(json);
  } catch {
    throw new Error('its contents are not valid JSON');
  }
  return checkSession(module, data, 'link', checked);
}

/**
 * Checks a parsed {v, scenario, cursor, lesson?, predictions?, completion?}
 * object. A malformed record of answers (predictions, completion: see
 * completion.js) does not refuse the session: it is left out, and
 * `recordError` names the field. `checked`: what engineCheckSession already
 * said of its scenario (null: valid), if it read the text.
 */
export function checkSession(module, data, what, checked = undefined) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`the ${what} is not a session`);
  for (const field of Object.keys(data)) {
    if (!SESSION_FIELDS.includes(field)) {
      throw new Error(`${field.length > 40 ? `${field.slice(0, 40)}…` : field}: unknown field (a ${what} holds ${SESSION_FIELDS.join(', ')})`);
    }
  }
  if (data.v !== LINK_VERSION) throw new Error(`v: unsupported ${what} version ${JSON.stringify(data.v)?.slice(0, 40)}`);
  if (!('scenario' in data)) throw new Error(`scenario: missing (a ${what} holds a scenario and a cursor)`);
  if ('lesson' in data && (typeof data.lesson !== 'string' || data.lesson.length > limits(module).title_bytes)) {
    throw new Error(`lesson: must be a lesson's name, at most ${limits(module).title_bytes} characters`);
  }
  const error = checked === undefined ? scenarioError(module, data.scenario) : checked;
  // The engine's errors name a place inside the scenario ("steps[3].op: …"),
  // or the scenario itself ("scenario: …"), which is not named twice.
  if (error) throw new Error(error.startsWith('scenario') ? error : `scenario.${error}`);
  const n = data.scenario.steps.length;
  if (!Number.isInteger(data.cursor) || data.cursor < 0 || data.cursor > n) {
    throw new Error(`cursor: must be a whole number from 0 to ${n}`);
  }
  const out = { scenario: data.scenario, cursor: data.cursor };
  if (typeof data.lesson === 'string') out.lesson = data.lesson;
  // A completion link is one with claims, even claims that cannot be read:
  // the page then shows its summary, saying what is wrong.
  if ('completion' in data) out.completion = null;
  try {
    if ('predictions' in data) out.predictions = checkPredictions(data.predictions, data.scenario.steps);
    if ('completion' in data) out.completion = checkCompletion(data.completion);
  } catch (e) {
    delete out.predictions;
    out.recordError = e.message;
  }
  return out;
}

/**
 * Reads an imported scenario file: its text and JSON are parsed on a worker
 * (read-worker.js) and the steps come back in parts, so a long file never
 * holds the page for long. Resolves to the scenario, its fields around the
 * steps checked as parseScenarioFile(..., {steps: false}) checks them;
 * rejects with a clear message. The steps are checked as they are loaded
 * (History.load with `check`), each slice in the engine call that replays
 * it; but when a step's op may add to the session's work (a rebuild, a
 * snapshot, a recovery: Module.meteredOps()), or there are more steps than
 * a session may have, the whole scenario is checked first, so that a file
 * over the work or length limit is refused before it runs, not after
 * running up to the limit. Where workers cannot run, it parses here.
 */
export function readScenarioFile(module, file) {
  const max = limits(module).json_bytes;
  if (file.size > max) {
    return Promise.reject(new Error(`the file is ${size(file.size)}; a scenario file may have at most ${size(max)}`));
  }
  const checked = (scenario) => checkBeforeRunning(module, scenario).then(() => scenario);
  let worker;
  try {
    // A page opened from disk (the offline page) may not start a worker
    // from a file: it reads the file here.
    if (globalThis.location?.protocol === 'file:') throw new Error('no workers from file://');
    worker = new Worker(new URL('./read-worker.js', import.meta.url), { type: 'module' });
  } catch {
    return file.text().then((text) => checked(parseScenarioFile(module, text, { steps: false })));
  }
  return new Promise((resolve, reject) => {
    let header = null, count = null;
    const parts = [];
    const finish = (fn) => { worker.terminate(); fn(); };
    worker.onerror = (e) => finish(() => reject(new Error(`the file could not be read (${e.message || 'worker failed'})`)));
    worker.onmessage = ({ data }) => {
      if (data.error) return finish(() => reject(new Error(data.error)));
      if ('header' in data) { header = data.header; count = data.count; return undefined; }
      if (data.steps) { parts.push(data.steps); return undefined; }
      return finish(() => {
        // Not an object with a steps array: the check says what it is.
        const scenario = count === null ? header : { ...header, steps: [] };
        const error = scenarioError(module, scenario);
        if (error) return reject(new Error(error));
        return count === null ? resolve(header) : checked({ ...header, steps: parts.flat() }).then(resolve, reject);
      });
    };
    worker.postMessage({ file, maxDepth: limits(module).json_depth, valueDepth: limits(module).value_depth });
  });
}

/**
 * A scenario whose steps are to be checked as they are replayed (History.load
 * with `check`): checked whole first, in slices, when a step's op may add to
 * the session's work (a rebuild, a snapshot, a recovery: Module.meteredOps())
 * or there are more steps than a session may have, so that it is refused
 * before it runs, not after running up to the limit. Rejects with the error.
 */
export async function checkBeforeRunning(module, scenario) {
  const metered = new Set(JSON.parse(module.meteredOps()));
  const steps = scenario?.steps;
  if (Array.isArray(steps) && (steps.length > limits(module).session_steps || steps.some((step) => metered.has(step?.op)))) {
    await checkScenario(module, scenario);
  }
}

/**
 * Checks a whole scenario as scenarioError does (its fields, each step, the
 * session's length and work), its steps in slices of about `sliceMs`,
 * yielding between slices: at 100,000 steps one check was a task of
 * 300-650 ms. The batch of steps per engine call starts small and grows
 * while it stays quick, as the replay's do (history.js load), so a slice's
 * length does not depend on how fast the engine's code runs yet: V8
 * optimizes it only after it has run a while. Rejects with the error
 * scenarioError would give.
 */
async function checkScenario(module, scenario, { sliceMs = 20, whole: wholeUpTo = 200 } = {}) {
  const steps = scenario?.steps;
  const whole = () => {
    const error = scenarioError(module, scenario);
    if (error) throw new Error(error);
  };
  if (!Array.isArray(steps) || steps.length <= wholeUpTo) return whole();
  const outline = scenarioError(module, { ...scenario, steps: [] });
  if (outline) throw new Error(outline);
  const check = new module.ScenarioCheck();
  try {
    let i = 0, batch = 100;
    while (i < steps.length) {
      await nextTask();
      const start = performance.now();
      while (i < steps.length && performance.now() - start < sliceMs) {
        const t0 = performance.now();
        const r = JSON.parse(check.add(JSON.stringify(steps.slice(i, i + batch)), i));
        // A slice whose text is refused (a field name over the limit) names a
        // place in the slice: the whole check names it in the scenario.
        if (r.unread) whole();
        if (!r.ok) throw new Error(r.error);
        i += batch;
        const ms = performance.now() - t0;
        batch = Math.max(50, Math.min(4000, Math.round(batch * (ms < sliceMs / 4 ? 2 : ms > sliceMs ? 0.5 : 1))));
        // Another batch like this one would run past the slice: yield now.
        if (performance.now() - start + ms > sliceMs) break;
      }
    }
  } finally {
    check.delete();
  }
  return undefined;
}

/**
 * Parses an imported scenario file's text; throws with a clear message.
 * With `steps: false` only the fields around the steps are checked here
 * (and that steps is an array): the caller checks the steps as it loads
 * them (History.load with `check`).
 */
export function parseScenarioFile(module, text, { steps = true } = {}) {
  const checked = engineCheck(module, text, 'file');
  if (checked) throw new Error(checked);
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${e.message})`);
  }
  const outline = steps || data === null || typeof data !== 'object' || !Array.isArray(data.steps) ? data : { ...data, steps: [] };
  const error = scenarioError(module, outline);
  if (error) throw new Error(error);
  return data;
}

/**
 * The change stream of a session's first `cursor` steps as Debezium NDJSON,
 * as `unbundled export --to debezium` writes it, made a part at a time on a
 * simulator of its own (Module.DebeziumExport), yielding to the page about
 * every `sliceMs`: the steps `slice` at a time, a bulk step by `part`
 * documents and a flush by `part` events (as the page takes them), then the
 * lines `lines` events at a time. `onProgress(what, done, total)`, what: 'step' or 'event'. Resolves
 * to the text as Blobs (in order), or null when `signal` aborted; throws
 * with the engine's error.
 */
export async function changeStreamParts(module, scenario, cursor, onProgress, signal,
  { slice = 2000, part = 5000, lines = 2000, sliceMs = 20 } = {}) {
  const { steps, ...header } = scenario;
  const ex = new module.DebeziumExport();
  const ok = (text) => {
    const r = JSON.parse(text);
    if (r === null || !r.ok) throw new Error(r?.error ?? 'out of memory');
    return r;
  };
  // A step whose result is refused is taken as `unbundled run` takes it:
  // it changes nothing. Only a malformed step or memory stops the export.
  const take = (step, i) => {
    const r = JSON.parse(ex.take(JSON.stringify(step), i));
    if (r === null || r.out_of_memory || r.malformed) throw new Error(r?.error ?? 'out of memory');
    return r;
  };
  // A bulk step the engine would take whole (bulkCheck) goes by parts of
  // its documents (bulkParts).
  const heavy = (s) => (s.op === 'put_random' && Number.isInteger(s.count) && s.count > part && bulkCheck(module, s).ok)
    || (s.op === 'flush' && s.limit === undefined);
  // The page is given a task between slices of about sliceMs (with the
  // progress so far), not after each call: a flush every 100 steps made
  // 2,000 calls of 100,000 steps, and yielding after each took 11.5 s.
  let since = performance.now();
  const yielded = async (i) => {
    if (performance.now() - since < sliceMs) return false;
    onProgress?.('step', i, cursor);
    await nextTask();
    since = performance.now();
    return signal?.aborted;
  };
  try {
    ok(ex.begin(JSON.stringify(header)));
    for (let i = 0; i < cursor;) {
      if (signal?.aborted) return null;
      const step = steps[i];
      if (heavy(step) && step.op === 'put_random') {
        for (const { step: one } of bulkParts(step, part)) {
          const r = take(one, i);
          if (!r.ok) break;  // refused whole, as the page refuses it
          if (await yielded(i)) return null;
        }
        i++;
      } else if (heavy(step)) {
        for (let r = take({ ...step, limit: part }, i); r.ok && r.more; r = take({ ...step, limit: part }, i)) {
          if (await yielded(i)) return null;
        }
        i++;
      } else {
        let j = i;
        while (j < cursor && j - i < slice && !heavy(steps[j])) j++;
        ok(ex.apply(JSON.stringify(steps.slice(i, j)), i));
        i = j;
      }
      if (await yielded(i)) return null;
    }
    onProgress?.('step', cursor, cursor);
    const out = [];
    const encoder = new TextEncoder();
    const total = ex.count();
    for (let start = 0; start < total; start += lines) {
      if (signal?.aborted) return null;
      const text = ex.lines(start, lines);
      if (text === '\0') throw new Error('out of memory');
      // As bytes, a Blob a window: a Blob made of tens of MB of strings
      // encodes and copies them all in one task (1.5 s at 97 MB), and one
      // of 32 windows' bytes (17 MB) took 100 ms; a window's bytes take a
      // few ms, and the download's Blob of Blobs none.
      out.push(new Blob([encoder.encode(text)]));
      onProgress?.('event', Math.min(total, start + lines), total);
      await nextTask();
    }
    return out;
  } finally {
    ex.delete();
  }
}

/** Offers `text` (a string, or an array of strings or Blobs in order) as a file download. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob(Array.isArray(text) ? text : [text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
