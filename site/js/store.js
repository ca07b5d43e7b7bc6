// Saved sessions, kept across reloads: an async key-value store over
// IndexedDB (database "unbundled", object store "sessions"), or over
// localStorage where IndexedDB is unavailable. IndexedDB's quota is a share
// of the disk, so a long session fits; localStorage holds about 5 MB.
//
// A session is kept as the JSON text the page has always saved,
// {"v": 1, "scenario", "cursor", "lesson"?, "predictions"?} (in IndexedDB,
// in parts: see writeParts), and checked as
// share.js checks any session from outside when it is read back: a corrupt
// one is discarded and reported, never half-loaded (a malformed record of
// the student's answers is left out and reported, the session kept).
//
// Earlier versions of the page saved into localStorage. Such a save is read
// first and moved into IndexedDB (then removed from localStorage): where
// IndexedDB works this module writes no session to a slot's own key in
// localStorage, so an entry there is newer than what IndexedDB holds for the
// slot. (The one session it may write there, under LEAVING, is the copy kept
// while the page is left: see keepWhileLeaving.)
import { limits, scenarioError } from './engine.js';
import { checkSession, checkBeforeRunning, LINK_VERSION } from './share.js';
import { LOAD_AT_ONCE } from './history.js';
import { checkPredictions } from './completion.js';
import { checkOpened } from './sessions.js';

const DB_NAME = 'unbundled';
const STORE_NAME = 'sessions';

let dbPromise = null;
let noDatabase = false;  // known: IndexedDB is unavailable, localStorage is used
// Slots whose localStorage save could not be moved: removed there by the next
// successful save, which would otherwise be hidden behind it.
const lingering = new Set();
// The text of sessions being saved: the page saves one session object in two
// slots (the session on screen and the sandbox), serialized once.
const texts = new WeakMap();

/** The open database, or null when IndexedDB is unavailable (then localStorage is used). */
function database() {
  dbPromise ??= new Promise((resolve) => {
    let request;
    try {
      request = indexedDB.open(DB_NAME, 1);
    } catch {
      noDatabase = true;
      resolve(null);  // no IndexedDB in this browser, or it is disabled
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(STORE_NAME);
    request.onsuccess = () => {
      const db = request.result;
      // Closed by the browser (site data cleared) or for another tab's
      // upgrade: open it again at the next use.
      db.onclose = () => { dbPromise = null; };
      db.onversionchange = () => { db.close(); dbPromise = null; };
      resolve(db);
    };
    request.onerror = () => { noDatabase = true; resolve(null); };  // e.g. a private window that refuses it
  });
  return dbPromise;
}

/** Starts opening the database, so that the first load() or save() need not wait for it. */
export function open() {
  database();
}

/** Runs fn(objectStore) in one transaction; resolves to its request's result once committed. */
function run(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE_NAME, mode);
    let request;
    try {
      request = fn(tx.objectStore(STORE_NAME));
    } catch (e) {
      try { tx.abort(); } catch { /* already finished */ }
      throw e;
    }
    tx.oncomplete = () => resolve(request.result);
    tx.onabort = () => reject(tx.error ?? request.error ?? new DOMException('the write was cancelled', 'AbortError'));
    // Hand the write to the browser now: a save made while the page is being
    // left (beforeunload, pagehide) must not wait for the end of the task.
    if (mode === 'readwrite') tx.commit?.();
  });
}

function localGet(slot) {
  try {
    return localStorage.getItem(slot);
  } catch {
    return null;  // storage disabled
  }
}

function localRemove(slot) {
  try {
    localStorage.removeItem(slot);
  } catch {
    // nothing to remove
  }
}

