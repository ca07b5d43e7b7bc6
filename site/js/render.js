// Rendering: a function of the engine's state and of the step that led to it.
// Nothing here changes the model; stepping back is rendering an older state.
import { h, fill, json } from './dom.js';

const OP_NAMES = { c: 'create', u: 'update', d: 'delete', r: 'read (snapshot)' };
const TYPE_NAMES = { secondary_index: 'secondary index', materialized_view: 'materialized view', full_text: 'full-text search' };
export const QUERY_FIELD = { secondary_index: 'value', materialized_view: 'group', full_text: 'text' };
const QUERY_HINT = { secondary_index: 'e.g. London', materialized_view: 'e.g. London', full_text: 'e.g. first compiler' };

// The log shows at most this many log entries at once; older ones fold into
// one "earlier" column, so a long session stays quick to draw.
const LOG_WINDOW = 120;
const STREAM_WINDOW = 60;
const STATE_ROWS = 150;

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
  const t = { lsn: null, key: null, deletedKey: null, consumer: null, snapshot: null };
  if (!current || !current.result.ok) return t;
  const { step, result } = current;
  if ((step.op === 'put' || step.op === 'delete') && result.event) {
    t.lsn = result.event.lsn;
    t.key = step.key;
    if (step.op === 'delete') t.deletedKey = step.key;
  }
  if (step.op === 'step' && result.event) t.lsn = result.event.lsn;
  if (step.op === 'get') t.key = step.key;
  if (step.op === 'expect' && 'key' in step) t.key = step.key;
  if (['step', 'flush', 'rebuild', 'query', 'remove_consumer', 'expect'].includes(step.op)) t.consumer = step.consumer ?? null;
  if (step.op === 'add_consumer') t.consumer = step.consumer.name;
  if (result.snapshot) t.snapshot = { consumer: t.consumer, events: result.snapshot };
  return t;
}

// The range of LSNs the log draws: the newest LOG_WINDOW, or a window around
// the LSN the current step touched if that is older.
function logWindow(head, focus) {
  let hi = head;
  let lo = Math.max(1, head - LOG_WINDOW + 1);
  if (focus !== null && focus < lo) {
    lo = Math.max(1, focus - Math.floor(LOG_WINDOW / 3));
    hi = Math.min(head, lo + LOG_WINDOW - 1);
  }
  return { lo, hi };
}

