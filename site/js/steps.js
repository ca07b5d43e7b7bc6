// What each step did, in words: one describer per op of the engine's op table
// (Module.ops(), from core/simulator.cc). tests/wasm/steps.test.mjs fails if
// this table and the engine's disagree, so a new op cannot go undescribed.
import { pretty, answerText } from './render.js';
import { plural, grouped } from './dom.js';

/** The LSNs of a list like [1, 2, 3, 7] as "1–3, 7". */
export function lsnList(lsns) {
  const parts = [];
  for (let i = 0; i < lsns.length;) {
    let j = i;
    while (j + 1 < lsns.length && lsns[j + 1] === lsns[j] + 1) j++;
    parts.push(j > i ? `${lsns[i]}–${lsns[j]}` : `${lsns[i]}`);
    i = j + 1;
  }
  return shortList(parts, 'range');
}

// Items of a list in a step's sentence: the first LIST_SHOWN and how many
// more (a compaction at 100,000 entries listed 300 LSN ranges, twenty lines
// that pushed the page down).
export const LIST_SHOWN = 12;
function shortList(items, word) {
  if (items.length <= LIST_SHOWN) return items.join(', ');
  return `${items.slice(0, LIST_SHOWN).join(', ')}, … and ${plural(items.length - LIST_SHOWN, `more ${word}`)}`;
}

function describeExpect(step) {
  const parts = [];
  if ('down' in step) parts.push(step.down ? 'the database is down' : 'the database is up');
  if ('head' in step) parts.push(`the head is LSN ${step.head}`);
  if ('key' in step) parts.push(step.value === null ? `storage has no ${step.key}` : `storage holds ${step.key} = ${pretty(step.value)}`);
  if ('entry' in step) parts.push(step.entry === null ? `there is no log entry at LSN ${step.lsn}` : `log entry LSN ${step.lsn} is ${pretty(step.entry)}`);
  if ('event' in step) parts.push(step.event === null ? `there is no change event at LSN ${step.lsn}` : `change event LSN ${step.lsn} is ${pretty(step.event)}`);
  if ('position' in step) parts.push(`${step.consumer} is at position ${step.position}`);
  if ('committed' in step) parts.push(`${step.consumer} has committed position ${step.committed}`);
  if ('lag' in step) parts.push(`${step.consumer} lags by ${step.lag}`);
  if ('consistent' in step) parts.push(`${step.consumer} is ${step.consistent ? '' : 'not '}consistent`);
  if ('query' in step) parts.push(`${step.consumer} answers ${pretty(step.query)} with ${pretty(step.result)}`);
  if ('reason_includes' in step) parts.push(`verify says of ${step.consumer}: “…${step.reason_includes}…”`);
  if ('out_of_range' in step) parts.push(`${step.consumer} is ${step.out_of_range ? '' : 'not '}out of range`);
  if ('state_store_rows' in step) parts.push(`${step.consumer}'s state store holds ${plural(step.state_store_rows, 'row')}`);
  if ('log_entries' in step) parts.push(`the log holds ${plural(step.log_entries, 'entry', 'entries')}`);
  if ('log_start' in step) parts.push(`the log starts at LSN ${step.log_start}`);
  if ('pinned_by' in step) parts.push(step.pinned_by === null ? 'no consumer pins the log' : `${step.pinned_by} pins the log`);
  return parts.join('; ');
}

