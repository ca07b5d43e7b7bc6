// Rendering: a function of the engine's view (Simulator::View: windows of the
// log, the change stream, storage and each consumer's state, whatever the
// length of the history) and of the step that led to it. Nothing here
// changes the model; stepping back is rendering an older view. `nav` moves
// a window: nav.wal(start | null), nav.walTo(lsn), and, for the virtual
// lists, nav.storageAt / nav.eventsAt(first, visible) and
// nav.rowsAt(consumer, first, visible) with the rows under view.
import { h, fill, patch, json, keyed, list, stale, grouped, plural } from './dom.js';
import { firstUnder, geometry, keepRow, offsetOf, rowAt, scaleOf, unitOf } from './virtual.js';
import { SNAPSHOT_LISTED } from './engine.js';

const OP_NAMES = { c: 'create', u: 'update', d: 'delete', r: 'read (snapshot)' };
const TYPE_NAMES = { secondary_index: 'secondary index', materialized_view: 'materialized view', full_text: 'full-text search' };
export const QUERY_FIELD = { secondary_index: 'value', materialized_view: 'group', full_text: 'text' };
const QUERY_HINT = { secondary_index: 'e.g. London', materialized_view: 'e.g. London', full_text: 'e.g. first compiler' };

// How many of each the page asks the engine for and draws at once.
export const LOG_WINDOW = 40;
export const STREAM_WINDOW = 40;
export const STORAGE_ROWS = 50;
export const STATE_ROWS = 40;
// A log entry's width and the gap after it at the page's own type size
// (--cell-w, 7.5rem): what decides when the strip is too long to draw each
// entry it leaves out at full width (virtual.js). Larger type (A+, presenting)
// makes the strip longer in proportion, still within every browser's limit.
const LOG_PITCH_PX = 7.5 * 16 + 3;
// Keys shown in one row of a consumer's state (an index's posting list, a
// view's list); the row says how many there are in all.
const KEYS_SHOWN = 12;
// Documents shown of a query that fetches each key's document from storage.
const FETCHED_SHOWN = 50;

// Each consumer keeps the colour it got when first drawn, even when others
// are removed. Six colours, then they repeat (the name is always shown too).
const colours = new Map();
/** Forgets the colours (a new session starts over). */
export function resetColours() {
  colours.clear();
}
export function colourOf(name) {
  if (!colours.has(name)) colours.set(name, colours.size % 6);
  return `c${colours.get(name)}`;
}

export function opBadge(op) {
  return h('span', { class: `badge op-${op}`, title: OP_NAMES[op] ?? op }, op);
}

/**
 * Readies the fonts a long session's first drawing needs, while the page is
 * idle. Chromium (on Linux) asks the browser process for a font's settings
 * the first time text of that family, size and weight is laid out: a
 * synchronous round trip each, of 0.5-4 ms on a busy machine. An empty
 * sandbox draws no log entry, storage row or change event, so the first
 * drawing of an imported session made seven of them, inside its one long
 * task. One hidden item of each kind is laid out once and removed.
 */
export function warmFonts() {
  const sample = h('div', { 'aria-hidden': 'true', style: 'position: absolute; top: 0; left: -100rem; width: 40rem; visibility: hidden; contain: strict' },
    h('div', { class: 'entry op-put head' },
      h('div', { class: 'entry-top' }, h('span', { class: 'lsn' }, 'LSN 1'), h('span', { class: 'head-tag' }, 'HEAD')),
      h('div', { class: 'entry-op' }, 'put'), h('div', { class: 'entry-key' }, 'u1'), h('div', { class: 'entry-value' }, '{"a": 1}')),
    h('table', {}, h('tbody', {}, h('tr', {}, h('td', { class: 'key' }, 'u1'), h('td', { class: 'value' }, '{"a": 1}')))),
    h('ol', { class: 'events' }, h('li', {}, h('details', {}, h('summary', {}, opBadge('c'), h('span', { class: 'lsn' }, 'LSN 1'), ' ', h('span', { class: 'key' }, 'u1'))))));
  document.body.append(sample);
  sample.getBoundingClientRect();  // laid out now: its fonts are asked for
  sample.remove();
}

/**
 * A query's answer as pretty() writes it, but a list of keys longer than
 * KEYS_SHOWN cut there with how many there are in all (an index at a million
 * entries answers a city with 80,000 keys: the whole list made the step's
 * caption and the card 140,000 px tall).
 */
export function answerText(value) {
  if (!Array.isArray(value) || value.length <= KEYS_SHOWN) return pretty(value);
  return `[${value.slice(0, KEYS_SHOWN).map(pretty).join(', ')}, … (${grouped(value.length)} in all)]`;
}

