// The lab sheet: a printable worksheet of the open lesson (issue 13 §4). Its
// title, description and reading; every step in order, by what it asks for
// and not what came of it (steps.js instruction; no notes); every prediction's
// question with ruled space for the answer (never the answer: neither the
// engine's value nor the lesson's "why"); and at the end a static picture of
// the log, every consumer and storage after the lesson's last step, from the
// lesson's steps run in a throwaway engine. Plain tables, built with h(), so
// all the lesson's text goes in as text nodes. Printing with the sheet open
// prints the sheet alone (style.css, body.has-lab-sheet).
import { Simulator, TOTALS_ONLY } from './engine.js';
import { h, fill, plural, grouped } from './dom.js';
import { pretty } from './render.js';
import { instruction } from './steps.js';

const TYPE_NAMES = { secondary_index: 'secondary index', materialized_view: 'materialized view', full_text: 'full-text search' };

// The most the sheet lists and draws: a lesson is a few dozen steps, but an
// instructor's own lesson file may be long. Past these the sheet says what
// it left out. MAX_ROWS is the engine's largest view window.
const MAX_STEPS = 2000;
const MAX_ROWS = 1000;
// Ruled lines under each question.
const ANSWER_LINES = 3;

const sheet = { opener: null, onKey: null };

/** Whether the lab sheet is open. */
export function labSheetOpen() {
  const el = document.getElementById('lab-sheet');
  return Boolean(el && !el.hidden);
}

/**
 * Opens the lab sheet of `lesson` ({title, description, scenario}) in
 * #lab-sheet: built anew, shown, the focus on its heading. `opener`: the
 * element the focus goes back to on Close or Escape.
 */
export function openLabSheet(module, lesson, opener = null) {
  const el = document.getElementById('lab-sheet');
  fill(el, labSheet(module, lesson));
  el.hidden = false;
  document.body.classList.add('has-lab-sheet');
  sheet.opener = opener;
  if (!sheet.onKey) {
    // Before the page's own keys (captured on window): Escape closes the
    // sheet and does nothing else. A modal dialog open over it keeps Escape.
    sheet.onKey = (ev) => {
      if (ev.key !== 'Escape' || !labSheetOpen() || document.querySelector('[aria-modal="true"]:not([hidden])')) return;
      ev.preventDefault();
      ev.stopPropagation();
      closeLabSheet();
    };
    window.addEventListener('keydown', sheet.onKey, true);
  }
  const title = document.getElementById('lab-sheet-title');
  title.focus({ preventScroll: true });
  el.scrollIntoView({ block: 'start' });
}

/** Closes the lab sheet; the focus goes back to the button that opened it (unless `focus` is false). */
export function closeLabSheet({ focus = true } = {}) {
  const el = document.getElementById('lab-sheet');
  if (!el) return;
  const wasOpen = !el.hidden;
  el.hidden = true;
  fill(el);
  document.body.classList.remove('has-lab-sheet');
  if (sheet.onKey) window.removeEventListener('keydown', sheet.onKey, true);
  sheet.onKey = null;
  const opener = sheet.opener;
  sheet.opener = null;
  if (focus && wasOpen && opener?.isConnected && opener.offsetParent !== null) opener.focus();
}