/** The write-ahead log with every consumer's position drawn under it. */
export function renderLog(el, state, current, moved) {
  const t = touched(current);
  const { lo, hi } = logWindow(state.head, t.lsn);
  const earlier = lo > 1, later = hi < state.head;
  const cols = (hi - lo + 1) + 1 + (earlier ? 1 : 0) + (later ? 1 : 0);
  const grid = h('div', { class: 'log-grid', style: `grid-template-columns: var(--label-w) repeat(${cols}, var(--cell-w))`,
                          role: 'table', 'aria-label': 'Write-ahead log and consumer positions' });
  grid.append(h('div', { class: 'log-label', role: 'rowheader' }, 'log entry'),
              h('div', { class: 'log-start', title: 'position 0: nothing processed yet' }, 'start'));
  if (earlier) grid.append(h('div', { class: 'log-fold' }, `… LSN 1–${lo - 1}`));
  for (const e of state.wal.slice(lo - 1, hi)) {
    const isHead = e.lsn === state.head;
    grid.append(h('div', {
      class: `entry op-${e.op}${e.lsn === t.lsn ? ' fresh' : ''}${isHead ? ' head' : ''}`,
      dataset: { lsn: e.lsn }, role: 'cell',
      title: e.op === 'put' ? `LSN ${e.lsn}: put ${e.key} = ${json(e.value)}` : `LSN ${e.lsn}: delete ${e.key}`,
    },
    h('div', { class: 'entry-top' }, h('span', { class: 'lsn' }, `LSN ${e.lsn}`), isHead ? h('span', { class: 'head-tag' }, 'HEAD') : null),
    h('div', { class: 'entry-op' }, e.op),
    h('div', { class: 'entry-key' }, e.key),
    e.op === 'put' ? h('div', { class: 'entry-value' }, json(e.value)) : null));
  }
  if (later) grid.append(h('div', { class: 'log-fold' }, `LSN ${hi + 1}–${state.head} …`));
  for (const c of state.consumers) {
    const colour = colourOf(c.name);
    const covered = c.snapshot ? c.snapshot.lsn : 0;
    grid.append(h('div', { class: `track-label ${colour}${moved.has(c.name) ? ' moved' : ''}`, role: 'rowheader' },
      h('span', { class: 'swatch' }), h('span', { class: 'track-name', title: c.name }, c.name),
      h('span', { class: 'track-pos', title: `position ${c.position}, lag ${c.lag}` }, `pos ${c.position}`)));
    const cell = (lsn, label) => {
      const at = label !== undefined;
      let cls = 'cell pending', title = `LSN ${lsn} is pending for ${c.name}`;
      if (lsn === 0) { cls = 'cell start'; title = ''; }
      else if (lsn <= covered && lsn <= c.position) { cls = 'cell covered'; title = `${c.name} never processed LSN ${lsn}: its snapshot at LSN ${covered} already included its effect`; }
      else if (lsn <= c.position) { cls = 'cell done'; title = `${c.name} has processed LSN ${lsn}`; }
      return h('div', {
        class: `${cls} ${colour}${at ? ' at' : ''}${at && moved.has(c.name) ? ' moved' : ''}`,
        dataset: at ? { consumer: c.name, position: c.position } : {}, title,
      }, at ? h('span', { class: 'marker' }, label) : null);
    };
    grid.append(cell(0, c.position === 0 ? '▲ position 0' : undefined));
    if (earlier) grid.append(cell(lo - 1, c.position > 0 && c.position < lo ? `▲ ${c.position} (earlier)` : undefined));
    for (let lsn = lo; lsn <= hi; lsn++) {
      const label = lsn === c.position ? (lsn === covered ? '▲ snapshot ' : '▲ position ') + c.position : undefined;
      grid.append(cell(lsn, label));
    }
    if (later) grid.append(cell(hi + 1, c.position > hi ? `▲ ${c.position} (later)` : undefined));
  }
  fill(el, state.head === 0 && state.consumers.length === 0
    ? h('p', { class: 'empty' }, 'The log is empty. Put a document to write the first log entry (LSN 1).')
    : grid);
  // Bring what the step changed into view: the new log entry, else the
  // marker of a consumer that moved, else the head.
  const target = el.querySelector('.entry.fresh') ?? el.querySelector('.cell.at.moved');
  if (target) {
    el.scrollLeft = target.offsetLeft - el.clientWidth / 2 + target.offsetWidth / 2;
  } else {
    el.scrollLeft = el.scrollWidth;
  }
}

export function renderStorage(el, lsnEl, state, current) {
  const t = touched(current);
  fill(lsnEl, `storage LSN ${state.storage.lsn}`);
  const keys = Object.keys(state.storage.data);
  const rows = keys.map((k) => h('tr', { class: k === t.key ? 'fresh' : null, dataset: { key: k } },
    h('td', { class: 'key' }, k), h('td', { class: 'value' }, pretty(state.storage.data[k]))));
  if (t.deletedKey !== null) {
    rows.push(h('tr', { class: 'fresh deleted' }, h('td', { class: 'key' }, t.deletedKey), h('td', { class: 'value' }, '(deleted)')));
  }
  fill(el, rows.length
    ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'key'), h('th', { scope: 'col' }, 'value'))), h('tbody', {}, rows))
    : h('p', { class: 'empty' }, 'Storage is empty.'));
  scrollIntoPanel(el, el.querySelector('tr.fresh'));
}

// Scrolls a panel (not the page) so that `row` is visible.
function scrollIntoPanel(panel, row) {
  if (!row) return;
  const top = row.offsetTop - panel.clientHeight / 2;
  panel.scrollTop = Math.max(0, top);
}

