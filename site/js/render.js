// Rendering: a function of the engine's state and of the step that led to it.
// Nothing here changes the model; stepping back is rendering an older state.
import { h, fill, json } from './dom.js';

const OP_NAMES = { c: 'create', u: 'update', d: 'delete', r: 'read (snapshot)' };
const TYPE_NAMES = { secondary_index: 'secondary index', materialized_view: 'materialized view', full_text: 'full-text search' };
const QUERY_FIELD = { secondary_index: 'value', materialized_view: 'group', full_text: 'text' };
const QUERY_HINT = { secondary_index: 'e.g. London', materialized_view: 'e.g. London', full_text: 'e.g. first compiler' };

/** A consumer's colour slot, stable while it exists (by order added). */
export function colourOf(index) {
  return `c${index % 6}`;
}

export function opBadge(op) {
  return h('span', { class: `badge op-${op}`, title: OP_NAMES[op] ?? op }, op);
}

// What the current step touched, for highlighting.
function touched(current) {
  const t = { lsn: null, key: null, deletedKey: null, consumer: null, snapshot: null };
  if (!current || !current.result.ok) return t;
  const { step, result } = current;
  if ((step.op === 'put' || step.op === 'delete') && result.event) {
    t.lsn = result.event.lsn;
    t.key = step.key;
    if (step.op === 'delete') t.deletedKey = step.key;
  }
  if (step.op === 'get') t.key = step.key;
  if (['step', 'flush', 'rebuild', 'query', 'remove_consumer'].includes(step.op)) t.consumer = step.consumer ?? null;
  if (step.op === 'add_consumer') t.consumer = step.consumer.name;
  if (result.snapshot) t.snapshot = { consumer: t.consumer, events: result.snapshot };
  return t;
}

/** The write-ahead log with every consumer's position drawn under it. */
export function renderLog(el, state, current, moved) {
  const t = touched(current);
  const cols = state.head + 1; // column 0 is "before LSN 1"
  const grid = h('div', { class: 'log-grid', style: `grid-template-columns: var(--label-w) repeat(${cols}, var(--cell-w))`,
                          role: 'table', 'aria-label': 'Write-ahead log and consumer positions' });
  grid.append(h('div', { class: 'log-label', role: 'rowheader' }, 'log entry'),
              h('div', { class: 'log-start', title: 'position 0: nothing processed yet' }, 'start'));
  for (const e of state.wal) {
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
  state.consumers.forEach((c, i) => {
    const colour = colourOf(i);
    grid.append(h('div', { class: `track-label ${colour}${moved.has(c.name) ? ' moved' : ''}`, role: 'rowheader' },
      h('span', { class: 'swatch' }), h('span', { class: 'track-name' }, c.name),
      h('span', { class: 'track-pos', title: `position ${c.position}, lag ${c.lag}` }, `pos ${c.position}`)));
    for (let lsn = 0; lsn <= state.head; lsn++) {
      const at = lsn === c.position;
      const cls = lsn === 0 ? 'cell start' : lsn <= c.position ? 'cell done' : 'cell pending';
      grid.append(h('div', {
        class: `${cls} ${colour}${at ? ' at' : ''}${at && moved.has(c.name) ? ' moved' : ''}`,
        dataset: at ? { consumer: c.name, position: c.position } : {},
        title: lsn === 0 ? '' : lsn <= c.position ? `${c.name} has processed LSN ${lsn}` : `LSN ${lsn} is pending for ${c.name}`,
      }, at ? h('span', { class: 'marker' }, '▲ ', `position ${c.position}`) : null));
    }
  });
  fill(el, state.head === 0 && state.consumers.length === 0
    ? h('p', { class: 'empty' }, 'The log is empty. Put a document to write the first log entry (LSN 1).')
    : grid);
  // Keep the newest entries in view.
  el.scrollLeft = el.scrollWidth;
}

export function renderStorage(el, lsnEl, state, current) {
  const t = touched(current);
  fill(lsnEl, `storage LSN ${state.storage.lsn}`);
  const keys = Object.keys(state.storage.data);
  const rows = keys.map((k) => h('tr', { class: k === t.key ? 'fresh' : null, dataset: { key: k } },
    h('td', { class: 'key' }, k), h('td', { class: 'value' }, json(state.storage.data[k]))));
  if (t.deletedKey !== null) {
    rows.push(h('tr', { class: 'fresh deleted' }, h('td', { class: 'key' }, t.deletedKey), h('td', { class: 'value' }, '(deleted)')));
  }
  fill(el, rows.length
    ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'key'), h('th', { scope: 'col' }, 'value'))), h('tbody', {}, rows))
    : h('p', { class: 'empty' }, 'Storage is empty.'));
}

export function renderStream(el, state, current) {
  const t = touched(current);
  const items = state.events.map((e) => h('li', { class: e.lsn === t.lsn ? 'fresh' : null, dataset: { lsn: e.lsn } },
    h('details', {},
      h('summary', {}, opBadge(e.op), h('span', { class: 'lsn' }, `LSN ${e.lsn}`), ' ', h('span', { class: 'key' }, e.key)),
      h('dl', { class: 'images' },
        h('dt', {}, 'before'), h('dd', {}, json(e.before)),
        h('dt', {}, 'after'), h('dd', {}, json(e.after))))));
  fill(el, items.length ? h('ol', { class: 'events' }, items) : h('p', { class: 'empty' }, 'No change events yet.'));
  el.scrollTop = el.scrollHeight;
}