// What a put, delete or insert did, in words: `what` names it ("put u1",
// "insert order-"); a request id and a dual write add to it.
function writeOutcome(step, result, what) {
  const request = step.request_id !== undefined ? ` (request ${step.request_id})` : '';
  if (result.duplicate) {
    return `${what}${request}: duplicate of LSN ${result.lsn}${step.op === 'insert' ? ` (${result.key})` : ''}, nothing written; the retry gets the first write's result`;
  }
  if (!result.event) return `${what}${request}: key absent, nothing written${step.direct ? ', and no second write to make' : ''}`;
  const kind = { c: 'create', u: 'update', d: 'delete' }[result.event.op];
  const key = result.key ?? step.key;
  const row = step.op === 'insert' ? `, new row ${key}` : '';
  let base;
  if (step.direct) {
    // A dual write: to the log, then (now, or later from a client) to the direct consumers.
    const first = `dual write${request}: ${step.op === 'delete' ? `delete ${key}` : key} to the log at LSN ${result.event.lsn} (change event ${result.event.op}, ${kind})`;
    if (result.direct_pending !== undefined) base = `${first}; its second write waits in client ${result.direct_pending}`;
    else if (result.direct_to?.length) base = `${first}, and at once to ${result.direct_to.join(', ')}`;
    else if (result.direct_to) base = `${first}; no direct consumer to write to`;
    else base = first;
  } else {
    base = `${what}${request}: log entry LSN ${result.event.lsn}${row}, change event ${result.event.op} (${kind})`;
  }
  // A dual write whose database write crashed never made its second write.
  const noSecond = step.direct ? ' Its second write was never made.' : '';
  if (result.crashed === 'power') {
    return `${base}, written; then the power failed before the sync${step.torn_bytes ? ` (${plural(step.torn_bytes, 'byte')} of the unsynced tail reached the disk)` : ''}. Not acknowledged: the client does not know whether it happened.${noSecond}`;
  }
  if (result.crashed === 'process') return `${base}, synced; then the process died before it replied. Not acknowledged: the client does not know whether it happened.${noSecond}`;
  if (!result.durable) return `${base}; acknowledged, but only written, not synced (async commit)`;
  return base;
}

// A consumer's query in words: "by_city for Paris" (the query field's value).
function queryWords(s) {
  const { op, consumer, fetch, as_of: asOf, min_position: minPosition, fallback, note, refused, ...query } = s;
  const values = Object.entries(query);
  if (values.length === 1 && typeof values[0][1] === 'string') return `${consumer} for ${values[0][1]}`;
  return `${consumer} ${pretty(query)}`;
}

/** A query with min_position (read-your-writes), in words. */
function describeReadYourWrites(s, r) {
  const what = `query ${queryWords(s)}, needing LSN ${r.min_position}`;
  if (!r.ready && r.answered_by === null) return `${what}: not ready — ${s.consumer} is at position ${r.position} (waiting)`;
  if (r.answered_by === 'storage') return `${what}: ${s.consumer} is at position ${r.position}, not there yet, so storage answered: ${answerText(r.result)}`;
  if (s.fetch) return `${what}: ready (position ${r.position}); ${plural(r.result.length, 'key')} fetched from storage, ${grouped(r.result.filter((d) => d.stale).length)} stale`;
  return `${what}: ready (position ${r.position}): ${answerText(r.result)}`;
}