/** The sheet's content for `lesson`: an array of nodes. */
export function labSheet(module, lesson) {
  const scenario = lesson.scenario ?? {};
  const steps = Array.isArray(scenario.steps) ? scenario.steps : [];
  const title = String(lesson.title ?? scenario.title ?? 'Lesson');
  const description = String(lesson.description ?? scenario.description ?? '');
  const sources = Array.isArray(scenario.sources) ? scenario.sources.filter((s) => typeof s === 'string') : [];
  const consumers = Array.isArray(scenario.consumers) ? scenario.consumers : [];
  const run = runLesson(module, consumers, steps);
  const predictions = steps.filter((s) => s?.op === 'predict').length;

  return [
    h('div', { class: 'sheet-top' },
      h('div', { class: 'sheet-titles' },
        h('p', { class: 'sheet-kicker' }, 'Unbundled · lab sheet'),
        h('h2', { id: 'lab-sheet-title', tabindex: '-1' }, title)),
      h('div', { class: 'lab-sheet-actions' },
        h('button', { type: 'button', id: 'lab-sheet-print', class: 'primary', onclick: () => window.print() }, 'Print'),
        h('button', { type: 'button', id: 'lab-sheet-close', onclick: () => closeLabSheet() }, 'Close'))),
    h('div', { class: 'sheet-fields' },
      h('span', { class: 'sheet-field' }, 'Name', h('span', { class: 'sheet-blank', 'aria-hidden': 'true' })),
      h('span', { class: 'sheet-field' }, 'Date', h('span', { class: 'sheet-blank', 'aria-hidden': 'true' }))),
    description ? h('p', { class: 'sheet-description' }, description) : null,
    sources.length ? h('div', { class: 'sheet-reading' },
      h('h3', {}, 'Reading'),
      h('ul', { class: 'sheet-sources' }, sources.map((s) => h('li', {}, h('cite', {}, s))))) : null,
    consumers.length ? h('div', { class: 'sheet-setup' },
      h('h3', {}, 'At the start'),
      h('p', {}, `An empty database and ${plural(consumers.length, 'consumer')}:`),
      h('ul', {}, consumers.map((c) => h('li', {}, consumerWords(c))))) : null,
    h('h3', { class: 'sheet-steps-title' }, `The ${plural(steps.length, 'step')}`,
      predictions ? h('small', {}, ` · ${plural(predictions, 'prediction')}: write your answer before you take the step`) : null),
    h('ol', { class: 'sheet-steps', id: 'lab-sheet-steps' }, steps.slice(0, MAX_STEPS).map((step, i) => stepItem(step, i + 1))),
    steps.length > MAX_STEPS ? h('p', { class: 'sheet-more' }, `…and ${plural(steps.length - MAX_STEPS, 'more step')}, not listed.`) : null,
    h('section', { class: 'sheet-end', id: 'lab-sheet-end', 'aria-labelledby': 'lab-sheet-end-title' },
      h('h3', { id: 'lab-sheet-end-title' }, 'The log and consumers at the end of the lesson'),
      run.error ? h('p', { class: 'error' }, `The lesson could not be run to its end: ${run.error}`) : endPicture(run.view, steps.length)),
  ];
}

// A consumer of the set-up, in words: "by_city (secondary index, {"field": "city"})".
function consumerWords(c) {
  if (!c || typeof c !== 'object') return String(c);
  const { name, type, feed, ...config } = c;
  const parts = [TYPE_NAMES[type] ?? String(type ?? 'consumer')];
  const rest = Object.keys(config).length ? pretty(config) : '';
  if (rest) parts.push(rest);
  if (feed === 'direct') parts.push('fed by the application (a dual write), not by the log');
  return [h('strong', {}, String(name ?? '')), ` (${parts.join(', ')})`];
}

/**
 * The lesson's steps in a throwaway engine: {results: [result of each
 * listed step], view: the end, or error}. The steps past MAX_STEPS are
 * replayed without results.
 */