function stateTable(c) {
  const entries = Object.entries(c.state);
  if (!entries.length) return h('p', { class: 'empty' }, c.position === 0 && c.lag > 0 ? 'Empty: nothing processed yet.' : 'Empty.');
  if (c.type === 'materialized_view') {
    const hasSum = 'sum' in c.config;
    return h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, c.config.group_by), h('th', { scope: 'col' }, 'count'), hasSum ? h('th', { scope: 'col' }, `sum(${c.config.sum})`) : null)),
      h('tbody', {}, entries.map(([g, v]) => h('tr', {}, h('td', {}, g), h('td', { class: 'num' }, v.count), hasSum ? h('td', { class: 'num' }, v.sum) : null))));
  }
  const head = c.type === 'full_text' ? 'token' : c.config.field;
  return h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, head), h('th', { scope: 'col' }, 'keys'))),
    h('tbody', {}, entries.map(([term, keys]) => h('tr', {}, h('td', {}, term), h('td', {}, keys.join(', '))))));
}

/**
 * Consumer cards. `actions` holds the callbacks the buttons call;
 * `fresh` is the answer storage would give to the current query, if any.
 */
export function renderConsumers(el, state, current, moved, actions, fresh, errors) {
  const t = touched(current);
  const cards = state.consumers.map((c, i) => {
    const colour = colourOf(i);
    const isCurrent = t.consumer === c.name;
    const q = QUERY_FIELD[c.type];
    const input = h('input', { type: 'text', name: 'query', 'aria-label': `Query ${c.name} by ${q}`, placeholder: QUERY_HINT[c.type] });
    if (current?.step.op === 'query' && current.step.consumer === c.name && current.result.ok) input.value = String(current.step[q]);
    const answer = [];
    if (isCurrent && current.step.op === 'query') {
      const stale = fresh !== undefined && json(fresh) !== json(current.result.result);
      answer.push(h('div', { class: `answer${stale ? ' stale' : ''}`, role: 'status' },
        h('div', {}, h('strong', {}, `${c.name} answers`), ` (as of position ${c.position}): `, h('code', { class: 'result' }, json(current.result.result))),
        fresh !== undefined ? h('div', {}, h('strong', {}, 'From storage now'), ` (LSN ${state.head}): `, h('code', { class: 'fresh-result' }, json(fresh))) : null,
        stale ? h('div', { class: 'stale-flag' }, `Stale: this consumer lags by ${c.lag} change event${c.lag === 1 ? '' : 's'}.`) : null));
    }
    if (isCurrent && t.snapshot) {
      answer.push(h('div', { class: 'snapshot' },
        h('div', {}, h('strong', {}, `Snapshot at LSN ${state.storage.lsn}`), `: read ${t.snapshot.events.length} row${t.snapshot.events.length === 1 ? '' : 's'} as r events, then follows the stream.`),
        h('ol', { class: 'events' }, t.snapshot.events.map((e, k) => h('li', { style: `animation-delay: ${k * 120}ms` },
          opBadge('r'), h('span', { class: 'lsn' }, `LSN ${e.lsn}`), ' ', h('span', { class: 'key' }, e.key), ' ', h('span', { class: 'value' }, json(e.after)))))));
    }
    const err = errors[c.name];
    return h('article', { class: `card ${colour}${moved.has(c.name) ? ' moved' : ''}${isCurrent ? ' current' : ''}`, dataset: { consumer: c.name }, 'aria-label': `consumer ${c.name}` },
      h('header', {},
        h('h3', {}, h('span', { class: 'swatch' }), c.name),
        h('span', { class: 'type' }, TYPE_NAMES[c.type] ?? c.type)),
      h('div', { class: 'config' }, json(c.config)),
      h('div', { class: 'position-line' },
        h('span', { class: 'position' }, `position ${c.position}`),
        h('span', { class: `lag${c.lag ? ' behind' : ''}` }, c.lag ? `lag ${c.lag}: ${c.lag} change event${c.lag === 1 ? '' : 's'} pending` : 'lag 0: caught up')),
      h('div', { class: 'card-buttons' },
        h('button', { type: 'button', onclick: () => actions.step(c.name), disabled: c.lag === 0, title: 'Process exactly one pending change event' }, 'Step 1 event'),
        h('button', { type: 'button', onclick: () => actions.flush(c.name), disabled: c.lag === 0, title: 'Process every pending change event' }, 'Flush'),
        h('button', { type: 'button', onclick: () => actions.rebuild(c.name), title: 'Discard the state and re-derive it from a snapshot of storage' }, 'Rebuild'),
        h('button', { type: 'button', class: 'danger', onclick: () => actions.remove(c.name) }, 'Remove')),
      h('form', { class: 'query', onsubmit: (ev) => { ev.preventDefault(); actions.query(c, input.value); } },
        h('label', {}, `Ask by ${q}`, input), h('button', { type: 'submit' }, 'Query')),
      err ? h('p', { class: 'error', role: 'alert' }, err) : null,
      answer,
      h('details', { class: 'state', open: true }, h('summary', {}, 'state'), stateTable(c)));
  });
  fill(el, cards.length ? cards : h('p', { class: 'empty' }, 'No derived systems yet. Add a consumer below.'));
}