/** Why a write failed, in words; names the quota when that is the reason. */
function failure(e, text) {
  if (e?.name === 'QuotaExceededError' || e?.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e?.code === 22) {
    const n = Array.isArray(text) ? text.reduce((k, p) => k + p.length, 0) : text?.length ?? 0;
    const size = n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.ceil(n / 1e3)} KB`;
    return `quota exceeded: the browser's storage for this site is full (this session is ${size})`;
  }
  return `${e?.name || 'Error'}: ${e?.message || String(e)}`;
}

/**
 * The text save() writes for {scenario, cursor, lesson?, predictions?},
 * in parts whose concatenation is that text, given the scenario's parts
 * (History.scenarioParts(), whose whole chunks are cached strings).
 */
export function sessionParts(scenarioParts, cursor, lesson, predictions, opened) {
  let tail = lesson === undefined ? '' : `,"lesson":${JSON.stringify(lesson)}`;
  if (predictions !== undefined) tail += `,"predictions":${JSON.stringify(predictions)}`;
  if (opened !== undefined) tail += `,"opened":${JSON.stringify(opened)}`;
  const parts = scenarioParts.slice();
  parts[0] = `{"v":${JSON.stringify(LINK_VERSION)},"scenario":${parts[0]}`;
  parts[parts.length - 1] += `,"cursor":${JSON.stringify(cursor)}${tail}}`;
  return parts;
}

// In IndexedDB a session is kept in parts: under the slot's own key a head,
// {parts: n, bytes, writer, at} (at: Date.now() when the write began), and
// the text's parts under `${slot}:part:NNNNNN` (0 to n - 1), all written in
// one transaction, so a reload finds either the old session or the new one
// whole. A save writes only the parts that differ
// from what this page last wrote there (in a long session, after one more
// step: the first and the last part), and hands the parts to the browser a
// few at a time, each from the last one's success callback, so a first save
// of a 9 MB session is not one long task. `writer` names the page and the
// write: when another tab wrote the slot since, every part is written again.
// A head that is a string is a session saved whole, by earlier versions of
// the page (and by restoreRaw); it is read as before.
const PART_DIGITS = 6;
const MAX_PARTS = 10 ** PART_DIGITS - 1;
const partKey = (slot, i) => `${slot}:part:${String(i).padStart(PART_DIGITS, '0')}`;
const partsFrom = (slot, i) => IDBKeyRange.bound(partKey(slot, i), partKey(slot, MAX_PARTS));
// What this page last wrote in each slot: {writer, parts}.
const written = new Map();
const PAGE_ID = Math.random().toString(36).slice(2);
let writes = 0;
let unsent = 0;  // writes not yet wholly handed to the browser
let pending = 0;  // writes begun and not yet committed (or failed)
// About this many characters of parts are handed over per task.
const TASK_CHARS = 256 * 1024;

/**
 * Writes `parts` and `place` in `slot`, in one transaction. `now`: hand
 * every part over at once (the page is being left).
 */
function writeParts(db, slot, parts, place, now) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE_NAME, 'readwrite');
    const store = tx.objectStore(STORE_NAME);
    const last = written.get(slot);
    written.delete(slot);  // unknown until this write is done
    const writer = `${PAGE_ID}:${++writes}`;
    const at = Date.now();
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    unsent++;
    pending++;
    let sent = false, over = false;
    const allSent = () => {
      if (!sent) unsent--;
      sent = true;
    };
    const finished = () => {
      allSent();
      if (!over) pending--;
      over = true;
    };
    const fail = (e) => {
      finished();
      try { tx.abort(); } catch { /* already finished */ }
      reject(e);
    };
    tx.oncomplete = () => {
      finished();
      written.set(slot, { writer, parts });
      supersede(slot, at);
      resolve();
    };
    tx.onabort = () => {
      finished();
      reject(tx.error ?? new DOMException('the write was cancelled', 'AbortError'));
    };
    // The head, the place, and the parts that differ from `last` (every part
    // when `same` is false); the parts a few per task unless `now`. Committed
    // once every request is made, which hands the write to the browser.
    const begin = (same) => {
      const todo = parts.map((p, i) => i).filter((i) => !same || last.parts[i] !== parts[i]);
      store.delete(partsFrom(slot, parts.length));
      store.put(place, placeSlot(slot));
      store.put({ parts: parts.length, bytes, writer, at }, slot);
      let k = 0;
      const next = () => {
        try {
          let chars = 0, request = null;
          while (k < todo.length && (now || chars < TASK_CHARS)) {
            const i = todo[k++];
            chars += parts[i].length;
            request = store.put(parts[i], partKey(slot, i));
          }
          if (k < todo.length) {
            request.onsuccess = next;
          } else {
            allSent();
            tx.commit?.();
          }
        } catch (e) {
          fail(e);
        }
      };
      next();
    };
    try {
      if (now || !last) {
        begin(false);  // every part: nothing to compare with, or no time to read
      } else {
        // Whether this page's last write is still what the slot holds: when
        // another tab wrote it since, every part is written again.
        const head = store.get(slot);
        head.onsuccess = () => {
          try {
            begin(typeof head.result === 'object' && head.result?.writer === last.writer);
          } catch (e) {
            fail(e);
          }
        };
      }
    } catch (e) {
      fail(e);
    }
  });
}