/** JSON with a space after commas and colons, so long values wrap between fields. */
export function pretty(value) {
  if (Array.isArray(value)) return `[${value.map(pretty).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pretty(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

// What the current step touched, for highlighting.
export function touched(current) {
  const t = { lsn: null, key: null, deletedKey: null, consumer: null, consumers: [], snapshot: null };
  if (!current || !current.result.ok) return t;
  const { step, result } = current;
  if ((step.op === 'put' || step.op === 'delete' || step.op === 'insert') && result.event) {
    t.lsn = result.event.lsn;
    t.key = result.key ?? step.key;
    if (step.op === 'delete') t.deletedKey = step.key;
  }
  // A dual write sent at once reaches the direct consumers too.
  if (Array.isArray(result.direct_to)) t.consumers = result.direct_to;
  if (step.op === 'direct_write' && Array.isArray(result.to)) t.consumers = result.to;
  if (step.op === 'step' && result.event) t.lsn = result.event.lsn;
  if (step.op === 'corrupt') t.lsn = result.lsn;
  if (step.op === 'get') t.key = step.key;
  if (step.op === 'expect' && 'key' in step) t.key = step.key;
  if (['step', 'flush', 'rebuild', 'query', 'remove_consumer', 'expect', 'commit', 'crash_consumer'].includes(step.op)) t.consumer = step.consumer ?? null;
  if (step.op === 'add_consumer') t.consumer = step.consumer.name;
  if (result.snapshot) t.snapshot = { consumer: t.consumer, events: result.snapshot, rows: result.snapshot_rows };
  return t;
}

// The index of the log entry with this LSN in a list sorted by LSN, or -1.
// LSNs are not positions: after a recovery that skipped a corrupt record an
// LSN can be missing, so entries and events are found by search.
export function indexOfLsn(list, lsn) {
  let lo = 0, hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].lsn === lsn) return mid;
    if (list[mid].lsn < lsn) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

// Scrolling a panel to what changed reads layout. Renderers queue it here,
// and the page runs the queue once after all its DOM writes: one layout per
// frame instead of one per panel.
const scrolls = [];
/** Runs the queued scroll adjustments (call after rendering everything). */
export function applyScrolls() {
  for (const f of scrolls.splice(0)) f();
}
/** Forgets them: a panel redrawn because the student scrolled it stays where it is. */
export function discardScrolls() {
  scrolls.length = 0;
}

// An element that animates when a step changed it (a position that moved, a
// snapshot read) is drawn anew at each step, so that its animation plays
// again: patch() replaces a node whose data-renew differs.
const renew = (animates, current) => (animates ? { renew: current?.index ?? 0 } : {});


// ---------------------------------------------------------------- a prediction's answer, hidden

/**
 * What the page must not show while a predict step waits for the student's
 * answer: everything on screen that reads out the value its `ask` names
 * (README "predict"), and nothing else, so the student can still reason
 * from the rest. Null for no pending prediction. A hidden figure's text is
 * replaced (not blurred), titles included, so screen readers do not read it.
 *
 *   consumer  the consumer the ask is about (its card and its track)
 *   lag, position, committed, state, store, range   which of its figures
 *   lsns      every LSN figure (head, log_start): entry and event labels,
 *             positions, the durable and storage LSNs, the retention line
 *   entries   the log's entry counts (log_entries; head, which they tell
 *             when no LSN is missing)
 *   start     where the log starts (log_start): its boundary mark too
 *   pins      which consumer pins the log (pinned_by)
 *   entry, event   the LSN of the log entry or change event asked about
 *   key       the storage row asked about (value)
 *   down      whether the database is down
 */
export function concealment(step) {
  if (!step || typeof step.ask !== 'string') return null;
  const { ask } = step;
  return {
    ask,
    consumer: typeof step.consumer === 'string' ? step.consumer : null,
    // A position is the head less the lag (when no LSN is missing), so a
    // position asked hides the lag too; a consumer that commits after every
    // event has committed = position, and the count it processed is its
    // position after a replay.
    lag: ask === 'lag' || ask === 'position',
    position: ask === 'position',
    committed: ask === 'position' || ask === 'committed',
    state: ask === 'result',
    store: ask === 'state_store_rows',
    range: ask === 'out_of_range',
    lsns: ask === 'head' || ask === 'log_start',
    // With no gaps the log's entry count is its head.
    entries: ask === 'log_entries' || ask === 'head',
    start: ask === 'log_start',
    pins: ask === 'pinned_by',
    entry: ask === 'entry' ? step.lsn : null,
    event: ask === 'event' ? step.lsn : null,
    key: ask === 'value' ? step.key : null,
    down: ask === 'down',
  };
}

let hidden = null;
/** Sets what the next renders hide (concealment(step), or null to show everything). */
export function conceal(mask) {
  hidden = mask;
}
/** What is hidden now (null: nothing). */
export function concealed() {
  return hidden;
}

export const HIDDEN_TEXT = '? — answer the prediction first';
const HIDDEN_TITLE = 'Hidden until you answer the prediction (or press Show answer)';
/** A hidden figure: `label` then the placeholder, as text. */
export function masked(label = '', cls = '') {
  return h('span', { class: `masked${cls ? ` ${cls}` : ''}`, title: HIDDEN_TITLE }, `${label}${HIDDEN_TEXT}`);
}
// A short placeholder for a figure in a small space (an LSN on the strip).
/** A hidden value in a narrow place (a table's cell): "?", explained on hover. */
export const short = (label = '') => h('span', { class: 'masked short', title: HIDDEN_TITLE }, `${label}?`);
// Which of a consumer's figures are hidden: {lag, position, committed, ...} or nothing.
function hiddenOf(name) {
  const m = hidden;
  if (!m) return {};
  const mine = m.consumer === name;
  // (While LSNs are hidden, positions show as "?" but stay drawn.)
  return {
    lag: mine && m.lag,
    position: mine && m.position,
    committed: mine && m.committed,
    state: mine && m.state,
    store: mine && m.store,
    range: mine && m.range,
    lsns: m.lsns,
    pins: m.pins,
  };
}
// An LSN as text, or '?' while LSNs are hidden.
const lsnText = (n) => (hidden?.lsns ? '?' : String(n));

// A name with a place to break the line after each underscore, where a
// label that wraps (a phone, presentation mode) breaks it: "by_city_" and
// "log" rather than "by_city_l" and "og".
const breakable = (name) => name.split(/(?<=_)/).flatMap((part, i) => (i ? [h('wbr'), part] : [part]));

// The word before an LSN in a marker on a consumer's track ('position 12 '),
// shortened when the LSN has five digits or more: a marker has a cell's
// width, and "▲ position 1000000" showed there as "position 100000", a
// position ten times smaller. The marker's title says it in full.
const SHORT_WORDS = { position: 'pos', snapshot: 'snap', newest: 'newest', committed: 'commit' };
function markerWord(word, lsn) {
  return `${lsn.length >= 5 ? SHORT_WORDS[word] : word} `;
}
// A marker's words and its LSN: where the cell is too narrow for both (large
// type, a phone), the words are cut ("▲ posi… 99000"), never the LSN
// ("position 99000" showed as "position 9900").
const markerText = (words, lsn) => [h('span', { class: 'marker-words' }, words), h('span', { class: 'marker-lsn' }, lsn)];

/** One line about the log file: bytes written and synced, the durable LSN, the modes. */
function logSummary(state) {
  const { log, config } = state;
  const m = hidden ?? {};
  const unsynced = log.bytes - log.synced_bytes;
  return h('p', { class: 'log-summary', id: 'log-summary' },
    m.down ? masked('database up or down: ', 'down-masked')
      : state.down ? h('strong', { class: 'down-flag' }, 'DATABASE DOWN: recover first. ') : null,
    m.down ? ' · ' : null,
    'log file: ', m.entries ? masked('entries: ') : plural(log.entries, 'entry', 'entries'), `, ${plural(log.bytes, 'byte')}, `,
    // A torn tail is on disk, but it is no record: not "all synced".
    h('span', { class: unsynced ? 'unsynced-note' : null }, unsynced ? `${unsynced} not yet synced` : log.tail ? 'on disk up to a torn write' : 'all synced'),
    '; durable up to ', m.lsns ? masked('LSN ') : `LSN ${log.durable}`,
    log.tail ? h('span', { class: 'torn-note' }, `; torn tail: ${plural(log.tail.bytes, 'byte')} at byte ${log.tail.offset}`) : null,
    ` · commit ${config.commit} · recovery ${config.recovery}`,
    config.dedupe_requests ? ' · retries deduplicated by request id' : null);
}

/**
 * What keeps the log from shrinking (log.pinned_by): recovery needs the
 * entries after the checkpoint (all of them without one), and the slowest
 * consumer the entries after its committed position, as a replication slot
 * pins WAL. A truncation without force can remove only the entries before
 * the lower of the two (+1). {bound, checkpoint, consumer, holder}: holder is
 * 'consumer' when the consumer is what holds the log back.
 */
export function retention(log) {
  const cp = log.pinned_by.checkpoint;
  const slot = log.pinned_by.consumer;
  const byRecovery = cp === null ? 1 : cp + 1;
  const bySlot = slot ? slot.committed + 1 : Infinity;
  // The bound is the engine's (log.truncatable_before: null without a checkpoint).
  return { bound: log.truncatable_before ?? 1, checkpoint: cp, consumer: slot, holder: bySlot < byRecovery ? 'consumer' : 'checkpoint' };
}

// The consumers that pin the log: the one the engine names (the oldest
// commit, as the oldest replication slot pins WAL) and every consumer of the
// log tied with it at that committed position.
export function pinningConsumers(state) {
  const pinner = state.log.pinned_by.consumer;
  // A commit past the log's end (a consumer ahead of the log, after a
  // recovery lost writes it had processed) needs no entry of this log.
  if (!pinner || (state.head !== null && pinner.committed > state.head)) return [];
  return state.consumers.filter((c) => c.name === pinner.name
    || (!c.out_of_range && c.feed !== 'direct' && c.committed === pinner.committed));
}
// Names as a phrase: "a", "a and b", "a, b and c".
export const namesPhrase = (names) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0] ?? '');

/** The log's size and what pins it, in a line under the summary. */
function retentionLine(state) {
  const { log } = state;
  const m = hidden ?? {};
  const r = retention(log);
  if (log.entries === 0 && log.removed === 0 && !log.checkpoint && !r.consumer) return null;
  const L = lsnText;
  const parts = [];
  // While the log's start is asked, neither where it starts nor whether it was truncated.
  if (m.start) parts.push(masked('starts at LSN '));
  else if (log.start > 1) {
    // Where the log was cut, and (when compaction, or a recovery that
    // skipped a damaged record, left a gap just after it) its first entry.
    const first = state.wal.first;
    const gap = !state.wal.full && log.entries > 0 && first > log.start;
    parts.push(h('span', { class: 'log-start-note' }, `truncated before LSN ${L(log.start)}${gap ? `; its first entry left is LSN ${L(first)}` : ''}`));
  }
  else if (log.removed) parts.push(`starts at LSN ${L(1)} (nothing truncated: compaction only leaves gaps)`);
  if (log.removed) parts.push(`${plural(log.removed, 'entry', 'entries')} removed by retention`);
  parts.push(log.checkpoint ? `checkpoint at LSN ${L(log.checkpoint.lsn)} (${plural(log.checkpoint.rows, 'row')})` : 'no checkpoint yet');
  const pins = [h('span', { class: r.holder === 'checkpoint' && !m.pins ? 'pin-holder' : null },
    r.checkpoint === null
      ? `recovery needs every entry (no checkpoint)${log.removed ? '; compaction kept the newest entry of every key, so a replay still rebuilds storage' : ''}`
      : `recovery needs the entries after LSN ${L(r.checkpoint)}`)];
  const slot = pinningConsumers(state).length ? r.consumer : null;
  // Every consumer tied at the oldest commit pins the log, as its card says.
  const holders = slot ? pinningConsumers(state).map((c) => c.name) : [];
  const who = namesPhrase(holders);
  const many = holders.length > 1;
  const committedHidden = slot && holders.some((name) => hiddenOf(name).committed);
  if (slot && m.pins) {
    pins.push(', ', masked('and the consumer with the oldest commit: '));
  } else if (slot) {
    pins.push(', ', h('span', { class: r.holder === 'consumer' ? 'pin-holder pin-consumer' : null, dataset: { consumer: slot.name } },
      `${who} need${many ? '' : 's'} those after ${many ? 'their' : 'its'} committed position `, committedHidden ? masked() : L(slot.committed)));
  }
  const head = state.head ?? 0;
  let can;
  if (m.pins || m.start || m.lsns || committedHidden) {
    // How far a truncation may go names the LSNs and the consumer asked about.
    can = null;
  } else {
    can = r.bound <= log.start
      ? `nothing more can be truncated without force${r.holder === 'consumer' ? `: ${who} hold${many ? '' : 's'} the log back, like ${many ? 'replication slots' : 'a replication slot'}` : ''}`
      : r.bound > head && log.entries > 0
        ? `a truncation can remove every entry (before LSN ${r.bound})`
        : `a truncation can remove the entries before LSN ${r.bound}${r.holder === 'consumer' ? ` (${who} hold${many ? '' : 's'} the rest back, like ${many ? 'replication slots' : 'a replication slot'})` : ''}`;
  }
  return h('p', { class: 'log-summary log-retention', id: 'log-retention' },
    'retention: ', parts.flatMap((p, i) => (i ? [' · ', p] : [p])), ' · pinned by: ', pins, can ? `; ${can}.` : '.');
}

// The boundaries drawn across the log strip between two columns: a gap
// where LSNs are missing (compaction, truncation, a record recovery skipped:
// LSNs are never renumbered), where the log starts after a truncation, the
// checkpoint (recovery replays only the entries after it), and the committed
// position of a consumer that holds the log back (a replication slot). Each
// is {col: the grid column it is drawn beside, side: 'left' | 'right', notes}.
function boundaries(state, shown, { earlier, later, firstCol }) {
  const { log } = state;
  const m = hidden ?? {};
  const cp = log.checkpoint?.lsn ?? null;
  const held = retention(log);
  // The pin is drawn at the pinning consumer's committed position: not while
  // that consumer, or that position, is asked about.
  const holders = held.consumer ? pinningConsumers(state).map((c) => c.name) : [];
  const pin = held.holder === 'consumer' && !m.pins && !holders.some((name) => hiddenOf(name).committed) ? held.consumer.committed : null;
  const L = lsnText;
  const marks = [];
  const removedWhy = (a, b) => {
    if (m.start) return 'removed by retention (or skipped by a recovery)';
    if (b < log.start) return 'a truncation removed them';
    if (a < log.start) return 'a truncation and compaction removed them';
    return log.removed ? 'compaction removed them (or a recovery skipped a damaged record)' : 'a recovery skipped a damaged record';
  };
  const gap = (a, b) => {
    const n = b - a + 1;
    // Thousands of LSNs as "187k" ("gap: 187438 LSNs" was wider than an
    // entry and ran into the next gap's label); the title has them exactly.
    return { kind: 'gap', text: `gap: ${n >= 10000 ? `${Math.floor(n / 1000)}k LSNs` : plural(n, 'LSN')}`,
      title: `${n === 1 ? `LSN ${L(a)} is` : `LSN ${L(a)}–${L(b)} are`} not in the log: ${removedWhy(a, b)}. LSNs are not positions: the entries after a gap keep their LSNs.${log.removed && !state.wal.full ? ' “Show removed entries” lists what retention removed.' : ''}` };
  };
  // While the log's start is asked, its boundary is not drawn.
  // "truncated before", not "log starts at": entries after it may be gone
  // too (compaction), and the first entry drawn then has a larger LSN.
  const start = m.start ? null : { kind: 'start', text: `truncated before ${L(log.start)}`,
    title: `A truncation removed every entry before LSN ${L(log.start)}. A consumer whose next change event was before it is out of range; a new consumer can join only by snapshot.` };
  const checkpoint = cp === null ? null : { kind: 'checkpoint', text: m.lsns ? 'checkpoint' : `checkpoint ${cp}`,
    title: `Checkpoint: a storage image at LSN ${L(cp)} (${plural(log.checkpoint.rows, 'row')}). Recovery loads it and replays only the entries after it.` };
  const pinned = pin === null ? null : { kind: 'pin', text: `pinned by ${namesPhrase(holders)}`,
    title: `${namesPhrase(holders)} ${holders.length > 1 ? 'have' : 'has'} committed position ${L(pin)}: the entries after it cannot be truncated without force, so the log grows while ${holders.length > 1 ? 'they lag' : 'it lags'} (a replication slot pinning WAL).` };
  let prev = earlier ? null : 0;  // the LSN before the first entry drawn (0: the start column)
  shown.forEach((e, i) => {
    if (prev !== null) {
      const notes = [];
      if (e.lsn > prev + 1) notes.push(gap(prev + 1, e.lsn - 1));
      if (start && log.start > 1 && prev < log.start && e.lsn >= log.start) notes.push(start);
      if (checkpoint && prev <= cp && e.lsn > cp) notes.push(checkpoint);
      if (pinned && prev <= pin && e.lsn > pin) notes.push(pinned);
      if (notes.length) marks.push({ col: firstCol + i, side: 'left', notes });
    }
    prev = e.lsn;
  });
  if (!later && prev !== null) {
    // After the newest entry: LSNs up to the head that are gone (every
    // entry truncated, or a dropped tombstone at the end), the log's start,
    // a checkpoint at or after the newest entry.
    const notes = [];
    const head = state.down ? null : state.head;
    if (head !== null && head > prev) notes.push(gap(prev + 1, head));
    if (start && log.start > prev + 1) notes.push(start);
    if (checkpoint && cp >= prev) notes.push(checkpoint);
    if (pinned && pin >= prev) notes.push(pinned);
    if (notes.length) marks.push({ col: shown.length ? firstCol + shown.length - 1 : 2, side: 'right', notes });
  }
  return marks;
}

// The keyboard focus inside a list the page redraws in windows (the log
// strip, the change stream): an entry that has the focus is removed once it
// scrolls out of the window drawn, or its node is reused for another entry,
// and the focus fell to the page's body, where the next arrow key moved
// through time instead of through the list. It goes to the list itself,
// whose keys go on scrolling it. focusIn(el) before drawing, keepFocusIn
// after.
function focusIn(el) {
  const a = document.activeElement;
  return a && a !== el && el.contains(a) ? { node: a, what: focusName(a) } : null;
}
// What a focused node is: its kind (first class) and the entry or track it
// belongs to (a step that marks an entry fresh keeps it the same entry).
const focusName = (a) => `${a.classList[0] ?? a.tagName} ${a.closest('[data-lsn]')?.dataset.lsn ?? ''} ${a.closest('[data-track]')?.dataset.track ?? ''}`;
function keepFocusIn(el, was) {
  if (!was) return;
  const a = document.activeElement;
  if (a === was.node ? !a.isConnected || focusName(a) !== was.what : !(a && a !== document.body && el.contains(a))) {
    el.focus({ preventScroll: true });
  }
}

// The keys the log strip moves by (its keydown handler in renderLog).
const STRIP_KEYS = new Set(['Home', 'End', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown']);

/**
 * The write-ahead log with every consumer's position drawn under it.
 * `onEntry(lsn)`, if given, is called when a log entry is clicked (to show
 * its bytes).
 */
export function renderLog(el, state, current, moved, onEntry, nav) {
  const hadFocus = focusIn(el);
  const t = touched(current);
  const m = hidden ?? {};
  const L = lsnText;
  const shown = state.wal.items;
  const lo = state.wal.start, total = state.wal.total;
  const earlier = lo > 0, later = lo + shown.length < total;
  const lastLsn = state.wal.last;
  const firstShown = shown.length ? shown[0].lsn : lastLsn + 1;
  const lastShown = shown.length ? shown[shown.length - 1].lsn : 0;
  // A position past the log's newest LSN is ahead of it (after a recovery
  // lost writes). One past the newest entry but not past the head is not:
  // retention removed the entries at the end.
  const limit = state.down ? lastLsn : Math.max(lastLsn, state.head ?? 0);
  const beyond = state.consumers.some((c) => c.position > limit);
  // A log longer than its window is a virtual list, sideways: the strip
  // scrolls through every entry, spacers stand in for the entries not drawn
  // (under them, each consumer's track is a band, shaded as far as it has
  // processed), and the edge columns stick to the strip's sides.
  const virtual = earlier || later;
  const after = total - lo - shown.length;
  // A log too long for a browser's largest element counts each entry not
  // drawn as a fraction of an entry's width (virtual.js).
  const scale = scaleOf(total, LOG_PITCH_PX);
  const spacerWidth = (n) => (n <= 0 ? '0px' : scale === 1 ? `calc(${n} * (var(--cell-w) + 3px) - 3px)`
    : `max(0px, calc(${n * scale} * (var(--cell-w) + 3px) - 3px))`);
  const columns = ['var(--label-w)', 'var(--cell-w)'];
  // The edge columns (the folds and the markers of positions outside the
  // window): --edge-w, an entry's width but on a phone (style.css).
  if (virtual) columns.push('var(--edge-w)', spacerWidth(lo));
  columns.push(...shown.map(() => 'var(--cell-w)'));
  if (virtual) columns.push(spacerWidth(after), 'var(--edge-w)');
  if (state.log.tail) columns.push('var(--cell-w)');
  if (beyond) columns.push('var(--cell-w)');
  // --cols: for the print stylesheet, which turns the strip on its side (style.css, print).
  const grid = h('div', { class: `log-grid${virtual ? ' virtual' : ''}${state.wal.full ? ' full' : ''}`, style: `grid-template-columns: ${columns.join(' ')}; --cols: ${columns.length}`, dataset: { start: lo, total, scale },
                          // A group, not a table: the strip is a CSS grid of
                          // cells with no row elements, which a table role needs.
                          role: 'group', 'aria-label': `Write-ahead log (${plural(total, 'log entry', 'log entries')}) and consumer positions` });
  // The grid's cells, matched against the page's by patch(): entries and
  // the cells under them are keyed, so a window one entry over keeps them.
  const items = [];
  // Gaps, the log's start and the checkpoint: a line across the strip at
  // each, labelled in a row of their own above the entries. Lines and labels
  // are placed on the grid's columns without taking cells of their own.
  const marks = boundaries(state, shown, { earlier, later, firstCol: virtual ? 5 : 3 });
  if (marks.length) {
    // A column with a boundary on each side stacks the right one's notes
    // under the left one's.
    const leftNotes = new Map(marks.filter((m) => m.side === 'left').map((m) => [m.col, m.notes.length]));
    const below = (m) => (m.side === 'right' ? leftNotes.get(m.col) ?? 0 : 0);
    const lines = Math.max(...marks.map((m) => m.notes.length + below(m)));
    items.push(h('div', { class: 'log-label marks-label', 'aria-hidden': 'true' }),
      h('div', { class: 'marks-row', style: `grid-column: 2 / -1; min-height: calc(${lines} * 1.1rem + 4px)`, 'aria-hidden': 'true' }));
    const rows = 2 + state.consumers.length;
    for (const m of marks) {
      const kinds = m.notes.map((n) => n.kind);
      const kind = ['checkpoint', 'start', 'pin', 'gap'].find((k) => kinds.includes(k));
      const title = m.notes.map((n) => n.title).join(' ');
      items.push(h('div', { class: `log-cut ${kind} ${m.side}`, style: `grid-column: ${m.col}; grid-row: 1 / span ${rows}`, 'aria-hidden': 'true' }),
        h('div', { class: `log-mark ${m.side} ${kind}`, style: `grid-column: ${m.col}; grid-row: 1${below(m) ? `; top: ${1.1 * below(m)}rem` : ''}`, title },
          m.notes.map((n) => h('span', { class: `mark-note ${n.kind}` }, n.text))));
    }
  }
  items.push(h('div', { class: 'log-label' }, 'log entry'),
              h('div', { class: 'log-start', title: 'position 0: nothing processed yet' }, 'start'));
  if (earlier) {
    items.push(h('button', { type: 'button', class: 'log-fold edge-left', id: 'log-earlier', dataset: m.entries ? {} : { counted: '' }, title: m.lsns ? 'Show earlier log entries' : `Show earlier log entries (LSN ${state.wal.first}–${firstShown - 1})`,
      onclick: () => nav.wal(Math.max(0, lo - LOG_WINDOW)) }, m.entries ? '◀ earlier entries' : foldText(lo, 'earlier')));
  } else if (virtual) {
    items.push(h('div', { class: 'log-fold edge-left blank', 'aria-hidden': 'true' }));
  }
  const spacer = (n, where, extra = {}) => h('div', { class: `log-spacer ${extra.class ?? ''}`, 'aria-hidden': 'true', dataset: { where, entries: n }, style: extra.style ?? null });
  if (virtual) items.push(spacer(lo, 'before'));
  for (const e of shown) {
    if (e.removed) {
      // In the full view: an entry retention removed, greyed and struck.
      const how = e.removed === 'truncation' ? 'truncated' : e.dropped_tombstone ? 'dropped' : 'compacted';
      const why = e.removed === 'truncation'
        ? 'a truncation removed it (it was before the log\'s start)'
        : `compaction removed it${e.dropped_tombstone ? ' (a tombstone dropped after its retention: it was before "drop tombstones before")' : ' (a newer entry of the same key supersedes it)'}`;
      const asked = m.entry === e.lsn;
      items.push(h('div', { class: `entry removed ${asked ? 'masked-entry' : `op-${e.op}`} removed-${e.removed}`, dataset: { lsn: e.lsn, removed: e.removed },
        title: asked ? `LSN ${e.lsn}: ${HIDDEN_TITLE}.` : `LSN ${L(e.lsn)}: ${e.op} ${e.key}${e.op === 'put' ? ` = ${json(e.value)}` : ''}. Not in the log: ${why}.` },
      h('div', { class: 'entry-top' }, h('span', { class: 'lsn' }, `LSN ${L(e.lsn)}`), m.start || asked ? null : h('span', { class: 'removed-tag' }, how)),
      asked ? h('div', { class: 'entry-op' }, masked()) : [
        h('div', { class: 'entry-op' }, e.op),
        h('div', { class: 'entry-key' }, e.key),
        e.op === 'put' ? h('div', { class: 'entry-value' }, json(e.value)) : null]));
      continue;
    }
    if (m.entry === e.lsn) {
      // The entry asked about: where it is, not what it holds.
      items.push(h('div', { class: `entry masked-entry${e.synced ? '' : ' unsynced'}`, dataset: { lsn: e.lsn }, title: `LSN ${e.lsn}: ${HIDDEN_TITLE}.` },
        h('div', { class: 'entry-top' }, h('span', { class: 'lsn' }, `LSN ${e.lsn}`), e.lsn === state.head ? h('span', { class: 'head-tag' }, 'HEAD') : null),
        h('div', { class: 'entry-op' }, masked())));
      continue;
    }
    const isHead = e.lsn === state.head && !m.lsns;
    const flags = [];
    if (!e.synced) flags.push('written, not synced');
    if (!e.acknowledged) flags.push('never acknowledged');
    if (e.damaged) flags.push(`damaged on disk: ${e.damaged}`);
    if (e.request_id !== undefined) flags.push(`request id ${e.request_id}`);
    const what = e.damaged ? `LSN ${L(e.lsn)}: ${e.op}, bytes damaged` : e.op === 'put' ? `LSN ${L(e.lsn)}: put ${e.key} = ${json(e.value)}` : `LSN ${L(e.lsn)}: delete ${e.key}`;
    const cls = `entry op-${e.op}${e.lsn === t.lsn ? ' fresh' : ''}${isHead ? ' head' : ''}${e.synced ? '' : ' unsynced'}${e.damaged ? ' damaged' : ''}`;
    const full = `${what}${flags.length ? ` (${flags.join('; ')})` : ''}`;
    const title = `${what} (bytes ${e.offset}–${e.offset + e.size - 1}${flags.length ? `; ${flags.join('; ')}` : ''}).${onEntry ? ' Click to see its bytes.' : ''}`;
    // Its title and class name everything it shows (and its LSN, what a click opens).
    items.push(keyed(JSON.stringify(['entry', e.lsn, Boolean(onEntry), cls, full, title]), () => h('div', {
      class: cls,
      // Its whole value, for the line under the strip (hover and focus).
      dataset: { lsn: e.lsn, full },
      // One entry is in the Tab order (rove): Tab went through every
      // entry drawn, 15 to 31 presses to leave the strip.
      role: onEntry ? 'button' : null, tabindex: '-1',
      title,
      onclick: onEntry ? () => onEntry(e.lsn) : null,
      onkeydown: onEntry ? (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onEntry(e.lsn); } } : null,
    },
    h('div', { class: 'entry-top' }, h('span', { class: 'lsn' }, `LSN ${L(e.lsn)}`), isHead ? h('span', { class: 'head-tag' }, 'HEAD') : null),
    h('div', { class: 'entry-op' }, e.op, e.synced ? null : h('span', { class: 'sync-tag', title: 'written to the OS cache, not yet synced to disk' }, ' not synced'),
      e.acknowledged ? null : h('span', { class: 'ack-tag', title: 'the client never got a reply' }, ' no ack')),
    h('div', { class: 'entry-key' }, e.damaged ? '(damaged)' : e.key),
    e.op === 'put' && !e.damaged ? h('div', { class: 'entry-value' }, json(e.value)) : null,
    // The client's end-to-end request id, written in the record (a type 3 or 4 record).
    e.request_id !== undefined && !e.damaged ? h('div', { class: 'entry-req', title: `request id ${e.request_id}: the client's own id for this write, kept in the log record so that a retry can be recognised` }, `req ${e.request_id}`) : null)));
  }
  if (virtual) items.push(spacer(after, 'after'));
  if (later) {
    items.push(h('button', { type: 'button', class: 'log-fold edge-right', id: 'log-later', dataset: m.entries ? {} : { counted: '' }, title: m.lsns ? 'Show later log entries' : `Show later log entries (up to LSN ${lastLsn})`,
      onclick: () => nav.wal(lo + 2 * LOG_WINDOW >= total ? null : lo + LOG_WINDOW) }, m.entries ? 'later entries ▶' : foldText(total - lo - shown.length, 'later')));
  } else if (virtual) {
    items.push(h('div', { class: 'log-fold edge-right blank', 'aria-hidden': 'true' }));
  }
  if (state.log.tail) {
    items.push(h('div', { class: 'entry torn', title: `the first ${state.log.tail.bytes} bytes of a record the crash cut short: recovery will drop them` },
      h('div', { class: 'entry-top' }, h('span', { class: 'lsn' }, 'torn')),
      h('div', { class: 'entry-op' }, plural(state.log.tail.bytes, 'byte')),
      h('div', { class: 'entry-value' }, `at byte ${state.log.tail.offset}`)));
  }
  if (beyond) items.push(h('div', { class: 'log-fold beyond' }, 'not in the log'));
  for (const c of state.consumers) {
    const colour = colourOf(c.name);
    const x = hiddenOf(c.name);
    const covered = c.snapshot ? c.snapshot.lsn : 0;
    const rewind = c.rewind;
    const lost = c.out_of_range && !x.range;
    const trouble = c.ahead ? 'ahead' : lost ? 'out of range' : null;
    // A consumer fed by the application (a dual write) has no place in the
    // log: its track says so instead of shading what it processed.
    const direct = c.feed === 'direct';
    // Its processed and pending cells would show its lag (or its position).
    const neutral = direct || x.lag || x.position;
    const posText = x.position ? '?' : L(c.position);
    const about = [`position ${posText}`];
    if (!x.committed) about.push(`committed ${L(c.committed)}`);
    if (!x.lag) about.push(direct ? `lag ${grouped(c.lag)} (second writes waiting in clients)` : `lag ${grouped(c.lag)}`);
    if (direct) about.push('fed by the application (a dual write), not by the log: the log cannot tell which writes reached it');
    if (c.ahead) about.push('ahead of the log: rebuild it');
    else if (lost) about.push('out of range: its next change event was truncated, rebuild it');
    items.push(h('div', { class: `track-label ${colour}${moved.has(c.name) ? ' moved' : ''}${c.ahead ? ' ahead' : ''}${lost ? ' out-of-range' : ''}${direct ? ' direct' : ''}`, dataset: renew(moved.has(c.name), current) },
      h('span', { class: 'swatch' }), h('span', { class: 'track-name', title: c.name }, breakable(c.name)),
      h('span', { class: `track-pos${trouble ? ' ahead' : ''}`, title: about.join('; ') },
        `pos ${posText}${trouble ? `, ${trouble}` : ''}${direct ? ', fed by the app' : ''}`)));
    // The column a position is drawn in: its entry, or the newest entry
    // before it (its own LSN can be missing: removed by compaction or
    // truncation, or skipped by a recovery), an edge of the window when it
    // is outside, or "not in the log" when it is ahead of the log.
    const columnOf = (lsn) => {
      if (lsn === 0) return earlier ? 'earlier' : 'start';
      if (lsn > limit) return 'beyond';
      if (lsn < firstShown) return earlier ? 'earlier' : 'start';
      if (lsn > lastShown) return later ? 'later' : shown.length ? lastShown : 'start';
      let i = indexOfLsn(shown, lsn);
      if (i === -1) i = shown.findLastIndex((e) => e.lsn < lsn);
      return shown[i].lsn;
    };
    // A position whose own entry is gone is drawn at the entry before it.
    const gone = (lsn) => lsn > 0 && lsn <= limit && lsn >= firstShown && lsn <= lastShown && indexOfLsn(shown, lsn) === -1;
    const goneAtStart = (lsn) => lsn > 0 && !earlier && lsn < firstShown;
    // A position or committed position asked about is not drawn at all.
    const posCol = x.position ? null : columnOf(c.position);
    const commitCol = x.committed ? null : columnOf(c.committed);
    const labels = (col) => {
      const parts = [];
      if (col === posCol) {
        const missing = gone(c.position) || goneAtStart(c.position) || (!later && c.position > lastShown && c.position <= limit);
        // In an edge column (a position among the entries not drawn) the
        // arrow says which way it is, in a cell's width.
        const word = markerWord(c.position === covered && c.position > 0 ? 'snapshot' : direct ? 'newest' : 'position', L(c.position));
        const text = direct && c.position === 0 ? '▲ no write yet'
          : col === 'earlier' ? markerText(`◀ ${word}`, L(c.position)) : col === 'later' ? markerText(word, `${L(c.position)} ▶`)
            // Past the log's end its column says "not in the log" above it
            // ("(ahead)" after the LSN cut the words to "▲ … 300").
            : markerText(`▲ ${word}`, L(c.position));
        const edgeTitle = col === 'earlier' || col === 'later' ? `${c.name} is at position ${L(c.position)}, among the ${col} entries` : null;
        parts.push(h('span', { class: 'marker', title: missing ? `${c.name} is at position ${L(c.position)}; LSN ${L(c.position)} is not in the log (removed, or never kept), so its marker stands at the newest entry before it` : edgeTitle }, text));
      }
      if (col === commitCol && c.committed !== c.position && !direct) parts.push(h('span', { class: 'commit-marker', title: `${c.name} committed position ${L(c.committed)}: a crash restarts it there` }, markerText(`◆ ${markerWord('committed', L(c.committed))}`, L(c.committed))));
      return parts;
    };
    const cell = (col, lsn, under = false) => {
      let cls = 'cell pending', title = `LSN ${L(lsn)} is pending for ${c.name}`;
      if (col === 'start') { cls = 'cell start'; title = ''; }
      else if (col === 'beyond') { cls = 'cell beyond'; title = `${c.name} has processed LSNs the recovered log no longer has`; }
      else if (col === 'torn') { cls = 'cell start'; title = ''; }
      else if (direct) { cls = 'cell direct'; title = `${c.name} is fed by the application's second writes, not by the log`; }
      else if (neutral) { cls = 'cell masked-track'; title = `Whether ${c.name} has processed this entry: ${HIDDEN_TITLE}`; }
      else if (lsn > state.log.durable && lsn > c.position) { cls = 'cell notdurable'; title = `LSN ${L(lsn)} is not on disk yet: no consumer can have it until a sync`; }
      else if (lsn <= covered && lsn <= c.position) { cls = 'cell covered'; title = `${c.name} never processed LSN ${L(lsn)}: its snapshot at LSN ${L(covered)} already included its effect`; }
      else if (lsn <= c.position) {
        cls = 'cell done'; title = `${c.name} has processed LSN ${L(lsn)}`;
        if (rewind && lsn > rewind.to && lsn <= rewind.from) { cls += ' redelivered'; title = `${c.name} processed LSN ${L(lsn)} twice: it was redelivered after a crash`; }
      } else if (rewind && lsn > rewind.to && lsn <= rewind.from) {
        cls += ' redeliver'; title = `LSN ${L(lsn)} will be delivered to ${c.name} again: it crashed before committing it`;
      }
      const at = col === posCol;
      // A position outside the window is an edge indicator: it jumps there.
      const edge = at && (col === 'earlier' || col === 'later');
      const build = () => h(edge ? 'button' : 'div', {
        type: edge ? 'button' : null,
        class: `${cls} ${colour}${at ? ' at' : ''}${at && moved.has(c.name) ? ' moved' : ''}${col === commitCol && !direct ? ' committed' : ''}${edge ? ' edge' : ''}${col === 'earlier' ? ' edge-left' : col === 'later' ? ' edge-right' : ''}${under ? ' under-removed' : ''}`,
        dataset: { ...(at ? { consumer: c.name, position: c.position, ...renew(moved.has(c.name), current) } : {}), ...(edge || col === 'earlier' || col === 'later' ? { track: c.name } : {}) },
        title: edge ? `${c.name} is at LSN ${L(c.position)}, outside the entries shown: click to go there` : title,
        onclick: edge ? () => nav.walTo(c.position) : null,
      }, labels(col));
      // A cell under an entry, with no marker in it, is the same node while
      // its class and title are (its consumer and LSN are in the key).
      return typeof col === 'number' && !at && col !== commitCol ? keyed(JSON.stringify(['cell', lsn, c.name, cls, colour, under, title]), build) : build();
    };
    // The entries a spacer stands for that this consumer has processed
    // (located: how many entries have an LSN up to its position).
    const upTo = neutral ? undefined : state.located?.[String(c.position + 1)]?.wal;
    const band = (first, n, where) => {
      const done = upTo === undefined ? 0 : Math.max(0, Math.min(n, upTo - first));
      return spacer(n, where, { class: `cell band ${colour}${neutral ? ' neutral' : ''}`, style: `--done: ${n ? (100 * done) / n : 0}%` });
    };
    items.push(cell('start', 0));
    if (earlier) items.push(cell('earlier', firstShown - 1));
    else if (virtual) items.push(h('div', { class: `cell start edge-left blank ${colour}`, dataset: { track: c.name } }));
    if (virtual) items.push(band(0, lo, 'before'));
    for (const e of shown) items.push(cell(e.lsn, e.lsn, Boolean(e.removed)));
    if (virtual) items.push(band(lo + shown.length, after, 'after'));
    if (later) items.push(cell('later', lastShown + 1));
    else if (virtual) items.push(h('div', { class: `cell start edge-right blank ${colour}`, dataset: { track: c.name } }));
    if (state.log.tail) items.push(cell('torn', 0));
    if (beyond) items.push(cell('beyond', lastLsn + 1));
  }
  list(grid, items);
  const next = (state.head ?? 0) + 1;
  patch(el, logSummary(state), retentionLine(state), total === 0 && state.consumers.length === 0 && !state.log.tail
    ? h('p', { class: 'empty' }, next === 1
      ? 'The log is empty. Put a document to write the first log entry (LSN 1).'
      : `The log is empty: retention removed every entry. The next write takes LSN ${L(next)}.`)
    : grid);
  keepFocusIn(el, hadFocus);
  // Bring what the step changed into view: the new log entry, else the
  // marker of a consumer that moved, else the head.
  // When the student moved the window, only the entry asked for (if any).
  const focus = nav.focusLsn ? el.querySelector(`.entry[data-lsn="${nav.focusLsn}"]`) : null;
  const target = nav.windowChosen ? focus
    : el.querySelector('.entry.fresh') ?? el.querySelector('.cell.at.moved:not(.edge)') ?? focus;
  scrolls.push(() => {
    if (target) {
      // Centre it in what the sticky label column leaves visible.
      const label = el.querySelector('.log-label')?.offsetWidth ?? 0;
      const x = target.getBoundingClientRect().left - el.getBoundingClientRect().left + el.scrollLeft;
      el.scrollLeft = x - label - (el.clientWidth - label) / 2 + target.offsetWidth / 2;
    } else if (!later) {
      el.scrollLeft = el.scrollWidth;
    } else {
      // Keep the view inside the window drawn (a window the page moved).
      const range = logRange(el);
      if (range && (range.first < lo || range.first >= lo + Math.max(1, shown.length))) {
        const first = el.querySelector('.entry[data-lsn]');
        if (first) el.scrollLeft += first.getBoundingClientRect().left - range.left;
      }
    }
    showEdges(el);
  });
  // Scrolling sideways asks for the window under the view (once a frame).
  if (!el.__virtual) {
    el.__virtual = true;
    el.tabIndex = 0;
    el.setAttribute('aria-label', 'Write-ahead log: scroll sideways, or use the arrow keys (an entry), Page Up / Page Down (a view of entries) and Home / End');
    // The browser's keys scroll a panel up and down, or sideways by 40 px (a
    // third of an entry); the strip goes sideways by entries: the arrows by
    // one, the Page keys by a view of them, Home and End to the ends.
    el.addEventListener('keydown', (ev) => {
      // The strip's keys, whether the strip or anything in its grid has the
      // focus: an entry, a fold, a marker at an edge (there, Home, End and
      // the Page keys did nothing, or scrolled the page, and the arrows
      // scrolled the browser's 40 px).
      const onStrip = ev.target === el || ev.target.closest?.('.log-grid')?.parentElement === el;
      if (!onStrip || ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      // From an entry, the arrows move the focus to the entry beside it;
      // the other keys (and the arrows at the window's end) move the strip,
      // which takes the focus: the entry is scrolled out of view, and then
      // out of the window drawn.
      if ((ev.key === 'ArrowLeft' || ev.key === 'ArrowRight') && ev.target.classList.contains('entry')) {
        const entries = [...el.querySelectorAll('.log-grid > .entry[tabindex]')];
        const to = entries[entries.indexOf(ev.target) + (ev.key === 'ArrowRight' ? 1 : -1)];
        if (to) {
          ev.preventDefault();
          rove(el, to);
          to.focus();
          return;
        }
      }
      if (STRIP_KEYS.has(ev.key) && ev.target !== el) el.focus({ preventScroll: true });
      if (ev.key === 'Home' || ev.key === 'End') {
        ev.preventDefault();
        el.scrollLeft = ev.key === 'Home' ? 0 : el.scrollWidth;
        return;
      }
      const range = logRange(el);
      const page = range ? Math.max(1, range.visible - 1) : 0;
      const by = { ArrowLeft: -1, ArrowRight: 1, PageUp: -page, PageDown: page }[ev.key];
      if (by === undefined || !range) return;
      ev.preventDefault();
      // The entry at the left edge: the one whose larger part is on screen.
      const first = rowAt(range.left - range.origin + range.g.pitch / 2, range.g);
      const to = Math.max(0, Math.min(range.g.total - 1, first + by));
      el.scrollLeft += range.origin + offsetOf(to, range.g) - range.left;
    });
    // An entry that takes the focus (Tab) is scrolled clear of the sticky
    // columns: the browser's own scroll left it under the track labels or a
    // fold, a sliver of its focus ring showing.
    el.addEventListener('focusin', (ev) => {
      const entry = ev.target;
      if (!entry.classList?.contains('entry') || entry.parentElement?.parentElement !== el) return;
      rove(el, entry);  // Tab comes back to it
      const range = logRange(el);
      if (!range) return;
      const r = entry.getBoundingClientRect();
      if (r.left < range.left) el.scrollLeft -= range.left - r.left + 3;
      else if (r.right > range.right) el.scrollLeft += r.right - range.right + 3;
    });
    let queued = false;
    // Whether the strip was at its end when last scrolled or resized.
    let atEnd = false;
    const follow = () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        atEnd = atScrollEnd(el, 'Left');
        const range = logRange(el);
        if (range) nav.walAt(range.first, range.visible);
        showEdges(el);
      });
    };
    el.addEventListener('scroll', follow, { passive: true });
    // A strip made wider or narrower (the window resized) shows more or
    // fewer entries: a strip at its end stays there (else the edge column,
    // which sticks to its right side, covers the newest entries with blank),
    // and the window drawn is asked for again, as after a scroll.
    new ResizeObserver(() => {
      if (atEnd) el.scrollLeft = el.scrollWidth;
      follow();
    }).observe(el);
  }
}