/** One describer per op: (step, result) -> words. Results here are ok. */
export const DESCRIBE = {
  put: (s, r) => writeOutcome(s, r, `put ${s.key}`),
  delete: (s, r) => writeOutcome(s, r, `delete ${s.key}`),
  insert: (s, r) => writeOutcome(s, r, `insert under “${s.prefix}”`),
  direct_write: (s, r) => `client ${s.client} sends LSN ${r.lsn}'s write (${r.op} ${r.key}) ${r.to.length ? `to ${r.to.join(', ')}` : 'on, but there is no direct consumer to receive it'}${r.waiting ? `; ${plural(r.waiting, 'more write')} waiting in it` : ''}`,
  crash_client: (s, r) => `client ${s.client} crashes: lost its ${r.lost.length === 1 ? 'second write' : 'second writes'} of ${r.lost.map((w) => `LSN ${w.lsn} (${w.key})`).join(', ')}; the direct consumers will never get ${r.lost.length === 1 ? 'it' : 'them'}`,
  put_random: (s, r) => `put ${plural(r.written, 'generated document')} to keys r0…r${(s.keys ?? s.count) - 1} (seed ${s.seed ?? 1}): LSN ${r.first}–${r.last}`,
  get: (s, r) => `get ${s.key}: ${pretty(r.value)}`,
  scan: (s, r) => `scan keys starting with “${s.prefix}”: ${plural(r.rows.length, 'row')}${r.more ? ' (more not shown)' : ''} at storage LSN ${r.lsn}`,
  replay_storage: (s, r) => `replay storage from the log: ${plural(r.replayed, 'log entry', 'log entries')} replayed, storage LSN ${r.lsn}`,
  flush: (s, r) => {
    const what = s.consumer ? `flush ${s.consumer}` : 'flush all consumers';
    const refused = r.refused
      ? `; refused: ${Object.entries(r.refused).map(([name, why]) => `${name} (${/out of range/.test(why) ? 'out of range' : 'ahead of the log'})`).join(', ')}`
      : '';
    // Every consumer is sent its own copy of each event: a flush of all
    // counts one delivery per consumer (200,000 for two consumers 100,000
    // behind), which read as a miscount without saying so.
    const each = !s.consumer && r.delivered > 1 ? ' in all (each consumer gets its own copy of each event)' : '';
    return `${what}: ${plural(r.delivered, 'change event')} delivered${each}${refused}`;
  },
  step: (s, r) => `step ${s.consumer} by one change event: ${r.event ? `processed LSN ${r.event.lsn}` : 'nothing pending'}`,
  add_consumer: (s, r) => `add consumer ${s.consumer?.name} by ${s.mode ?? 'snapshot'}${s.consumer?.feed === 'direct' ? ', fed by the application (dual write)' : ''}: position ${r.position}`,
  remove_consumer: (s) => `remove consumer ${s.consumer}`,
  rebuild: (s, r) => `rebuild ${s.consumer}: position ${r.position}`,
  query: (s, r) => {
    if ('ready' in r) return describeReadYourWrites(s, r);
    if (s.as_of === 'storage') return `query ${queryWords(s)} as of storage (a fresh derivation, not ${s.consumer} itself): ${answerText(r.result)}`;
    return s.fetch
      ? `query ${s.consumer} and fetch from storage: ${plural(r.result.length, 'key')}, ${r.result.filter((d) => d.stale).length} stale`
      : `query ${s.consumer}: ${answerText(r.result)}`;
  },
  configure: (s, r) => `configure: commit ${r.commit}, recovery ${r.recovery}${'dedupe_requests' in s || r.dedupe_requests ? `, retries by request id ${r.dedupe_requests ? 'deduplicated' : 'not deduplicated'}` : ''}`,
  sync: (s, r) => `sync: every written log byte is on disk; durable up to LSN ${r.durable}`,
  crash: (s, r) => (s.kind === 'process'
    ? 'crash the process: storage (in memory) is lost; the written log bytes survive in the OS cache'
    : `crash the power: only synced log bytes survive${s.torn_bytes ? `, plus ${plural(s.torn_bytes, 'torn byte')}` : ''}; ${plural(r.surviving_bytes, 'byte')} of log file left`),
  recover: (s, r) => `recover (${r.mode}): ${describeRecovery(r)}`,
  corrupt: (s, r) => `corrupt LSN ${r.lsn}: byte ${r.byte} of its record (file offset ${r.offset}) flipped from 0x${r.was.toString(16).padStart(2, '0')} to 0x${r.now.toString(16).padStart(2, '0')} on disk; nothing notices until the next recovery (crash, then recover)`,
  checkpoint: (s, r) => `checkpoint: storage image at LSN ${r.lsn} (${plural(r.rows, 'row')}); a recovery now replays ${plural(r.replay_entries, 'log entry', 'log entries')} instead of ${grouped(r.log_entries)}`,
  truncate: (s, r) => `truncate the log before LSN ${s.before}${s.force ? ' (forced)' : ''}: ${removedWords(r, s.before)}${r.out_of_range.length ? `; ${r.out_of_range.join(', ')} ${r.out_of_range.length === 1 ? 'is' : 'are'} now out of range: rebuild ${r.out_of_range.length === 1 ? 'it' : 'them'}` : ''}`,
  compact: (s, r) => {
    const parts = [`compact the log up to LSN ${s.upto}${s.tombstones_before ? `, dropping tombstones before LSN ${s.tombstones_before}` : ''}: ${removedWords(r)}`];
    if (r.dropped_tombstones.length) parts.push(`dropped the ${r.dropped_tombstones.length === 1 ? 'tombstone' : 'tombstones'} of ${shortList(r.dropped_tombstones.map((t) => `${t.key} (LSN ${t.lsn})`), 'tombstone')}`);
    if (r.missed_deletes.length) parts.push(shortList(r.missed_deletes.map((m) => `${m.consumer} will never learn that ${m.key} was deleted`), 'missed delete'));
    return parts.join('; ');
  },
  commit: (s, r) => `commit ${s.consumer}: committed position ${r.committed}`,
  crash_consumer: (s, r) => `crash ${s.consumer}: restarts from its committed position ${r.rewound_to}; ${r.out_of_range ? 'but a truncation removed the events after it: out of range, rebuild it' : `${plural(r.redeliver, 'change event')} will be delivered again`}`,
  verify: (s, r) => {
    if (r.consistent) return 'check consistency: every consumer matches a fresh snapshot of storage at its position';
    // A consumer ahead of the log is not compared row by row (it processed
    // writes storage no longer has): said apart, as its card says it, not
    // among those whose rows differ.
    const ahead = r.consumers.filter((c) => !c.consistent && c.reason === 'ahead of the log').map((c) => c.name);
    const bad = r.consumers.filter((c) => !c.consistent && c.reason !== 'ahead of the log').map((c) => c.name);
    const parts = [];
    if (bad.length) parts.push(`${bad.join(', ')} ${bad.length === 1 ? 'differs' : 'differ'} from a fresh snapshot of storage at ${bad.length === 1 ? 'its position' : 'their positions'}`);
    if (ahead.length) parts.push(`${ahead.join(', ')} ${ahead.length === 1 ? 'is' : 'are'} ahead of the log (${ahead.length === 1 ? 'it' : 'they'} processed writes the database lost): rebuild ${ahead.length === 1 ? 'it' : 'them'}`);
    return `check consistency: ${parts.join('; ')}`;
  },
  expect: (s) => `check ${describeExpect(s)}: holds`,
  // The answer only once the student has answered or asked to see it
  // (`answered`: the page's record of the prediction, {done, tries}).
  predict: (s, r, answered) => {
    if (!answered?.done) return `predict: ${s.prompt}`;
    const how = answered.done === 'right' ? `right on try ${answered.tries}` : 'revealed';
    return `predict: ${s.prompt} Answer: ${pretty(r.actual)} (${how})`;
  },
};

