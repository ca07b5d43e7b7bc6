// Wiring: every user action has the same shape. Take the action on the
// history (which forks it if we had stepped back), then re-render.
import { loadModule, Simulator, valueError, warmReaders, nextTask, scenarioError, limits, TOTALS_ONLY } from './engine.js';
import { History, scenarioText, loadsInSlices, BULK_PART, FLUSH_PART } from './history.js';
import { h, fill, grouped, plural } from './dom.js';
import {
  renderLog, renderStorage, renderStream, renderConsumers, renderClients, pretty, QUERY_FIELD, resetColours, touched, applyScrolls, keepLogView, keepLogPlace, keepRowsPlace, stateScroller, followLogDetail, followStorageDetail,
  discardScrolls, warmFonts, covers, retention, pinningConsumers, namesPhrase, concealment, conceal, concealed, masked, LOG_WINDOW, STREAM_WINDOW, STORAGE_ROWS, STATE_ROWS, STREAM_ROW_PX, STORAGE_ROW_PX, STATE_ROW_PX,
} from './render.js';
import { describeStep, describeRecovery, lsnList } from './steps.js';
import { renderRecord } from './bytes.js';
import {
  encodeSession, decodeSession, readScenarioFile, parseScenarioFile, download, changeStreamParts, SLOT_CURRENT, SLOT_SANDBOX,
} from './share.js';
import * as store from './store.js';
import { recordLags, renderOperator } from './operator.js';
import {
  SLOT_OPENED, shownRecord, markOwnShown, markOpenedShown, clearShown, restoreShown, narrated, renderSessionBanner, renderRefusals,
} from './sessions.js';
import {
  sameJson, outcome, rightFirstTime, predictionRecord, summarize, scoreText, renderSummary, MAX_STUDENT_CHARS,
} from './completion.js';
import { openLabSheet, closeLabSheet } from './labsheet.js';

const $ = (id) => document.getElementById(id);

const SANDBOX = {
  title: 'Sandbox',
  consumers: [
    { name: 'users_by_city', type: 'secondary_index', field: 'city' },
    { name: 'city_stats', type: 'materialized_view', group_by: 'city', sum: 'age' },
  ],
  steps: [],
};

const page = {
  module: null,
  history: null,
  lesson: null,        // {file, title, description, steps} while a lesson is open
  leftLessonAt: null,  // the step at which the student left the lesson's script
  fork: null,          // {at, discarded} after the last fork
  playing: null,       // interval id
  consumerErrors: Object.create(null),  // by consumer name (user text, so no prototype): {text, cancelled}
  embed: false,
  busy: false,         // long work in slices is running (withProgress)
  idle: Promise.resolve(),  // resolves when it ends
  lessons: [],
  ops: {},             // the engine's op table by name: {fields, needs_database, summary, result}
  recordLsn: null,     // the log entry whose bytes are shown, if any
  holdSave: false,     // after a damaged link: keep the saved work until the student acts
  scrollsInFrame: false,  // the next drawing scrolls its panels in the next frame (renderPage)
  stopWarming: () => {},  // stops engine.js warmReaders
  // Where the session on screen came from, if from outside (a share or
  // completion link, an imported file, a lesson file): {from, name?}. Such
  // a session is saved in a slot of its own, never over the student's work.
  opened: null,
  undoReset: null,     // what Reset replaced, while "Undo reset" is offered
  // The windows drawn: null follows the newest entries and events (or what
  // the current step touched); numbers are where the student paged to.
  win: { wal: null, events: null, storage: 0, rows: Object.create(null), at: null },  // rows: by consumer name
  focusLsn: null,
  showRemoved: false,  // the log strip lists the entries retention removed too (view's wal.full)
  // The student's answers to predict steps, by step object (the same objects
  // as the history's steps, so Back and forward, a fork undone or a return
  // to the lesson keep them): {step: its number, answers: [values in order],
  // revealed, actual: the engine's value}. An entry is made when the student
  // reaches the step. Saved and shared by step number (completion.js).
  predictions: new Map(),
  answers: 0,          // counts changes to the answers (saving compares it)
  completionLink: { key: null, url: null },  // the completion link made for the current answers
};

// A window of the log as the strip lists it: with the removed entries when
// they are shown (their places count in the window and in `located`).
const walWindow = (w) => (page.showRemoved ? { ...w, full: true } : w);

// ---------------------------------------------------------------- notices

function notice(text, kind = 'info') {
  const el = h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, text),
    h('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss', onclick: () => el.remove() }, '×'));
  $('notices').append(el);
}

function clearErrors() {
  for (const id of ['write-error', 'flush-error', 'consumer-error', 'import-error', 'failure-error', 'retention-error', 'bytes-error', 'bulk-error', 'clients-error', 'storage-error']) {
    $(id).textContent = '';
    $(id).classList.remove('cancelled');
  }
  page.consumerErrors = Object.create(null);
  for (const id of ['truncate-before', 'compact-upto', 'compact-tombstones', 'bulk-count', 'bulk-keys']) $(id).removeAttribute('aria-invalid');
}

// ---------------------------------------------------------------- sessions

function clearNotices() {
  $('notices').replaceChildren();
  dropUndoReset();
}

function openSession(scenario, cursor, lesson = null, loaded = null, opened = null) {
  hideSummary();
  closeLabSheet({ focus: false });
  page.win = { wal: null, events: null, storage: 0, rows: Object.create(null), at: null };
  page.showRemoved = false;
  page.fresh = null;
  page.full = null;
  document.getElementById('out-of-memory')?.remove();
  stopPlaying();
  flushSave(true);  // the session being replaced, if a save of it is still due
  page.opened = opened;
  // An opened session is recorded as shown once it is saved (flushSave).
  if (!opened && !page.embed) markOwnShown();
  $('share-box').hidden = true;
  page.history?.dispose();
  page.history = loaded ?? new History(page.module, scenario);
  page.history.loadSync();  // a long saved session that was not loaded in slices
  resetColours();
  page.history.goTo(cursor ?? page.history.steps.length);
  // Answers to predictions this session still has (returning to a lesson
  // keeps them; another session starts a new score).
  if (page.predictions.size) {
    const kept = new Set(page.history.steps);
    for (const step of page.predictions.keys()) if (!kept.has(step)) page.predictions.delete(step);
    page.answers++;
  }
  page.lesson = lesson;
  page.leftLessonAt = null;
  page.fork = null;
  page.recordLsn = null;
  clearErrors();
  $('get-result').textContent = '';
  renderPicker();
  // Offer the session's own kind of document in the write form.
  const example = scenario.steps.find((s) => s.op === 'put' && typeof s.key === 'string');
  $('key').value = example ? example.key : 'u1';
  $('value').value = example ? pretty(example.value) : '{"name": "Ada Lovelace", "city": "London", "age": 36}';
  checkValue();
  render();
}