function runLesson(module, consumers, steps) {
  const out = { results: [], view: null, error: null };
  let sim = null;
  try {
    sim = new Simulator(module);
    for (const spec of consumers) {
      const r = sim.apply({ op: 'add_consumer', mode: 'replay', consumer: spec });
      if (!r.ok) throw new Error(`consumer ${spec?.name}: ${r.error}`);
    }
    for (const step of steps.slice(0, MAX_STEPS)) out.results.push(sim.apply(step));
    if (steps.length > MAX_STEPS && sim.replay(steps.slice(MAX_STEPS)) < 0) throw new Error('out of memory');
    const sizes = sim.view(TOTALS_ONLY);
    const rows = Object.create(null);
    for (const c of sizes.consumers) rows[c.name] = { start: 0, count: MAX_ROWS };
    out.view = sim.view({
      wal: { start: Math.max(0, sizes.wal.total - MAX_ROWS), count: MAX_ROWS },
      events: { count: 0 },
      storage: { start: 0, count: MAX_ROWS },
      rows,
    });
    if (out.view.ok === false) throw new Error(out.view.error);
  } catch (e) {
    out.error = e?.message ?? String(e);
  } finally {
    sim?.dispose();
  }
  return out;
}

// One step: its number and what it asks for, in words; a prediction's
// question with its choices and ruled space to answer.
function stepItem(step, n) {
  // The steps' notes are left out: they say what came of each step, and on
  // paper a student reads ahead. The page shows each note as it is reached.
  const note = null;
  if (step?.op === 'predict') {
    const choices = Array.isArray(step.choices) ? step.choices : [];
    return h('li', { class: 'sheet-step sheet-predict', dataset: { step: String(n), op: 'predict' } },
      h('p', { class: 'sheet-action' }, h('span', { class: 'sheet-step-no' }, `Step ${n}: `), 'a prediction'),
      h('div', { class: 'sheet-question' },
        h('p', { class: 'sheet-prompt' }, h('strong', {}, 'Predict: '), String(step.prompt ?? '')),
        choices.length
          ? [h('p', { class: 'sheet-hint' }, 'Tick one:'),
            h('ul', { class: 'sheet-choices' }, choices.map((c) => h('li', {}, h('span', { class: 'tick', 'aria-hidden': 'true' }, '☐'), ' ', h('code', {}, pretty(c)))))]
          : h('p', { class: 'sheet-hint' }, 'Your answer, as a value: a number like 3, text in quotes like "London", a list like ["u1", "u2"], true, false or null.'),
        h('div', { class: 'sheet-answer', role: 'img', 'aria-label': 'Space to write your answer and why' },
          h('span', { class: 'sheet-answer-label', 'aria-hidden': 'true' }, choices.length ? 'Why:' : 'Your answer, and why:'),
          Array.from({ length: ANSWER_LINES }, () => h('span', { class: 'answer-line' })))),
      note);
  }
  const words = instruction(step);
  return h('li', { class: 'sheet-step', dataset: { step: String(n), op: String(step?.op ?? '') } },
    h('p', { class: 'sheet-action' }, h('span', { class: 'sheet-step-no' }, `Step ${n}: `), words),
    note);
}

// ---------------------------------------------------------------- the picture at the end

function endPicture(v, stepCount) {
  const { log } = v;
  const drawn = v.wal.items;
  const facts = [`After step ${stepCount}: `];
  if (v.down) facts.push(h('strong', {}, 'the database is down. '));
  facts.push(`the log holds ${plural(log.entries, 'log entry', 'log entries')}`);
  if (log.entries) facts.push(` (LSN ${v.wal.first}–${v.wal.last})`);
  facts.push(`; the head is LSN ${v.head ?? 0}; durable up to LSN ${log.durable}`);
  if (log.bytes > log.synced_bytes) facts.push(`; ${plural(log.bytes - log.synced_bytes, 'byte')} written but not synced`);
  if (log.removed) facts.push(`; ${plural(log.removed, 'entry', 'entries')} removed by retention`);
  if (log.checkpoint) facts.push(`; a checkpoint at LSN ${log.checkpoint.lsn}`);
  facts.push('.');
  return [
    h('p', { class: 'sheet-facts', id: 'lab-sheet-facts' }, facts),
    h('h4', {}, 'Write-ahead log and every consumer\'s position'),
    v.wal.start > 0 ? h('p', { class: 'sheet-more' }, `The ${plural(v.wal.start, 'oldest entry', 'oldest entries')} not drawn: the newest ${drawn.length} are.`) : null,
    logTable(v),
    h('p', { class: 'sheet-key' }, '✓ processed · ○ covered by the consumer\'s snapshot (read from storage, never processed) · ✓✓ processed twice (redelivered) · blank: pending · ▲ its position · ◆ its committed position · — fed by the application, not by the log'),
    h('h4', {}, 'Consumers'),
    v.consumers.length ? h('div', { class: 'sheet-consumers' }, v.consumers.map(consumerBlock)) : h('p', { class: 'empty' }, 'No consumers.'),
    h('h4', {}, 'Storage', h('small', {}, v.storage.lost ? ' lost: recover the database' : ` at LSN ${v.storage.lsn ?? 0}`)),
    v.storage.lost ? h('p', {}, 'Storage is in memory: the crash lost it; recovery rebuilds it from the log.')
      : rowsTable(v.storage.rows, v.storage.total, 'sheet-storage', ['key', 'value'], 'row'),
  ];
}