// Which entries are under the view of the log strip: {first, visible,
// left, right}, by the drawn entries' place on the screen (left and right:
// the edges of what the sticky columns leave visible), or null.
function logRange(el) {
  const entries = el.querySelectorAll('.log-grid > .entry[data-lsn]');
  if (entries.length === 0) return null;
  const grid = el.querySelector('.log-grid');
  const lo = Number(grid.dataset.start);
  const box = el.getBoundingClientRect();
  const left = (el.querySelector('.log-grid > .edge-left') ?? el.querySelector('.log-label')).getBoundingClientRect().right;
  const right = el.querySelector('.log-grid > .edge-right')?.getBoundingClientRect().left ?? box.right;
  const a = entries[0].getBoundingClientRect();
  const scale = Number(grid.dataset.scale);
  // The strip's geometry (virtual.js), in px from where the first entry
  // would be if every entry before the window were drawn at the spacer's
  // scale. With entries before the window, it is read off the spacer that
  // stands for them: a pitch measured between two entries millions of px
  // in is off by a tenth of a px where an entry is a fractional width (a
  // phone's 102.4 px), which times the entries before the window put the
  // view thousands of px off (scrolled to its start, a phone's strip
  // showed LSN 93).
  const spacer = lo > 0 ? grid.querySelector(':scope > .log-spacer[data-where="before"]') : null;
  let pitch, unit, origin;
  if (spacer) {
    origin = spacer.getBoundingClientRect().left;
    unit = (a.left - origin) / lo;
    pitch = unit / scale;
  } else {
    pitch = entries.length > 1 ? entries[1].getBoundingClientRect().left - a.left : a.width + 3;
    unit = pitch * scale;
    origin = a.left;
  }
  const g = { start: lo, drawn: entries.length, total: Number(grid.dataset.total), pitch, unit };
  const visible = Math.max(1, Math.ceil((right - left) / pitch));
  const first = firstUnder(left - origin, atScrollEnd(el, 'Left'), visible, g);
  return { first, visible, left, right, origin, g };
}