/**
 * What a step asks for, without what came of it: the printed lab sheet
 * (labsheet.js) lists the steps this way, so that reading ahead on paper
 * does not answer the questions before them.
 */
export function instruction(s) {
  const words = INSTRUCT[s.op]?.(s) ?? String(s.op).replace(/_/g, ' ');
  return s.refused ? `${words} (the lesson expects the engine to refuse it)` : words;
}

// What an expect step checks, without the values it expects.
function expectedWhat(s) {
  const of = s.consumer ? `${s.consumer}'s ` : '';
  const names = {
    down: 'whether the database is up', head: 'the head LSN', position: `${of}position`, committed: `${of}committed position`,
    lag: `${of}lag`, consistent: `whether ${s.consumer} is consistent`, query: `${of}answer to ${pretty(s.query)}`,
    reason_includes: `what verify says of ${s.consumer}`, out_of_range: `whether ${s.consumer} is out of range`,
    state_store_rows: `${of}state store`, log_entries: 'how many entries the log holds', log_start: 'where the log starts',
    pinned_by: 'what pins the log', key: `storage's ${s.key}`, entry: `log entry LSN ${s.lsn}`, event: `change event LSN ${s.lsn}`,
  };
  const parts = Object.keys(names).filter((k) => k in s).map((k) => names[k]);
  return parts.length ? parts.join(', ') : 'what the lesson expects';
}