// The log as a table: one row per entry, its LSN, op, key and whole value,
// then one column per consumer: what it has processed, and its position.
function logTable(v) {
  const entries = v.wal.items;
  const consumers = v.consumers;
  // The row a position is drawn on: the newest entry at or before it, or
  // the row before the entries.
  const rowOf = (lsn) => {
    let at = -1;
    for (let i = 0; i < entries.length && entries[i].lsn <= lsn; i++) at = i;
    return at;
  };
  const marks = consumers.map((c) => ({ pos: rowOf(c.position), committed: c.committed !== c.position ? rowOf(c.committed) : null }));
  const cell = (c, k, e, i) => {
    const m = marks[k];
    const text = [];
    if (c.feed === 'direct') text.push('—');
    else if (e && e.lsn <= c.position) {
      const covered = c.snapshot && e.lsn <= c.snapshot.lsn;
      const twice = c.rewind && e.lsn > c.rewind.to && e.lsn <= c.rewind.from;
      text.push(covered ? '○' : twice ? '✓✓' : '✓');
    }
    if (m.pos === i) text.push(`▲ ${c.position}`);
    if (m.committed === i && c.feed !== 'direct') text.push(`◆ ${c.committed}`);
    return h('td', { class: 'mark', 'data-label': c.name }, text.length ? text.join(' ') : null);
  };
  const first = v.wal.start > 0 ? `earlier (before LSN ${entries[0]?.lsn})` : 'start (nothing processed)';
  const rows = [h('tr', { class: 'sheet-start' },
    h('td', { class: 'num', 'data-label': 'LSN' }, '—'), h('td', { colspan: '3', class: 'muted' }, first),
    consumers.map((c, k) => cell(c, k, null, -1)))];
  entries.forEach((e, i) => {
    const flags = [];
    if (!e.synced) flags.push('written, not synced');
    if (!e.acknowledged) flags.push('never acknowledged');
    if (e.damaged) flags.push(`damaged on disk: ${e.damaged}`);
    if (e.request_id !== undefined) flags.push(`request id ${e.request_id}`);
    rows.push(h('tr', { class: `sheet-entry op-${e.op}`, dataset: { lsn: String(e.lsn) } },
      h('td', { class: 'num lsn', 'data-label': 'LSN' }, String(e.lsn), e.lsn === v.head ? h('span', { class: 'sheet-head' }, ' head') : null),
      h('td', { class: 'op', 'data-label': 'op' }, e.op),
      h('td', { class: 'key', 'data-label': 'key' }, e.damaged ? '(damaged)' : String(e.key)),
      h('td', { class: 'value', 'data-label': 'value' }, e.op === 'put' && !e.damaged ? pretty(e.value) : '',
        flags.length ? h('span', { class: 'sheet-flags' }, `(${flags.join('; ')})`) : null),
      consumers.map((c, k) => cell(c, k, e, i))));
  });
  if (v.log.tail) {
    rows.push(h('tr', { class: 'sheet-torn' }, h('td', { class: 'num', 'data-label': 'LSN' }, 'torn'),
      h('td', { colspan: String(3 + consumers.length) }, `${plural(v.log.tail.bytes, 'byte')} of a record the crash cut short, at byte ${v.log.tail.offset}: recovery drops them`)));
  }
  const share = consumers.length ? Math.min(14, Math.floor(48 / consumers.length)) : 0;
  return h('table', { class: 'sheet-table sheet-log', id: 'lab-sheet-log' },
    h('colgroup', {}, h('col', { style: 'width: 8%' }), h('col', { style: 'width: 8%' }), h('col', { style: 'width: 13%' }), h('col', {}),
      consumers.map(() => h('col', { style: `width: ${share}%` }))),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'LSN'), h('th', { scope: 'col' }, 'op'), h('th', { scope: 'col' }, 'key'), h('th', { scope: 'col' }, 'value'),
      consumers.map((c) => h('th', { scope: 'col', class: 'mark' }, c.name)))),
    h('tbody', {}, rows));
}

