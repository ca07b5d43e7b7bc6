// The operator's view of the consumers: a consumer-group table, as
// `kafka-consumer-groups --describe` or PostgreSQL's pg_stat_replication
// shows one (position, committed position, log end, lag in entries and in
// bytes, status), and each consumer's lag over the session's steps.
//
// Everything comes from the engine's view (a window of no entries gives
// every consumer's summary and the log's), so it costs the same at 100,000
// log entries as at 10. Lag in bytes is worked out here from fields the
// view already has: the durable log bytes after a consumer's position, from
// the offset of the first entry after it (view `locate` and a window of one
// entry) to the end of the newest durable record. Compaction leaves the log
// file's records back to back, so that difference is the bytes it has not
// read yet (pg_wal_lsn_diff(sent, replay) in PostgreSQL's terms).
//
// Lag over time is recorded, never replayed: each time the page draws a
// point of the history, that point's lags (already in the view it drew)
// are kept for the step, with the step object itself. A point counts only
// while the history still has that step object there, so a fork drops the
// points after it and undoing the fork brings them back (the same steps
// give the same lags: the engine is deterministic). Steps never drawn (an
// import lands on its last step; a jump skips the steps between) are gaps,
// and the panel says how many steps are recorded.
import { h, patch, keyed, list, grouped, plural } from './dom.js';
import { concealed, masked, short, colourOf } from './render.js';

const CHART_W = 120, CHART_H = 30, COLUMNS = 60;

// ---------------------------------------------------------------- lag over time

// By history: {points: sparse array by step index of {step, lags: Map}, version}.
const series = new WeakMap();

function seriesOf(history) {
  let s = series.get(history);
  // `recorded`: the step indexes that have points, so that the chart visits
  // only those (not every index of a sparse array as long as the history).
  if (!s) series.set(history, s = { points: [], recorded: new Set(), version: 0, cache: null });
  return s;
}

const stepAt = (history, i) => (i === 0 ? null : history.steps[i - 1]);

/** Keeps the lags of the point the page is drawing (`view`: what it drew). O(consumers). */
export function recordLags(history, view) {
  const s = seriesOf(history);
  const i = history.cursor;
  const step = stepAt(history, i);
  const lags = new Map(view.consumers.map((c) => [c.name, c.lag]));
  const old = pointAt(s, history, i);
  if (old && old.lags.size === lags.size && [...lags].every(([n, l]) => old.lags.get(n) === l)) return;
  // The point a fork replaced is kept behind the new one (a few deep), so
  // undoing the fork finds it again.
  let prev = s.points[i] ?? null;
  for (let p = prev, depth = 1; p; p = p.prev, depth++) if (depth >= 3) p.prev = null;
  if (prev?.step === step) prev = prev.prev;
  s.points[i] = { step, lags, prev };
  s.recorded.add(i);
  s.version++;
}

// The point recorded at step i for the step the history has there now, if any.
function pointAt(s, history, i) {
  const step = stepAt(history, i);
  for (let p = s.points[i]; p; p = p.prev) if (p.step === step) return p;
  return null;
}

/**
 * The recorded lags of `name` over steps 0..n, in at most COLUMNS columns
 * (each the largest lag recorded in its steps, or null): {columns, recorded,
 * max}. Cached until a point is recorded or the history changes.
 */