async function fetchJson(url) {
  // The offline page carries the lessons inline (wasm/offline.mjs).
  const offline = offlineFiles();
  if (offline) {
    if (!Object.hasOwn(offline, url)) throw new Error(`${url}: not in the offline page`);
    return structuredClone(offline[url]);
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

let offlineFilesCache;
/** The files the offline page carries ({path: JSON}), or null on the served site. */
function offlineFiles() {
  if (offlineFilesCache === undefined) {
    const block = document.getElementById('offline-files');
    offlineFilesCache = block ? JSON.parse(block.textContent) : null;
  }
  return offlineFilesCache;
}

/**
 * The lesson a link or a saved session names: by its file name (with or
 * without `.json`), or else by that name without its number, so a link made
 * before the lessons were renumbered (`02-lagging-index-stale-reads`) still
 * finds its lesson (`03-lagging-index-stale-reads.json`).
 */
function findLesson(lessons, name) {
  if (typeof name !== 'string') return undefined;
  const slug = (file) => file.replace(/\.json$/, '').replace(/^\d+-/, '');
  return lessons.find((l) => l.file === name || l.file === `${name}.json`)
    ?? lessons.find((l) => slug(l.file) === slug(name));
}

async function openLesson(file, step = 0, scenario = null, opened = null) {
  const entry = findLesson(page.lessons, file);
  if (!entry) throw new Error(`lesson: no lesson named '${file}'`);
  scenario ??= await fetchJson(`lessons/${entry.file}`);
  openSession(scenario, Math.min(step, scenario.steps.length),
    { file: entry.file, title: scenario.title, description: scenario.description ?? '', scenario }, null, opened);
}

// The largest lesson file ?lesson= fetches (a lesson is a few KB).
const MAX_LESSON_FILE_BYTES = 2_000_000;

/** Whether ?lesson= names a file by its address (a path or an http(s) URL) rather than a site's lesson. */
function isLessonAddress(name) {
  return /^https?:\/\//i.test(name) || name.includes('/') || /\.json$/i.test(name);
}

/**
 * Opens an instructor's own lesson file, `?lesson=URL`: from this site's
 * origin, or another that allows it (CORS). It is checked as any scenario
 * from outside, and opened beside the student's own work, as a lesson.
 * Throws an Error (with `lessonFile`) saying what went wrong, in words.
 */
async function openLessonFile(address, step) {
  const fail = (what) => Object.assign(new Error(`The lesson file ${address} could not be opened: ${what}.`), { lessonFile: true });
  let url;
  try {
    url = new URL(address, location.href);
  } catch {
    throw fail('that is not a web address');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail('only http and https addresses can be opened');
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch {
    throw fail(url.origin === location.origin
      ? 'the server could not be reached'
      : `the server could not be reached, or it does not let this page read the file (it must send the header Access-Control-Allow-Origin for ${location.origin})`);
  }
  if (!res.ok) throw fail(`the server answered HTTP ${res.status}${res.status === 404 ? ' (no such file)' : ''}`);
  const text = await res.text();
  if (text.length > MAX_LESSON_FILE_BYTES) throw fail(`it is larger than ${grouped(MAX_LESSON_FILE_BYTES)} bytes`);
  let scenario;
  try {
    scenario = parseScenarioFile(page.module, text);
  } catch (e) {
    throw fail(`it is not a lesson file (${e.message})`);
  }
  openSession(scenario, Math.min(step, scenario.steps.length), customLesson(scenario), null, { from: 'lesson file', name: url.href });
}

/**
 * A lesson that is not one of the site's: a scenario from outside (a file,
 * a link, an instructor's lesson file) whose steps carry narration. It is
 * played as a lesson (its notes, its predictions, the lesson panel), with
 * its own steps as the script.
 */
function customLesson(scenario) {
  return { file: null, title: scenario.title, description: scenario.description ?? '', scenario };
}

function sameSteps(a, b) {
  return a.length === b.length && a.every((step, i) => JSON.stringify(step) === JSON.stringify(b[i]));
}

/** True while the history is still the lesson's script. */
function onScript() {
  const { lesson, history } = page;
  if (!lesson) return false;
  const script = lesson.scenario.steps;
  return sameSteps(history.steps, script);
}

// Saving (store.js: IndexedDB, or localStorage without it), so a reload
// keeps the session. render() calls save() after every frame, but a write
// happens only when the session changed since the last one (another history,
// its length, cursor or last step, its consumers, the lesson), never while
// Play runs (stopPlaying saves where it stopped), and at most once per
// SAVE_GAP ms: the first change is written at once, later ones together at
// the end of the gap. Leaving the page writes what is left at once, from
// beforeunload (Chromium aborts about a third of the IndexedDB writes begun
// in pagehide on a reload), pagehide and the tab being hidden. The sandbox is
// also kept in a slot of its own, so that opening a lesson and coming back to
// the sandbox does not lose it. A failed write is shown on the page until a
// later one succeeds. When only the cursor moved, or the student answered a
// prediction, since a write that succeeded, only the cursor and the answers
// are written (a few bytes, however long the session); the session's text
// is built from cached step texts.
const SAVE_GAP = 300;
// kept, keptReset: what was last kept while the page was being left (keepWhileLeaving).
const saving = { mark: null, timer: null, writing: 0, last: -Infinity, stepsSaved: false, generation: 0, kept: null, keptReset: null };

// What a save is of. Its items at PLACE_ONLY are what a small write of the
// cursor and the answers (store.saveCursor) covers.
function saveMark() {
  const { history } = page;
  return [history, history.steps.length, history.cursor, history.steps[history.steps.length - 1], history.consumers, page.lesson, page.answers, page.opened];
}
const PLACE_ONLY = new Set([2, 6]);

/** Whether the session on screen is one the page saves. */
function canSave() {
  return !page.embed && !page.holdSave && page.history != null;
}

const sameMark = (a, b) => b !== null && a.every((x, i) => x === b[i]);

function unsaved() {
  return canSave() && !sameMark(saveMark(), saving.mark);
}

/**
 * What a save of the session on screen writes: {session, slots, textOf},
 * textOf() giving the text in parts.
 */
function saveOf() {
  const { scenario, cursor } = page.history.toSession();
  const session = { scenario, cursor };
  if (page.lesson?.file && onScript()) session.lesson = page.lesson.file;
  const answers = predictionRecord(page.history.steps, page.predictions);
  if (answers.length) session.predictions = answers;
  if (page.opened) session.opened = page.opened;
  // The text is built from the history's cached step texts, in parts: a
  // long session is not serialized again for each save, and only the parts
  // that changed are written.
  const textOf = () => store.sessionParts(page.history.scenarioParts(), cursor, session.lesson, session.predictions, session.opened);
  // A session opened from outside has a slot of its own: the student's own
  // (the session they had on screen, and their sandbox) is never written over.
  const slots = page.opened ? [SLOT_OPENED] : page.lesson ? [SLOT_CURRENT] : [SLOT_CURRENT, SLOT_SANDBOX];
  return { session, slots, textOf };
}

function save() {
  if (page.playing !== null || saving.timer !== null || !unsaved()) return;
  saving.timer = setTimeout(() => flushSave(false), Math.max(0, saving.last + SAVE_GAP - performance.now()));
}

/**
 * Writes the session now if it changed; `now`: the page or the session is
 * being left, write even during Play or another write. `leaving`: the page
 * is, and a write still being handed over is written again, at once.
 */
function flushSave(now, leaving = false) {
  clearTimeout(saving.timer);
  saving.timer = null;
  const changed = unsaved();
  if (leaving) keepWhileLeaving(changed);
  if (!changed && !(leaving && store.writesUnsent())) return;
  if (!now && (page.playing !== null || saving.writing)) {
    if (saving.writing) saving.timer = setTimeout(() => flushSave(false), SAVE_GAP);
    return;
  }
  // Only the cursor or the answers changed since the last write, which
  // succeeded: write only those.
  const cursorOnly = saving.stepsSaved && saving.mark && saveMark().every((x, i) => PLACE_ONLY.has(i) || x === saving.mark[i]);
  saving.mark = saveMark();
  saving.last = performance.now();
  const { session, slots, textOf } = saveOf();
  const { opened } = session;
  const title = page.lesson?.title ?? page.history.title;
  let writes;
  if (cursorOnly) {
    writes = slots.map((slot) => store.saveCursor(slot, session, textOf));
  } else {
    const text = textOf();
    saving.stepsSaved = false;
    writes = slots.map((slot) => store.save(slot, session, text, { now }));
  }
  const generation = ++saving.generation;
  saving.writing++;
  Promise.all(writes).then((results) => {
    saving.writing--;
    // Cursor-only writes may follow once the newest steps are saved.
    if (!cursorOnly && generation === saving.generation) saving.stepsSaved = results.every((r) => r.ok);
    showSaveFailure(results.find((r) => !r.ok)?.error ?? null);
    // Saved: a reload shows this opened session again (unless another is on screen by now).
    if (opened && page.opened === opened && results.every((r) => r.ok)) markOpenedShown(title, opened.from);
  });
}

/**
 * The page is being left. What a write not yet finished (which the browser
 * may cancel with the page) or not begun would lose is kept at once where
 * the next page finds it (store.keepWhileLeaving): the session on screen,
 * and the slots a Reset is still removing. Kept once for beforeunload and
 * pagehide.
 */
function keepWhileLeaving(changed) {
  if (!page.history) return;
  const reset = page.undoReset && !page.undoReset.forgotten ? page.undoReset : null;
  const session = canSave() && (changed || store.writesPending()) ? saveOf() : null;
  if ((!session && !reset) || (sameMark(saveMark(), saving.kept) && saving.keptReset === reset)) return;
  const slots = session?.slots ?? [];
  const forget = reset ? RESET_SLOTS.filter((slot) => !slots.includes(slot)) : [];
  store.keepWhileLeaving(slots, session ? session.textOf() : null, forget);
  saving.kept = saveMark();
  saving.keptReset = reset;
}

window.addEventListener('beforeunload', () => flushSave(true, true));
window.addEventListener('pagehide', () => flushSave(true, true));
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flushSave(true, true); });

// Reset: an empty sandbox, and every saved session forgotten. What it
// replaced (the session on screen, in memory, and what each slot held) is
// kept until the student's next action, so one "Undo reset" brings it all
// back; a reload in the meantime finds the empty sandbox.
const RESET_SLOTS = [SLOT_CURRENT, SLOT_SANDBOX, SLOT_OPENED];

function reset() {
  if (page.busy) return;
  stopPlaying();
  flushSave(true);  // what is due of the session on screen, so the slots hold all of it
  // Each slot's records, read before they are removed (IndexedDB runs the
  // transactions in the order they are made: after the save above).
  const raws = Promise.all(RESET_SLOTS.map((slot) => store.exportRaw(slot)));
  const kept = {
    history: page.history, lesson: page.lesson, opened: page.opened, leftLessonAt: page.leftLessonAt,
    predictions: new Map(page.predictions), raws, shown: clearShown(),
  };
  if (page.history) saving.mark = saveMark();  // the session on screen is not written back
  clearNotices();
  history.replaceState(null, '', location.pathname + location.search);
  page.history = null;  // kept (not disposed) for the undo
  // The empty sandbox at once; saved only once the slots are read and forgotten.
  page.holdSave = true;
  openSession(SANDBOX, 0);
  page.undoReset = kept;
  // Once the slots are forgotten, what is on screen is saved (the empty
  // sandbox, or what the student did since): written again even if a save
  // of it began before the removal.
  kept.cleared = raws.then(() => Promise.all(RESET_SLOTS.map((slot) => store.remove(slot)))).then(() => {
    kept.forgotten = true;
    if (page.undoReset === kept) page.holdSave = false;
    saving.mark = null;
    save();
  });
  const el = h('div', { class: 'notice info undo-reset', id: 'undo-reset-notice', role: 'status' },
    h('span', {}, 'Reset: an empty sandbox, and your saved sessions are forgotten. Changed your mind? Undo it now, before your next action. '),
    h('button', { type: 'button', id: 'undo-reset', class: 'primary', onclick: undoReset }, 'Undo reset'));
  $('notices').append(el);
  $('undo-reset').focus();
}

async function undoReset() {
  const kept = page.undoReset;
  if (!kept) return;
  page.undoReset = null;
  stopPlaying();
  if (page.history) saving.mark = saveMark();  // the empty sandbox is not saved over what comes back
  clearTimeout(saving.timer);
  saving.timer = null;
  page.holdSave = false;
  const raws = await kept.raws;
  await kept.cleared;  // Reset's own removal first
  await Promise.all(RESET_SLOTS.map((slot, i) => store.restoreRaw(slot, raws[i])));
  restoreShown(kept.shown);
  clearNotices();
  if (page.history) saving.mark = saveMark();  // the empty sandbox is not written over what came back
  page.predictions = kept.predictions;
  page.answers++;
  const { scenario } = kept.history.toSession();
  openSession(scenario, kept.history.cursor, kept.lesson, kept.history, kept.opened);
  page.leftLessonAt = kept.leftLessonAt;
  render();
  notice('Reset undone: your session and your saved work are back.');
  $('reset').focus();
}

// The next action ends the offer to undo a reset.
function dropUndoReset() {
  if (!page.undoReset) return;
  page.undoReset.history?.dispose();
  page.undoReset = null;
}

/** Shows (or, with null, takes away) the notice that the session is not saved, with an export button. */
function showSaveFailure(error) {
  let el = $('save-failed');
  if (error === null) return el?.remove();
  if (!el) {
    el = h('div', { id: 'save-failed', class: 'notice error save-failed', role: 'alert' }, h('span', {}),
      h('button', { type: 'button', id: 'save-export', onclick: exportScenario }, 'Export scenario'));
    $('notices').before(el);
  }
  el.firstChild.textContent = `Your session could not be saved in this browser (${error}). `
    + 'Reloading or closing this tab would lose the steps taken since it was last saved: export it to keep it.';
}

/** Downloads the session as a scenario file (Export scenario). */
function exportScenario() {
  download('unbundled-session.json', scenarioText(page.history.toSession().scenario), 'application/json');
}

/**
 * The session saved in `slot`, or null: one that cannot be loaded gets a
 * notice naming `what` ("sandbox", "session"), and is either discarded
 * (unreadable) or left as it is (the store could not be read).
 */
async function loadSaved(slot, what) {
  try {
    return await store.load(slot, page.module);
  } catch (e) {
    if (e.kept) page.holdSave = true;  // do not overwrite what may still be there
    notice(e.kept
      ? `Your saved ${what} could not be loaded (${e.message}). It was left as it is: reload to try again.`
      : `Your saved ${what} could not be read (${e.message}) and was discarded.`, 'error');
    return null;
  }
}

/** Opens the saved sandbox, or a fresh one. */
async function openSandbox() {
  const saved = await loadSaved(SLOT_SANDBOX, 'sandbox');
  try {
    if (saved) {
      const loaded = await loadInSlices(saved, 'Opening your saved sandbox: step');
      openSession(saved.scenario, saved.cursor, null, loaded);
      return takeAnswers(saved, 'saved');
    }
  } catch (e) {
    if (e.cancelled) return cancelledOpening('your saved sandbox');
    store.remove(SLOT_SANDBOX);
    notice(`Your saved sandbox could not be replayed (${e.message}) and was discarded.`, 'error');
  }
  return openSession(SANDBOX, 0);
}

// ---------------------------------------------------------------- actions

/** Takes a step as the student's own action; returns the result. */
function act(step, errorEl) {
  stopPlaying();
  clearErrors();
  clearNotices();
  page.holdSave = false;
  $('share-box').hidden = true;
  const wasOnScript = onScript();
  const at = page.history.cursor;
  if (page.full) return refuseFull(errorEl);
  const { result, discarded } = page.history.act(step);
  if (result.out_of_memory) return outOfMemory(result, errorEl);
  if (!result.ok) {
    showError(errorEl, result.error);
    render();
    return result;
  }
  if (discarded.length) page.fork = { at, discarded };
  else page.fork = null;
  if (page.lesson && wasOnScript && !onScript()) page.leftLessonAt = at;
  render();
  return result;
}

/**
 * Lists the steps of an import the engine refused, with its reasons, and
 * waits for Open anyway (true) or Cancel (false). Nothing is replaced
 * before the answer.
 */
function reviewRefusals(name, scenario, refusals) {
  const el = $('import-review');
  const brief = (step) => {
    const who = typeof step.consumer === 'string' ? step.consumer : step.consumer?.name;
    return [step.op, step.key ?? step.prefix, who].filter((x) => typeof x === 'string').join(' ');
  };
  return new Promise((resolve) => {
    const finish = (answer) => {
      el.hidden = true;
      fill(el);
      resolve(answer);
    };
    renderRefusals(el, { name, title: scenario.title, total: scenario.steps.length, refusals, steps: scenario.steps }, brief,
      { open: () => finish(true), cancel: () => finish(false) });
    el.scrollIntoView({ block: 'nearest' });
    $('import-open').focus();
  });
}

// Long work (an import, a bulk step) runs in slices; after half a second a
// progress bar with Cancel appears, and the page behind it is dimmed.
// `run(onProgress, signal)` is async; onProgress(done, total, what?,
// fraction?) words the label and, unless `fraction` says otherwise, fills
// the bar to done / total.
// Meanwhile the page takes no other action, since the engine is part way
// through a step: every part of it but the progress bar is inert (no
// click, no focus), Escape cancels, other keys and a pasted link wait.
async function withProgress(label, run) {
  const controller = new AbortController();
  const el = $('progress');
  $('progress-label').textContent = label;
  $('progress-bar').value = 0;
  $('progress-cancel').onclick = () => controller.abort();
  const timer = setTimeout(() => {
    el.hidden = false;
    document.body.classList.add('working');
  }, 500);
  stopPlaying();
  const focused = document.activeElement;
  const held = [...document.body.children].filter((c) => c !== el && !c.inert);
  for (const c of held) c.inert = true;
  page.busy = true;
  let release;
  page.idle = new Promise((resolve) => { release = resolve; });
  try {
    return await run((done, total, what = '', fraction = total ? done / total : 0) => {
      $('progress-bar').value = fraction;
      $('progress-label').textContent = `${label} ${what ? `${what} ` : ''}${grouped(done)} of ${grouped(total)}`;
    }, controller.signal);
  } finally {
    clearTimeout(timer);
    el.hidden = true;
    document.body.classList.remove('working');
    for (const c of held) c.inert = false;
    page.busy = false;
    release();
    // The keyboard goes back where it was (inert content loses the focus).
    if (focused instanceof HTMLElement && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  }
}

// The engine ran out of memory: the session keeps what it shows and takes
// no more steps; the page says so and offers an export.
function outOfMemory(result, errorEl) {
  page.full = result.error;
  try {
    page.history.rewindLive();  // the engine may be part-way through the step
  } catch { /* it stays as it is: no more steps are taken on it */ }
  const el = h('div', { class: 'notice error', role: 'alert', id: 'out-of-memory' },
    h('span', {}, `The simulator is out of memory: ${result.error}. `),
    h('button', { type: 'button', onclick: exportScenario }, 'Export scenario'));
  $('notices').before(el);  // outside the notices the next action clears
  return refuseFull(errorEl);
}

function refuseFull(errorEl) {
  const result = { ok: false, error: `${page.full}` };
  showError(errorEl, result.error);
  render();
  return result;
}

// A step's error goes by its control: `errorEl` is the element beside it,
// or the name of the consumer whose card holds the control.
function showError(errorEl, text, cancelled = false) {
  text = inFormWords(text);
  if (typeof errorEl === 'string') page.consumerErrors[errorEl] = { text, cancelled };
  else if (errorEl) {
    errorEl.textContent = text;
    // A step the user cancelled is not an error: the same place, not in red.
    errorEl.classList.toggle('cancelled', cancelled);
  }
}

// The engine names a step's JSON fields ("force": true, mode "snapshot"),
// as a scenario file writes them; beside a control, the page's own words
// for the same thing (the force box, the snapshot-then-stream choice).
const FORM_WORDS = [
  ['"force": true removes them anyway', 'tick “force” to remove them anyway'],
  ['add it by "snapshot"', 'add it by “snapshot, then stream”'],
  // A work-limit refusal names the step by its op.
  ['an add_consumer copies', 'adding a consumer copies'],
  ['a verify copies', 'Check consistency copies'],
  ['a replay_storage copies', '“Replay from the log” copies'],
  ['a crash_consumer copies', 'a consumer’s crash copies'],
  ['a recover copies', 'a recovery copies'],
  ['a truncate copies', 'a truncation copies'],
  ['a compact copies', 'a compaction copies'],
];
function inFormWords(text) {
  return FORM_WORDS.reduce((t, [engine, form]) => t.replaceAll(engine, form), text);
}

// A bulk step: generated puts as one step in the history, up to the
// engine's limit (limits().bulk_documents), which refuses the whole step
// (count, keys) before any part of it is written.
async function bulkPut() {
  if (page.busy) return;
  if (page.full) return refuseFull($('bulk-error'));
  const count = Number($('bulk-count').value), keys = Number($('bulk-keys').value);
  const step = { op: 'put_random', count, keys, seed: 1 + Math.floor(Math.random() * 2 ** 31) };
  stopPlaying();
  clearErrors();
  clearNotices();
  const result = await actInParts('Writing documents:', $('bulk-error'),
    (progress, signal) => page.history.actInParts(step, BULK_PART, progress, signal).then(sayCancelled(step.op)));
  // The field the engine's error names is marked, as the other forms mark theirs.
  const field = { count: 'bulk-count', keys: 'bulk-keys' }[/^(\w+):/.exec(result?.error ?? '')?.[1]];
  if (field) $(field).setAttribute('aria-invalid', 'true');
}

// The bulk form's bounds, from the engine's limits.
function renderBulkLimits() {
  const { bulk_documents: documents, bulk_keys: keys } = limits(page.module);
  $('bulk-count').max = documents;
  $('bulk-keys').max = keys;
  $('bulk-count-range').textContent = `(1 to ${grouped(documents)})`;
}

// A step taken in parts with progress and Cancel (`run(progress, signal)`
// resolves like History.act); then drawn like any other action. Resolves
// to the step's result.
async function actInParts(label, errorEl, run) {
  const at = page.history.cursor;
  const wasOnScript = onScript();
  let outcome;
  try {
    outcome = await withProgress(label, run);
  } catch (e) {
    // Putting the engine back failed (memory ran out while restoring a
    // checkpoint or replaying): say so, never leave the step unanswered.
    if (!/out of memory/.test(e?.message ?? '')) throw e;
    return outOfMemory({ ok: false, out_of_memory: true, error: page.history.outOfMemory(e.message) }, errorEl);
  }
  const { result, discarded } = outcome;
  if (result.out_of_memory) return outOfMemory(result, errorEl);
  // The drawing in a task of its own: the step's last part, and the page
  // made live again (every element's style worked out anew), took one task
  // with it, of 57-85 ms after a rebuild over 63,000 rows.
  await nextTask();
  if (!result.ok) {
    showError(errorEl, result.error, result.cancelled);
    render();
    return result;
  }
  page.fork = discarded.length ? { at, discarded } : null;
  if (page.lesson && wasOnScript && !onScript()) page.leftLessonAt = at;
  render();
  return result;
}

// Flush all consumers. A large backlog is delivered in parts (one step in
// the history all the same), with progress and Cancel.
// With `consumer`, that one only (its card's Flush, the error on its card):
// 1,000,000 pending held the page 1.3 s in one task.
async function flushConsumers(consumer = undefined) {
  if (page.busy) return;
  const step = consumer === undefined ? { op: 'flush' } : { op: 'flush', consumer };
  const errorEl = consumer ?? $('flush-error');
  // The deliveries it would make, as a load counts them (History.pendingFor:
  // at most FLUSH_PART is all that matters below it). While the database
  // is down (no head) the engine refuses it, whole.
  const pending = page.history.pendingFor(step);
  const down = page.history.sim.positions().head === null;
  if (pending <= FLUSH_PART || down || page.full) return act(step, errorEl);
  stopPlaying();
  clearErrors();
  clearNotices();
  // The count is of deliveries: each consumer gets its own copy of an event.
  const label = consumer === undefined ? 'Delivering change events, a copy to each consumer:' : `Delivering change events to ‘${consumer}’:`;
  await actInParts(label, errorEl,
    (progress, signal) => page.history.actFlushInParts(step, FLUSH_PART, pending, progress, signal).then(sayCancelled('flush')));
}


// Recover and "Replay from the log" read the whole log file back and
// replay it into storage; Check consistency builds a fresh copy of every
// consumer from storage as it stood at its position; Truncate and Compact
// write the log again without the entries they remove (a compaction first
// finds each key's newest entry); a consumer added by snapshot, or
// rebuilt, reads every stored row. A long log's (or storage's) work is
// prepared in parts (History.actPrepared), with progress and Cancel, and
// the step then only uses it; a short one is taken at once. `sizeOf(view)`
// is what the work reads: log entries, or storage rows for a snapshot.
async function actPreparedStep(step, errorEl, label, sizeOf = (v) => v.wal.total) {
  if (page.busy) return;
  const v = page.history.view({ ...TOTALS_ONLY, rows: {} });
  if (!v.ok || sizeOf(v) < PREPARE_FROM || page.full) return act(step, errorEl);
  stopPlaying();
  clearErrors();
  clearNotices();
  return actInParts(label, errorEl, async (progress, signal) => {
    const outcome = await page.history.actPrepared(step, (at, of, phase) => {
      // The bar runs once over the step's phases; the label says which.
      // A truncation has only the second, a snapshot one of its own.
      const p = PHASES[phase];
      const [n, count] = ONE_PHASE.has(step.op) ? [1, 1] : [p.step, 2];
      progress(at, of, `${count > 1 ? `${n} of ${count}, ` : ''}${p.words}: ${p.unit}`, (n - 1 + (of ? at / of : 0)) / count);
    }, signal);
    return sayCancelled(step.op)(outcome);
  });
}

// A prepared step's phases (Engine::AdvancePrepared): which of the step's
// two each is, its words, and the unit of its progress.
const PHASES = {
  reading: { step: 1, words: 'reading the log', unit: 'byte' },
  replaying: { step: 2, words: 'replaying it into storage', unit: 'entry' },
  // A verify folds the stream to each consumer's position and feeds the
  // rows to a fresh copy of it (a snapshot's r events): both are change events.
  // Its count is both: the stream's events read, and storage's rows fed as r events.
  folding: { step: 1, words: 'building a fresh copy of each consumer from the change stream and a snapshot', unit: 'event' },
  feeding: { step: 1, words: 'building a fresh copy of each consumer from the change stream and a snapshot', unit: 'event' },
  comparing: { step: 2, words: 'comparing each consumer with its copy', unit: 'consumer' },
  scanning: { step: 1, words: 'finding each key\'s newest entry', unit: 'entry' },
  removing: { step: 2, words: 'writing the log without the removed entries', unit: 'entry' },
  // A snapshot reads each stored row as an r event.
  snapshotting: { step: 1, words: 'reading storage', unit: 'row' },
};

// The prepared steps with a single phase.
const ONE_PHASE = new Set(['truncate', 'add_consumer', 'rebuild']);

// What a step cancelled part way through left, by its op (it changed
// nothing): a bulk put, a flush in parts or a prepared step.
const CANCELLED = {
  put_random: 'Writing the documents cancelled: the step is undone whole, so none was written.',
  flush: 'Flush cancelled: the step is undone whole, so no change event was delivered.',
  recover: 'Recovery cancelled: nothing changed, and the database is still down.',
  replay_storage: 'Replay cancelled: storage is as it was.',
  verify: 'Check cancelled: nothing was compared. A verdict on a card is from an earlier check.',
  truncate: 'Truncation cancelled: nothing was removed.',
  compact: 'Compaction cancelled: nothing was removed.',
  add_consumer: 'Adding the consumer cancelled: nothing was added.',
  rebuild: 'Rebuild cancelled: the consumer keeps its state and its position.',
};

// A step's outcome, its error saying what a cancel left (CANCELLED), shown
// by its control.
function sayCancelled(op) {
  return (outcome) => {
    if (outcome.result.cancelled) outcome.result.error = CANCELLED[op];
    return outcome;
  };
}

// Log entries (or, for a snapshot, storage rows) from which a recovery, a
// storage replay, a verify, a truncation, a compaction or a snapshot is
// taken in parts. Each took one task of 52-73 ms, its drawing included,
// just under 20,000 here (2026-12-07).
const PREPARE_FROM = 5000;

// A snapshot reads storage.
const STORED_ROWS = (v) => v.storage.total;

// Export change stream (share.js's changeStreamParts): in parts, with
// progress and Cancel. At 100,000 entries and more the file is tens of MB,
// and made whole it froze the tab for 6-12 s.
async function exportChangeStream() {
  if (page.busy) return;
  clearNotices();
  const { scenario, cursor } = page.history.toSession();
  try {
    const parts = await withProgress('Exporting the change stream:', (progress, signal) =>
      changeStreamParts(page.module, scenario, cursor, (what, done, total) => progress(done, total, what), signal));
    if (parts) download('change-stream.ndjson', parts, 'application/x-ndjson');
    else notice('Export of the change stream cancelled.');
  } catch (e) {
    notice(`The change stream could not be exported: ${e.message}`, 'error');
  }
}

function goTo(i) {
  page.history.goTo(i);
  clearErrors();
  render();
}

// Next (the button, →, Play): not past a prediction the student has not
// answered or revealed; arriving at one puts the keyboard on its question.
function forward() {
  if (awaitingPrediction()) return focusPrediction();
  goTo(page.history.cursor + 1);
  if (awaitingPrediction()) focusPrediction();
}

function stopPlaying() {
  if (page.playing !== null) clearInterval(page.playing);
  page.playing = null;
  $('play').textContent = '▶ Play';
  $('play').setAttribute('aria-pressed', 'false');
  save();  // where Play stopped (nothing is saved while it runs)
}

function togglePlay() {
  if (page.playing !== null) return stopPlaying();
  const h = page.history;
  // Play waits at a prediction until it is answered.
  if (awaitingPrediction()) return focusPrediction();
  if (h.cursor >= h.steps.length && h.steps.length > 0) {
    // From the last step Play starts the history again: said, since at
    // 100,000 steps the jump back to step 0 looked like a lost session.
    h.goTo(0);
    clearNotices();
    notice('Playing from step 0: Play at the last step starts the history again.');
  }
  $('play').textContent = '❚❚ Pause';
  $('play').setAttribute('aria-pressed', 'true');
  const tick = () => {
    if (page.history.cursor >= page.history.steps.length || awaitingPrediction()) return stopPlaying();
    goTo(page.history.cursor + 1);
    if (awaitingPrediction()) {
      stopPlaying();
      focusPrediction();
    }
    if (page.history.cursor >= page.history.steps.length) stopPlaying();
  };
  page.playing = setInterval(tick, Number($('speed').value));
  render();
}

// ---------------------------------------------------------------- predictions

// The current step if it is a prediction (the engine checked it: ok), or null.
function currentPrediction() {
  const c = page.history?.current();
  return c && c.step.op === 'predict' && c.result?.ok ? c : null;
}

// The current prediction if the student has not answered it (or seen the answer) yet.
function awaitingPrediction() {
  const c = currentPrediction();
  return c && !outcome(page.predictions.get(c.step)).done ? c : null;
}

// Reaching a prediction counts it in the score.
function notePrediction() {
  const c = currentPrediction();
  if (c && !page.predictions.has(c.step)) {
    page.predictions.set(c.step, { step: c.index, answers: [], revealed: false, actual: c.result.actual });
    page.answers++;
  }
}

// The score so far, in the summary's words: a prediction waiting for its
// first answer is named as not answered, not counted as a wrong one.
function predictionScore() {
  let right = 0, unanswered = 0;
  for (const p of page.predictions.values()) {
    if (rightFirstTime(p)) right++;
    else if (p.answers.length === 0 && !p.revealed) unanswered++;
  }
  return scoreText({ right, of: page.predictions.size, unanswered });
}

function answerPrediction(value) {
  const c = awaitingPrediction();
  if (!c) return;
  const p = page.predictions.get(c.step);
  p.answers.push(value);
  page.answers++;
  render();
  focusPrediction(outcome(p).done ? 'after' : 'retry');
}

function revealPrediction() {
  const c = awaitingPrediction();
  if (!c) return;
  page.predictions.get(c.step).revealed = true;
  page.answers++;
  render();
  focusPrediction('after');
}

/**
 * Takes in answers saved or shared ({step, tries, revealed}, checked by
 * completion.js) for the session on screen. The engine's value for each is
 * the replay's own.
 */
function restorePredictions(record) {
  const { history } = page;
  for (const p of record) {
    const step = history.steps[p.step - 1];
    const result = history.resultAt(p.step);
    if (step?.op !== 'predict' || !result?.ok) continue;
    page.predictions.set(step, { step: p.step, answers: p.tries.map((t) => t.answer), revealed: p.revealed, actual: result.actual });
  }
  page.answers++;
  render();
}

// The predictions of the session on screen, its answers and score
// (completion.js summarize) with `record` (default: the page's own answers)
// and a claimed score.
function sessionSummary(record = predictionRecord(page.history.steps, page.predictions), claimed = null) {
  return summarize(page.history.steps, (n) => page.history.resultAt(n), record, claimed);
}

// The keyboard goes to the question (its first choice or its field), or
// after an answer to Next.
function focusPrediction(when = 'ask') {
  const box = document.querySelector('.predict:not([hidden])');
  if (!box) return;
  if (when === 'after') return ($('forward').disabled ? box.querySelector('#predict-result') : $('forward'))?.focus();
  box.querySelector('#predict-input, #predict-choices button:not(:disabled)')?.focus();
}

// The question of the current predict step: in the lesson panel during a
// lesson, else under the step line. Everything the lesson wrote (prompt,
// choices, why) goes in as text.
function renderPrediction() {
  const c = currentPrediction();
  const inLesson = page.lesson !== null && onScript();
  const box = $(inLesson ? 'lesson-predict' : 'predict');
  const other = $(inLesson ? 'predict' : 'lesson-predict');
  other.hidden = true;
  other.__key = null;
  fill(other);
  const score = $('lesson-score');
  score.textContent = predictionScore();
  score.hidden = !(inLesson && page.predictions.size);
  if (!c) {
    box.hidden = true;
    box.__key = null;
    fill(box);
    return;
  }
  const entry = page.predictions.get(c.step);
  const p = outcome(entry);
  const { step, result } = c;
  // Drawn again only when the prediction or its answers change (a draw for
  // another reason keeps what is typed in the field).
  const key = `${c.index}/${page.history.steps.length}/${p.tries}/${p.done}/${inLesson}`;
  if (box.__key === key && box.__step === step) return;
  const typed = box.__step === step ? box.querySelector('#predict-input')?.value : undefined;
  box.__key = key;
  box.__step = step;
  box.hidden = false;
  const parts = [h('p', { class: 'predict-prompt', id: 'predict-prompt' }, h('strong', {}, 'Predict: '), String(step.prompt ?? ''))];
  if (!p.done) {
    if (Array.isArray(step.choices) && step.choices.length) {
      parts.push(h('div', { class: 'predict-choices', id: 'predict-choices', role: 'group', 'aria-label': 'Choices' },
        step.choices.map((choice) => {
          const tried = entry.answers.some((w) => sameJson(w, choice));
          return h('button', { type: 'button', class: tried ? 'choice tried' : 'choice', disabled: tried,
            'aria-label': tried ? `${pretty(choice)} (tried: not right)` : null,
            onclick: () => answerPrediction(choice) }, tried ? `✗ ${pretty(choice)}` : pretty(choice));
        })));
    } else {
      parts.push(h('form', { class: 'predict-form', id: 'predict-form', autocomplete: 'off',
        onsubmit: (ev) => {
          ev.preventDefault();
          const form = ev.currentTarget;
          const text = form.querySelector('#predict-input').value;
          let value;
          try {
            value = JSON.parse(text);
          } catch (e) {
            const err = form.querySelector('#predict-error');
            err.textContent = text.trim() === ''
              ? 'Type your answer first, as a JSON value.'
              : `That is not a JSON value (${e.message}). Write a number like 3, a string in quotes like "London", a list like ["u1", "u2"], true, false or null.`;
            form.querySelector('#predict-input').setAttribute('aria-invalid', 'true');
            return;
          }
          answerPrediction(value);
        } },
      h('label', { for: 'predict-input' }, 'Your answer (JSON): '),
      h('input', { type: 'text', id: 'predict-input', class: 'predict-input', spellcheck: 'false', 'aria-describedby': 'predict-error' }),
      ' ', h('button', { type: 'submit', id: 'predict-check', class: 'primary' }, 'Check'),
      h('p', { class: 'error predict-error', id: 'predict-error', role: 'alert' })));
    }
    parts.push(h('p', { class: 'predict-feedback', id: 'predict-feedback', role: 'status' },
      p.tries ? h('span', { class: 'bad' }, `Not quite — try again. ${plural(p.tries, 'wrong try', 'wrong tries')} so far.`) : '',
      ' ', h('button', { type: 'button', id: 'predict-reveal', onclick: revealPrediction }, 'Show answer')));
  } else {
    const verdict = p.done === 'right'
      ? h('strong', { class: 'ok' }, `Right on try ${p.tries}.`)
      : h('strong', { class: 'revealed' }, p.tries ? `Revealed, after ${plural(p.tries, 'wrong try', 'wrong tries')}.` : 'Revealed.');
    parts.push(h('div', { class: 'predict-result', id: 'predict-result', role: 'status', tabindex: '-1' },
      h('p', {}, verdict, ' The engine says: ', h('code', { id: 'predict-actual' }, pretty(result.actual))),
      typeof step.why === 'string' && step.why ? h('p', { class: 'predict-why', id: 'predict-why' }, step.why) : null));
  }
  if (!inLesson) parts.push(h('p', { class: 'predict-score', id: 'predict-score' }, predictionScore()));
  fill(box, parts);
  if (typed !== undefined && box.querySelector('#predict-input')) box.querySelector('#predict-input').value = typed;
}

// ---------------------------------------------------------------- rendering

// The other answer to the current query: what a consumer with no lag would
// answer (the engine derives it from storage: query "as_of": "storage"), or,
// for a query asked as of storage, what the consumer itself answers at its
// position. Asked once per point.
function freshAnswer(state, current) {
  if (!current || current.step.op !== 'query' || !current.result.ok || current.step.fetch || state.down) return undefined;
  const key = `${page.history.cursor}/${page.history.steps.length}`;
  if (page.fresh?.key !== key) {
    // The same question of storage (read-your-writes' min_position and
    // fallback go with a consumer's answer, not storage's).
    const { note, min_position: minPosition, fallback, as_of: asOf, ...step } = current.step;
    const r = page.history.ask(asOf === 'storage' ? step : { ...step, as_of: 'storage' });
    page.fresh = { key, answer: r.ok ? r.result : undefined };
  }
  return page.fresh.answer;
}

// ---------------------------------------------------------------- windows

// Where an LSN is in the log and in the change stream (its place, or the
// place of the first entry after it).
function locate(lsn) {
  const v = page.history.view({ locate: [lsn], wal: walWindow({ count: 0 }), events: { count: 0 }, storage: { count: 0 } });
  return v.located[String(lsn)];
}

// How many entries, events or rows each panel draws. A list that fits in
// its LOG_WINDOW, STREAM_WINDOW, STORAGE_ROWS or STATE_ROWS is drawn whole;
// a longer one is a virtual list that draws what its panel shows and a
// margin on each side, measured from the panel as it is laid out now.
function counts() {
  // How long each list is at the cursor (a view of no rows: cached).
  const names = Object.keys(page.history.positions[page.history.cursor] ?? {});
  const v = page.history.view({ wal: walWindow({ count: 0 }), events: { count: 0 }, storage: { count: 0 },
    rows: Object.fromEntries(names.map((n) => [n, { count: 0 }])) });
  const totals = v.ok ? { wal: v.wal.total, events: v.events.total, storage: v.storage.total,
    rows: Object.fromEntries(v.consumers.map((c) => [c.name, c.rows?.total ?? 0])) } : {};
  const fit = (px, rowPx, margin, most) => Math.min(most, Math.ceil(px / rowPx) + 2 * margin);
  // A full panel's height is its max-height (not what it holds now).
  const tall = (el) => parseFloat(getComputedStyle(el).maxHeight) || 360;
  const log = $('log');
  // A log entry's width: --cell-w (in rem), whatever is drawn now.
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const cell = (parseFloat(getComputedStyle(log).getPropertyValue('--cell-w')) || 7.5) * rem;
  const box = document.querySelector('.state-scroll');
  const stateRows = fit(box ? tall(box) : 360, STATE_ROW_PX, 5, STATE_ROWS);
  return {
    totals,
    wal: (totals.wal ?? 0) > LOG_WINDOW ? fit(log.clientWidth || 1200, cell + 3, 2, LOG_WINDOW) : LOG_WINDOW,
    events: (totals.events ?? 0) > STREAM_WINDOW ? fit(tall($('stream')), STREAM_ROW_PX, 5, STREAM_WINDOW) : STREAM_WINDOW,
    storage: (totals.storage ?? 0) > STORAGE_ROWS ? fit(tall($('storage')), STORAGE_ROW_PX, 5, STORAGE_ROWS) : STORAGE_ROWS,
    state: (name) => ((totals.rows?.[name] ?? 0) > STATE_ROWS ? stateRows : STATE_ROWS),
  };
}

// The request for what the page draws now.
function viewRequest() {
  const { history, win } = page;
  // A new point in the history: the log and the stream follow the newest,
  // or what the step touched.
  const at = `${history.cursor}/${history.steps.length}`;
  const n = counts();
  if (win.at !== at) {
    win.at = at;
    win.wal = win.events = null;
    win.chosen = false;
    page.focusLsn = null;
    const t = touched(history.current());
    if (t.lsn !== null) {
      const where = locate(t.lsn);
      // The lengths of the log and the stream at the cursor (counts() asked the engine).
      const total = { wal: n.totals.wal ?? 0, events: n.totals.events ?? 0 };
      if (where.wal < total.wal - n.wal) win.wal = Math.max(0, where.wal - Math.floor(n.wal / 3));
      if (where.event < total.events - n.events) win.events = Math.max(0, where.event - Math.floor(n.events / 3));
    }
  }
  // A window scrolled down a longer list (a later step's storage, a
  // consumer's state) starts within this one, or it would be past the end
  // and draw nothing: "Storage is empty." under "30 rows", after a jump
  // back from 100,000 steps with storage scrolled.
  const within = (start, count, total) => Math.min(start, Math.max(0, (total ?? 0) - count));
  win.storage = within(win.storage, n.storage, n.totals.storage);
  const req = {
    wal: walWindow(win.wal === null ? { count: n.wal } : { start: win.wal, count: n.wal }),
    events: win.events === null ? { count: n.events } : { start: win.events, count: n.events },
    storage: { start: win.storage, count: n.storage },
    rows: Object.create(null),  // by consumer name: "__proto__" is a name like any other
  };
  const positions = history.positions[history.cursor] ?? {};
  for (const name of Object.keys(positions)) {
    if (win.rows[name]) win.rows[name] = within(win.rows[name], n.state(name), n.totals.rows?.[name]);
    req.rows[name] = { start: win.rows[name] ?? 0, count: n.state(name) };
  }
  // How many log entries each consumer has processed (the log strip shades
  // its track under the entries not drawn by it).
  req.locate = [...new Set(Object.values(positions).map((p) => p + 1))];
  return req;
}

// A virtual list scrolled so that its items first..first+visible are under
// view. When the window drawn (`windowOf(view)`: {start, total}, with
// `shownOf(view)` items) no longer covers them, the window moves (`move`) to
// have them in its middle, and only that panel is drawn again (`draw`); the
// student's scroll stays where it is.
function scrolledTo(first, visible, windowOf, shownOf, count, move, draw) {
  const v0 = page.history.view(viewRequest());
  const w = v0.ok ? windowOf(v0) : null;
  if (!w || covers(w.start, shownOf(v0), w.total, first, visible)) return;
  move(Math.max(0, Math.min(w.total - count, first - Math.floor((count - visible) / 2))));
  const v = page.history.view(viewRequest());
  if (v.ok) draw(v);
  discardScrolls();
}

// Moving a window redraws the page without moving in the history.
const nav = {
  wal: (start) => { page.win.wal = start; page.win.chosen = true; page.focusLsn = null; render(); },
  walTo: (lsn) => {
    const where = locate(lsn);
    page.win.wal = Math.max(0, where.wal - Math.floor(counts().wal / 2));
    page.win.chosen = true;
    page.focusLsn = lsn;
    render();
  },
  // A virtual list scrolled: the log strip sideways, storage, the change
  // stream or a consumer's state (its cards are drawn again).
  walAt: (first, visible) => scrolledTo(first, visible, (v) => v.wal, (v) => v.wal.items.length, counts().wal,
    (start) => { page.win.wal = start; page.win.chosen = true; page.focusLsn = null; },
    (v) => keepLogPlace($('log'), () => renderLog($('log'), v, page.history.current(), page.history.movedConsumers(), page.embed ? null : showRecord, nav))),
  storageAt: (first, visible) => scrolledTo(first, visible, (v) => v.storage, (v) => v.storage.rows.length, counts().storage,
    (start) => { page.win.storage = start; },
    (v) => keepRowsPlace($('storage'), STORAGE_ROW_PX, () => renderStorage($('storage'), $('storage-lsn'), v, page.history.current(), nav))),
  eventsAt: (first, visible) => scrolledTo(first, visible, (v) => v.events, (v) => v.events.items.length, counts().events,
    (start) => { page.win.events = start; },
    (v) => keepRowsPlace($('stream'), STREAM_ROW_PX, () => renderStream($('stream'), v, page.history.current(), nav))),
  rowsAt: (name, first, visible) => scrolledTo(first, visible, (v) => v.consumers.find((c) => c.name === name)?.rows,
    (v) => v.consumers.find((c) => c.name === name).rows.items.length, counts().state(name),
    (start) => { page.win.rows[name] = start; },
    (v) => keepRowsPlace(stateScroller($('consumers'), name), STATE_ROW_PX, () => drawConsumers(v, page.history.current()))),
  // Whether the stream follows its newest events (no window chosen).
  get followingEvents() { return page.win.events === null; },
  get focusLsn() { return page.focusLsn; },
  // Whether the log's window was chosen by the student (paging, scrolling,
  // an edge marker) rather than following the step.
  get windowChosen() { return page.win.chosen === true; },
};

function renderTimeline() {
  const { history } = page;
  const n = history.steps.length;
  $('slider').max = String(n);
  $('slider').value = String(history.cursor);
  $('step-label').textContent = `step ${history.cursor} of ${n}`;
  $('back').disabled = history.cursor === 0;
  const waiting = awaitingPrediction();
  $('forward').disabled = history.cursor === n || waiting !== null;
  $('forward').title = waiting ? 'Answer the prediction first (or press Show answer)' : 'Forward one step (→)';
  const current = history.current();
  const cs = $('current-step');
  if (current) {
    cs.textContent = `Step ${current.index}: ${describeStep(current.step, current.result, outcome(page.predictions.get(current.step)))}`;
    // A lesson step that shows a refusal is marked as such, not as an error.
    cs.className = `current-step${current.result.ok ? '' : current.step.refused ? ' refused expected-refusal' : ' refused'}`;
    cs.title = page.ops[current.step.op]?.summary ?? '';
  } else {
    // An embed has neither the Lesson menu nor the write form.
    cs.textContent = page.lesson || page.history.steps.length ? 'Step 0: the beginning, before any step.'
      : page.embed ? 'Step 0: an empty session.'
        : `Step 0: an empty sandbox. New here? ${page.lessons.length ? `Pick “${page.lessons[0].title}” from the Lesson menu, or put` : 'Put'} a document.`;
    cs.className = 'current-step';
  }
  const fork = $('fork-notice');
  if (page.fork) {
    const k = page.fork.discarded.length;
    fill(fork, h('span', {}, `History forked at step ${page.fork.at}: you took a new action there, so the ${k} later step${k === 1 ? ' was' : 's were'} replaced.`),
      ' ', h('button', { type: 'button', id: 'undo-fork', onclick: undoFork }, `Bring back the ${k} step${k === 1 ? '' : 's'}`));
    fork.hidden = false;
  } else {
    fork.hidden = true;
  }
}

function undoFork() {
  const { at, discarded } = page.fork;
  page.history.goTo(at);
  page.history.restore(discarded);
  page.fork = null;
  if (page.lesson && onScript()) page.leftLessonAt = null;
  render();
}

function renderLesson() {
  const { lesson, history } = page;
  $('lesson').hidden = !lesson;
  document.body.classList.toggle('in-lesson', Boolean(lesson));
  if (!lesson) return;
  $('lesson-title').textContent = lesson.title;
  renderSources($('lesson-sources'), lesson.scenario.sources);
  const script = onScript();
  $('lesson-offscript').hidden = script;
  renderCompletion(script && history.cursor === lesson.scenario.steps.length && !awaitingPrediction());
  if (script) {
    const n = lesson.scenario.steps.length;
    $('lesson-progress').textContent = history.cursor === n && !awaitingPrediction() ? `finished (${n} steps)` : `step ${history.cursor} of ${n}`;
    const current = history.current();
    $('lesson-note').textContent = current
      ? (current.step.note ?? '')
      : `${lesson.description} Press Next (or →) to begin.`;
  } else {
    $('lesson-progress').textContent = `paused at step ${page.leftLessonAt ?? 0}`;
    $('lesson-note').textContent = 'Your own steps are in the history too: step back and forward through them as usual.';
  }
  renderStepList(script);
}

// The lesson's steps as a list (in the lesson panel, the embed's too): each
// step's note, the current one marked; a click goes to that step.
function renderStepList(script) {
  const box = $('lesson-steps');
  const { lesson, history } = page;
  box.hidden = !script;
  if (!script) return;
  const list = $('lesson-step-list');
  // A later step's note could answer a prediction before it: only the steps
  // reached so far are listed with their notes, the rest by number.
  lesson.reached = Math.max(lesson.reached ?? 0, history.cursor);
  if (list.__lesson !== lesson.scenario || list.__reached !== lesson.reached) {
    list.__lesson = lesson.scenario;
    list.__reached = lesson.reached;
    const steps = lesson.scenario.steps;
    fill(list, steps.map((step, i) => {
      const reached = i + 1 <= lesson.reached;
      const text = !reached ? 'not reached yet' : typeof step.note === 'string' && step.note ? step.note
        : step.op === 'predict' ? `Predict: ${step.prompt}` : step.op.replace(/_/g, ' ');
      return h('li', {}, h('button', { type: 'button', class: `link step-jump${reached ? '' : ' later'}`, dataset: { step: String(i + 1) },
        disabled: !reached, onclick: () => { stopPlaying(); goTo(i + 1); } },
      h('span', { class: 'step-no' }, `${i + 1}. `), text.length > 140 ? `${text.slice(0, 139)}…` : text));
    }));
    $('lesson-steps-summary').textContent = `The lesson's ${plural(steps.length, 'step')}: ${lesson.reached} reached`;
  }
  for (const b of list.querySelectorAll('button.step-jump')) {
    if (Number(b.dataset.step) === history.cursor) b.setAttribute('aria-current', 'step');
    else b.removeAttribute('aria-current');
  }
}

/**
 * Where the picture shows what the current lesson step did: a consumer's
 * card, the Clients panel, the log, storage or the derived systems. The page
 * is taller than a screen, so the lesson panel offers to scroll there.
 */
function lookTarget(current) {
  if (!current || !current.result.ok) return null;
  const { step } = current;
  const cardOf = (name) => ({ label: name, selector: `article.card[data-consumer="${CSS.escape(name)}"]` });
  if (step.op === 'predict') return step.consumer ? cardOf(step.consumer) : null;
  if (step.op === 'direct_write' || step.op === 'crash_client' || step.direct === 'later') {
    return { label: 'the clients', selector: '#clients-panel' };
  }
  const t = touched(current);
  const name = t.consumer ?? t.consumers[0];
  if (name) return cardOf(name);
  if (step.op === 'verify') return { label: 'the derived systems', selector: '.consumers-panel' };
  if (['get', 'scan', 'replay_storage'].includes(step.op)) return { label: 'storage', selector: '#storage' };
  if (['put', 'delete', 'insert', 'put_random', 'sync', 'crash', 'recover', 'corrupt', 'checkpoint', 'truncate', 'compact'].includes(step.op)) {
    return { label: 'the log', selector: '#log-panel' };
  }
  return null;
}

function renderLook(el, current) {
  const target = lookTarget(current);
  const found = target && document.querySelector(target.selector);
  el.hidden = !found || found.closest('[hidden]') !== null;
  if (el.hidden) return fill(el, []);
  fill(el, [h('button', { type: 'button', class: 'link look-at', onclick: () => {
    const now = document.querySelector(target.selector);
    now?.scrollIntoView({ block: 'center', behavior: 'smooth' });
    now?.classList.add('flash');
    setTimeout(() => now?.classList.remove('flash'), 1200);
  } }, `↓ Look at ${target.label}`)]);
}

// The book sections a lesson teaches (its `sources`), as text.
function renderSources(el, sources) {
  const list = Array.isArray(sources) ? sources.filter((x) => typeof x === 'string') : [];
  el.hidden = list.length === 0;
  fill(el, list.length ? [h('span', { class: 'sources-label' }, 'Reading: '),
    list.map((text, i) => [i ? '; ' : '', h('cite', { class: 'source' }, text)])] : []);
}

// ---------------------------------------------------------------- completion

// At the end of a lesson: the score and the completion link, a share link
// of the whole session with the student's answers and the score they saw
// (a claim: the instructor's page works it out again). The link is made
// again when the answers or the name change.
function renderCompletion(finished) {
  const box = $('lesson-complete');
  box.hidden = !finished;
  if (!finished) return;
  const summary = sessionSummary();
  $('complete-score').textContent = scoreText(summary);
  const name = $('student-name').value.trim().slice(0, MAX_STUDENT_CHARS);
  const key = `${page.history.steps.length}/${page.answers}/${name}`;
  const made = page.completionLink;
  if (made.key === key && made.history === page.history) return;
  Object.assign(made, { key, history: page.history, url: null });
  $('completion-url').value = '';
  $('completion-status').textContent = 'Making the link…';
  const session = page.history.toSession();
  if (page.lesson.file) session.lesson = page.lesson.file;
  const record = predictionRecord(page.history.steps, page.predictions);
  if (record.length) session.predictions = record;
  session.completion = { score: { right: summary.right, of: summary.of } };
  if (name) session.completion.student = name;
  encodeSession(session).then((code) => {
    if (made.key !== key) return;  // the answers or the name changed meanwhile: a newer link is on its way
    made.url = `${location.origin}${location.pathname}#s=${code}`;
    $('completion-url').value = made.url;
    $('completion-status').textContent = '';
  });
}

async function copyCompletion() {
  const url = page.completionLink.url;
  if (!url) return;
  $('completion-url').select();
  try {
    await navigator.clipboard.writeText(url);
    $('completion-status').textContent = 'Copied to the clipboard.';
  } catch {
    $('completion-status').textContent = 'Copy it from the box.';
  }
}

// The completion record of a completion link (`s`, checked by share.js)
// opened on this page: the link's claims beside what the replay on screen
// gives. `lessonFile`: the site's copy of the lesson the link names, if any.
function showSummary(s, lessonFile) {
  const problems = [];
  if (s.recordError) problems.push({ where: 'Record', what: `the answers could not be read (${s.recordError}), so none are counted` });
  let lesson = null;
  if (s.lesson !== undefined) {
    const entry = findLesson(page.lessons, s.lesson);
    if (!entry || !lessonFile) {
      problems.push({ where: 'Lesson', what: `the link names the lesson “${s.lesson}”, which this site does not have` });
    } else {
      lesson = { file: entry.file, title: lessonFile.title };
      const mine = s.scenario.steps, theirs = lessonFile.steps;
      const k = mine.findIndex((step, i) => JSON.stringify(step) !== JSON.stringify(theirs[i]));
      if (k >= 0 || mine.length !== theirs.length) {
        problems.push({ where: 'Steps', what: k >= 0 && k < theirs.length
          ? `step ${k + 1} differs from step ${k + 1} of the lesson “${lessonFile.title}” (the session is not the lesson's)`
          : `the link has ${plural(mine.length, 'step')}, the lesson “${lessonFile.title}” has ${plural(theirs.length, 'step')}` });
      }
    }
  }
  const record = s.predictions ?? [];
  const summary = sessionSummary(record, s.completion?.score ?? null);
  const el = $('completion');
  renderSummary(el, summary, {
    title: s.scenario.title,
    lesson,
    sources: (lesson ? lessonFile : s.scenario).sources,
    student: s.completion?.student ?? (s.completion ? '' : undefined),
    steps: s.scenario.steps.length,
    cursor: s.cursor,
    problems,
  }, { print: () => window.print(), close: hideSummary });
  el.hidden = false;
  document.body.classList.add('has-summary');
}

function hideSummary() {
  $('completion').hidden = true;
  document.body.classList.remove('has-summary');
}

// The open lesson's lab sheet (labsheet.js): printing then prints it alone.
function openSheet() {
  if (!page.lesson) return;
  hideSummary();
  openLabSheet(page.module, page.lesson, $('lab-sheet-open'));
}

// Re-rendering replaces the consumer cards; keep the keyboard focus on the
// equivalent control, and off controls that became disabled.
function focusKey() {
  const a = document.activeElement;
  const card = a?.closest?.('article.card');
  if (!card) return null;
  return { consumer: card.dataset.consumer, action: a.dataset.action ?? null, name: a.name ?? null };
}

// Where the focus goes when the control that had it became disabled by its
// own click (restoreFocus).
const AFTER = { 'crash-process': 'recover', 'crash-power': 'recover', recover: 'report-open' };

function restoreFocus(key) {
  if (key) {
    const card = [...document.querySelectorAll('article.card')].find((c) => c.dataset.consumer === key.consumer);
    const el = card && (key.action ? card.querySelector(`[data-action="${key.action}"]`) : card.querySelector(`[name="${key.name}"]`));
    if (el && !el.disabled) return el.focus();
    // The control became disabled (Flush with nothing left to flush): the
    // card itself takes the focus, so Tab goes on from where the student
    // was instead of the focus jumping to another button.
    if (card) return card.focus({ preventScroll: true });
  }
  const a = document.activeElement;
  // A crash disables its button: the focus goes to Recover, what comes next
  // (it went to the commit mode, the panel's first control). A recovery
  // disables Recover: the focus goes to the button that shows its report,
  // drawn at the top of the page, off screen from the Failure panel.
  const then = a?.disabled ? $(AFTER[a.id] ?? '') : null;
  if (then && then.getClientRects().length > 0 && !then.disabled) return then.focus({ preventScroll: true });
  if (a?.disabled) {
    // A control that became disabled otherwise: the focus moves to the
    // first enabled control of its panel, and the page does not scroll (the
    // slider, at the top, took the focus and scrolled the page there).
    const panel = a.closest('.panel');
    const next = panel && [...panel.querySelectorAll('button, input, select')]
      .find((el) => !el.disabled && el.getClientRects().length > 0);
    (next ?? $('slider')).focus({ preventScroll: true });
  }
}

// ---------------------------------------------------------------- presentation mode
// For a lecture projector (1024×768 and up): the lesson, the timeline, the
// log with every position and the consumers on one screen, nothing to
// scroll. The controls are set aside (a lesson's steps do the work), and the
// type is as large as fits: from 22 px down to 14 px (the built-in lessons
// measure 14.25–22 px at 1024×768: tests/browser/layout.test.mjs). Past
// that the page scrolls rather than shrink further.
const PRESENT_PX = { max: 22, min: 14 };
const presenting = () => document.documentElement.classList.contains('present');

function setPresenting(on, remember = true) {
  keepLogView($('log'), () => {
    document.documentElement.classList.toggle('present', on);
    $('present').setAttribute('aria-pressed', String(on));
    $('present').textContent = on ? 'Exit presentation' : 'Present';
    fitPresentation();
  });
  if (remember) {
    // In the address, so that a reload (or the instructor's bookmark) stays in it.
    const url = new URL(location.href);
    if (on) url.searchParams.set('present', '1');
    else url.searchParams.delete('present');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
}

// The type only shrinks while one lesson is presented in one window (the
// layout would jump at every step otherwise); a new session, a resize or
// presenting again starts from the largest.
const presentFit = { key: null, px: PRESENT_PX.max };

/** The largest type, to a quarter pixel, at which the page fits the window without scrolling. */
function fitPresentation() {
  const root = document.documentElement;
  if (!presenting()) {
    root.style.removeProperty('--present-px');
    presentFit.key = null;
    return;
  }
  const key = `${window.innerWidth}×${window.innerHeight}/${page.lesson?.title ?? page.history?.title ?? ''}`;
  if (presentFit.key !== key) Object.assign(presentFit, { key, px: PRESENT_PX.max });
  const fits = (px) => {
    root.style.setProperty('--present-px', `${px}px`);
    return root.scrollHeight <= window.innerHeight && root.scrollWidth <= window.innerWidth;
  };
  let lo = PRESENT_PX.min, hi = presentFit.px;
  if (fits(hi)) return;
  while (hi - lo > 0.25) {
    const mid = Math.round((lo + hi) * 2) / 4;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  fits(lo);
  presentFit.px = lo;
}

function render() {
  const t0 = performance.now();
  const focus = focusKey();
  renderPage();
  // The type changes size after the strip was scrolled to its step's entry.
  if (presenting()) keepLogView($('log'), fitPresentation);
  restoreFocus(focus);
  // For the browser tests' figures (and anyone profiling): how long drawing took.
  performance.measure('unbundled:render', { start: t0 });
}

// The database's condition and, after a recovery, its report in words.
function renderReport(state, current) {
  const el = $('report');
  const parts = [];
  // Whether the database is down, while a prediction asks it, is not said here.
  if (state.down && !concealed()?.down) {
    // What took it down, as the engine says: a crash step or a write's
    // crash on the way (a refused step took nothing down).
    const kind = state.down_by;
    const survived = kind === 'power'
      ? 'A power loss: only the log bytes that were synced are on disk; log entries written after them are gone from the file (Recover names the writes lost). '
      : kind === 'process'
        ? 'A process crash: every log byte written reached the OS, so the log file is whole. '
        : '';
    parts.push(h('p', { class: 'down-banner' }, h('strong', {}, 'The database is down. '), survived,
      'Storage is lost with its memory; the log file is what survived. Writes, reads, flushes and new consumers are refused until you Recover. The derived systems still answer queries, possibly stale.'));
  }
  if (current?.step.op === 'recover' && current.result.ok) {
    const r = current.result;
    const acked = r.lost.filter((l) => l.acknowledged).map((l) => l.lsn);
    const unacked = r.lost.filter((l) => !l.acknowledged).map((l) => l.lsn);
    const torn = r.problems.find((p) => p.kind === 'torn_tail');
    const damaged = r.problems.filter((p) => p.kind === 'corruption');
    const items = [
      h('li', {}, `Read the log file from its first byte and checked every record's checksum (${r.mode} recovery).`),
      h('li', {}, `Replayed ${plural(r.replayed, 'log entry', 'log entries')} into storage: the log now ends at LSN ${r.recovered}, and the next write takes the next LSN.`),
      r.checkpoint !== null ? h('li', { id: 'recovery-checkpoint' }, h('strong', {}, `Loaded the checkpoint at LSN ${r.checkpoint} first`),
        r.replayed === 0 ? ' (a storage image); no log entry follows it, so none was replayed. '
          : ` (a storage image), so only the ${plural(r.replayed, 'log entry', 'log entries')} after it ${r.replayed === 1 ? 'was' : 'were'} replayed. `,
        `Without the checkpoint: ${plural(r.without_checkpoint.replayed, 'log entry', 'log entries')} to replay`,
        r.without_checkpoint.complete ? '.' : ', and even that would not rebuild storage: a truncation removed the log\'s first entries.') : null,
      r.checkpoint_unused ? h('li', { id: 'recovery-checkpoint-unused' }, `The checkpoint was not used: ${r.checkpoint_unused}.`) : null,
      torn ? h('li', {}, `Cut a torn tail of ${torn.bytes} byte${torn.bytes === 1 ? '' : 's'} at byte ${torn.offset}: a record the crash cut short. That is a clean end, not damage.`) : null,
      // Skip mode reads on from the next byte that starts a valid record:
      // what it drops is a stretch of bytes, which can hold several records
      // (a flipped length hides where the next one starts), and there can
      // be several stretches. Each is named, with its size.
      ...damaged.map((p) => h('li', { class: 'bad' }, `Found a damaged record at byte ${p.offset}${p.lsn !== null ? ` (it claims LSN ${p.lsn})` : ''}: ${p.reason}. `,
        r.mode === 'skip'
          ? `Skip mode dropped the ${plural(p.bytes, 'byte')} from there to the next valid record (any record in them is lost) and kept the valid records after them.`
          : 'Point-in-time recovery stopped there: it and everything after it are gone.')),
      acked.length ? h('li', { class: 'bad', id: 'lost-acknowledged' }, h('strong', {}, `Lost acknowledged write${acked.length === 1 ? '' : 's'}: LSN ${lsnList(acked)}. `),
        acked.length === 1 ? 'The client was told it succeeded, and it is gone.' : 'The client was told they succeeded, and they are gone.') : null,
      unacked.length ? h('li', { id: 'lost-unacknowledged' }, `Lost LSN ${lsnList(unacked)}, never acknowledged: the client was not told they succeeded, so no promise was broken.`) : null,
      r.lost.length ? null : h('li', { class: 'ok' }, 'Nothing written before the crash was lost.'),
      r.survived_unacknowledged.length ? h('li', {}, `LSN ${lsnList(r.survived_unacknowledged)} survived although the client never got a reply: an unacknowledged write may or may not have happened.`) : null,
      r.ahead.length ? h('li', { class: 'bad' }, `${r.ahead.join(', ')} ${r.ahead.length === 1 ? 'has' : 'have'} processed writes the database no longer has: ahead of the log. Rebuild ${r.ahead.length === 1 ? 'it' : 'them'}.`) : null,
    ];
    parts.push(h('div', { class: 'recovery-report', role: 'status', 'aria-label': describeRecovery(r) },
      h('h2', {}, 'Recovery report'), h('ul', {}, items)));
  }
  fill(el, parts);
  el.hidden = parts.length === 0;
  // Beside Recover, a way to the report (the Failure panel is far below it).
  $('report-link').hidden = !(current?.step.op === 'recover' && current.result.ok) || page.embed;
}

function renderPage() {
  const { history } = page;
  const state = history.view(viewRequest());
  if (!state.ok) {
    notice(state.out_of_memory ? state.error : `The page could not draw this step (${state.error}).`, 'error');
    return;
  }
  const current = history.current();
  const moved = history.movedConsumers();
  notePrediction();
  // While a prediction waits for its answer, what would give it away is
  // hidden everywhere it is drawn (render.js concealment).
  conceal(concealment(awaitingPrediction()?.step));
  renderTimeline();
  renderBanner();
  renderLesson();
  renderPrediction();
  renderReport(state, current);
  renderLog($('log'), state, current, moved, page.embed ? null : showRecord, nav);
  renderBytes();
  renderFailureControls(state);
  renderRetentionControls(state);
  renderStorage($('storage'), $('storage-lsn'), state, current, nav);
  $('storage-detail').reset?.();
  $('storage-detail').hidden = page.embed || !$('storage').querySelector('table.virtual');
  renderStream($('stream'), state, current, nav);
  renderClients($('clients-panel'), $('clients'), state, current, page.embed ? null : clientActions);
  drawConsumers(state, current);
  // The operator's view: the consumer-group table and lag over the steps.
  recordLags(history, state);
  if (!page.embed) {
    const t0 = performance.now();
    renderOperator($('operator'), state, history);
    performance.measure('unbundled:operator', { start: t0 });
  }
  // After the picture is drawn: the lesson offers to scroll to what changed.
  if (page.lesson && onScript() && !page.embed) renderLook($('lesson-look'), current);
  else $('lesson-look').hidden = true;
  if (current?.step.op === 'get' && current.result.ok) {
    $('get-result').textContent = `get ${current.step.key} → ${pretty(current.result.value)}`;
  } else if (current?.step.op === 'scan' && current.result.ok) {
    const { rows, more } = current.result;
    fill($('get-result'), `scan “${current.step.prefix}” → ${rows.length} row${rows.length === 1 ? '' : 's'}${more ? ' (more not shown)' : ''}`,
      rows.length ? h('table', { class: 'scan' }, h('tbody', {}, rows.map((r) => h('tr', {}, h('td', { class: 'key' }, r.key), h('td', { class: 'value' }, pretty(r.value)))))) : null);
  } else if (current?.step.op === 'delete' && current.result.ok && !current.result.event) {
    $('get-result').textContent = `delete ${current.step.key}: no such key, so nothing was written to the log.`;
  } else {
    $('get-result').textContent = '';
  }
  if (page.embed) {
    const full = new URL(location.href);
    full.searchParams.delete('embed');
    full.searchParams.set('step', String(history.cursor));
    $('open-full').href = full.href;
  }
  if (page.scrollsInFrame) {
    // A whole session's first drawing (an import): its DOM is built in this
    // task, and laid out in the next frame's, where the panels are scrolled
    // before that frame is painted: two tasks of about half the work each,
    // rather than one over 50 ms.
    page.scrollsInFrame = false;
    requestAnimationFrame(() => applyScrolls());
  } else {
    applyScrolls();
  }
  document.title = `${page.lesson ? page.lesson.title : history.title} · step ${history.cursor} · Unbundled`;
  save();
}

// How far back a render looks for a read still waiting (a render must not
// cost O(history)).
const PENDING_READ_WINDOW = 1000;

/**
 * Reads with min_position that found their consumer not ready, by consumer:
 * {step, query, need}, for each consumer whose latest query (within the
 * window before the cursor) was one.
 */
function pendingReads(state) {
  const out = Object.create(null);  // by consumer name
  const history = page.history;
  const names = new Set(state.consumers.map((c) => c.name));
  for (let n = history.cursor; n >= 1 && n > history.cursor - PENDING_READ_WINDOW && names.size; n--) {
    const step = history.steps[n - 1];
    if (step.op !== 'query' || !names.has(step.consumer)) continue;
    names.delete(step.consumer);
    // Only results already known: working one out would move the cursor.
    const r = history.known(n) ? history.results[n - 1] : undefined;
    if (step.min_position !== undefined && r?.ok && r.ready === false && r.answered_by === null) {
      out[step.consumer] = { step: n, query: step, need: step.min_position };
    }
  }
  return out;
}

function drawConsumers(state, current) {
  renderConsumers($('consumers'), state, current, page.history.movedConsumers(), consumerActions, freshAnswer(state, current), page.consumerErrors, nav, pendingReads(state));
}

const consumerActions = {
  // The same query again (a read that was waiting, now ready).
  ask: (query) => act({ ...query }, query.consumer),
  step: (name) => act({ op: 'step', consumer: name }, name),
  flush: (name) => flushConsumers(name),
  commit: (name) => act({ op: 'commit', consumer: name }, name),
  crash: (name) => act({ op: 'crash_consumer', consumer: name }, name),
  rebuild: (name) => actPreparedStep({ op: 'rebuild', consumer: name }, name, `Rebuilding ‘${name}’ from a snapshot:`, STORED_ROWS),
  remove: (name) => act({ op: 'remove_consumer', consumer: name }, name),
  query: (c, text, field, fetch, minPosition = '', fallback = false) => {
    const step = { op: 'query', consumer: c.name };
    if (field) step.field = field;
    step[QUERY_FIELD[c.type]] = text;
    if (fetch) step.fetch = true;
    if (minPosition !== '') {
      if (!/^\d+$/.test(minPosition) || !Number.isSafeInteger(Number(minPosition))) {
        showError(c.name, `needs LSN: must be an LSN, a whole number (got “${minPosition}”), or empty`);
        render();
        return { ok: false };
      }
      step.min_position = Number(minPosition);
    }
    if (fallback) {
      if (minPosition === '') {
        showError(c.name, '“else ask storage” goes with needs LSN: give the LSN of the write this read must see');
        render();
        return { ok: false };
      }
      step.fallback = 'storage';
    }
    return act(step, c.name);
  },
};

// A client's waiting second writes (the Clients panel).
const clientActions = {
  send: (client) => act({ op: 'direct_write', client }, $('clients-error')),
  crash: (client) => act({ op: 'crash_client', client }, $('clients-error')),
};

// ---------------------------------------------------------------- failure

/** Shows the bytes of the log entry with this LSN (from the live engine). */
function showRecord(lsn) {
  page.recordLsn = lsn;
  renderBytes();
  $('bytes').scrollIntoView({ block: 'nearest' });
}

function renderBytes() {
  const el = $('bytes');
  if (page.recordLsn === null || page.embed) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  // A record's bytes spell out its LSN, key and value: not while the entry,
  // or LSNs, are what a prediction asks.
  const m = concealed();
  if (m && (m.lsns || m.entry === page.recordLsn)) {
    fill($('bytes-body'), h('p', { class: 'masked-block' }, masked('This record\'s bytes: ')));
    return;
  }
  const found = page.history.sim.record(page.recordLsn);
  const record = found.ok ? found : null;
  const current = page.history.current();
  const flipped = current?.step.op === 'corrupt' && current.result.ok && current.result.lsn === page.recordLsn
    ? current.result.byte : null;
  renderRecord($('bytes-body'), record, page.recordLsn, {
    flip: (byte) => act({ op: 'corrupt', lsn: page.recordLsn, byte }, $('bytes-error')),
    close: () => { page.recordLsn = null; el.hidden = true; },
  }, flipped);
}

// Escape closes a log record's bytes; the focus goes back to its entry in
// the log strip (or to the strip), as Enter on the entry opened it.
function closeRecord() {
  const lsn = page.recordLsn;
  page.recordLsn = null;
  $('bytes').hidden = true;
  if (!$('bytes').contains(document.activeElement) && document.activeElement !== document.body) return;
  ($('log').querySelector(`.entry[data-lsn="${lsn}"]`) ?? $('log')).focus({ preventScroll: true });
}

function renderFailureControls(state) {
  $('commit-mode').value = state.config.commit;
  $('recovery-mode').value = state.config.recovery;
  const m = concealed();
  $('dedupe-requests').checked = state.config.dedupe_requests === true;
  if (m?.down) {
    // While a prediction asks whether the database is down, no button or
    // label says so (a refused step would, which is the student's own doing).
    for (const id of ['sync', 'crash-process', 'crash-power', 'verify', 'replay-storage', 'recover']) $(id).disabled = false;
    $('db-status').textContent = '?';
    $('db-status').title = 'Hidden until you answer the prediction (or press Show answer)';
    $('db-status').className = 'db-status masked';
    $('write-down').hidden = true;
  } else {
    const down = state.down;
    for (const id of ['sync', 'crash-process', 'crash-power', 'verify', 'replay-storage']) $(id).disabled = down;
    $('recover').disabled = !down;
    // Why it cannot be pressed (a flipped byte waits for the next recovery).
    $('recover').title = down ? '' : 'The database is up: crash it first (Crash process or Crash power), then recover';
    $('db-status').textContent = down ? 'down: recover first' : 'up';
    $('db-status').title = '';
    $('db-status').className = `db-status ${down ? 'down' : 'up'}`;
    // The Write panel's buttons stay: the engine refuses them, and says why.
    $('write-down').hidden = !down;
  }
  const unsynced = state.log.bytes - state.log.synced_bytes;
  $('torn-bytes').max = String(unsynced);
  $('unsynced-bytes').textContent = `${unsynced} unsynced byte${unsynced === 1 ? '' : 's'} now`;
}

/**
 * Reads an LSN from a retention field, or reports why not next to the
 * controls (undefined). An empty optional field is null.
 */
function lsnField(id, label, optional = false) {
  const text = $(id).value.trim();
  const bad = (why) => {
    $('retention-error').textContent = `${label}: ${why}`;
    $(id).setAttribute('aria-invalid', 'true');
    return undefined;
  };
  $(id).removeAttribute('aria-invalid');
  if (text === '') return optional ? null : bad('enter an LSN (a whole number)');
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return bad(`must be an LSN, a whole number (got “${text}”)`);
  return Number(text);
}

// The retention controls: the log's size, the checkpoint, and how far a
// truncation may go without force (what pins the log).
function renderRetentionControls(state) {
  const { log } = state;
  const m = concealed() ?? {};
  for (const id of ['checkpoint', 'truncate', 'compact']) $(id).disabled = state.down && !m.down;
  $('retention-size').textContent = m.entries ? 'log: ? entries, answer the prediction first'
    : `log: ${plural(log.entries, 'entry', 'entries')}, ${plural(log.bytes, 'byte')}`;
  $('checkpoint-note').textContent = !log.checkpoint ? 'none yet' : m.lsns ? 'last at LSN ?' : `last at LSN ${log.checkpoint.lsn}`;
  const r = retention(log);
  // The hint names the log's start, the durable LSN and the pinning
  // consumer's committed position: not while a prediction asks one of them.
  const hide = m.lsns || m.start || m.pins || (r.consumer && (m.consumer === r.consumer.name && m.committed));
  // A suggestion only where a truncation without force would be taken.
  $('truncate-before').placeholder = r.bound > log.start && !hide ? `e.g. ${r.bound}` : 'LSN';
  // (Nothing to compact on an empty log: no LSN to suggest.)
  $('compact-upto').placeholder = hide || log.entries === 0 ? 'LSN' : `e.g. ${log.durable}`;
  // Every consumer tied at the oldest commit pins the log, as the log's
  // summary says: the hint names them all.
  const pinners = r.holder === 'consumer' ? pinningConsumers(state).map((c) => c.name) : [];
  const pinnedBy = pinners.length > 1
    ? `the committed position ${r.consumer.committed} of ${namesPhrase(pinners)}`
    : `${r.consumer?.name}'s committed position ${r.consumer?.committed}`;
  let hint;
  if (hide) {
    hint = 'How far a truncation may go: ? — answer the prediction first.';
  } else if (r.bound > log.start) {
    hint = `Without force, a truncation can remove the entries before LSN ${r.bound}`
      + (r.holder === 'consumer' ? `: ${pinnedBy} pins the rest.` : '.');
  } else if (r.holder === 'consumer') {
    hint = `Without force, nothing more can be truncated: ${pinnedBy} pins the log (a replication slot).`;
  } else if (r.checkpoint === null) {
    hint = 'Without a checkpoint, recovery needs every log entry: checkpoint before truncating.';
  } else if (log.entries === 0) {
    // Truncated (or compacted) to nothing, and nothing written since.
    hint = 'The log has no entries left: there is nothing to truncate.';
  } else {
    hint = `Recovery needs the entries after the checkpoint at LSN ${r.checkpoint}: checkpoint again to truncate more.`;
  }
  $('retention-hint').textContent = hint;
  const full = $('log-full');
  full.hidden = !page.showRemoved && log.removed === 0;
  full.setAttribute('aria-pressed', String(page.showRemoved));
  full.textContent = page.showRemoved ? 'Hide removed entries' : `Show removed entries (${grouped(log.removed)})`;
}

/** Reads a whole number from a field, or reports why not next to it. */
function wholeNumber(id, errorEl, label) {
  const text = $(id).value.trim();
  if (text === '') return 0;
  if (!/^\d+$/.test(text)) {
    errorEl.textContent = `${label}: must be a whole number of bytes (got “${text}”)`;
    return undefined;
  }
  return Number(text);
}

// ---------------------------------------------------------------- controls

// An error's message for a student: the browser's own (a stack overflow,
// an engine trap) goes to the console, and the student reads what to do.
function studentText(e) {
  if (e instanceof RangeError || e instanceof WebAssembly.RuntimeError || typeof e === 'number') {
    return 'the page could not read it (it is too large or too deeply nested)';
  }
  return e?.message ?? String(e);
}

// The value's text is checked by the engine exactly as put checks it
// (size, nesting, field names, integers beyond 2^53, lone surrogates), so
// the live check and Put never disagree; only then does the page parse it.
function checkValue() {
  const el = $('value-check');
  try {
    const text = $('value').value;
    const refused = page.module ? valueError(page.module, text) : null;
    // The engine's message names the place ("value: …", "value.a: …").
    if (refused) throw Object.assign(new Error(refused), { named: true });
    let v;
    try {
      v = JSON.parse(text);
    } catch (e) {
      const hint = /property name|Unexpected token|Bad control/.test(e.message)
        ? ' (names and strings need "double quotes")' : '';
      throw new Error(`${e.message}${hint}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be a JSON object, like {"name": "Ada"}');
    el.textContent = '✓ a valid JSON object';
    el.className = 'check ok';
    $('value').removeAttribute('aria-invalid');
    return v;
  } catch (e) {
    el.textContent = e.named ? e.message : `value: ${e.message}`;
    el.className = 'check bad';
    $('value').setAttribute('aria-invalid', 'true');
    return undefined;
  }
}

const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Leslie', 'Margaret', 'Tim'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lamport', 'Hamilton', 'Berners-Lee'];
const CITIES = ['London', 'Paris', 'Oslo', 'Lagos', 'Lima', 'Pune'];
const BIOS = ['Writes about logs and streams', 'Builds search indexes', 'Replicates databases', 'Designs consensus protocols', 'Tunes storage engines', 'Teaches distributed systems'];
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

function randomUser() {
  // A key not in storage yet: u<rows + 1>, or the next free one after it.
  const rows = page.history.view(TOTALS_ONLY).storage.total;
  let n = rows + 1;
  while (page.history.ask({ op: 'get', key: `u${n}` }).value) n++;
  $('key').value = `u${n}`;
  $('value').value = JSON.stringify({ name: `${pick(FIRST)} ${pick(LAST)}`, city: pick(CITIES), age: 20 + Math.floor(Math.random() * 50), bio: pick(BIOS) });
  checkValue();
}

const CONFIG_FIELDS = {
  secondary_index: [['field', 'city', 'field to index (several: comma-separated)', true]],
  materialized_view: [['group_by', 'city', 'group by field', true], ['sum', 'age', 'sum field (optional)', false], ['list', false, 'list the keys of each group, in arrival order', false]],
  full_text: [['fields', 'name, bio', 'fields, comma-separated (optional: empty means every string field)', false]],
};

function renderConfigFields() {
  const type = $('consumer-type').value;
  fill($('config-fields'), CONFIG_FIELDS[type].map(([name, value, label]) => (typeof value === 'boolean'
    ? h('label', { class: 'inline' }, h('input', { type: 'checkbox', name, checked: value, dataset: { config: name } }), ` ${label}`)
    : h('label', {}, label, h('input', { type: 'text', name, value, spellcheck: 'false', dataset: { config: name } })))));
  suggestConsumerName();
}

// A name for the new consumer that fits what the form says it derives: an
// index by its field(s), a view by its grouping.
function suggestConsumerName() {
  const type = $('consumer-type').value;
  const config = (name) => $('config-fields').querySelector(`[data-config="${name}"]`)?.value ?? '';
  const words = (text) => text.split(',').map((w) => w.trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '')).filter(Boolean);
  const field = words(config(type === 'materialized_view' ? 'group_by' : 'field')).join('_and_').slice(0, 40);
  // Full-text search names no field, so "search" fits whatever it indexes.
  const suggested = type === 'secondary_index' ? (field ? `users_by_${field}` : 'users_index')
    : type === 'materialized_view' ? (field ? `${field}_stats` : 'stats') : 'search';
  const names = new Set(Object.keys(page.history?.positions[page.history.cursor] ?? {}));
  let name = suggested;
  for (let i = 2; names.has(name); i++) name = `${suggested}_${i}`;
  // A name the student typed stays; only an empty one or our last suggestion is replaced.
  const current = $('consumer-name').value;
  if (current === '' || current === page.suggestedName) $('consumer-name').value = name;
  page.suggestedName = name;
}

function consumerSpecFromForm() {
  const spec = { name: $('consumer-name').value, type: $('consumer-type').value };
  for (const input of $('config-fields').querySelectorAll('input')) {
    const v = input.value.trim();
    if (input.type === 'checkbox') {
      if (input.checked) spec[input.name] = true;
    } else if (input.name === 'fields') {
      if (v) spec.fields = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (input.name === 'field' && v.includes(',')) {
      // Several fields: one index with a posting list per field.
      spec.fields = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (v || CONFIG_FIELDS[spec.type].find(([n]) => n === input.name)[3]) {
      spec[input.name] = v;
    }
  }
  if ($('consumer-offsets').value === 'separate') spec.offsets = 'separate';
  if ($('consumer-feed').value === 'direct') spec.feed = 'direct';
  if ($('consumer-apply').value === 'upsert') spec.apply = 'upsert';
  const every = $('consumer-commit-every').value.trim();
  if (every !== '' && every !== '1') spec.commit_every = /^\d+$/.test(every) ? Number(every) : every;
  return spec;
}

/**
 * Adds the write form's options to a put, delete or insert step: its request
 * id, a dual write and its client, and the crash option. Undefined if the
 * torn bytes are bad.
 */
function withFault(step) {
  const requestId = $('request-id').value;
  if (requestId !== '') step.request_id = requestId;
  const direct = $('write-direct').value;
  if (direct) {
    step.direct = direct;
    const client = $('write-client').value.trim();
    if (direct === 'later' && client && client !== 'app') step.client = client;
  }
  const fault = $('write-crash').value;
  if (!fault) return step;
  step.crash = fault;
  if (fault === 'before_sync') {
    clearErrors();
    const torn = wholeNumber('write-torn', $('write-error'), 'torn bytes');
    if (torn === undefined) return undefined;
    if (torn) step.torn_bytes = torn;
  }
  return step;
}

// Keys typed into a field, or used to scroll a focused list (storage: its
// arrows, Page and Home/End keys scroll it), are not timeline shortcuts.
// Keys typed into a field, or in a scrolling panel (the log strip, storage,
// the change stream, a consumer's state), are theirs: arrows and Home/End
// scroll the panel rather than move through the history.
function isTyping(target) {
  return target instanceof HTMLElement && (target.matches('input:not([type=range]):not([type=file]), textarea, select') || target.isContentEditable
    || target.closest('#log, #storage, #stream, .state-scroll') !== null);
}

function wireControls() {
  $('value').addEventListener('input', checkValue);
  $('random-user').addEventListener('click', randomUser);
  // A put or an insert: the key field names the key (or the prefix).
  const writeValue = (op, field) => {
    const value = checkValue();
    if (value === undefined) {
      $('write-error').textContent = $('value-check').textContent;
      return;
    }
    const step = withFault({ op, [field]: $('key').value, value });
    if (step) act(step, $('write-error'));
  };
  $('write-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    writeValue('put', 'key');
  });
  $('delete').addEventListener('click', () => {
    const step = withFault({ op: 'delete', key: $('key').value });
    if (step) act(step, $('write-error'));
  });
  $('insert').addEventListener('click', () => writeValue('insert', 'prefix'));
  $('write-direct').addEventListener('change', () => { $('write-client-label').hidden = $('write-direct').value !== 'later'; });
  $('dedupe-requests').addEventListener('change', () => act({ op: 'configure', dedupe_requests: $('dedupe-requests').checked }, $('write-error')));
  // A consumer fed by the application joins by snapshot: it has no log to replay.
  $('consumer-feed').addEventListener('change', () => {
    const direct = $('consumer-feed').value === 'direct';
    const replay = document.querySelector('input[name=mode][value=replay]');
    replay.disabled = direct;
    if (direct) document.querySelector('input[name=mode][value=snapshot]').checked = true;
  });
  $('get').addEventListener('click', () => act({ op: 'get', key: $('key').value }, $('write-error')));
  $('scan').addEventListener('click', () => act({ op: 'scan', prefix: $('key').value }, $('write-error')));
  $('replay-storage').addEventListener('click', () => actPreparedStep({ op: 'replay_storage' }, $('storage-error'), 'Replaying storage from the log:'));
  $('write-crash').addEventListener('change', () => { $('write-torn-label').hidden = $('write-crash').value !== 'before_sync'; });

  $('commit-mode').addEventListener('change', () => act({ op: 'configure', commit: $('commit-mode').value }, $('failure-error')));
  $('recovery-mode').addEventListener('change', () => act({ op: 'configure', recovery: $('recovery-mode').value }, $('failure-error')));
  $('sync').addEventListener('click', () => act({ op: 'sync' }, $('failure-error')));
  $('crash-process').addEventListener('click', () => act({ op: 'crash', kind: 'process' }, $('failure-error')));
  $('crash-power').addEventListener('click', () => {
    clearErrors();
    const torn = wholeNumber('torn-bytes', $('failure-error'), 'torn bytes');
    if (torn === undefined) return;
    act(torn ? { op: 'crash', kind: 'power', torn_bytes: torn } : { op: 'crash', kind: 'power' }, $('failure-error'));
  });
  $('report-open').addEventListener('click', () => {
    $('report').scrollIntoView({ block: 'nearest' });
    $('report').focus({ preventScroll: true });
  });
  $('recover').addEventListener('click', () => {
    const mode = $('recover-as').value;
    actPreparedStep(mode ? { op: 'recover', recovery: mode } : { op: 'recover' }, $('failure-error'), 'Recovering:');
  });
  $('verify').addEventListener('click', () => actPreparedStep({ op: 'verify' }, $('failure-error'), 'Checking consistency:'));
  $('checkpoint').addEventListener('click', () => act({ op: 'checkpoint' }, $('retention-error')));
  $('truncate').addEventListener('click', () => {
    clearErrors();
    const before = lsnField('truncate-before', 'truncate before');
    if (before === undefined) return;
    const step = { op: 'truncate', before };
    if ($('truncate-force').checked) step.force = true;
    // Forcing is for one truncation, not a setting that stays on.
    actPreparedStep(step, $('retention-error'), 'Truncating the log:').then((r) => {
      if (r?.ok) $('truncate-force').checked = false;
    });
  });
  $('compact').addEventListener('click', () => {
    clearErrors();
    const upto = lsnField('compact-upto', 'compact up to');
    if (upto === undefined) return;
    const tombstones = lsnField('compact-tombstones', 'drop tombstones before', true);
    if (tombstones === undefined) return;
    const step = { op: 'compact', upto };
    if (tombstones !== null) step.tombstones_before = tombstones;
    actPreparedStep(step, $('retention-error'), 'Compacting the log:');
  });
  // Enter in an LSN field takes its step, as in a form.
  const onEnter = (ids, button) => ids.forEach((id) => $(id).addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); $(button).click(); }
  }));
  onEnter(['truncate-before'], 'truncate');
  onEnter(['compact-upto', 'compact-tombstones'], 'compact');
  $('log-full').addEventListener('click', () => {
    page.showRemoved = !page.showRemoved;
    page.win.wal = null;
    page.win.chosen = false;
    page.focusLsn = null;
    if (page.showRemoved) {
      // Retention removes the oldest entries first: show the list from its
      // first LSN, where they are.
      const v = page.history.view({ wal: walWindow({ count: 0 }), events: { count: 0 }, storage: { count: 0 } });
      if (v.ok && v.wal.first > 0) return nav.walTo(v.wal.first);
    }
    // Hiding them, the strip follows the newest entries again.
    render();
  });
  $('bytes-close').addEventListener('click', () => { page.recordLsn = null; $('bytes').hidden = true; });
  $('flush-all').addEventListener('click', () => flushConsumers());
  $('bulk-form').addEventListener('submit', (ev) => { ev.preventDefault(); bulkPut(); });
  $('consumer-type').addEventListener('change', renderConfigFields);
  // The suggested name follows the field it names (a name the student typed stays).
  $('config-fields').addEventListener('input', suggestConsumerName);
  $('consumer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const mode = document.querySelector('input[name=mode]:checked').value;
    const step = { op: 'add_consumer', mode, consumer: consumerSpecFromForm() };
    // A consumer that replays the log reads nothing as it joins; one added
    // by snapshot reads every stored row.
    const added = (r) => {
      if (!r?.ok) return;
      $('consumer-name').value = '';  // that name is taken now: suggest the next
      // The fields are drawn again: one that had the focus (Enter in it
      // submits the form) gives it to the field drawn in its place, where it
      // fell to the page's body, and the next arrow key moved through time.
      const focused = document.activeElement?.closest?.('#config-fields') ? document.activeElement.dataset.config : null;
      renderConfigFields();
      if (focused) $('config-fields').querySelector(`[data-config="${focused}"]`)?.focus({ preventScroll: true });
    };
    if (mode === 'replay') added(act(step, $('consumer-error')));
    else actPreparedStep(step, $('consumer-error'), `Adding ‘${step.consumer.name}’ by snapshot:`, STORED_ROWS).then(added);
  });

  $('back').addEventListener('click', () => { stopPlaying(); goTo(page.history.cursor - 1); });
  $('forward').addEventListener('click', () => { stopPlaying(); forward(); });
  $('play').addEventListener('click', togglePlay);
  $('slider').addEventListener('input', () => { stopPlaying(); goTo(Number($('slider').value)); });
  $('speed').addEventListener('change', () => { if (page.playing !== null) { stopPlaying(); togglePlay(); } });

  // The keyboard moves through the picker without opening anything (on a
  // closed select, Chromium fires change at every arrow key): Enter opens
  // the lesson chosen, and leaving the picker puts back the one shown. A
  // choice made with the mouse, or in the opened list, opens at once.
  let pickedByKey = false;
  const picker = $('lesson-picker');
  picker.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      if (pickedByKey) {
        ev.preventDefault();
        pickedByKey = false;
        picker.dispatchEvent(new Event('change'));
      }
    } else if (!ev.altKey && ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown'].includes(ev.key)) {
      pickedByKey = true;
    }
  });
  picker.addEventListener('mousedown', () => { pickedByKey = false; });
  picker.addEventListener('blur', () => {
    if (pickedByKey) {
      pickedByKey = false;
      renderPicker();
    }
  });
  picker.addEventListener('change', async () => {
    if (pickedByKey) return;  // chosen with the arrows: Enter opens it
    const file = $('lesson-picker').value;
    page.holdSave = false;
    clearNotices();
    try {
      if (file === '#opened') {
        if (!await openOpened()) await openSandbox();
      } else if (file) {
        await openLesson(file);
      } else {
        await openSandbox();
      }
    } catch (e) {
      notice(`Could not open the lesson: ${e.message}`, 'error');
    }
    // The arrow keys now step through the lesson, not through the picker.
    $('forward').disabled ? $('slider').focus() : $('forward').focus();
  });
  $('lesson-return').addEventListener('click', () => {
    const at = page.leftLessonAt ?? 0;
    const lesson = page.lesson;
    openSession(lesson.scenario, at, lesson, null, page.opened);
  });

  $('reset').addEventListener('click', reset);
  $('share').addEventListener('click', async () => {
    const session = page.history.toSession();
    if (page.lesson?.file && onScript()) session.lesson = page.lesson.file;
    const record = predictionRecord(page.history.steps, page.predictions);
    if (record.length) session.predictions = record;
    let url;
    try {
      url = `${location.origin}${location.pathname}#s=${await encodeSession(session, page.module)}`;
    } catch (e) {
      $('share-box').hidden = false;
      $('share-url').value = '';
      $('share-status').textContent = e.message;  // too long for a link: export a file
      return;
    }
    $('share-box').hidden = false;
    $('share-url').value = url;
    $('share-url').select();
    try {
      await navigator.clipboard.writeText(url);
      $('share-status').textContent = 'Copied to the clipboard.';
    } catch {
      $('share-status').textContent = 'Copy it from the box.';
    }
  });
  $('export').addEventListener('click', exportScenario);
  $('completion-copy').addEventListener('click', copyCompletion);
  try { $('student-name').value = localStorage.getItem('unbundled.student') ?? ''; } catch { /* no storage */ }
  $('student-name').addEventListener('input', () => {
    try { localStorage.setItem('unbundled.student', $('student-name').value); } catch { /* no storage */ }
    renderLesson();
  });
  $('export-ndjson').addEventListener('click', exportChangeStream);
  $('import-file').addEventListener('change', async (ev) => {
    const file = $('import-file').files[0];
    $('import-file').value = '';
    if (!file) return;
    clearErrors();
    clearNotices();
    let loaded = null, check = null, scenario = null;
    try {
      // Read and parsed on a worker, its fields around the steps checked.
      scenario = await readScenarioFile(page.module, file);
      // Its consumers first (throws if one cannot be added), then its steps
      // in slices, with progress and Cancel: each slice checked (each step's
      // shape, the session's length and work) and replayed in one engine
      // call. Only a finished import replaces the session: a step that
      // fails the check stops it, and nothing was changed.
      loaded = new History(page.module, { ...scenario, steps: [] });
      loaded.pending = scenario.steps;
      const refusals = [];
      check = new page.module.ScenarioCheck();
      const done = await withProgress('Importing steps:', (progress, signal) => loaded.load(progress, signal, { check, refusals }));
      // Steps the engine refused are listed before anything is replaced (a
      // lesson's step marked "refused" with the text it is refused with is
      // expected, and not listed).
      const unexpected = refusals.filter(({ step, error }) => {
        const marked = scenario.steps[step - 1]?.refused;
        return !(typeof marked === 'string' && error.includes(marked));
      });
      if (!done || (unexpected.length && !await reviewRefusals(file.name, scenario, unexpected))) {
        loaded.dispose();
        notice(`Import of “${scenario.title}” cancelled: nothing was changed.`);
        return;
      }
      page.holdSave = false;
      // Opened as a session of its own, beside the student's own work; a
      // file with narration (notes, predictions) is played as a lesson
      // (found here: a pass over every step, kept out of the drawing's task).
      const lesson = narrated(scenario) ? customLesson(scenario) : null;
      // Drawn in a task of its own, not after the last slice of steps.
      await nextTask();
      const opened = { from: 'file', name: file.name };
      page.scrollsInFrame = true;
      openSession(scenario, scenario.steps.length, lesson, loaded, opened);
      const refusedText = unexpected.length ? `, ${plural(unexpected.length, 'step')} refused by the engine` : '';
      notice(`Imported “${scenario.title}” (${scenario.steps.length} steps${refusedText}).`);
      // For the browser tests' figures: from choosing the file to the
      // imported session drawn and laid out (in the next frame, once its
      // panels are scrolled).
      requestAnimationFrame(() => performance.measure('unbundled:import', { start: ev.timeStamp }));
    } catch (e) {
      if (loaded !== page.history) loaded?.dispose();
      // A slice's text refused names a place in the slice: the whole
      // scenario's check names it in the file.
      const message = (e.unread && scenarioError(page.module, scenario)) || e.message;
      $('import-error').textContent = `Could not import ${file.name}: ${message}. Nothing was changed.`;
      performance.measure('unbundled:import-refused', { start: ev.timeStamp });
    } finally {
      check?.delete();
    }
  });
  // An embed has no header: its A+ sits on the timeline.
  if (page.embed) {
    document.querySelector('.timeline').append(h('button', { type: 'button', id: 'embed-text-size', 'aria-pressed': 'false',
      title: 'Larger text for projectors', onclick: () => $('text-size').click() }, 'A+'));
  }
  const setLarge = (on) => {
    document.documentElement.classList.toggle('large', on);
    for (const id of ['text-size', 'embed-text-size']) {
      if (!$(id)) continue;
      $(id).setAttribute('aria-pressed', String(on));
      $(id).textContent = on ? 'A−' : 'A+';
    }
  };
  try { setLarge(localStorage.getItem('unbundled.large') === '1'); } catch { /* no storage */ }
  $('text-size').addEventListener('click', () => {
    const on = !document.documentElement.classList.contains('large');
    // Larger text widens every log entry: the strip keeps its head (or the
    // entries it showed) in view.
    keepLogView($('log'), () => setLarge(on));
    try { localStorage.setItem('unbundled.large', on ? '1' : '0'); } catch { /* no storage */ }
  });
  $('present').addEventListener('click', () => setPresenting(!presenting()));
  // Presenting, the header is set aside: the way out is on the timeline.
  document.querySelector('.timeline').append(h('button', { type: 'button', id: 'present-exit', class: 'present-only',
    title: 'Leave presentation mode (P or Esc)', onclick: () => { setPresenting(false); $('present').focus(); } }, 'Exit presentation'));
  if (new URLSearchParams(location.search).get('present') === '1' && !page.embed) setPresenting(true, false);
  window.addEventListener('resize', () => { if (presenting()) keepLogView($('log'), fitPresentation); });
  followLogDetail($('log'), $('log-detail'));
  followStorageDetail($('storage'), $('storage-detail'));

  const help = $('help');
  const openHelp = () => { help.hidden = false; $('help-close').focus(); };
  const closeHelp = () => { help.hidden = true; $('help-button').focus(); };
  $('help-button').addEventListener('click', openHelp);
  $('lab-sheet-open').addEventListener('click', openSheet);
  $('help-close').addEventListener('click', closeHelp);
  help.addEventListener('click', (ev) => { if (ev.target === help) closeHelp(); });

  document.addEventListener('keydown', (ev) => {
    if (page.busy) {
      if (ev.key === 'Escape') { ev.preventDefault(); $('progress-cancel').click(); }
      return;
    }
    if (!help.hidden) {
      if (ev.key === 'Escape' || ev.key === '?') { ev.preventDefault(); closeHelp(); }
      if (ev.key === 'Tab') { ev.preventDefault(); $('help-close').focus(); }  // the dialog is modal
      return;
    }
    if (ev.altKey || ev.ctrlKey || ev.metaKey || isTyping(ev.target) || !page.history) return;
    // (A file input, Import scenario's, takes no typing: ? and the arrows
    // work there; Space opens it, as on a button.)
    const onButton = ev.target instanceof HTMLElement && ev.target.matches('button, summary, a, label.button, input[type=file]');
    const keys = {
      ArrowLeft: () => { stopPlaying(); goTo(page.history.cursor - 1); },
      ArrowRight: () => { stopPlaying(); forward(); },
      Home: () => { stopPlaying(); goTo(0); },
      End: () => { stopPlaying(); goTo(page.history.steps.length); },
      ' ': onButton ? null : togglePlay,
      '?': openHelp,
      f: page.embed ? null : () => act({ op: 'flush' }, $('flush-error')),
      p: page.embed ? null : () => setPresenting(!presenting()),
      Escape: presenting() ? () => setPresenting(false) : !$('bytes').hidden ? closeRecord : null,
    };
    const fn = keys[ev.key];
    if (fn) {
      ev.preventDefault();
      fn();
    }
  });
}

// ---------------------------------------------------------------- start

async function start() {
  // Neither needs the engine: under way while it compiles.
  const lessons = fetchJson('lessons/index.json');
  lessons.catch(() => {});  // reported below, once the engine is loaded
  if (new URLSearchParams(location.search).get('embed') !== '1') store.open();
  try {
    page.module = await loadModule();
  } catch (e) {
    fill(document.querySelector('main'), h('p', { class: 'error' }, `The engine could not be loaded: ${e.message}`));
    return;
  }
  page.ops = Object.fromEntries(JSON.parse(page.module.ops()).map((op) => [op.name, op]));
  const params = new URLSearchParams(location.search);
  page.embed = params.get('embed') === '1';
  document.body.classList.toggle('embed', page.embed);
  if (page.embed) {
    const full = new URL(location.href);
    full.searchParams.delete('embed');
    $('lesson').append(h('a', { class: 'open-full', id: 'open-full', href: full.href, target: '_blank', rel: 'noopener' },
      'Open in the full simulator ↗'));
  }
  try {
    page.lessons = await lessons;
  } catch (e) {
    notice(`The lessons could not be loaded: ${e.message}`, 'error');
  }
  for (const l of page.lessons) $('lesson-picker').append(h('option', { value: l.file }, l.title));
  wireControls();
  renderBulkLimits();
  renderConfigFields();

  // What the last page kept as it was left, moved into the store first.
  if (!page.embed) await store.recover();
  // Which session to open: a share link, an embed, the session opened from
  // outside if it was on screen last, the student's own, or a sandbox.
  const opened = await openFromLink() || (!page.embed && shownRecord().shown === 'opened' && await openOpened());
  if (!opened) await openOwn();
  // Then, when the page is idle, the engine's readers of outside text are
  // made ready, so that a link pasted later is checked (and refused) fast,
  // and so are the fonts of a long session's first drawing.
  // Not in the student's first moments: the readers' first round compiles
  // them in one go (200 ms with the CPU throttled 4x), and a first click
  // would wait for it. A slower machine's first moments last longer: 300 ms,
  // or three times what drawing the session took if that is longer.
  const drawing = performance.getEntriesByName('unbundled:render').at(-1)?.duration ?? 0;
  page.stopWarming = warmReaders(page.module, 4, Math.max(300, 3 * drawing));
  (globalThis.requestIdleCallback ?? ((fn) => setTimeout(fn, 50)))(warmFonts);
}

/**
 * Opens a checked {scenario, cursor, lesson?, predictions?}: as the lesson if
 * it is still its script, with the answers. `from`: 'saved' or 'link', for
 * the notice if the answers cannot be read. Resolves to the site's copy of
 * the lesson it names, if there is one.
 */
async function openSaved(s, from = 'saved', opened = null) {
  const entry = s.lesson && findLesson(page.lessons, s.lesson);
  let lesson = null;
  if (entry) lesson = await fetchJson(`lessons/${entry.file}`);
  if (lesson && sameSteps(lesson.steps, s.scenario.steps)) await openLesson(entry.file, s.cursor, lesson, opened);
  else {
    const loaded = await loadInSlices(s, from === 'link' ? 'Opening the link\'s session: step' : 'Opening your saved session: step');
    // A session from outside keeps its narration (notes, predictions).
    openSession(s.scenario, s.cursor, opened && narrated(s.scenario) ? customLesson(s.scenario) : null, loaded, opened);
  }
  takeAnswers(s, from);
  return lesson;
}

/**
 * A checked session {scenario, checkSteps?} that History does not load at
 * once (loadsInSlices: a long one, or one with a bulk step): its steps
 * replayed in slices, bulk steps and flushes in parts, with progress
 * (`label`) and Cancel,
 * each slice checked by the engine as it is replayed when `checkSteps` says
 * store.load left them to it (as an import's are). At 100,000 steps a
 * reload had checked the session whole, then replayed it at once: two tasks
 * of 440 and 590 ms, with "loading…" on screen. Resolves to the loaded
 * History, or null for a short session (openSession loads it); a Cancel
 * rejects with an Error marked `cancelled`, and nothing was opened.
 */
async function loadInSlices({ scenario, checkSteps = false }, label) {
  if (!loadsInSlices(scenario.steps)) return null;
  const loaded = new History(page.module, { ...scenario, steps: [] });
  loaded.pending = scenario.steps;
  const check = checkSteps ? new page.module.ScenarioCheck() : null;
  let done = false;
  try {
    done = await withProgress(label, (progress, signal) => loaded.load(progress, signal, { check }));
  } catch (e) {
    // A slice's text refused names a place in the slice: the whole
    // scenario's check names it in the session. A step is named as a
    // field of the session, as checkSession names it in a short one.
    if (e.unread) e.message = scenarioError(page.module, scenario) || e.message;
    if (e.message.startsWith('steps[')) e.message = `scenario.${e.message}`;
    throw e;
  } finally {
    check?.delete();
    if (!done) loaded.dispose();
  }
  if (!done) throw Object.assign(new Error('opening it was cancelled'), { cancelled: true });
  // Drawn in a task of its own, not after the last slice of steps.
  await nextTask();
  return loaded;
}

// A saved session whose opening the student cancelled (loadInSlices): kept
// as it was. The session on screen stays; when the page has just been
// loaded there is none, and an empty sandbox is shown, not saved over it
// until the student takes a step there.
function cancelledOpening(what) {
  if (page.history) {
    renderPicker();
    notice(`Opening ${what} was cancelled: it is kept as it was, and this session stays on screen.`);
    return;
  }
  page.holdSave = true;
  openSession(SANDBOX, 0);
  notice(`Opening ${what} was cancelled: it is kept as it was, and opens when you reload the page. `
    + 'A step taken in this empty sandbox replaces it.');
}

/**
 * Opens the student's own work: the session they last had on screen (a
 * lesson or their sandbox), or else their sandbox.
 */
async function openOwn() {
  const saved = await loadSaved(SLOT_CURRENT, 'session');
  if (saved) {
    try {
      await openSaved(saved);
      return;
    } catch (e) {
      if (e.cancelled) return cancelledOpening('your saved session');
      store.remove(SLOT_CURRENT);
      notice(`Your saved session could not be read (${e.message}) and was discarded.`, 'error');
    }
  }
  await openSandbox();
}

/** Opens the session last opened from outside, kept in its own slot; false if there is none. */
async function openOpened() {
  const saved = await loadSaved(SLOT_OPENED, 'opened session');
  if (!saved) return false;
  try {
    await openSaved(saved, 'saved', saved.opened ?? { from: 'share link' });
    return true;
  } catch (e) {
    if (e.cancelled) {
      if (page.history) {
        cancelledOpening('the session you had opened');
        return true;
      }
      // Just loaded: the student's own work is opened instead.
      notice('Opening the session you had opened was cancelled: it is kept as it was, and the Lesson menu opens it. Your own work is shown instead.');
      return false;
    }
    store.remove(SLOT_OPENED);
    notice(`The session you had opened could not be read (${e.message}) and was discarded.`, 'error');
    return false;
  }
}

// The banner over a session from outside: which it is, and the way back to
// the student's own work. Drawn again only when the session changes.
function renderBanner() {
  const el = $('session-banner');
  const opened = page.embed ? null : page.opened;
  const title = page.lesson?.title ?? page.history.title;
  const key = opened ? `${opened.from}/${opened.name ?? ''}/${title}` : '';
  if (el.__key === key) return;
  el.__key = key;
  renderSessionBanner(el, opened, title, 'your own work', backToOwn);
}

async function backToOwn() {
  stopPlaying();
  clearNotices();
  page.holdSave = false;
  await openOwn();
  $('forward').disabled ? $('slider').focus() : $('forward').focus();
}

// The lesson picker: the site's lessons, the sandbox, and the session last
// opened from outside (if one is kept), showing which is on screen.
function renderPicker() {
  const picker = $('lesson-picker');
  const kept = shownRecord().opened;
  const title = page.opened ? (page.lesson?.title ?? page.history?.title) : kept?.title;
  let option = picker.querySelector('option[value="#opened"]');
  if (title !== undefined && title !== null) {
    if (!option) {
      option = h('option', { value: '#opened' });
      picker.options[0].after(option);
    }
    option.textContent = `Opened: ${title}`;
  } else {
    option?.remove();
  }
  picker.value = page.lesson?.file ?? (page.opened ? '#opened' : '');
}

// The answers saved or shared with a session just opened; a malformed
// record is reported (naming the field) and left out, nothing else changed.
function takeAnswers(s, from) {
  if (s.predictions?.length) restorePredictions(s.predictions);
  if (s.recordError) {
    notice(from === 'link'
      ? `The answers to the predictions in this link could not be read (${s.recordError}), so they were left out. The session itself is as the link has it.`
      : `Your saved answers to the predictions could not be read (${s.recordError}) and were discarded. The session itself is restored.`, 'error');
  }
}

/**
 * Opens the session a link names (#s=... share link, or ?lesson=...&step=...),
 * if any. Outside embed mode the link is then taken off the address bar, so
 * that a reload keeps the student's own later steps. Returns true if the link
 * decided what to show (including an empty session for a damaged link).
 */
// The share link's code in the fragment (#s=CODE), or null. Read by hand:
// URLSearchParams took half a second over a 600 KB fragment, before the
// link's own size could be checked. A code is base64url: nothing to decode.
function linkCode() {
  const hash = location.hash;
  let at = hash.startsWith('#s=') ? 3 : hash.indexOf('&s=');
  if (at < 0) return null;
  if (at !== 3) at += 3;
  const end = hash.indexOf('&', at);
  return hash.slice(at, end < 0 ? undefined : end);
}

/**
 * Sets the address without a new history entry, unless it is that already
 * (Chromium took 8-25 ms for each replaceState while refusing a link).
 */
function replaceAddress(address) {
  if (address !== location.pathname + location.search + location.hash) history.replaceState(null, '', address);
}

async function openFromLink(start = performance.now()) {
  const params = new URLSearchParams(location.search);
  const code = linkCode();
  const clean = () => {
    if (page.embed) return;
    params.delete('lesson');
    params.delete('step');
    params.delete('sheet');
    const q = params.toString();
    replaceAddress(location.pathname + (q ? `?${q}` : ''));
  };
  if (code !== null) {
    page.stopWarming();
    // Off the address bar before anything of it runs, and nothing saved
    // until it has opened: a link that fails (or hangs, or crashes the tab)
    // does not fail again on reload, and never replaces what was saved.
    if (!page.embed) replaceAddress(location.pathname + location.search);
    page.holdSave = true;
    try {
      const s = await decodeSession(page.module, code);
      // Opened beside the student's own work, never over it.
      const lesson = await openSaved(s, 'link', { from: 'completion' in s ? 'completion link' : 'share link' });
      // A completion link: its record, worked out again here.
      if ('completion' in s) showSummary(s, lesson);
      page.holdSave = false;
      clean();
    } catch (e) {
      if (e.cancelled) notice('Opening the link\'s session was cancelled: an empty session was started instead. Open the link again to see it. Your saved work is kept: pick Sandbox or reload to get it back.');
      else notice(`This share link cannot be opened: ${studentText(e)}. An empty session was started instead. Your saved work is kept: pick Sandbox or reload to get it back.`, 'error');
      // For the browser tests' figures: from the link to its refusal on screen.
      performance.measure('unbundled:link-refused', { start });
      console.warn('share link refused:', e);
      clean();
      replaceAddress(location.pathname + location.search);
      page.holdSave = true;
      // The refusal is on screen first; the empty session is drawn after it.
      await new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0)));
      openSession(SANDBOX, 0);
    }
    return true;
  }
  if (params.has('lesson')) {
    const step = Number.parseInt(params.get('step') ?? '0', 10);
    const name = params.get('lesson');
    const at = Number.isFinite(step) && step > 0 ? step : 0;
    try {
      // A site's lesson by its name, or else an instructor's lesson file by its address.
      if (!findLesson(page.lessons, name) && isLessonAddress(name)) await openLessonFile(name, at);
      else await openLesson(name, at);
      // ?sheet=1: the lesson's lab sheet at once (an instructor printing many).
      if (params.get('sheet') === '1') openSheet();
    } catch (e) {
      const names = page.lessons.map((l) => l.file.replace(/\.json$/, '')).join(', ');
      // An embed has no lesson menu: its page's embed code names the lesson.
      const fix = page.embed ? 'Check the lesson= part of this embed\'s address.' : 'Pick a lesson from the Lesson menu.';
      notice(e.lessonFile ? `${e.message} Showing an empty session instead.`
        : `${e.message}. The lessons are: ${names}. ${fix} Showing an empty session instead.`, 'error');
      page.holdSave = true;
      openSession(SANDBOX, 0);
    }
    clean();
    return true;
  }
  return false;
}

// Pasting a share link into the address bar of an open page changes only the
// fragment: load it as if the page had been opened with it.
window.addEventListener('hashchange', async (ev) => {
  await page.idle;  // long work in slices ends (or is cancelled) first
  if (!page.module || linkCode() === null) return;
  clearNotices();
  await openFromLink(ev.timeStamp);
});

start();