// A write's request id, dual write and crash on the way, in words.
function writeExtras(s) {
  const parts = [];
  if (s.request_id !== undefined) parts.push(`request id ${s.request_id}`);
  if (s.direct) parts.push(`a dual write: client ${s.client ?? 'app'} also writes to the direct consumers${s.direct === 'later' ? ', later' : ''}`);
  if (s.crash) parts.push(s.crash === 'before_sync' ? 'the power fails before its sync' : 'the process dies after its sync, before it replies');
  return parts.length ? ` (${parts.join('; ')})` : '';
}

const INSTRUCT = {
  put: (s) => `put ${s.key} = ${pretty(s.value)}${writeExtras(s)}`,
  delete: (s) => `delete ${s.key}${writeExtras(s)}`,
  insert: (s) => `insert ${pretty(s.value)} under a new key starting “${s.prefix}”${writeExtras(s)}`,
  direct_write: (s) => `client ${s.client} sends its next waiting write to the direct consumers`,
  crash_client: (s) => `crash client ${s.client}`,
  put_random: (s) => `put ${plural(s.count, 'generated document')} to keys r0…r${(s.keys ?? s.count) - 1}`,
  get: (s) => `get ${s.key}`,
  scan: (s) => `scan keys starting with “${s.prefix}”`,
  replay_storage: () => 'replay storage from the log',
  flush: (s) => (s.consumer ? `flush ${s.consumer}` : 'flush all consumers'),
  step: (s) => `step ${s.consumer} by one change event`,
  add_consumer: (s) => `add consumer ${s.consumer?.name} (${s.consumer?.type?.replace(/_/g, ' ')}) by ${s.mode ?? 'snapshot'}${s.consumer?.feed === 'direct' ? ', fed by the application (dual write)' : ''}`,
  remove_consumer: (s) => `remove consumer ${s.consumer}`,
  rebuild: (s) => `rebuild ${s.consumer} from a snapshot of storage`,
  query: (s) => `query ${queryWords(s)}${s.min_position !== undefined ? `, needing LSN ${s.min_position}` : ''}${s.fallback === 'storage' ? ', else ask storage' : ''}${s.fetch ? ', and fetch from storage' : ''}${s.as_of === 'storage' ? ', as of storage (a fresh derivation)' : ''}`,
  configure: (s) => `configure: ${Object.entries(s).filter(([k]) => k !== 'op' && k !== 'note').map(([k, v]) => `${k} ${v}`).join(', ')}`,
  sync: () => 'sync: make every written log byte durable',
  crash: (s) => (s.kind === 'process' ? 'crash the process' : `crash the power${s.torn_bytes ? ` (${plural(s.torn_bytes, 'torn byte')} reach the disk)` : ''}`),
  recover: (s) => `recover${s.recovery ? ` (${s.recovery})` : ''}`,
  corrupt: (s) => `corrupt LSN ${s.lsn} on disk${s.byte !== undefined ? ` (flip byte ${s.byte} of its record)` : ''}`,
  checkpoint: () => 'checkpoint: write a storage image',
  truncate: (s) => `truncate the log before LSN ${s.before}${s.force ? ' (forced)' : ''}`,
  compact: (s) => `compact the log up to LSN ${s.upto}${s.tombstones_before ? `, dropping tombstones before LSN ${s.tombstones_before}` : ''}`,
  commit: (s) => `commit ${s.consumer}'s position`,
  crash_consumer: (s) => `crash ${s.consumer} (it restarts from its committed position)`,
  verify: () => 'check consistency',
  expect: (s) => `check ${expectedWhat(s)}`,
  predict: (s) => `predict: ${s.prompt}`,
};