function chartData(history) {
  const s = seriesOf(history);
  const n = history.steps.length;
  const key = `${s.version}/${n}`;
  if (s.cache?.key === key && s.cache.last === history.steps[n - 1]) return s.cache.data;
  const width = Math.max(1, Math.ceil((n + 1) / COLUMNS));
  const columns = Math.ceil((n + 1) / width);
  const byName = new Map();
  let recorded = 0;
  // Only the points recorded (each column is the largest of its points,
  // whatever order they are visited in).
  s.recorded.forEach((i) => {
    const first = s.points[i];
    const p = i > n ? null : first.step === stepAt(history, i) ? first : pointAt(s, history, i);
    if (!p) return;
    recorded++;
    const col = Math.floor(i / width);
    for (const [name, lag] of p.lags) {
      let cols = byName.get(name);
      if (!cols) byName.set(name, cols = new Array(columns).fill(null));
      cols[col] = Math.max(cols[col] ?? 0, lag);
    }
  });
  const data = { byName, recorded, width, columns, steps: n };
  s.cache = { key, last: history.steps[n - 1], data };
  return data;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// One consumer's lag over the steps: a line (broken where steps were not
// recorded) scaled to its own largest lag, with the current step marked.
// Keyed by what it draws: the chart of a step in the same column as the
// last one is the same chart, and the page keeps it.
function lagChart(name, data, cursor, now) {
  const cols = data.byName.get(name) ?? new Array(data.columns).fill(null);
  const max = Math.max(1, ...cols.filter((v) => v !== null));
  const x = (col) => (data.columns === 1 ? CHART_W / 2 : (col / (data.columns - 1)) * (CHART_W - 4) + 2);
  const y = (lag) => CHART_H - 3 - (lag / max) * (CHART_H - 6);
  // Each run of recorded columns: a dot (one point) or a polyline.
  const runs = [];
  let run = [];
  const flush = () => {
    if (run.length) runs.push(run);
    run = [];
  };
  cols.forEach((v, col) => {
    if (v === null) flush();
    else run.push([x(col).toFixed(1), y(v).toFixed(1)]);
  });
  flush();
  const cx = x(Math.floor(cursor / data.width)).toFixed(1);
  const known = cols.filter((v) => v !== null);
  const peak = known.length ? Math.max(...known) : null;
  const words = peak === null ? 'no steps recorded yet'
    : `largest ${plural(peak, 'event')} over the recorded steps; now ${plural(now, 'event')}`;
  const label = `${name}'s lag over the steps: ${words}`;
  const title = `lag over steps 0 to ${data.steps} (scale 0 to ${max})`;
  return keyed(JSON.stringify([runs, cx, label, title, peak]), () => {
    const chart = svg('svg', { class: 'lag-chart', width: CHART_W, height: CHART_H, viewBox: `0 0 ${CHART_W} ${CHART_H}`, 'aria-hidden': 'true' });
    chart.append(svg('line', { class: 'axis', x1: 0, y1: CHART_H - 2.5, x2: CHART_W, y2: CHART_H - 2.5 }));
    for (const r of runs) {
      if (r.length === 1) chart.append(svg('circle', { class: 'dot', cx: r[0][0], cy: r[0][1], r: 1.8 }));
      else chart.append(svg('polyline', { class: 'line', points: r.map((p) => p.join(',')).join(' ') }));
    }
    chart.append(svg('line', { class: 'cursor', x1: cx, y1: 0, x2: cx, y2: CHART_H }));
    return h('span', { class: 'lag-chart-box', role: 'img', 'aria-label': label, title },
      chart, h('span', { class: 'lag-peak' }, peak === null ? '' : `max ${grouped(peak)}`));
  });
}

// ---------------------------------------------------------------- lag in bytes

// The log entries at or after each LSN: {lsn: entry | null}, from the view.
// A short log comes in one window; a long one is located first (`locate`),
// then read in one window when the places are near each other, else a
// window of one entry at each place.
const NEAR = 64;
function entriesFrom(sim, lsns, names, total) {
  const out = new Map();
  if (!lsns.length) return out;
  // No state rows, events or storage: only the log.
  const none = { events: { count: 0 }, storage: { count: 0 }, rows: Object.fromEntries(names.map((n) => [n, { count: 0 }])) };
  const firstAtOrAfter = (items, lsn) => {
    let lo = 0, hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid].lsn < lsn) lo = mid + 1; else hi = mid;
    }
    return items[lo] ?? null;
  };
  if (total <= NEAR) {
    const w = sim.view({ ...none, wal: { start: 0, count: Math.max(1, total) } });
    for (const lsn of lsns) out.set(lsn, w.ok ? firstAtOrAfter(w.wal.items, lsn) : null);
    return out;
  }
  const v = sim.view({ ...none, locate: lsns, wal: { count: 0 } });
  if (!v.ok) return out;
  const places = new Map(lsns.map((lsn) => [lsn, v.located?.[String(lsn)]?.wal]));
  const inLog = [...places.values()].filter((p) => Number.isInteger(p) && p < v.wal.total);
  const from = Math.min(...inLog), to = Math.max(...inLog);
  const near = inLog.length && to - from < NEAR
    ? sim.view({ ...none, wal: { start: from, count: to - from + 1 } }) : null;
  for (const [lsn, place] of places) {
    if (!Number.isInteger(place) || place >= v.wal.total) {
      out.set(lsn, null);
    } else if (near?.ok) {
      out.set(lsn, near.wal.items[place - from] ?? null);
    } else {
      const w = sim.view({ ...none, wal: { start: place, count: 1 } });
      out.set(lsn, w.ok ? w.wal.items[0] ?? null : null);
    }
  }
  return out;
}

