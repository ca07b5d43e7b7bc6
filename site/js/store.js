// Saved sessions, kept across reloads: an async key-value store over
// IndexedDB (database "unbundled", object store "sessions"), or over
// localStorage where IndexedDB is unavailable. IndexedDB's quota is a share
// of the disk, so a long session fits; localStorage holds about 5 MB.
//
// A session is kept as the JSON text the page has always saved,
// {"v": 1, "scenario", "cursor", "lesson"?, "predictions"?}, and checked as
// share.js checks any session from outside when it is read back: a corrupt
// one is discarded and reported, never half-loaded (a malformed record of
// the student's answers is left out and reported, the session kept).
//
// Earlier versions of the page saved into localStorage. Such a save is read
// first and moved into IndexedDB (then removed from localStorage): where
// IndexedDB works this module writes nothing to localStorage, so an entry
// there is newer than what IndexedDB holds for the slot.
import { limits } from './engine.js';
import { checkSession, LINK_VERSION } from './share.js';
import { checkPredictions } from './completion.js';
import { checkOpened } from './sessions.js';

const DB_NAME = 'unbundled';
const STORE_NAME = 'sessions';

let dbPromise = null;
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
    request.onerror = () => resolve(null);  // e.g. a private window that refuses it
  });
  return dbPromise;
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
    const n = text?.length ?? 0;
    const size = n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.ceil(n / 1e3)} KB`;
    return `quota exceeded: the browser's storage for this site is full (this session is ${size})`;
  }
  return `${e?.name || 'Error'}: ${e?.message || String(e)}`;
}

/**
 * The text save() writes for {scenario, cursor, lesson?, predictions?},
 * given the scenario's JSON text (History.scenarioText(), which caches it).
 */
export function sessionText(scenarioText, cursor, lesson, predictions, opened) {
  let tail = lesson === undefined ? '' : `,"lesson":${JSON.stringify(lesson)}`;
  if (predictions !== undefined) tail += `,"predictions":${JSON.stringify(predictions)}`;
  if (opened !== undefined) tail += `,"opened":${JSON.stringify(opened)}`;
  return `{"v":${JSON.stringify(LINK_VERSION)},"scenario":${scenarioText},"cursor":${JSON.stringify(cursor)}${tail}}`;
}

/**
 * Saves a {scenario, cursor, lesson?} session in `slot`, as `text` when
 * given (sessionText() of it). Never throws: resolves to {ok: true} or
 * {ok: false, error}.
 */
export async function save(slot, session, text = texts.get(session)) {
  try {
    if (text === undefined) texts.set(session, text = JSON.stringify({ v: LINK_VERSION, ...session }));
    else texts.set(session, text);
    const db = await database();
    if (db) {
      await run(db, 'readwrite', (store) => {
        store.put(placeOf(session), placeSlot(slot));
        return store.put(text, slot);
      });
      if (lingering.delete(slot)) localRemove(slot);
    } else {
      localStorage.setItem(slot, text);
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, error: failure(e, text) };
  }
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
  try {
    await run(db, 'readwrite', (store) => store.put(placeOf(session), placeSlot(slot)));
    return { ok: true };
  } catch (e) {
    return { ok: false, error: failure(e) };
  }
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
      text = (await run(db, 'readonly', (store) => store.get(slot))) ?? null;
    } catch (e) {
      throw Object.assign(new Error(`the browser's storage could not be read: ${e?.message || e}`), { kept: true });
    }
  }
  if (text === null) return null;
  let session;
  try {
    if (typeof text !== 'string') throw new Error('it is not text');
    // The same size limit as an imported file, before parsing. The page
    // never saves a larger one (it could not be exported or imported).
    const max = limits(module).json_bytes;
    if (text.length > max || (text.length * 3 > max && new TextEncoder().encode(text).length > max)) {
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
    session = checkSession(module, data, 'saved session');
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
  localRemove(slot);
  const db = await database();
  if (!db) return;
  try {
    await run(db, 'readwrite', (store) => {
      store.delete(placeSlot(slot));
      return store.delete(slot);
    });
  } catch {
    // nothing more to do: a failed delete leaves the old session
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
      run(db, 'readonly', (store) => store.get(slot)),
      run(db, 'readonly', (store) => store.get(placeSlot(slot))),
    ]);
    return { text: text ?? null, place: place ?? null, local: false };
  } catch {
    return { text: null, place: null, local: false };
  }
}

/** Puts back what exportRaw() read from `slot` (nothing, if it held nothing). */
export async function restoreRaw(slot, raw) {
  if (raw.text === null) return;
  const db = await database();
  try {
    if (!db || raw.local) {
      localStorage.setItem(slot, raw.text);
      return;
    }
    await run(db, 'readwrite', (store) => {
      if (raw.place !== null) store.put(raw.place, placeSlot(slot));
      return store.put(raw.text, slot);
    });
  } catch {
    // the undo brings the session back on screen; its next save writes it
  }
}