// Whether a scroller is at the end of its scroll ('Left': sideways, 'Top': down).
function atScrollEnd(el, side) {
  return side === 'Left' ? el.scrollLeft >= el.scrollWidth - el.clientWidth - 1 : el.scrollTop >= el.scrollHeight - el.clientHeight - 1;
}

/**
 * Runs `change` (a window the student scrolled to replaces the one drawn)
 * keeping the same place of the strip under view. While every entry is
 * drawn at its width this is what the browser does by itself; a strip too
 * long for that (virtual.js) is scrolled to the entry under view, which the
 * new window draws at its width where the old one counted it smaller.
 */
export function keepLogPlace(el, change) {
  const before = logRange(el);
  const atEnd = atScrollEnd(el, 'Left');
  // An entry drawn in both windows and on screen stays where it is on the
  // screen. Keeping the place at the view's left edge instead, when that
  // edge had scrolled past the drawn entries into the spacer (where an
  // entry counts a third of its width), moved everything on screen: a
  // 100 px scroll showed as 120 to 300 px every few entries.
  const anchor = before && [...el.querySelectorAll('.log-grid > .entry[data-lsn]')]
    .map((e) => ({ lsn: e.dataset.lsn, x: e.getBoundingClientRect() }))
    .find(({ x }) => x.right > before.left && x.left < before.right);
  change();
  if (!before || before.g.unit === before.g.pitch) return;
  if (atEnd) {
    el.scrollLeft = el.scrollWidth;
    return;
  }
  const kept = anchor && el.querySelector(`.log-grid > .entry[data-lsn="${anchor.lsn}"]`);
  if (kept) {
    el.scrollLeft += kept.getBoundingClientRect().left - anchor.x.left;
    return;
  }
  const after = logRange(el);
  if (!after) return;
  const px = keepRow(before.left - before.origin, before.g, after.g);
  el.scrollLeft += after.origin + px - after.left;
}

/**
 * Runs `change` (text grows or shrinks, the layout changes) keeping the log
 * strip's view on the same entries: on the head if it was at the end, else
 * on the entry that was first on the left.
 */
export function keepLogView(el, change) {
  const atEnd = el.scrollLeft + el.clientWidth >= el.scrollWidth - 2;
  const range = logRange(el);
  const first = range && [...el.querySelectorAll('.log-grid > .entry[data-lsn]')].find((e) => e.getBoundingClientRect().right > range.left + 1);
  change();
  if (atEnd) {
    el.scrollLeft = el.scrollWidth;
  } else if (first?.isConnected) {
    const now = logRange(el);
    if (now) el.scrollLeft += first.getBoundingClientRect().left - now.left;
  }
  showEdges(el);
}

