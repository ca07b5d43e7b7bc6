// Sessions outside the page: share links, files, and the
// change stream as Debezium-style NDJSON. Everything read back from outside is
// untrusted: it is parsed as JSON, checked, and replayed through the engine;
// it is never evaluated or inserted as HTML.
import { scenarioError } from './engine.js';
import { checkPredictions, checkCompletion } from './completion.js';

export const LINK_VERSION = 1;
// Browser storage slots (store.js): the session on screen (restored on
// reload), and the student's sandbox (kept while they visit lessons).
export const SLOT_CURRENT = 'unbundled.session.v1';
export const SLOT_SANDBOX = 'unbundled.sandbox.v1';
export const MAX_LINK_CHARS = 1_000_000;

function toBase64Url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('it contains characters a share link never has');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

// zlib's 'deflate' format, not 'deflate-raw': its Adler-32 checksum makes an
// edited link fail to decode instead of decoding to a different session.
const FORMAT = 'deflate';

/** Encodes {scenario, cursor, ...} compactly for a URL fragment: zlib deflate + base64url. */
export async function encodeSession(session) {
  const json = JSON.stringify({ v: LINK_VERSION, ...session });
  const packed = await pipe(new TextEncoder().encode(json), new CompressionStream(FORMAT));
  return toBase64Url(packed);
}

/**
 * Decodes a share-link payload into a checked {scenario, cursor}.
 * Throws an Error whose message says what is wrong.
 */
export async function decodeSession(module, text) {
  if (text.length > MAX_LINK_CHARS) throw new Error('it is too long');
  let json;
  try {
    const bytes = await pipe(fromBase64Url(text), new DecompressionStream(FORMAT));
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new Error(e.message.startsWith('it ') ? e.message : 'it is not a compressed session (was it cut short or edited?)');
  }
  let data;
  try {
    data = JSON.parse(json);
  } catch {
    throw new Error('its contents are not valid JSON');
  }
  return checkSession(module, data, 'link');
}

/**
 * Checks a parsed {v, scenario, cursor, lesson?, predictions?, completion?}
 * object. A malformed record of answers (predictions, completion: see
 * completion.js) does not refuse the session: it is left out, and
 * `recordError` names the field.
 */
export function checkSession(module, data, what) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`the ${what} is not a session`);
  if (data.v !== LINK_VERSION) throw new Error(`v: unsupported ${what} version ${JSON.stringify(data.v)}`);
  const error = scenarioError(module, data.scenario);
  if (error) throw new Error(`scenario.${error}`);
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
 * holds the page for long. Resolves to the scenario, its fields checked as
 * parseScenarioFile(..., {steps: false}) checks them; rejects with a clear
 * message. Where workers cannot run, it parses here.
 */
export function readScenarioFile(module, file) {
  let worker;
  try {
    worker = new Worker(new URL('./read-worker.js', import.meta.url), { type: 'module' });
  } catch {
    return file.text().then((text) => parseScenarioFile(module, text, { steps: false }));
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
        const scenario = count === null ? header : { ...header, steps: parts.flat() };
        const outline = count === null ? header : { ...header, steps: [] };
        const error = scenarioError(module, outline);
        if (error) reject(new Error(error));
        else resolve(scenario);
      });
    };
    worker.postMessage(file);
  });
}

/**
 * Parses an imported scenario file's text; throws with a clear message.
 * With `steps: false` only the fields around the steps are checked here
 * (and that steps is an array): the caller checks the steps as it loads
 * them (History.load with `validate`).
 */
export function parseScenarioFile(module, text, { steps = true } = {}) {
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
 * The change stream as newline-delimited JSON in Debezium's envelope. Storage
 * is modelled as one table, documents(key, value), so each row image is
 * {"key": ..., "value": {...}}, as a Debezium connector would emit it.
 */
export function debeziumNdjson(events, tsMs) {
  const row = (key, doc) => (doc === null ? null : { key, value: doc });
  return events.map((e) => JSON.stringify({
    before: row(e.key, e.before),
    after: row(e.key, e.after),
    source: {
      version: 'unbundled-0.1.0', connector: 'unbundled', name: 'unbundled', ts_ms: tsMs,
      snapshot: e.op === 'r' ? 'true' : 'false', db: 'unbundled', table: 'documents', lsn: e.lsn,
    },
    op: e.op,
    ts_ms: tsMs,
  })).join('\n') + (events.length ? '\n' : '');
}

/** Offers `text` as a file download. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
