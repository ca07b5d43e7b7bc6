// Which session is on screen, and where it is kept. A student's own work
// (the sandbox, and the lesson or sandbox last on screen) is never
// overwritten by a session that came from outside: a share link, a
// completion link, an imported file or an instructor's lesson file opens as
// its own session, kept in a slot of its own (SLOT_OPENED), and the page
// says so, with a way back. A small record (SHOWN_KEY, in localStorage)
// says which of the two was on screen last, so a reload shows it again.
import { h, fill } from './dom.js';

export const SLOT_OPENED = 'unbundled.opened.v1';
const SHOWN_KEY = 'unbundled.shown.v1';
const MAX_NAME_CHARS = 300;

// Where a session came from, in words.
const FROM = {
  'share link': 'a share link',
  'completion link': 'a completion link',
  file: 'an imported file',
  'lesson file': 'a lesson file',
};

/** Checks the `opened` record of a saved session: {from, name?, title?}; throws if malformed. */
export function checkOpened(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(FROM, value.from)) {
    throw new Error('opened: not a record of where the session came from');
  }
  const out = { from: value.from };
  if (typeof value.name === 'string') out.name = value.name.slice(0, MAX_NAME_CHARS);
  return out;
}

/**
 * {shown: 'opened' | 'own', opened: {title, from} | null}: which session was
 * on screen last, and the opened session kept (for the lesson picker).
 */
export function shownRecord() {
  try {
    const r = JSON.parse(localStorage.getItem(SHOWN_KEY) ?? 'null');
    if (r && (r.shown === 'opened' || r.shown === 'own')) {
      const o = r.opened;
      const opened = o && typeof o.title === 'string' && Object.hasOwn(FROM, o.from) ? { title: o.title, from: o.from } : null;
      return { shown: opened ? r.shown : 'own', opened };
    }
  } catch { /* none, or storage disabled */ }
  return { shown: 'own', opened: null };
}

function writeShown(record) {
  try { localStorage.setItem(SHOWN_KEY, JSON.stringify(record)); } catch { /* storage disabled: a reload shows the student's own */ }
}

/** Records that the student's own work is on screen (a reload shows it). */
export function markOwnShown() {
  const r = shownRecord();
  if (r.shown !== 'own') writeShown({ ...r, shown: 'own' });
}

/** Records that the opened session, just saved in SLOT_OPENED, is on screen. */
export function markOpenedShown(title, from) {
  const r = shownRecord();
  if (r.shown !== 'opened' || r.opened?.title !== title || r.opened?.from !== from) writeShown({ shown: 'opened', opened: { title, from } });
}

/** Forgets which session was on screen (Reset). Returns what it was, for restoreShown. */
export function clearShown() {
  let text = null;
  try {
    text = localStorage.getItem(SHOWN_KEY);
    localStorage.removeItem(SHOWN_KEY);
  } catch { /* nothing kept */ }
  return text;
}

export function restoreShown(text) {
  if (text === null) return;
  try { localStorage.setItem(SHOWN_KEY, text); } catch { /* storage disabled */ }
}

/** Where an opened session came from, in words: “a share link”, “the file lab.json”. */
export function originText(opened) {
  if (opened.from === 'file' && opened.name) return `the file “${opened.name}”`;
  if (opened.from === 'lesson file' && opened.name) return `the lesson file ${opened.name}`;
  return FROM[opened.from] ?? 'outside';
}

/**
 * Whether a scenario carries a lesson's narration (a note on a step, or a
 * prediction): then it opens with the lesson panel, as a lesson does.
 */
export function narrated(scenario) {
  return Array.isArray(scenario?.steps)
    && scenario.steps.some((s) => (typeof s?.note === 'string' && s.note !== '') || s?.op === 'predict');
}

/**
 * The banner over an opened session: what is shown, where it came from, and
 * the way back to the student's own work. `ownLabel` names that work
 * (“your sandbox”, or the lesson in progress).
 */
export function renderSessionBanner(el, opened, title, ownLabel, back) {
  el.hidden = !opened;
  if (!opened) return fill(el, []);
  fill(el,
    h('span', { class: 'session-what' },
      h('strong', {}, 'Shown: '), `“${title}”, opened from ${originText(opened)}. `,
      'It is kept as a session of its own: ', h('strong', {}, `${ownLabel} is saved and unchanged`), '.'),
    ' ',
    h('button', { type: 'button', id: 'back-to-own', class: 'primary', onclick: back }, `Back to ${ownLabel}`));
}

/**
 * The steps an import found refused, before it replaces anything: each step
 * with what it was and the engine's reason, and Open anyway / Cancel.
 * `describe(step)` says what a step is in words.
 */
export function renderRefusals(el, { name, title, total, refusals, steps }, describe, { open, cancel }) {
  const shown = refusals.slice(0, 200);
  el.hidden = false;
  fill(el,
    h('h2', { id: 'import-review-title' }, `The engine refused ${refusals.length} of the ${total} steps in “${name}”`),
    h('p', {}, `Nothing has been replaced yet. If you open “${title}”, the refused steps stay in its history, marked refused, and change nothing; the other steps run as the file has them.`),
    h('ol', { class: 'refusals', id: 'import-refusals' }, shown.map((r) => h('li', { dataset: { step: String(r.step) } },
      h('strong', {}, `Step ${r.step}`), ` (${describe(steps[r.step - 1])}): `, h('span', { class: 'refusal-reason' }, r.error)))),
    refusals.length > shown.length ? h('p', {}, `… and ${refusals.length - shown.length} more.`) : null,
    h('div', { class: 'row' },
      h('button', { type: 'button', id: 'import-open', class: 'primary', onclick: open }, 'Open it anyway'),
      ' ',
      h('button', { type: 'button', id: 'import-cancel', onclick: cancel }, 'Cancel: keep what I have')));
}