/** The line under the log strip: the whole of the entry pointed at or focused. */
export function followLogDetail(el, line) {
  const idle = line.textContent;
  const show = (entry) => { line.textContent = entry ? entry.dataset.full ?? entry.title : idle; };
  const focused = () => el.contains(document.activeElement) ? document.activeElement.closest('.entry') : null;
  el.addEventListener('pointerover', (ev) => { const entry = ev.target.closest?.('.entry'); if (entry) show(entry); });
  el.addEventListener('pointerleave', () => show(focused()));
  el.addEventListener('focusin', (ev) => show(ev.target.closest?.('.entry')));
  el.addEventListener('focusout', (ev) => { if (!el.contains(ev.relatedTarget)) show(null); });
}

/**
 * The line under storage while its rows are cut to one line each (a long
 * storage, a virtual list): the whole of the row pointed at, or tapped (a
 * phone has no pointer to hover with, and the row's title, which holds its
 * value, showed nowhere there). A new step puts back the idle line
 * (line.reset()), as the row tapped may hold another value now.
 */
export function followStorageDetail(el, line) {
  const idle = line.textContent;
  let tapped = null;
  const text = (tr) => `${tr.dataset.key}: ${tr.querySelector('td.value')?.title ?? ''}`;
  const show = (tr) => { line.textContent = tr ? text(tr) : tapped ?? idle; };
  const row = (ev) => {
    const tr = ev.target.closest?.('tr[data-key]');
    return tr && tr.querySelector('td.value[title]') ? tr : null;
  };
  el.addEventListener('pointerover', (ev) => { if (ev.pointerType === 'mouse' && row(ev)) show(row(ev)); });
  el.addEventListener('pointerleave', () => show(null));
  el.addEventListener('click', (ev) => {
    const tr = row(ev);
    if (!tr) return;
    tapped = text(tr);
    show(null);
  });
  line.reset = () => {
    tapped = null;
    show(null);
  };
}

// A fold's text: "◀ 12 earlier entries", "12 later entries ▶". Its words
// are a span of their own, which a phone leaves out ("◀ 12"): the edge
// columns are narrow there, and the button's title says what it is.
function foldText(n, side) {
  const words = h('span', { class: 'fold-words' }, ` ${side} ${n === 1 ? 'entry' : 'entries'}`);
  return [h('span', {}, ...(side === 'earlier' ? ['◀ ', grouped(n), words] : [grouped(n), words, ' ▶']))];
}

// A consumer whose position is in the window drawn but off screen gets an
// edge indicator on its track, as one outside the window has: it brings the
// position into view.
function showEdges(el) {
  const hadFocus = focusIn(el);
  drawEdges(el);
  keepFocusIn(el, hadFocus);
  rove(el);
}

// The one entry of the strip in the Tab order (a roving tabindex): the one
// with the focus, else the first whole on screen. The arrow keys move the
// focus from entry to entry.
function rove(el, to = null) {
  const entries = [...el.querySelectorAll('.log-grid > .entry[tabindex]')];
  if (entries.length === 0) return;
  let one = to ?? (entries.includes(document.activeElement) ? document.activeElement : null);
  if (!one) {
    const range = logRange(el);
    const rects = entries.map((e) => e.getBoundingClientRect());
    const i = range ? rects.findIndex((r) => r.left >= range.left - 1 && r.right <= range.right + 1) : -1;
    const j = range ? rects.findIndex((r) => r.right > range.left && r.left < range.right) : -1;
    one = entries[i >= 0 ? i : j >= 0 ? j : 0];
  }
  for (const e of entries) {
    const t = e === one ? 0 : -1;
    if (e.tabIndex !== t) e.tabIndex = t;
  }
}

function drawEdges(el) {
  const range = logRange(el);
  for (const hint of el.querySelectorAll('.edge-hint')) hint.remove();
  if (!range) return;
  // The folds count the entries before and after those on screen (some of
  // the drawn ones are off screen, or under the folds themselves).
  const onScreen = [...el.querySelectorAll('.log-grid > .entry[data-lsn]')].map((e, i) => [i, e.getBoundingClientRect()])
    .filter(([, r]) => r.right > range.left + 1 && r.left < range.right - 1);
  const first = onScreen.length ? range.g.start + onScreen[0][0] : range.first;
  const last = onScreen.length ? range.g.start + onScreen.at(-1)[0] : range.first + range.visible - 1;
  const earlier = el.querySelector('#log-earlier[data-counted]'), later = el.querySelector('#log-later[data-counted]');
  if (earlier) earlier.replaceChildren(...foldText(first, 'earlier'));
  if (later) later.replaceChildren(...foldText(Math.max(0, range.g.total - last - 1), 'later'));
  // The blank edge columns of a strip whose window reaches its start (or
  // end) count the entries scrolled under them too: LSN 1 to 8 went under
  // the left one with nothing saying they were there.
  if (!hidden?.entries) {
    el.querySelector('.log-grid > .log-fold.edge-left.blank')?.replaceChildren(...(first > 0 ? foldText(first, 'earlier') : []));
    const after = range.g.total - last - 1;
    el.querySelector('.log-grid > .log-fold.edge-right.blank')?.replaceChildren(...(after > 0 ? foldText(after, 'later') : []));
  }
  // A cell left of the entries on screen is hidden under the sticky label
  // or edge column; one between them (the start column, when the strip is
  // scrolled to its start) is on screen.
  const label = el.querySelector('.log-label')?.getBoundingClientRect().right ?? range.left;
  const edgeLeft = el.querySelector('.log-grid > .edge-left')?.getBoundingClientRect().left ?? range.left;
  const hiddenLeft = (r) => r.right <= range.left + 1 && ((r.left + r.right) / 2 < label || r.left >= edgeLeft - 1);
  for (const at of el.querySelectorAll('.log-grid > .cell.at:not(.edge)[data-consumer]')) {
    const r = at.getBoundingClientRect();
    const side = hiddenLeft(r) ? 'left' : r.left >= range.right - 1 ? 'right' : null;
    if (!side) continue;
    // Only where a click can bring it nearer: a consumer ahead of the log
    // is drawn past the log's end, beside the right edge at the end of the
    // strip, and its hint there scrolled nowhere.
    const delta = r.left - (range.left + range.right) / 2 + r.width / 2;
    const to = Math.max(0, Math.min(el.scrollWidth - el.clientWidth, el.scrollLeft + delta));
    if (Math.abs(to - el.scrollLeft) < 1) continue;
    const edge = [...el.querySelectorAll(`.log-grid > .cell.edge-${side}`)].find((c) => c.dataset.track === at.dataset.consumer);
    if (!edge) continue;
    const lsn = lsnText(at.dataset.position);
    const word = markerWord('position', lsn);
    edge.append(h('button', {
      type: 'button', class: 'edge-hint marker',
      title: `${at.dataset.consumer} is at LSN ${lsn}, off screen: click to bring it into view`,
      // The hint goes once its marker is in view: the strip keeps the focus.
      onclick: () => { el.scrollLeft += delta; el.focus({ preventScroll: true }); },
    }, side === 'left' ? markerText(`◀ ${word}`, lsn) : markerText(word, `${lsn} ▶`)));
  }
}

// Storage is a virtual list: the panel scrolls through every row, as tall
// as all of them (a spacer stands in for the rows not drawn), and only the
// window the engine sent is in the page. Rows have one fixed height; a long
// value is cut with an ellipsis and shown whole on hover.
export const STORAGE_ROW_PX = 28;

export function renderStorage(el, lsnEl, state, current, nav) {
  const t = touched(current);
  const m = hidden ?? {};
  if (m.down) {
    // Whether storage was lost says whether the database is down.
    patch(lsnEl, masked());
    patch(el, h('p', { class: 'empty masked-block' }, masked('Storage: ')));
    return;
  }
  if (state.storage.lost) {
    fill(lsnEl, 'lost: the database is down');
    fill(el, h('p', { class: 'lost' }, 'Storage lived in the database\'s memory and was lost in the crash. ',
      'The log file survived: Recover reads it back and replays it into storage.'));
    return;
  }
  const { rows: page, start, total } = state.storage;
  // The row asked about (value) is drawn whether or not storage holds it,
  // with its value hidden; the row count would tell whether it is there.
  const asked = m.key !== null && m.key !== undefined ? m.key : null;
  patch(lsnEl, `storage LSN ${lsnText(state.storage.lsn)}`, asked === null ? ` · ${plural(total, 'row')}` : '');
  const after = Math.max(0, total - start - page.length);
  // While every row fits in one window, rows wrap and show whole; beyond
  // that they take one line each so that the panel can scroll through all.
  const virtual = total > STORAGE_ROWS;
  const height = virtual ? `height: ${STORAGE_ROW_PX}px` : null;
  const spacer = (n, where) => spacerRow('tr', n, where, STORAGE_ROW_PX, total);
  const maskedRow = (k) => h('tr', { class: 'masked-row', dataset: { key: k }, style: height },
    h('td', { class: 'key', title: k }, k), h('td', { class: 'value' }, masked()));
  const rows = page.filter(({ key: k }) => k !== asked).map(({ key: k, value }) => {
    const text = pretty(value);
    const fresh = k === t.key;
    return keyed(JSON.stringify([k, text, fresh, virtual]), () => h('tr', { class: fresh ? 'fresh' : null, dataset: { key: k }, style: height },
      h('td', { class: 'key', title: k }, k), h('td', { class: 'value', title: virtual ? text : null }, text)));
  });
  if (asked !== null) {
    // In key order among the rows drawn (first when it sorts before them all).
    const at = page.filter(({ key: k }) => k !== asked && k < asked).length;
    rows.splice(at, 0, maskedRow(asked));
  }
  if (t.deletedKey !== null) {
    rows.push(h('tr', { class: 'fresh deleted', style: height }, h('td', { class: 'key' }, t.deletedKey), h('td', { class: 'value' }, '(deleted)')));
  }
  patch(el, rows.length
    ? h('table', { class: virtual ? 'virtual' : null, 'aria-rowcount': total, ...windowData(start, page.length, total) },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'key-col' }, 'key'), h('th', { scope: 'col' }, 'value'))),
      list(h('tbody'), spacer(start, 'before'), rows, spacer(after, 'after')))
    : h('p', { class: 'empty' }, 'Storage is empty.'));
  scrollsAsList(el, 'Storage rows', STORAGE_ROW_PX, (first, visible) => nav.storageAt(first, visible));
  const fresh = el.querySelector('tr.fresh');
  scrolls.push(() => (fresh ? scrollIntoPanel(el, fresh) : keepInWindow(el, STORAGE_ROW_PX, start, page.length, total)));
}

// Scrolls a panel (not the page) so that `row` is visible.
function scrollIntoPanel(panel, row) {
  if (!row) return;
  const top = row.offsetTop - panel.clientHeight / 2;
  panel.scrollTop = Math.max(0, top);
}

// A virtual list scrolls through every row, as tall as all of them, while
// only a window of rows is in the page: a spacer of the same height stands
// in for the rows before it and one for the rows after. Rows not drawn count
// rowPx each. When the panel scrolls, onWindow(first, visible) is told
// which rows are under view (once a frame), and asks the engine for a new
// window when the drawn one no longer covers them.
function onVirtualScroll(rowPx, onWindow) {
  let queued = false;
  return (ev) => {
    const el = ev.currentTarget;
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const g = rowsGeometry(el, rowPx);
      const visible = Math.ceil(el.clientHeight / rowPx);
      onWindow(g ? firstUnder(el.scrollTop, atScrollEnd(el, 'Top'), visible, g) : Math.floor(el.scrollTop / rowPx), visible);
    });
  };
}

// The attributes a virtual list's element (its <table> or <ol>) carries: the
// window it draws, for rowsGeometry().
function windowData(start, drawn, total) {
  return { 'data-start': start, 'data-drawn': drawn, 'data-total': total };
}

/** The geometry (virtual.js) of the virtual list drawn in scroller `el`, or null when it draws none. */
function rowsGeometry(el, rowPx) {
  const list = el.querySelector('[data-total]');
  if (!list) return null;
  const { start, drawn, total } = list.dataset;
  return geometry(Number(start), Number(drawn), Number(total), rowPx);
}

/**
 * Runs `change` (a window the student scrolled to replaces the one drawn in
 * scroller `el`) keeping the same row under view: what the browser does by
 * itself while rows not drawn count their full height; a list too long for
 * that (virtual.js) is scrolled to the row under view.
 */
export function keepRowsPlace(el, rowPx, change) {
  const before = el && rowsGeometry(el, rowPx);
  const px = el?.scrollTop;
  const atEnd = el && atScrollEnd(el, 'Top');
  // As the log strip does (keepLogPlace): a row drawn in both windows and on
  // screen stays where it is on the screen.
  const anchor = before && before.unit !== before.pitch ? rowOnScreen(el, before) : null;
  change();
  if (!before || before.unit === before.pitch || !el.isConnected) return;
  const after = rowsGeometry(el, rowPx);
  if (!after) return;
  if (atEnd) {
    el.scrollTop = el.scrollHeight;
    return;
  }
  const kept = anchor && drawnRow(el, after, anchor.row);
  if (kept) el.scrollTop += kept.getBoundingClientRect().top - anchor.top;
  else el.scrollTop = keepRow(px, before, after);
}

// The rows drawn in a virtual list's window, in order (not its spacers).
const drawnRows = (el) => [...(el.querySelector('[data-total] > tbody') ?? el.querySelector('[data-total]'))?.children ?? []]
  .filter((r) => !r.classList.contains('spacer'));
// Row number `row` of the list (g: its geometry), if drawn.
function drawnRow(el, g, row) {
  return row >= g.start && row < g.start + g.drawn ? drawnRows(el)[row - g.start] ?? null : null;
}
// The first drawn row on screen: {row, top}.
function rowOnScreen(el, g) {
  const box = el.getBoundingClientRect();
  const rows = drawnRows(el);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i].getBoundingClientRect();
    if (r.bottom > box.top && r.top < box.bottom) return { row: g.start + i, top: r.top };
  }
  return null;
}