export function renderStream(el, state, current) {
  const t = touched(current);
  const from = Math.max(0, state.events.length - STREAM_WINDOW);
  const shown = state.events.slice(from);
  if (t.lsn !== null && t.lsn - 1 < from) shown.unshift(state.events[t.lsn - 1]);
  // Before/after images are built when a student opens them (or for the
  // event the current step touched), which keeps long streams quick to draw.
  const images = (e) => h('dl', { class: 'images' },
    h('dt', {}, 'before'), h('dd', {}, pretty(e.before)),
    h('dt', {}, 'after'), h('dd', {}, pretty(e.after)));
  const items = shown.map((e) => {
    const open = e.lsn === t.lsn && e.op !== 'c';
    const details = h('details', { open },
      h('summary', {}, opBadge(e.op), h('span', { class: 'lsn' }, `LSN ${e.lsn}`), ' ', h('span', { class: 'key', title: e.key }, e.key)),
      open ? images(e) : null);
    if (!open) details.addEventListener('toggle', () => { if (details.open && details.childElementCount === 1) details.append(images(e)); });
    return h('li', { class: e.lsn === t.lsn ? 'fresh' : null, dataset: { lsn: e.lsn } }, details);
  });
  fill(el, items.length
    ? [from > 0 ? h('p', { class: 'fold-note' }, `${from} earlier change events are not shown (Export change stream has them all).`) : null,
       h('ol', { class: 'events' }, items)]
    : h('p', { class: 'empty' }, 'No change events yet.'));
  const fresh = el.querySelector('li.fresh');
  if (fresh) scrollIntoPanel(el, fresh);
  else el.scrollTop = el.scrollHeight;
}

function stateTable(c) {
  const all = Object.entries(c.state);
  const entries = all.slice(0, STATE_ROWS);
  const more = all.length > entries.length
    ? h('p', { class: 'fold-note' }, `… and ${all.length - entries.length} more (${all.length} in all)`) : null;
  if (!entries.length) return h('p', { class: 'empty' }, c.position === 0 && c.lag > 0 ? 'Empty: nothing processed yet.' : 'Empty.');
  if (c.type === 'materialized_view') {
    const hasSum = 'sum' in c.config;
    return [h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, c.config.group_by), h('th', { scope: 'col' }, 'count'), hasSum ? h('th', { scope: 'col' }, `sum(${c.config.sum})`) : null)),
      h('tbody', {}, entries.map(([g, v]) => h('tr', {}, h('td', {}, g), h('td', { class: 'num' }, v.count), hasSum ? h('td', { class: 'num' }, v.sum) : null)))), more];
  }
  const head = c.type === 'full_text' ? 'token' : c.config.field;
  return [h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, head), h('th', { scope: 'col' }, 'keys'))),
    h('tbody', {}, entries.map(([term, keys]) => h('tr', {}, h('td', {}, term), h('td', {}, keys.join(', ')))))), more];
}

// How the consumer caught up: the cost of snapshot against replay.
function costLine(c) {
  const events = `${c.processed} change event${c.processed === 1 ? '' : 's'} processed from the stream`;
  if (c.snapshot) {
    return `Began from a snapshot at LSN ${c.snapshot.lsn} (read ${c.snapshot.rows} row${c.snapshot.rows === 1 ? '' : 's'}); ${events} since.`;
  }
  return `Reading the stream from LSN 1: ${events}.`;
}

/**
 * Consumer cards. `actions` holds the callbacks the buttons call;
 * `fresh` is the answer storage would give to the current query, if any.
 */