/**
 * In a transaction's object store: every record of `slot` (its head, parts
 * and cursor record) replaced by `text`, whole as earlier pages saved it,
 * or removed when `text` is null. Returns the head's request.
 */
function replaceSlot(store, slot, text) {
  store.delete(placeSlot(slot));
  store.delete(partsFrom(slot, 0));
  return text === null ? store.delete(slot) : store.put(text, slot);
}

/**
 * Whether a save has requests not yet handed to the browser (it reads the
 * slot first, or hands its parts over a few at a time): a page being left
 * must save again with `now`, or that write is lost with the page.
 */
export function writesUnsent() {
  return unsent > 0;
}

/** Whether a write has begun and not yet finished (committed or failed). */
export function writesPending() {
  return pending > 0;
}

// Leaving the page. Chromium aborts an IndexedDB write that has not finished
// when the page goes, even one committed in beforeunload, when it waits
// behind another write (measured: 7 of 8 such writes lost). So a session
// not yet wholly written when the page is left is also kept, in the same
// task, in localStorage, whose writes are synchronous: its text under
// LEAVING_TEXT, and {at, slots, forget, writer} under LEAVING (forget: slots
// whose removal, by Reset, is unfinished). The next page moves it into
// IndexedDB before it opens anything (recover), in each slot not written
// since (another tab may have saved there later). A session too large for
// localStorage relies on IndexedDB alone, as before.
const LEAVING = 'unbundled.leaving.v1';
const LEAVING_TEXT = `${LEAVING}:text`;
// localStorage holds about 5 million characters a site.
const LEAVING_MAX = 4_000_000;
// The copy this page kept: {at, slots}, its slots those no write has covered since.
let left = null;

/**
 * Keeps `parts` (the session's text) for `slots`, and that `forget`'s slots
 * are to be removed, in localStorage, at once: the page is being left with
 * a write unfinished. Does nothing when localStorage is the store, or the
 * text does not fit.
 */
export function keepWhileLeaving(slots, parts, forget = []) {
  if (noDatabase) return;  // save() and remove() write localStorage, synchronously, already
  const at = Date.now();
  try {
    if (parts && parts.reduce((n, p) => n + p.length, 0) > LEAVING_MAX) throw new RangeError('too large');
    if (parts) localStorage.setItem(LEAVING_TEXT, parts.join(''));
    else localRemove(LEAVING_TEXT);
    localStorage.setItem(LEAVING, JSON.stringify({ at, slots: parts ? slots : [], forget, writer: PAGE_ID }));
    left = { at, slots: new Set(parts ? slots : []) };
  } catch {
    // too large, or localStorage is full or disabled: IndexedDB alone
    left = null;
    localRemove(LEAVING);
    localRemove(LEAVING_TEXT);
  }
}