/** What a truncation or compaction removed, in words. */
function removedWords(r, before) {
  if (!r.removed.length) return 'nothing to remove';
  // A truncation of a log with gaps (a compaction's, a skip recovery's)
  // removes what is left before it: a list of scattered LSNs says less
  // than that.
  const scattered = before !== undefined && r.removed.at(-1) - r.removed[0] + 1 !== r.removed.length;
  const which = scattered ? `every entry still in the log before LSN ${before}` : `LSN ${lsnList(r.removed)}`;
  return `removed ${plural(r.removed.length, 'log entry', 'log entries')} (${which}), log ${grouped(r.bytes_before)} → ${grouped(r.bytes_after)} bytes`;
}

/** The recover result in words a student understands. */
export function describeRecovery(r) {
  const parts = [`replayed ${plural(r.replayed, 'log entry', 'log entries')}; the log now ends at LSN ${r.recovered}`];
  const torn = r.problems.find((p) => p.kind === 'torn_tail');
  if (torn) parts.push(`cut a torn tail of ${plural(torn.bytes, 'byte')} at byte ${torn.offset} (a write the crash cut short: a clean end)`);
  if (r.corruption) {
    parts.push(`found corruption at byte ${r.corruption.offset}${r.corruption.lsn !== null ? ` (LSN ${r.corruption.lsn})` : ''}: ${r.corruption.reason}`);
  }
  const acked = r.lost.filter((l) => l.acknowledged).map((l) => l.lsn);
  const unacked = r.lost.filter((l) => !l.acknowledged).map((l) => l.lsn);
  if (acked.length) parts.push(`LOST acknowledged ${acked.length === 1 ? 'write' : 'writes'} LSN ${lsnList(acked)}: the client was told ${acked.length === 1 ? 'it' : 'they'} succeeded`);
  if (unacked.length) parts.push(`lost LSN ${lsnList(unacked)}, never acknowledged`);
  if (!r.lost.length) parts.push('nothing was lost');
  if (r.survived_unacknowledged.length) parts.push(`LSN ${lsnList(r.survived_unacknowledged)} survived although never acknowledged`);
  if (r.checkpoint) parts.push(`loaded the checkpoint at LSN ${r.checkpoint} first (without it: ${plural(r.without_checkpoint.replayed, 'log entry', 'log entries')} to replay${r.without_checkpoint.complete ? '' : ', and the log no longer starts at LSN 1'})`);
  if (r.checkpoint_unused) parts.push(`the checkpoint was not used: ${r.checkpoint_unused}`);
  if (r.ahead.length) parts.push(`${r.ahead.join(', ')} ${r.ahead.length === 1 ? 'is' : 'are'} ahead of the log: rebuild ${r.ahead.length === 1 ? 'it' : 'them'}`);
  return parts.join('; ');
}

/**
 * The step and its result in words, refused or not. `answered`: for a
 * predict step, the student's answer so far (the answer is left out until
 * it is answered or revealed).
 */
export function describeStep(step, result, answered = null) {
  if (!result.ok) {
    const brief = { put: `put ${step.key}`, delete: `delete ${step.key}`, get: `get ${step.key}`, insert: `insert under “${step.prefix}”`,
      direct_write: `client ${step.client}'s second write`, crash_client: `crash client ${step.client}` }[step.op] ?? step.op.replace('_', ' ');
    return `${brief}: refused${step.refused ? ', as expected' : ''} (${result.error})`;
  }
  const words = DESCRIBE[step.op]?.(step, result, answered) ?? step.op;
  return step.refused ? `${words} (the lesson expected this to be refused: it is out of date)` : words;
}