// One consumer: its figures and its whole state.
function consumerBlock(c) {
  const figures = [`position ${c.position}`];
  if (c.feed !== 'direct') figures.push(`committed ${c.committed}`);
  figures.push(`lag ${grouped(c.lag)}`);
  if (c.apply === 'upsert') figures.push(`state store ${plural(c.state_store_rows, 'row')}`);
  const flags = [];
  if (c.feed === 'direct') flags.push('fed by the application (a dual write), not by the log');
  if (c.snapshot) flags.push(`started from a snapshot at LSN ${c.snapshot.lsn}`);
  if (c.out_of_range) flags.push('out of range: its next change event was truncated, rebuild it');
  if (c.ahead) flags.push('ahead of the log: rebuild it');
  const config = c.config && Object.keys(c.config).length ? ` ${pretty(c.config)}` : '';
  return h('section', { class: 'sheet-consumer', dataset: { consumer: c.name } },
    h('h5', {}, c.name, h('small', {}, ` ${TYPE_NAMES[c.type] ?? c.type}${config}, applied as ${c.apply === 'upsert' ? 'an upsert' : 'a delta'}`)),
    h('p', { class: 'sheet-figures' }, figures.join(' · '), flags.length ? h('span', { class: 'sheet-flags' }, ` (${flags.join('; ')})`) : null),
    rowsTable(c.rows.items, c.rows.total, 'sheet-state', stateHeads(c), 'row'));
}

// A consumer's state columns, as its card names them: the field it indexes
// or groups by (or "token"), then the keys or the figures.
function stateHeads(c) {
  const config = c.config ?? {};
  if (c.type === 'materialized_view') return [String(config.group_by ?? 'group'), 'value'];
  if (c.type === 'full_text') return ['token', 'keys'];
  return [typeof config.field === 'string' ? config.field : 'value', 'keys'];
}

// Rows {key, value} as a two-column table headed `heads`, or "(empty)".
function rowsTable(items, total, cls, [keyHead, valueHead], word) {
  if (!items.length) return h('p', { class: 'empty' }, `(empty: no ${word}s)`);
  return [
    h('table', { class: `sheet-table ${cls}` },
      h('colgroup', {}, h('col', { style: 'width: 30%' }), h('col', {})),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, keyHead), h('th', { scope: 'col' }, valueHead))),
      h('tbody', {}, items.map((r) => h('tr', {}, h('td', { class: 'key', 'data-label': keyHead }, String(r.key)),
        h('td', { class: 'value', 'data-label': valueHead }, pretty(r.value)))))),
    total > items.length ? h('p', { class: 'sheet-more' }, `The first ${items.length} of ${plural(total, word)}.`) : null,
  ];
}