// Makes a panel (drawn once, kept across renders) a virtual list's scroller:
// focusable, so the arrow and Page keys scroll it, and asking for the window
// under the view as it scrolls (once a frame).
function scrollsAsList(el, what, rowPx, onWindow) {
  if (el.__virtual) return;
  el.__virtual = true;
  el.tabIndex = 0;
  el.setAttribute('aria-label', `${what}: scroll, or use the arrow and Page keys`);
  el.addEventListener('scroll', onVirtualScroll(rowPx, onWindow), { passive: true });
  el.addEventListener('keydown', onLongListKeys(rowPx));
}

// Home, End, Page Up and Page Down in a list too long to count its rows not
// drawn at full size (virtual.js). The browser scrolls for these keys
// smoothly, over several frames; the page, keeping the row under view as
// each new window comes (keepRowsPlace), set the offset in between, which
// ended the browser's scroll short of where the key goes (End stopped a few
// hundred rows before the last at a million). Here the key moves the view
// at once, by rows: to the first or the last, or by a view's height of rows.
// Other lists keep the browser's own scrolling.
//
// Every list's keys also stop at its ends: a key that would scroll a list
// that scrolls past its top or bottom scrolled the page instead (End on a change stream
// already at its newest event took the page 2,000 px down, and the focused
// list off screen).
const UP_KEYS = new Set(['Home', 'PageUp', 'ArrowUp']), DOWN_KEYS = new Set(['End', 'PageDown', 'ArrowDown', ' ']);
function onLongListKeys(rowPx) {
  return (ev) => {
    const el = ev.currentTarget;
    if (ev.target !== el || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const up = UP_KEYS.has(ev.key) || (ev.key === ' ' && ev.shiftKey);
    const scrolls = el.scrollHeight > el.clientHeight + 1;  // one that fits leaves the keys to the page
    if (scrolls && (up ? el.scrollTop <= 0 : DOWN_KEYS.has(ev.key) && atScrollEnd(el, 'Top'))) {
      ev.preventDefault();
      return;
    }
    if (ev.shiftKey) return;
    const g = rowsGeometry(el, rowPx);
    if (!g || g.unit === g.pitch) return;
    const page = Math.max(1, Math.floor(el.clientHeight / rowPx) - 1);
    const row = rowAt(el.scrollTop, g);
    const to = { Home: 0, End: g.total, PageDown: row + page, PageUp: row - page }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    el.scrollTop = to >= g.total ? el.scrollHeight : offsetOf(Math.max(0, to), g);
  };
}

// The row standing in for `n` rows not drawn, before or after the window.
// Rows not drawn count `unitOf(total, rowPx)` px each (virtual.js).
function spacerRow(tag, n, where, rowPx, total) {
  return n > 0 ? h(tag, { class: 'spacer', dataset: { rows: n, where }, 'aria-hidden': 'true', style: `height: ${n * unitOf(total, rowPx)}px` }) : null;
}

// After drawing a window at `start` of `drawn` rows of `total`: keep the
// panel's scroll inside it (a new point in the history, or a window the page
// moved).
function keepInWindow(el, rowPx, start, drawn, total) {
  const g = geometry(start, drawn, total, rowPx);
  const first = rowAt(el.scrollTop, g);
  if (first < start || first >= start + Math.max(1, drawn)) el.scrollTop = offsetOf(start, g);
}

/** Whether the drawn window [start, start + drawn) covers rows [first, first + visible). */
export function covers(start, drawn, total, first, visible) {
  return first >= start && Math.min(total, first + visible) <= start + drawn;
}

// The change stream is a virtual list too (once it has more events than one
// window): a closed event is one line of STREAM_ROW_PX; an opened one grows.
export const STREAM_ROW_PX = 32;

export function renderStream(el, state, current, nav) {
  const hadFocus = focusIn(el);
  const t = touched(current);
  const from = state.events.start;
  const shown = state.events.items;
  const total = state.events.total;
  const after = total - from - shown.length;
  const virtual = total > STREAM_WINDOW;
  const m = hidden ?? {};
  // The change event asked about, or the one built from the log entry asked
  // about, is hidden; so is a later before image of that entry's key (it is
  // the entry's value).
  const askedLsn = m.event ?? m.entry ?? null;
  const askedKey = m.entry !== null && m.entry !== undefined ? shown.find((e) => e.lsn === m.entry)?.key : undefined;
  // Before/after images are built when a student opens them (or for the
  // event the current step touched), which keeps long streams quick to draw.
  const images = (e) => h('dl', { class: 'images' },
    h('dt', {}, 'before'), h('dd', {}, askedKey !== undefined && e.key === askedKey && e.lsn > m.entry ? masked() : pretty(e.before)),
    h('dt', {}, 'after'), h('dd', {}, pretty(e.after)));
  // A <details> the student opens or closes is no longer what its key says.
  if (!el.__toggles) {
    el.__toggles = true;
    el.addEventListener('toggle', (ev) => stale(ev.target.closest?.('li')), true);
  }
  const items = shown.map((e) => {
    if (e.lsn === askedLsn) {
      return h('li', { class: 'masked-event', dataset: { lsn: e.lsn } },
        h('span', { class: 'badge op-masked', title: HIDDEN_TITLE }, '?'), ' ', h('span', { class: 'lsn' }, `LSN ${e.lsn}`), ' ', masked());
    }
    const open = e.lsn === t.lsn && e.op !== 'c';
    const pending = e.lsn > state.log.durable;
    const beforeHidden = askedKey !== undefined && e.key === askedKey && e.lsn > m.entry;
    // Keyed by what it shows and what opening it shows (its images).
    return keyed(JSON.stringify([e.lsn, lsnText(e.lsn), e.op, e.key, e.lsn === t.lsn, open, pending, beforeHidden, e.before, e.after]), () => {
      const details = h('details', {
        open,
        ontoggle: open ? null : (ev) => {
          const d = ev.currentTarget;
          if (d.open && d.childElementCount === 1) d.append(images(e));
        },
      },
      h('summary', {}, opBadge(e.op), h('span', { class: 'lsn' }, `LSN ${lsnText(e.lsn)}`), ' ', h('span', { class: 'key', title: e.key }, e.key),
        pending ? h('span', { class: 'sync-tag', title: 'its log record is not on disk yet, so no consumer can have this event' }, ' not on disk yet') : null),
      open ? images(e) : null);
      return h('li', { class: `${e.lsn === t.lsn ? 'fresh' : ''}${pending ? ' notdurable' : ''}` || null, dataset: { lsn: e.lsn } }, details);
    });
  });
  const spacer = (n, where) => spacerRow('li', n, where, STREAM_ROW_PX, total);
  el.classList.toggle('virtual', virtual);
  patch(el, items.length
    ? list(h('ol', { class: 'events', 'aria-label': plural(total, 'change event'), ...windowData(from, shown.length, total) }), virtual ? spacer(from, 'before') : null, items, virtual ? spacer(after, 'after') : null)
    : h('p', { class: 'empty' }, state.down
      // A power loss can leave none of them readable in the file.
      ? 'No change events read back from the log file: recovery rebuilds the stream from what survived.'
      : 'No change events yet.'));
  keepFocusIn(el, hadFocus);
  scrollsAsList(el, 'Change events', STREAM_ROW_PX, (first, visible) => nav.eventsAt(first, visible));
  const fresh = el.querySelector('li.fresh');
  scrolls.push(() => {
    if (fresh) scrollIntoPanel(el, fresh);
    else if (nav.followingEvents) el.scrollTop = el.scrollHeight;  // the newest
    else keepInWindow(el, STREAM_ROW_PX, from, shown.length, total);
  });
}

// A consumer's state is a virtual list once it has more rows than one
// window: rows are one line of STATE_ROW_PX (a long list of keys is cut with
// an ellipsis, whole on hover), inside the card's own scrolling box.
export const STATE_ROW_PX = 28;

function stateTable(c, nav) {
  const multi = c.type === 'secondary_index' && Array.isArray(c.config.fields);
  // Rows come from the engine a window at a time; a long list is cut, with
  // its full length in `size`.
  const entries = c.rows.items.map((r) => [r.key, r.value, r.field, r.size]);
  const { start, total } = c.rows;
  const virtual = total > STATE_ROWS;
  // A long list shows its first keys and how many there are in all.
  const keysText = (keys, size) => {
    const all = size ?? keys.length;
    return all > KEYS_SHOWN ? `${keys.slice(0, KEYS_SHOWN).join(', ')} … (${grouped(all)} in all)` : keys.join(', ');
  };
  // "Nothing processed yet" would tell a position (or a lag) asked about.
  const x = hiddenOf(c.name);
  if (!entries.length) {
    const nothingYet = c.position === 0 && c.lag > 0 && !x.position && !x.lag;
    return h('p', { class: 'empty' }, nothingYet ? (c.feed === 'direct' ? 'Empty: no write received yet.' : 'Empty: nothing processed yet.') : 'Empty.');
  }
  const columns = [];
  let rows;
  const cell = (text) => h('td', { title: virtual ? String(text) : null }, text);
  if (c.type === 'materialized_view') {
    const hasSum = 'sum' in c.config, hasList = c.config.list === true;
    columns.push(c.config.group_by, 'count');
    if (hasSum) columns.push(`sum(${c.config.sum})`);
    if (hasList) columns.push('keys, in arrival order');
    rows = entries.map(([g, v, , size]) => {
      const keys = hasList ? keysText(v.list, size) : null;
      return keyed(JSON.stringify([virtual, g, v.count, hasSum, hasSum ? v.sum : null, hasList, keys]), () => h('tr', { dataset: { group: g } }, cell(g), h('td', { class: 'num' }, v.count),
        hasSum ? h('td', { class: 'num' }, v.sum) : null, hasList ? cell(keys) : null));
    });
  } else {
    if (multi) columns.push('field');
    columns.push(c.type === 'full_text' ? 'token' : multi ? 'value' : c.config.field, 'keys');
    rows = entries.map(([term, keys, field, size]) => {
      const text = keysText(keys, size);
      return keyed(JSON.stringify([virtual, multi, multi ? field : null, term, text]), () => h('tr', {}, multi ? cell(field) : null, cell(term), cell(text)));
    });
  }
  const spacer = (n, where) => spacerRow('tr', n, where, STATE_ROW_PX, total);
  return h('table', { class: virtual ? 'virtual' : null, 'aria-rowcount': total, ...windowData(start, entries.length, total) },
    h('thead', {}, h('tr', {}, columns.map((name) => h('th', { scope: 'col' }, name)))),
    list(h('tbody'), virtual ? spacer(start, 'before') : null, rows, virtual ? spacer(total - start - entries.length, 'after') : null));
}

/** The box in which consumer `name`'s card (in the consumers panel `el`) scrolls its state. */
export function stateScroller(el, name) {
  return el.querySelector(`article.card[data-consumer="${CSS.escape(name)}"] .state-scroll`);
}

// The card's box that scrolls through the state (a virtual list when long).
function stateBox(c, nav) {
  const virtual = c.rows.total > STATE_ROWS;
  return h('div', {
    class: 'state-scroll',
    // Focusable whenever it may scroll (a long state overflows its box even
    // before it is a virtual list), so the keyboard can scroll it.
    tabindex: '0', role: 'group',
    'aria-label': `State of ${c.name}${virtual ? ': scroll, or use the arrow and Page keys' : ''}`,
    onscroll: virtual ? onVirtualScroll(STATE_ROW_PX, (first, visible) => nav.rowsAt(c.name, first, visible)) : null,
    onkeydown: onLongListKeys(STATE_ROW_PX),
  }, stateTable(c, nav));
}

// What verify found for this consumer, in words, naming the rows that differ.
function verifyBox(c, check) {
  if (check.consistent) {
    // The explanation is left out in presentation mode (the lesson's note says it).
    return h('div', { class: 'answer verify ok', role: 'status' }, h('strong', {}, '✓ Consistent'),
      h('span', { class: 'explain' }, ': the same state as a fresh consumer of the same kind built from a snapshot of storage as it stood at this consumer\'s position.'));
  }
  return h('div', { class: 'answer verify bad', role: 'status' },
    h('strong', {}, '✗ Not consistent'), h('span', { class: 'explain' }, check.reason ? `: ${check.reason}.` : '.'),
    check.differences.length ? h('table', { class: 'differences' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'row'), h('th', { scope: 'col' }, 'expected'), h('th', { scope: 'col' }, 'actual'))),
      h('tbody', {}, check.differences.map((d) => h('tr', { dataset: { row: d.key } }, h('td', { class: 'key' }, d.key),
        h('td', {}, pretty(d.expected)), h('td', {}, pretty(d.actual)))))) : null,
    c.offsets === 'separate' && c.redelivered > 0
      ? h('p', { class: 'explain' }, `${plural(c.redelivered, 'change event was', 'change events were')} delivered again after a crash, and this consumer's state is not rolled back with its position (offsets: separate).`)
      : null);
}

// A query answered as storage would: "up to date" only when nothing is
// pending (lag 0); a lagging consumer can give the same answer when the
// events it has not processed do not change it. While a prediction asks the
// lag (x.lag), neither is said.
function sameAnswerText(c, x) {
  if (x.lag) return 'The same answer as storage.';
  if (c.lag === 0) return 'Up to date: the same answer as storage.';
  if (c.feed === 'direct') return `The same answer as storage, although ${plural(c.lag, 'write waits', 'writes wait')} in clients for it: they do not change this answer.`;
  return `The same answer as storage, although it lags by ${plural(c.lag, 'change event')}: those it has not processed do not change this answer.`;
}