/** The copy kept while a page was left, {at, slots, forget, writer}, or null. */
function leaving() {
  const names = (x) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  try {
    const head = JSON.parse(localGet(LEAVING) ?? 'null');
    if (head && Number.isFinite(head.at) && names(head.slots) && names(head.forget)) return head;
  } catch {
    // not JSON: dropped below
  }
  return null;
}

function dropLeaving() {
  left = null;
  localRemove(LEAVING);
  localRemove(LEAVING_TEXT);
}

/** A write to `slot` that began at `at` has been committed: this page's copy is not needed for it. */
function supersede(slot, at) {
  if (!left || at < left.at || !left.slots.delete(slot) || left.slots.size) return;
  if (leaving()?.writer === PAGE_ID) dropLeaving();  // unless another page has written its own since
  left = null;
}

/**
 * Moves the copy a page kept while it was left (keepWhileLeaving) into the
 * store: into each of its slots that was not written after it. Call before
 * load(). A move that fails leaves the copy for the next page. Never throws.
 */
export async function recover() {
  const raw = localGet(LEAVING);
  if (raw === null) return;
  const head = leaving();
  const text = localGet(LEAVING_TEXT);
  if (head === null || (head.slots.length && text === null)) {
    dropLeaving();
    return;
  }
  const db = await database();
  try {
    for (const slot of [...head.slots, ...head.forget]) {
      const keep = head.slots.includes(slot);
      if (!db) {
        if (keep) localStorage.setItem(slot, text);
        else localRemove(slot);
        continue;
      }
      await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE_NAME, 'readwrite');
        const store = tx.objectStore(STORE_NAME);
        const now = store.get(slot);
        now.onsuccess = () => {
          if (Number.isFinite(now.result?.at) && now.result.at > head.at) return;  // saved since
          replaceSlot(store, slot, keep ? text : null);  // the session's own cursor stands
        };
        tx.oncomplete = resolve;
        tx.onabort = () => reject(tx.error);
      });
      written.delete(slot);
    }
  } catch {
    return;  // kept for the next page
  }
  dropLeaving();
}

/**
 * Saves a {scenario, cursor, lesson?} session in `slot`, as `parts` when
 * given (sessionParts() of it; one string is one part). `now`: the page is
 * being left, hand the whole write to the browser in this task. Never
 * throws: resolves to {ok: true} or {ok: false, error}.
 */
export async function save(slot, session, parts = texts.get(session), { now = false } = {}) {
  if (typeof parts === 'string') parts = [parts];
  try {
    if (parts === undefined) texts.set(session, parts = [JSON.stringify({ v: LINK_VERSION, ...session })]);
    else texts.set(session, parts);
    const db = await database();
    if (db) {
      await writeParts(db, slot, parts, placeOf(session), now);
      if (lingering.delete(slot)) localRemove(slot);
    } else {
      localStorage.setItem(slot, parts.join(''));
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, error: failure(e, parts) };
  }
}

/**
 * The text kept in `slot` (joined from its parts), null when there is none,
 * or {bad: why} when its head or parts are not a session's. Remembers what
 * it read as this page's own last write there.
 */
async function readText(db, slot) {
  const [head, parts] = await new Promise((resolve, reject) => {
    const tx = db.transaction(STORE_NAME, 'readonly');
    const store = tx.objectStore(STORE_NAME);
    const out = [null, []];
    const h = store.get(slot);
    h.onsuccess = () => {
      out[0] = h.result ?? null;
      const n = out[0]?.parts;
      if (Number.isInteger(n) && n >= 1 && n <= MAX_PARTS) {
        const all = store.getAll(IDBKeyRange.bound(partKey(slot, 0), partKey(slot, n - 1)));
        all.onsuccess = () => { out[1] = all.result; };
      }
    };
    tx.oncomplete = () => resolve(out);
    tx.onabort = () => reject(tx.error ?? new DOMException('the read was cancelled', 'AbortError'));
  });
  if (head === null || typeof head === 'string') return head;
  const n = head?.parts;
  if (typeof head !== 'object' || !Number.isInteger(n) || n < 1 || n > MAX_PARTS) return { bad: 'its record is not a saved session' };
  if (parts.length !== n) return { bad: `${n - parts.length} of its ${n} parts are missing` };
  if (!parts.every((p) => typeof p === 'string')) return { bad: 'its parts are not text' };
  if (typeof head.writer === 'string') written.set(slot, { writer: head.writer, parts });
  return parts.join('');
}