export function renderConsumers(el, state, current, moved, actions, fresh, errors) {
  const t = touched(current);
  const cards = state.consumers.map((c) => {
    const colour = colourOf(c.name);
    const isCurrent = t.consumer === c.name;
    const q = QUERY_FIELD[c.type];
    const example = Object.keys(c.state)[0];
    const input = h('input', { type: 'text', name: 'query', 'aria-label': `Query ${c.name} by ${q}`,
                               placeholder: example !== undefined ? `e.g. ${example}` : QUERY_HINT[c.type] });
    if (current?.step.op === 'query' && current.step.consumer === c.name && current.result.ok) input.value = String(current.step[q]);
    const answer = [];
    if (isCurrent && current.step.op === 'query') {
      const stale = fresh !== undefined && json(fresh) !== json(current.result.result);
      answer.push(h('div', { class: `answer${stale ? ' stale' : ''}`, role: 'status' },
        h('div', {}, h('strong', {}, `${c.name} answers`), ` (as of position ${c.position}): `, h('code', { class: 'result' }, pretty(current.result.result))),
        fresh !== undefined ? h('div', {}, h('strong', {}, 'From storage now'), ` (LSN ${state.head}): `, h('code', { class: 'fresh-result' }, pretty(fresh))) : null,
        stale ? h('div', { class: 'stale-flag' }, `Stale: this consumer lags by ${c.lag} change event${c.lag === 1 ? '' : 's'}.`)
          : h('div', { class: 'fresh-flag' }, 'Up to date: the same answer as storage.')));
    }
    if (isCurrent && current.step.op === 'expect' && current.step.query) {
      answer.push(h('div', { class: 'answer checked', role: 'status' },
        h('strong', {}, 'Checked: '), `${c.name} answers ${pretty(current.step.query)} with `, h('code', { class: 'result' }, pretty(current.step.result))));
    }
    if (isCurrent && t.snapshot) {
      answer.push(h('div', { class: 'snapshot' },
        h('div', {}, h('strong', {}, `Snapshot at LSN ${state.storage.lsn}`), `: read ${t.snapshot.events.length} row${t.snapshot.events.length === 1 ? '' : 's'} as r events, then follows the stream.`),
        h('ol', { class: 'events' }, t.snapshot.events.map((e, k) => h('li', { style: `animation-delay: ${Math.min(k, 20) * 120}ms` },
          opBadge('r'), h('span', { class: 'lsn' }, `LSN ${e.lsn}`), ' ', h('span', { class: 'key', title: e.key }, e.key), ' ', h('span', { class: 'value' }, json(e.after)))))));
    }
    const err = errors[c.name];
    return h('article', { class: `card ${colour}${moved.has(c.name) ? ' moved' : ''}${isCurrent ? ' current' : ''}`, dataset: { consumer: c.name }, 'aria-label': `consumer ${c.name}` },
      h('header', {},
        h('h3', {}, h('span', { class: 'swatch' }), h('span', { class: 'card-name' }, c.name)),
        h('span', { class: 'type' }, TYPE_NAMES[c.type] ?? c.type)),
      h('div', { class: 'config' }, pretty(c.config)),
      h('div', { class: 'position-line' },
        h('span', { class: 'position' }, `position ${c.position}`),
        h('span', { class: `lag${c.lag ? ' behind' : ''}` }, c.lag ? `lag ${c.lag}: ${c.lag} change event${c.lag === 1 ? '' : 's'} pending` : 'lag 0: caught up')),
      h('p', { class: 'cost' }, costLine(c)),
      h('div', { class: 'card-buttons' },
        h('button', { type: 'button', dataset: { action: 'step' }, onclick: () => actions.step(c.name), disabled: c.lag === 0, title: 'Process exactly one pending change event' }, 'Step 1 event'),
        h('button', { type: 'button', dataset: { action: 'flush' }, onclick: () => actions.flush(c.name), disabled: c.lag === 0, title: 'Process every pending change event' }, 'Flush'),
        h('button', { type: 'button', dataset: { action: 'rebuild' }, onclick: () => actions.rebuild(c.name), title: 'Discard the state and re-derive it from a snapshot of storage' }, 'Rebuild'),
        h('button', { type: 'button', class: 'danger', dataset: { action: 'remove' }, onclick: () => actions.remove(c.name) }, 'Remove')),
      h('form', { class: 'query', onsubmit: (ev) => { ev.preventDefault(); actions.query(c, input.value); } },
        h('label', {}, `Ask by ${q}`, input), h('button', { type: 'submit', dataset: { action: 'query' } }, 'Query')),
      err ? h('p', { class: 'error', role: 'alert' }, err) : null,
      answer,
      h('details', { class: 'state', open: true }, h('summary', {}, 'state'), h('div', { class: 'state-scroll' }, stateTable(c))));
  });
  fill(el, cards.length ? cards : h('p', { class: 'empty' }, 'No derived systems yet. Add a consumer below.'));
}