// How the consumer caught up: the cost of snapshot against replay.
function costLine(c) {
  const x = hiddenOf(c.name);
  // What it processed tells its position after a replay.
  if (x.position) return masked('Change events processed: ');
  if (c.feed === 'direct') {
    const writes = x.lsns ? '? writes received from the application (hidden with the LSNs)' : `${plural(c.processed, 'write')} received from the application`;
    return c.snapshot
      ? `Began from a snapshot at LSN ${lsnText(c.snapshot.lsn)} (read ${plural(c.snapshot.rows, 'row')}); ${writes} since.`
      : `${writes[0].toUpperCase()}${writes.slice(1)}.`;
  }
  // After a replay, the count it processed is its position.
  const events = x.lsns ? '? change events processed from the stream (hidden with the LSNs)' : `${grouped(c.processed)} change event${c.processed === 1 ? '' : 's'} processed from the stream`;
  if (c.snapshot) {
    return `Began from a snapshot at LSN ${lsnText(c.snapshot.lsn)} (read ${plural(c.snapshot.rows, 'row')}); ${events} since.`;
  }
  return `Reading the stream from LSN 1: ${events}.`;
}

// A query with min_position (read-your-writes): waiting, answered by
// storage instead, or answered by the consumer once it reached the write.
function readYourWrites(c, step, r, fresh) {
  const need = `LSN ${r.min_position}`;
  if (!r.ready && r.answered_by === null) {
    return h('div', { class: 'answer waiting', role: 'status' },
      h('div', {}, h('strong', {}, `Waiting: ${c.name} is at position ${r.position}`), `, before ${need}, the write this read must see.`),
      h('div', {}, 'No answer yet: its answer would not include that write. Flush or step it, or ask again with “else ask storage”.'));
  }
  if (r.answered_by === 'storage') {
    return h('div', { class: 'answer by-storage', role: 'status' },
      h('div', {}, h('strong', {}, 'Answered by storage'), `: ${c.name} is at position ${r.position}, before ${need}, so storage answered instead: `,
        h('code', { class: 'result' }, answerText(r.result))));
  }
  const stale = fresh !== undefined && json(fresh) !== json(r.result);
  return h('div', { class: `answer${stale ? ' stale' : ''}`, role: 'status' },
    h('div', {}, h('strong', {}, `${c.name} answers`), ` (position ${r.position}, which includes ${need}): `, h('code', { class: 'result' }, answerText(r.result))),
    fresh !== undefined ? h('div', {}, h('strong', {}, 'From storage now'), ': ', h('code', { class: 'fresh-result' }, answerText(fresh))) : null,
    stale ? h('div', { class: 'stale-flag' }, `Your write is there, but later ones are not yet: it lags by ${plural(c.lag, 'change event')}.`)
      : h('div', { class: 'fresh-flag' }, 'Your write is included: read-your-writes holds.'));
}

/**
 * Consumer cards. `actions` holds the callbacks the buttons call;
 * `fresh` is the answer storage would give to the current query, if any.
 */
/**
 * A read that found its consumer not ready, kept on the card after its step:
 * still waiting while the position is before the LSN it needs, and ready,
 * with a button to ask again, once the consumer has reached it.
 * `read`: {step, query, need} (main.js's pendingReads).
 */
function waitingRead(c, read, x, actions) {
  if (x.position || x.lag) {
    return h('div', { class: 'answer waiting', role: 'status' },
      h('strong', {}, `A read from step ${read.step} needs LSN ${read.need}`), ': whether it can go ahead is hidden until you answer the prediction.');
  }
  if (c.position < read.need) {
    return h('div', { class: 'answer waiting', role: 'status' },
      h('strong', {}, `A read from step ${read.step} is still waiting`),
      `: it needs LSN ${read.need}, and ${c.name} is at position ${c.position}. Step or flush it.`);
  }
  return h('div', { class: 'answer ready', role: 'status' },
    h('strong', {}, `The read from step ${read.step} can go ahead`),
    `: ${c.name} is at position ${c.position}, which includes LSN ${read.need}. `,
    h('button', { type: 'button', class: 'ask-again', onclick: () => actions.ask(read.query) }, 'Ask again'));
}