// Where a saved session's reader is, and the student's answers to its
// predictions: kept beside it under its own key, so that moving through a
// long history, or answering, writes a few bytes, not the session. It
// applies to the session whose number of steps it names.
const placeSlot = (slot) => `${slot}:cursor`;
function placeOf(session) {
  const place = { cursor: session.cursor, steps: session.scenario.steps.length };
  if (session.predictions !== undefined) place.predictions = session.predictions;
  return place;
}

/**
 * Saves only the cursor and the predictions of `session`, whose steps (and
 * lesson) are those last saved in `slot` by save(). Without IndexedDB it
 * saves the whole session, as textOf() gives it. Resolves like save().
 */
export async function saveCursor(slot, session, textOf) {
  const db = await database();
  if (!db) return save(slot, session, textOf());
  pending++;
  try {
    await run(db, 'readwrite', (store) => store.put(placeOf(session), placeSlot(slot)));
    return { ok: true };
  } catch (e) {
    return { ok: false, error: failure(e) };
  } finally {
    pending--;
  }
}

/**
 * Whether `text` takes more than `max` bytes in UTF-8, counted as
 * TextEncoder would write it (an unpaired surrogate as U+FFFD, 3 bytes)
 * without writing it: encoding a 100,000-step session (8 MB) to measure it
 * took 130 ms of the page's thread on a reload.
 */