/** Each log-fed consumer's lag in bytes (null where there is none to give). */
function lagBytes(history, view) {
  const { durable } = view.log;
  const fed = view.consumers.filter((c) => c.feed !== 'direct' && !c.ahead);
  if (!durable || !fed.length) return new Map(fed.map((c) => [c.name, 0]));
  const after = [...new Set(fed.map((c) => c.position + 1))];
  const entries = entriesFrom(history.sim, [...after, durable], view.consumers.map((c) => c.name), view.wal.total);
  const last = entries.get(durable);
  const end = last && last.lsn === durable ? last.offset + last.size : null;
  const out = new Map();
  for (const c of fed) {
    const first = entries.get(c.position + 1);
    if (end === null) out.set(c.name, null);
    else out.set(c.name, first && first.lsn <= durable ? Math.max(0, end - first.offset) : 0);
  }
  return out;
}

// ---------------------------------------------------------------- the table

/** A consumer's status, in an operator's words: [class, text, title]. */
export function statusOf(c) {
  if (c.feed === 'direct') {
    return c.lag ? ['behind', 'behind', `${plural(c.lag, 'second write')} waiting in clients`] : ['ok', 'up to date', 'no second write waiting in clients'];
  }
  if (c.ahead) return ['ahead', 'ahead of the log', 'Recovery left its position past the head: it processed writes the database no longer has. Rebuild it.'];
  if (c.out_of_range) return ['out-of-range', 'out of range', `Its next change event was removed (Kafka's OFFSET_OUT_OF_RANGE; a PostgreSQL slot whose WAL was removed): ${c.out_of_range_reason || 'rebuild it'}`];
  if (c.lag === 0) return ['ok', 'up to date', 'lag 0: it has processed every durable change event'];
  return ['behind', 'behind', `${plural(c.lag, 'durable change event')} not processed yet`];
}

let bytesCache = { key: null, history: null, last: null, bytes: null };

/**
 * Draws the consumer-group table and the lag charts for `view` (the view the
 * page drew) at the history's cursor.
 */