export function renderConsumers(el, state, current, moved, actions, fresh, errors, nav, pending = {}) {
  const t = touched(current);
  // By consumer name: a Map, so that a consumer named "constructor" is a name like any other.
  const checks = new Map(current?.step.op === 'verify' && current.result.ok
    ? current.result.consumers.map((k) => [k.name, k]) : []);
  const m = hidden ?? {};
  const cards = state.consumers.map((c) => {
    const colour = colourOf(c.name);
    const x = hiddenOf(c.name);
    const direct = c.feed === 'direct';
    const isCurrent = t.consumer === c.name || t.consumers.includes(c.name);
    const q = QUERY_FIELD[c.type];
    const multi = c.type === 'secondary_index' && Array.isArray(c.config.fields);
    // An example from its state, unless its state is what is asked.
    const example = x.state ? undefined : c.rows.items[0]?.key;
    const askedNow = current?.step.op === 'query' && current.step.consumer === c.name && current.result.ok;
    // What the student typed in the form stays through redraws (another
    // step, a Play tick), unless the step shown is this consumer's query,
    // whose fields the form then shows.
    const keep = askedNow ? null : { keep: JSON.stringify([c.name, c.type]) };
    const input = h('input', { type: 'text', name: 'query', 'aria-label': `Query ${c.name} by ${q}`, dataset: keep,
                               placeholder: example !== undefined ? `e.g. ${example}` : QUERY_HINT[c.type] });
    const fieldSelect = multi ? h('select', { name: 'field', 'aria-label': `Field of ${c.name} to ask about`, dataset: keep },
      c.config.fields.map((f) => h('option', { value: f }, f))) : null;
    const fetchBox = c.type === 'secondary_index' ? h('input', { type: 'checkbox', name: 'fetch', dataset: keep }) : null;
    if (askedNow) {
      input.value = String(current.step[q]);
      if (fieldSelect && current.step.field) fieldSelect.value = current.step.field;
      if (fetchBox && current.step.fetch) fetchBox.checked = true;
    }
    const answer = [];
    const rywNow = isCurrent && current.step.op === 'query' && current.result.ok && 'ready' in current.result;
    if (rywNow && !(current.result.answered_by === 'consumer' && current.step.fetch)) {
      answer.push(readYourWrites(c, current.step, current.result, fresh));
    } else if (pending[c.name] && !(isCurrent && current.step.op === 'query')) {
      answer.push(waitingRead(c, pending[c.name], x, actions));
    } else if (isCurrent && current.step.op === 'query' && current.result.ok && current.step.fetch) {
      const docs = current.result.result;
      const stale = docs.filter((d) => d.stale).length;
      answer.push(h('div', { class: `answer fetched${stale ? ' stale' : ''}`, role: 'status' },
        h('div', {}, h('strong', {}, `${c.name} gives ${plural(docs.length, 'key')}`), ` (as of position ${c.position}); each document fetched from storage:`),
        docs.length ? h('table', { class: 'fetched' }, h('tbody', {}, docs.slice(0, FETCHED_SHOWN).map((d) => h('tr', { class: d.stale ? 'stale-row' : null, dataset: { key: d.key } },
          h('td', { class: 'key' }, d.key), h('td', { class: 'value' }, d.value === null ? '(gone from storage)' : pretty(d.value)),
          h('td', {}, d.stale ? '✗ stale: storage no longer matches' : '✓ matches'))))) : null,
        docs.length > FETCHED_SHOWN ? h('div', { class: 'fetched-more' }, `… and ${grouped(docs.length - FETCHED_SHOWN)} more, not shown (${grouped(stale)} of all ${grouped(docs.length)} stale).`) : null,
        stale ? h('div', { class: 'stale-flag' }, `Stale index read: ${plural(stale, 'document no longer matches', 'documents no longer match')} what the index said. It lags by ${plural(c.lag, 'change event')}.`)
          : h('div', { class: 'fresh-flag' }, 'Every fetched document matches what the index said.')));
    } else if (isCurrent && current.step.op === 'query' && current.step.as_of === 'storage') {
      // Asked as of storage: the answer is a fresh derivation's, and `fresh`
      // is what the consumer itself answers at its position.
      const differ = fresh !== undefined && json(fresh) !== json(current.result.result);
      answer.push(h('div', { class: `answer by-storage${differ ? ' stale' : ''}`, role: 'status' },
        h('div', {}, h('strong', {}, 'Asked as of storage'), ` (a fresh ${TYPE_NAMES[c.type] ?? c.type} derived from storage at LSN ${state.storage.lsn}): `,
          h('code', { class: 'fresh-result' }, answerText(current.result.result))),
        fresh !== undefined ? h('div', {}, h('strong', {}, `${c.name} itself`), ` (as of position ${lsnText(c.position)}): `, h('code', { class: 'result' }, answerText(fresh))) : null,
        fresh === undefined ? null : differ
          ? h('div', { class: 'stale-flag' }, `${c.name}'s own answer is older: it lags by ${plural(c.lag, 'change event')}.`)
          : h('div', { class: 'fresh-flag' }, sameAnswerText(c, x))));
    } else if (isCurrent && current.step.op === 'query') {
      const stale = fresh !== undefined && json(fresh) !== json(current.result.result);
      answer.push(h('div', { class: `answer${stale ? ' stale' : ''}`, role: 'status' },
        h('div', {}, h('strong', {}, `${c.name} answers`), ` (as of position ${c.position}): `, h('code', { class: 'result' }, answerText(current.result.result))),
        state.down ? h('div', { class: 'down-flag' }, 'The database is down, so there is no fresh answer from storage to compare: this derived system answers on its own, possibly stale.')
          : fresh !== undefined ? h('div', {}, h('strong', {}, 'From storage now'), ` (LSN ${state.head}): `, h('code', { class: 'fresh-result' }, answerText(fresh))) : null,
        state.down ? null : stale ? h('div', { class: 'stale-flag' }, `Stale: this consumer lags by ${c.lag} change event${c.lag === 1 ? '' : 's'}.`)
          : h('div', { class: 'fresh-flag' }, sameAnswerText(c, x))));
    }
    if (isCurrent && current.step.op === 'expect' && current.step.query) {
      answer.push(h('div', { class: 'answer checked', role: 'status' },
        h('strong', {}, 'Checked: '), `${c.name} answers ${pretty(current.step.query)} with `, h('code', { class: 'result' }, answerText(current.step.result))));
    }
    if (isCurrent && current.step.op === 'crash_consumer' && current.result.ok) {
      answer.push(current.result.out_of_range
        ? h('div', { class: 'answer crashed', role: 'status' }, h('strong', {}, 'Crashed and restarted: '),
          `back to its committed position ${current.result.rewound_to}, but a truncation removed the change events after it: it is out of range and can only be rebuilt.`)
        : h('div', { class: 'answer crashed', role: 'status' }, h('strong', {}, 'Crashed and restarted: '),
          `back to its committed position ${current.result.rewound_to}; ${plural(current.result.redeliver, 'change event')} will be delivered again. `,
          c.offsets === 'separate' ? 'Its state lives in an external store and was not rolled back: redelivered events will be applied a second time.'
            : 'Its state went back to the last commit together with its position, so redelivered events count once.'));
    }
    if (checks.has(c.name)) answer.push(verifyBox(c, checks.get(c.name)));
    if (isCurrent && t.snapshot) {
      answer.push(h('div', { class: 'snapshot' },
        h('div', {}, h('strong', {}, `Snapshot at LSN ${state.storage.lsn}`), h('span', { class: 'explain' }, `: read ${plural(t.snapshot.rows, 'row')} as r events, then follows the stream.`)),
        h('ol', { class: 'events', dataset: renew(true, current) }, t.snapshot.events.slice(0, SNAPSHOT_LISTED).map((e, k) => h('li', { style: `animation-delay: ${k * 120}ms` },
          opBadge('r'), h('span', { class: 'lsn' }, `LSN ${e.lsn}`), ' ', h('span', { class: 'key', title: e.key }, e.key), ' ', h('span', { class: 'value' }, json(e.after))))),
        t.snapshot.rows > t.snapshot.events.length ? h('div', { class: 'snapshot-more' }, `… and ${grouped(t.snapshot.rows - t.snapshot.events.length)} more r events, not shown.`) : null));
    }
    // A flush that could not deliver to this consumer says why, in the engine's words.
    const refused = current?.step.op === 'flush' && current.result.ok ? current.result.refused : undefined;
    const refusedNow = refused && Object.hasOwn(refused, c.name) ? refused[c.name] : undefined;  // a name may be "constructor"
    const err = errors[c.name] ?? (refusedNow === undefined ? undefined : { text: refusedNow });
    const lost = c.out_of_range && !x.range;
    // While the database's state is asked, buttons do not tell it either.
    const down = state.down && !m.down;
    const cannotTake = down || c.ahead || lost || direct;
    const why = direct ? 'Fed by the application (a dual write), not by the log: it has no change events to step or flush'
      : down ? 'The database is down: recover first'
        : c.ahead ? 'Ahead of the log: rebuild it first'
          : lost ? 'Out of range: its next change event was truncated (OFFSET_OUT_OF_RANGE); rebuild it first' : null;
    // A lag asked about does not disable the buttons that a lag of 0 would.
    const caughtUp = x.lag ? false : c.lag === 0;
    // The consumer with the oldest commit pins the log (as the oldest
    // replication slot does), whether or not the checkpoint holds more; so
    // does every consumer tied with it (the engine names one of them).
    const pins = pinningConsumers(state).some((p) => p.name === c.name) && !m.pins;
    const binding = pins && retention(state.log).holder === 'consumer';
    let lagLine;
    if (x.lag) lagLine = masked('lag ', 'lag');
    else if (lost) lagLine = h('span', { class: 'lag behind', title: `lag ${grouped(c.lag)}: the change events still in the log after its position; those it needed next are gone` }, 'out of range: it cannot catch up');
    // Whether it is out of range is asked: its lag without "caught up".
    else if (x.range) lagLine = h('span', { class: 'lag' }, `lag ${grouped(c.lag)}`);
    // Ahead of the log: nothing is pending, but "caught up" it is not.
    else if (c.ahead && !x.position) lagLine = h('span', { class: 'lag behind', title: `It has processed LSNs up to ${lsnText(c.position)}; the log now ends at LSN ${lsnText(state.head ?? 0)}: writes it processed are gone from the database` }, 'lag 0, but ahead of the log: rebuild it');
    else if (direct) lagLine = h('span', { class: `lag${c.lag ? ' behind' : ''}`, title: 'For a consumer fed by the application: its second writes still waiting in clients' }, c.lag ? `lag ${grouped(c.lag)}: ${plural(c.lag, 'write')} to send, waiting in clients` : 'lag 0: no write waiting in clients');
    // Caught up with what is synced: in async commit, entries written after
    // the durable LSN wait for a sync before any consumer may have them (a
    // flush then delivers nothing, and "caught up" alone did not say why).
    else if (!c.lag && state.head !== null && state.log.durable < state.head && c.position >= state.log.durable) {
      lagLine = h('span', { class: 'lag', title: 'A consumer gets only durable log entries: Sync makes the newer ones durable' },
        `lag 0: caught up with the synced log; the entries after LSN ${lsnText(state.log.durable)} wait for a sync`);
    } else lagLine = h('span', { class: `lag${c.lag ? ' behind' : ''}` }, c.lag ? `lag ${grouped(c.lag)}: ${plural(c.lag, 'change event')} pending` : 'lag 0: caught up');
    // The parts of a card that seldom change are keyed by what they show
    // (their handlers use only the consumer's name and `actions`, the page's one set).
    return list(h('article', { class: `card ${colour}${moved.has(c.name) ? ' moved' : ''}${isCurrent ? ' current' : ''}${c.ahead ? ' ahead' : ''}${lost ? ' out-of-range' : ''}${direct ? ' direct' : ''}`, dataset: { consumer: c.name, feed: c.feed ?? 'log' }, 'aria-label': `consumer ${c.name}`, tabindex: '-1' }),
      keyed(JSON.stringify(['header', c.name, c.type]), () => h('header', {},
        h('h3', {}, h('span', { class: 'swatch' }), h('span', { class: 'card-name' }, c.name)),
        h('span', { class: 'type' }, TYPE_NAMES[c.type] ?? c.type))),
      direct ? h('p', { class: 'feed-tag', title: 'The application writes to it itself, after its write to the database (a dual write): no change stream feeds it, so a client that crashes between the two writes leaves it without that write, and two clients can apply their writes in different orders' },
        'fed by the application (dual write)') : null,
      keyed(JSON.stringify(['config', pretty(c.config)]), () => h('div', { class: 'config' }, pretty(c.config))),
      // A direct consumer reads no log: it has no offsets to commit.
      keyed(JSON.stringify(['offsets', direct, c.offsets, c.commit_every]), () => (direct ? h('div', { class: 'offsets', title: 'The application writes to it directly, so there is no position in the log to commit; what it was sent is kept at once' },
        'no offsets: it reads no log') : h('div', { class: `offsets offsets-${c.offsets}`, title: c.offsets === 'separate'
        ? 'Only the position is committed; the state lives in an external store and is not rolled back on a crash (Kafka auto-commit)'
        : 'State and position are committed together, atomically (a Kafka Streams or Flink checkpoint)' },
      `offsets: ${c.offsets === 'separate' ? 'separate (position only)' : 'with state'} · commits every ${plural(c.commit_every, 'event')}`))),
      keyed(JSON.stringify(['apply', c.apply, Boolean(x.store), c.apply === 'upsert' && !x.store ? c.state_store_rows : null]), () => h('div', { class: `apply apply-${c.apply}`, title: c.apply === 'upsert'
        ? 'Keeps its own copy of the last row it applied for each key (a state store, like a Kafka Streams KTable) and subtracts that copy instead of the event\'s before image: right after compaction and after redelivery, at the cost of memory'
        : 'Applies each change event as a delta: removes what the before image contributed, adds what the after image contributes. Right only if it sees every event exactly once' },
      c.apply === 'upsert' ? [`apply: upsert · `, x.store ? masked('state store: ', 'state-store') : h('span', { class: 'state-store' }, `state store: ${plural(c.state_store_rows, 'row')}`)] : 'apply: delta')),
      h('div', { class: 'position-line' },
        x.position ? masked('position ', 'position') : h('span', { class: 'position' }, `position ${lsnText(c.position)}`),
        x.committed ? masked('committed ', 'committed') : h('span', { class: 'committed' }, `committed ${lsnText(c.committed)}`),
        lagLine,
        x.range ? masked('out of range? ', 'range') : null,
        pins ? h('span', { class: 'pins-tag', title: `Its committed position${x.committed ? '' : ` ${lsnText(c.committed)}`} is the oldest: the log entries after it cannot be truncated without force, so the log grows while it lags (a PostgreSQL replication slot)${binding || x.lsns ? '' : `. For now the checkpoint at LSN ${state.log.pinned_by.checkpoint ?? '–'} holds the log back further`}` }, 'pins the log') : null),
      c.ahead ? h('p', { class: 'ahead-warning', role: 'alert' }, 'Ahead of the log: rebuild it. It has processed writes that the recovered database no longer has.') : null,
      lost ? h('p', { class: 'ahead-warning range-warning', role: 'alert' },
        h('strong', {}, 'Out of range'), ` (Kafka's OFFSET_OUT_OF_RANGE; a PostgreSQL slot whose wal_status is lost): the change event it needed next (the first after LSN ${lsnText(c.position)}) was removed by a truncation, and the log now starts at LSN ${lsnText(state.log.start)}. Flush and step are refused. `,
        h('strong', {}, 'Rebuild'), ' it, from a snapshot of storage, to bring it back.') : null,
      h('p', { class: 'cost' }, costLine(c), c.redelivered ? ` ${plural(c.redelivered, 'change event was', 'change events were')} delivered a second time after a crash.` : ''),
      keyed(JSON.stringify(['buttons', c.name, caughtUp || cannotTake, why, !x.committed && c.committed === c.position, (lost || c.ahead) && !down, down]), () => h('div', { class: 'card-buttons' },
        h('button', { type: 'button', dataset: { action: 'step' }, onclick: () => actions.step(c.name), disabled: caughtUp || cannotTake, title: why ?? 'Process exactly one pending change event' }, 'Step 1 event'),
        h('button', { type: 'button', dataset: { action: 'flush' }, onclick: () => actions.flush(c.name), disabled: caughtUp || cannotTake, title: why ?? 'Process every pending change event' }, 'Flush'),
        h('button', { type: 'button', dataset: { action: 'commit' }, onclick: () => actions.commit(c.name), disabled: !x.committed && c.committed === c.position, title: 'Save the position now (a Kafka offset commit)' }, 'Commit'),
        h('button', { type: 'button', dataset: { action: 'crash' }, onclick: () => actions.crash(c.name), title: 'The consumer crashes and restarts from its committed position' }, 'Crash consumer'),
        h('button', { type: 'button', class: (lost || c.ahead) && !down ? 'primary' : null, dataset: { action: 'rebuild' }, onclick: () => actions.rebuild(c.name), disabled: down, title: down ? 'The database is down: recover first' : 'Discard the state and re-derive it from a snapshot of storage' }, 'Rebuild'),
        h('button', { type: 'button', class: 'danger', dataset: { action: 'remove' }, onclick: () => actions.remove(c.name) }, 'Remove'))),
      h('form', { class: 'query', onsubmit: (ev) => {
        ev.preventDefault();
        // The form on the page (the one built here may have been patched in).
        const f = ev.currentTarget.elements;
        actions.query(c, f.query.value, f.field?.value, f.fetch?.checked ?? false, f.min_position.value.trim(), f.fallback.checked);
      } },
        fieldSelect ? h('label', {}, 'Field', fieldSelect) : null,
        h('label', { class: 'query-main' }, `Ask by ${q}`, input),
        h('label', { class: 'min-position', title: 'Read-your-writes: the LSN of your own write. The consumer answers only once its position has reached it' }, 'needs LSN',
          h('input', { type: 'text', name: 'min_position', inputmode: 'numeric', spellcheck: 'false', placeholder: 'any', 'aria-label': `Read-your-writes: the LSN ${c.name} must have reached (optional)`,
            dataset: keep, value: askedNow && current.step.min_position !== undefined ? String(current.step.min_position) : null })),
        h('label', { class: 'inline', title: 'Read-your-writes: if the consumer has not reached that LSN, storage answers instead (fallback: storage)' },
          h('input', { type: 'checkbox', name: 'fallback', dataset: keep, checked: askedNow && current.step.fallback === 'storage' }), ' else ask storage'),
        fetchBox ? h('label', { class: 'inline', title: 'Look the keys up in the index, then fetch each document from storage' }, fetchBox, ' fetch from storage') : null,
        h('button', { type: 'submit', dataset: { action: 'query' } }, 'Query')),
      err ? h('p', { class: err.cancelled ? 'error cancelled' : 'error', role: 'alert' }, err.text) : null,
      answer,
      h('details', { class: 'state', open: true }, h('summary', {}, 'state'),
        x.state ? h('p', { class: 'masked-block' }, masked('Its state (what it would answer): ')) : stateBox(c, nav)));
  });
  // An embed shows no form to add one with.
  patch(el, cards.length ? cards : h('p', { class: 'empty' }, document.body.classList.contains('embed')
    ? 'No derived systems yet.' : 'No derived systems yet. Add one with the “Add a consumer” form.'));
  // Each state box keeps its scroll inside the window drawn.
  for (const c of state.consumers) {
    if (c.rows.total <= STATE_ROWS || hiddenOf(c.name).state) continue;
    const box = stateScroller(el, c.name);
    if (box) scrolls.push(() => keepInWindow(box, STATE_ROW_PX, c.rows.start, c.rows.items.length, c.rows.total));
  }
}

/**
 * The application's clients: the second writes of dual writes (a put,
 * delete or insert with "direct": "later") waiting in each, oldest first,
 * with what the student can do to a client (send its oldest write to the
 * direct consumers, or crash it, losing them). Shown while any wait, and at
 * the step that sent or lost the last of them. `actions`: {send(client),
 * crash(client)}, or null (an embed: no buttons).
 */
export function renderClients(panel, el, state, current, actions) {
  const clients = Object.entries(state.clients ?? {}).filter(([, writes]) => writes.length);
  const step = current?.result.ok ? current.step : null;
  const lostNow = step?.op === 'crash_client' ? { client: step.client, lost: current.result.lost } : null;
  const sentNow = step?.op === 'direct_write' ? { client: step.client, ...current.result } : null;
  panel.hidden = clients.length === 0 && !lostNow && !sentNow;
  if (panel.hidden) {
    patch(el);
    return;
  }
  // A direct consumer's lag is the number of writes waiting here.
  const m = hidden;
  const askedDirect = m?.lag && state.consumers.some((c) => c.name === m.consumer && c.feed === 'direct');
  const directs = state.consumers.filter((c) => c.feed === 'direct').map((c) => c.name);
  const to = directs.length ? directs.join(', ') : 'no direct consumer';
  const write = (w) => `LSN ${lsnText(w.lsn)}: ${w.op} ${w.key}`;
  const parts = [];
  if (lostNow) {
    parts.push(h('p', { class: 'client-note bad', role: 'status' }, h('strong', {}, `Client ${lostNow.client} crashed`),
      `: its ${plural(lostNow.lost.length, 'unsent write')} (${lostNow.lost.map(write).join('; ')}) ${lostNow.lost.length === 1 ? 'is' : 'are'} lost. `,
      `The log has ${lostNow.lost.length === 1 ? 'it' : 'them'}, the direct consumers never will: nothing retries a dual write.`));
  }
  if (sentNow) {
    parts.push(h('p', { class: 'client-note', role: 'status' }, h('strong', {}, `Client ${sentNow.client} sent ${write(sentNow)}`),
      sentNow.to.length ? ` to ${sentNow.to.join(', ')}` : ', but no direct consumer was there to receive it', '.'));
  }
  if (askedDirect) {
    parts.push(h('p', { class: 'masked-block' }, masked('Second writes waiting: ')));
  } else if (clients.length) {
    parts.push(h('div', { class: 'client-list' }, clients.map(([name, writes]) => h('div', { class: 'client', dataset: { client: name } },
      h('h3', {}, `client ${name}`, h('span', { class: 'client-count' }, ` · ${plural(writes.length, 'write')} to send to ${to}`)),
      h('ol', { class: 'client-writes' }, writes.map((w) => h('li', { dataset: { lsn: w.lsn } },
        h('span', { class: 'lsn' }, `LSN ${lsnText(w.lsn)}`), ' ', h('span', { class: 'client-op' }, w.op), ' ', h('span', { class: 'key', title: w.key }, w.key)))),
      actions ? h('div', { class: 'card-buttons' },
        h('button', { type: 'button', dataset: { action: 'direct-write' }, onclick: () => actions.send(name),
          title: `Client ${name} sends its oldest waiting write to every direct consumer (${to})` }, 'Send oldest write'),
        h('button', { type: 'button', class: 'danger', dataset: { action: 'crash-client' }, onclick: () => actions.crash(name),
          title: `Client ${name} dies between its two writes: its waiting second writes are lost` }, 'Crash client')) : null))));
  } else {
    parts.push(h('p', { class: 'empty' }, 'No second write is waiting in any client.'));
  }
  patch(el, parts);
}