function utf8Over(text, max) {
  let n = 0;
  for (let i = 0; i < text.length && n <= max; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n > max;
}

/**
 * The session saved in `slot`, checked against the engine `module`, or null
 * if there is none. A corrupt one is discarded (only that slot) and the
 * promise rejects with an Error saying what is wrong. If the store itself
 * cannot be read, it rejects with an Error whose `kept` is true: the saved
 * session is left as it is.
 */
export async function load(slot, module) {
  const db = await database();
  let text = localGet(slot);
  const legacy = db !== null && text !== null;
  if (text === null && db) {
    try {
      text = await readText(db, slot);
    } catch (e) {
      throw Object.assign(new Error(`the browser's storage could not be read: ${e?.message || e}`), { kept: true });
    }
  }
  if (text === null) return null;
  let session;
  try {
    if (text?.bad) throw new Error(text.bad);
    if (typeof text !== 'string') throw new Error('it is not text');
    // The same size limit as an imported file, before parsing. The page
    // never saves a larger one (it could not be exported or imported).
    const max = limits(module).json_bytes;
    if (text.length > max || (text.length * 3 > max && utf8Over(text, max))) {
      throw new Error(`it is larger than ${Math.round(max / (1024 * 1024))} MB, the limit for a session's JSON`);
    }
    // Where a session opened from outside came from (sessions.js) is the
    // store's own field: checked here, not by checkSession.
    const data = JSON.parse(text);
    let opened;
    if (data && typeof data === 'object' && 'opened' in data) {
      opened = checkOpened(data.opened);
      delete data.opened;
    }
    // A long session's steps are checked as the page replays them, a slice
    // at a time (History.load with `check`; `checkSteps` says so), as an
    // import's are: checked whole here, 100,000 steps held the page 440 ms.
    // Only its fields around the steps are checked now, and, when its steps
    // may add to its work or outnumber a session's, the whole of it in slices.
    const steps = data?.scenario?.steps;
    const long = Array.isArray(steps) && steps.length > LOAD_AT_ONCE;
    session = checkSession(module, data, 'saved session', long ? scenarioError(module, { ...data.scenario, steps: [] }) : undefined);
    if (long) {
      await checkBeforeRunning(module, session.scenario);
      session.checkSteps = true;
    }
    if (opened) session.opened = opened;
  } catch (e) {
    await remove(slot);
    throw e;
  }
  if (db && !legacy) {
    // A cursor saved since: used when it belongs to these steps (anything
    // else about it is ignored, as the session itself is whole). So are the
    // answers saved with it; malformed ones are left out and reported.
    let place = null;
    try {
      place = await run(db, 'readonly', (store) => store.get(placeSlot(slot)));
    } catch {
      // the session's own cursor stands
    }
    const n = session.scenario.steps.length;
    if (place?.steps === n && Number.isInteger(place.cursor) && place.cursor >= 0 && place.cursor <= n) {
      session.cursor = place.cursor;
      if ('predictions' in place) {
        delete session.predictions;
        delete session.recordError;
        try {
          session.predictions = checkPredictions(place.predictions, session.scenario.steps);
        } catch (e) {
          session.recordError = e.message;
        }
      }
    }
  }
  if (legacy) {
    // Moved to IndexedDB; kept in localStorage if that fails.
    lingering.add(slot);
    const { recordError, completion, ...kept } = session;
    await save(slot, kept);
  }
  return session;
}

/** Forgets the session saved in `slot`, wherever it is. */
export async function remove(slot) {
  lingering.delete(slot);
  written.delete(slot);
  localRemove(slot);
  forgetLeaving(slot);
  const db = await database();
  if (!db) return;
  try {
    await run(db, 'readwrite', (store) => replaceSlot(store, slot, null));
  } catch {
    // nothing more to do: a failed delete leaves the old session
  }
}

/**
 * Takes `slot` out of the copy kept while a page was left, if it is in it:
 * the slot has been removed or restored since.
 */
function forgetLeaving(slot) {
  left?.slots.delete(slot);
  const head = leaving();
  if (!head?.slots.includes(slot) && !head?.forget.includes(slot)) return;
  const slots = head.slots.filter((s) => s !== slot);
  const forget = head.forget.filter((s) => s !== slot);
  try {
    if (!slots.length && !forget.length) dropLeaving();
    else localStorage.setItem(LEAVING, JSON.stringify({ ...head, slots, forget }));
  } catch {
    dropLeaving();  // localStorage refused the smaller record: none, rather than one naming this slot
  }
}

/**
 * The raw records of `slot` (the session's text and its cursor record), to
 * be put back by restoreRaw(): Reset keeps them until its undo is no longer
 * offered. Resolves to {text, place} (each null when absent).
 */
export async function exportRaw(slot) {
  const local = localGet(slot);
  const db = await database();
  if (!db || local !== null) return { text: local, place: null, local: true };
  try {
    const [text, place] = await Promise.all([
      readText(db, slot),
      run(db, 'readonly', (store) => store.get(placeSlot(slot))),
    ]);
    return { text: typeof text === 'string' ? text : null, place: place ?? null, local: false };
  } catch {
    return { text: null, place: null, local: false };
  }
}

/** Puts back what exportRaw() read from `slot` (nothing, if it held nothing). */
export async function restoreRaw(slot, raw) {
  if (raw.text === null) return;
  forgetLeaving(slot);
  const db = await database();
  try {
    if (!db || raw.local) {
      localStorage.setItem(slot, raw.text);
      return;
    }
    written.delete(slot);
    await run(db, 'readwrite', (store) => {
      const request = replaceSlot(store, slot, raw.text);
      if (raw.place !== null) store.put(raw.place, placeSlot(slot));
      return request;
    });
  } catch {
    // the undo brings the session back on screen; its next save writes it
  }
}