export function renderOperator(el, view, history) {
  const m = concealed() ?? {};
  // Drawn again only when the point, the recorded series or what a
  // prediction hides has changed (a redraw for scrolling changes none).
  const drawn = { history, cursor: history.cursor, step: stepAt(history, history.cursor), n: history.steps.length,
    version: seriesOf(history).version, mask: JSON.stringify(m) };
  const before = el.__drawn;
  if (before && Object.keys(drawn).every((k) => before[k] === drawn[k])) return;
  el.__drawn = drawn;
  // Worked out once per point of the history (the same step at the same
  // place gives the same state), not on every redraw of it.
  const key = history.cursor, last = stepAt(history, history.cursor);
  if (bytesCache.history !== history || bytesCache.key !== key || bytesCache.last !== last) {
    bytesCache = { key, history, last, bytes: lagBytes(history, view) };
  }
  const bytes = bytesCache.bytes;
  const data = chartData(history);
  const lsn = (n) => (m.lsns ? '?' : String(n));
  const { log } = view;
  const end = log.durable ?? 0;
  const endText = m.lsns ? '?' : view.head !== null && view.head !== end ? `${end} (head ${view.head})` : String(end);
  const rows = view.consumers.map((c) => {
    const mine = m.consumer === c.name;
    const hideLag = mine && m.lag;
    const direct = c.feed === 'direct';
    const [cls, text, title] = statusOf(c);
    // "up to date" would tell a lag of 0; "out of range" tells what a range question asks.
    const hideStatus = mine && (m.lag || m.range);
    const b = bytes.get(c.name);
    // Out of range, its lag counts only what is still in the log after its
    // position: the events it needed next were removed, so it is behind by
    // at least that (and cannot catch up), as its card's lag says.
    const atLeast = c.out_of_range && !(mine && m.range) ? '≥ ' : '';
    const gone = atLeast ? { title: 'At least this: what is still in the log after its position. The events it needed next were removed by a truncation, so it cannot catch up: rebuild it' } : {};
    return h('tr', { dataset: { consumer: c.name }, class: `op-row ${colourOf(c.name)}` },
      h('th', { scope: 'row', class: 'op-name' }, h('span', { class: 'swatch' }), c.name),
      h('td', { class: 'op-position num', dataset: { label: 'position' } }, direct ? '—' : mine && m.position ? short() : lsn(c.position)),
      h('td', { class: 'op-committed num', dataset: { label: 'committed' } }, direct ? '—' : mine && m.committed ? short() : lsn(c.committed)),
      h('td', { class: 'op-end num', dataset: { label: 'log end' } }, direct ? '—' : endText),
      h('td', { class: 'op-lag num', dataset: { label: 'lag (events)' }, ...(hideLag ? {} : gone) }, hideLag ? short() : `${atLeast}${grouped(c.lag)}`),
      h('td', { class: 'op-bytes num', dataset: { label: 'lag (bytes)' }, ...(hideLag ? {} : gone) }, direct ? '—' : hideLag ? short() : b === null || b === undefined ? '—' : `${atLeast}${grouped(b)} B`),
      h('td', { class: `op-status status-${cls}`, dataset: { label: 'status' } }, hideStatus ? short() : h('span', { title }, text)),
      list(h('td', { class: 'op-chart', dataset: { label: 'lag over the steps' } }), hideLag ? masked() : lagChart(c.name, data, history.cursor, c.lag)));
  });
  const steps = data.steps + 1;
  // Patched, not replaced: only the figures that changed are laid out again.
  patch(el,
    view.consumers.length ? h('div', { class: 'op-scroll', tabindex: '0', role: 'region', 'aria-label': 'Consumer group table (scrolls sideways)' },
      list(h('table', { class: 'op-table', id: 'op-table' }),
        keyed('thead', () => h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'consumer'),
          h('th', { scope: 'col', title: 'The last LSN it processed (Kafka: current offset − 1)' }, 'position'),
          h('th', { scope: 'col', title: 'The position it last saved; a crash restarts it there' }, 'committed'),
          h('th', { scope: 'col', title: 'The newest durable LSN: as far as any consumer can read (Kafka: log-end offset)' }, 'log end'),
          h('th', { scope: 'col', title: 'Durable change events after its position' }, 'lag (events)'),
          h('th', { scope: 'col', title: 'Bytes of durable log records after its position (PostgreSQL: replay lag in bytes)' }, 'lag (bytes)'),
          h('th', { scope: 'col' }, 'status'),
          h('th', { scope: 'col', title: 'Its lag at each step of the session, as the page drew it' }, 'lag over the steps')))),
        h('tbody', {}, rows)))
      : h('p', { class: 'hint' }, 'No consumers yet.'),
    view.consumers.length ? h('p', { class: 'hint op-recorded', id: 'op-recorded' },
      `The charts show each consumer's lag at every step the page has drawn: ${grouped(data.recorded)} of ${plural(steps, 'point')} (steps 0 to ${data.steps}). `,
      // (Play at a step a second goes through a long history in hours: there
      // the gaps fill in as the steps are visited.)
      data.recorded >= steps ? '' : steps > 1000 ? 'Steps not drawn yet are gaps: each fills in when the page draws it (a step, a jump, Play).'
        : 'Steps not drawn yet are gaps: Play, or step through them, to fill them in.') : null);
}
