// The history of a session: every step taken, scripted or the student's own,
// and a cursor into it. Time travel renders an older point of the history.
//
// The engine is deterministic, so any point is reached by restoring the
// nearest earlier checkpoint (a copy of the engine, Module's clone()) and
// replaying the steps after it; moving forward applies only the steps in
// between. A copy costs O(1): it shares the log and the trees of storage and
// derived state (core/cow_map.h), and what it holds of its own are the nodes
// that change after it (measured: about 100 KB a checkpoint 100 steps apart
// in a history of 20,000 keys and three consumers). So a checkpoint is
// taken whenever replaying since the last one has cost CHECKPOINT_MS, and
// reaching any point replays at most about that much. Beyond MAX_CHECKPOINTS,
// or when the module's heap in use passes CHECKPOINT_HEAP, every other old
// one is dropped and the spacing doubles (and so does the replay to reach a
// point).
//
// We keep, for every step, its result and each consumer's position after it,
// so that what a step changed can be highlighted without old states.
import { Simulator, nextTask, bulkParts, bulkCheck, TOTALS_ONLY } from './engine.js';

export const CHECKPOINT_MS = 2;
export const MAX_CHECKPOINTS = 4096;
// Half of the module's 1 GB: past it, checkpoints thin out.
export const CHECKPOINT_HEAP = 512 << 20;
const HEAP_CHECK_EVERY = 32;
const HEAVY_STEP_MS = 50;
// Results worked out at once when the cursor reaches a loaded step.
const KNOWN_AHEAD = 16;
// Steps per cached chunk of the saved text (scenarioParts): a save writes the
// chunk being filled again, so its size bounds what one more step costs to
// save (128 steps of 2 KB documents: 250 KB).
const STEP_CHUNK = 128;

// Whether a step may have moved a consumer's position (its result says
// which consumers it touched; adding or removing one changes the set).
function movedAny(step, result) {
  const t = result.touched;
  return !t || t.all || t.consumers.length > 0 || step.op === 'add_consumer' || step.op === 'remove_consumer';
}

/**
 * A scenario as the text Export writes: its fields indented, each step
 * compact on a line of its own, so that the file stays readable and about
 * the size of compact JSON (indented whole, a long session's file was 1.9
 * times that, past the size an import takes: a page could not open its own
 * export). JSON.parse gives back the same scenario.
 */
export function scenarioText(scenario) {
  // (A field whose value is undefined is left out, as JSON.stringify leaves it.)
  const fields = Object.entries(scenario).filter(([, value]) => value !== undefined).map(([name, value]) => {
    const text = name === 'steps'
      ? (value.length ? `[\n${value.map((step) => `    ${JSON.stringify(step)}`).join(',\n')}\n  ]` : '[]')
      : JSON.stringify(value, null, 2).replaceAll('\n', '\n  ');
    return `  ${JSON.stringify(name)}: ${text}`;
  });
  return `{\n${fields.join(',\n')}\n}\n`;
}

// Steps a session may have to be loaded at once, each with its result; a
// longer one is loaded in slices (load()), results worked out when reached.
export const LOAD_AT_ONCE = 2000;

// The parts load() takes a bulk step in (documents), and a flush with more
// deliveries pending than FLUSH_PART in (deliveries), as the page takes them.
export const BULK_PART = 2000;
export const FLUSH_PART = 5000;

// The result the page records for a bulk step, or a flush, taken in parts
// (live or by a load): what taking it whole says of it, and what it touched.
function bulkResult(step, first, last) {
  return { ok: true, written: Number(step.count), first, last, touched: { lsns: [first, last], keys: [], consumers: [], all: false } };
}
function flushResult(before, after, delivered, refused) {
  const moved = Object.keys(after).filter((n) => before[n] !== after[n]);
  const result = { ok: true, delivered, touched: { lsns: null, keys: [], consumers: moved, all: false } };
  if (refused) result.refused = refused;
  return result;
}

// A step load() takes on its own, perhaps in parts: a bulk step of more
// than a part, or a flush (whose deliveries are known only when it is
// reached).
function mayBeHeavy(step) {
  return (step?.op === 'put_random' && Number(step.count) > BULK_PART) || (step?.op === 'flush' && step.limit === undefined);
}

/** Whether a session's steps are loaded in slices (History.load), not at once. */
export function loadsInSlices(steps) {
  return steps.length > LOAD_AT_ONCE || steps.some((step) => step?.op === 'put_random' && Number(step.count) > BULK_PART);
}

export class History {
  /**
   * @param module the loaded wasm module
   * @param session {title, description?, sources?, consumers: [spec], steps: [step]}
   */
  constructor(module, session) {
    this.module = module;
    this.title = session.title;
    this.description = session.description ?? '';
    this.sources = session.sources ?? [];  // the book sections a lesson teaches
    this.consumers = session.consumers ?? [];
    this.steps = [];
    this.stepChunks = [];  // JSON texts of steps, STEP_CHUNK a chunk (scenarioParts)
    this.results = [];
    this.positions = [];   // positions[i]: {name: position} after step i (index 0: before any)
    this.cursor = 0;
    this.sim = null;
    this.liveAt = 0;        // how many steps this.sim has applied
    this.checkpoints = [];  // [{at, sim}], by step index
    this.sinceCheckpoint = 0;  // ms of applying steps since the newest checkpoint
    this.busy = false;      // a step is being taken in parts (inParts)
    this.restart();
    this.positions.push(this.sim.positions().positions);
    this.pending = session.steps ?? [];
    // Short sessions load at once; a long one through load() in slices.
    if (!loadsInSlices(this.pending)) this.loadSync();
  }

  loadSync() {
    const steps = this.pending;
    this.pending = [];
    if (steps.length <= LOAD_AT_ONCE) {
      for (const step of steps) this.record(step);
      return;
    }
    // A long session at once (a saved one): replayed in batches, results
    // worked out when reached, as load() does.
    for (let i = 0; i < steps.length; i += 256) {
      const part = steps.slice(i, i + 256);
      const t0 = performance.now();
      if (this.sim.replayText(JSON.stringify(part)) < 0) throw new Error(this.outOfMemory());
      for (const step of part) {
        this.steps.push(step);
        this.results.push(undefined);
        this.positions.push(undefined);
      }
      this.liveAt = this.cursor = this.steps.length;
      this.settle(performance.now() - t0);
    }
  }

  /**
   * Applies the session's steps in slices of about `sliceMs`, yielding to the
   * page between slices. `onProgress(done, total)` is told after each; when
   * `signal.aborted` it stops and resolves to false (the steps applied so far
   * stay, and the rest are dropped). The steps are replayed without building
   * their results: a step's result, and the positions around it, are worked
   * out when the cursor first reaches it (known()). With `check` (a
   * Module.ScenarioCheck), each slice is checked by it (each step's shape and
   * the session's length and work) in the engine call that replays it: a
   * step that fails throws an Error naming it, with `unread` set when the
   * slice's text itself was refused (its error then names a place in the
   * slice). With `refusals` (an array), each step the engine refused is added
   * to it as {step: its number, error}.
   */
  async load(onProgress, signal, { sliceMs = 20, check = null, refusals = null } = {}) {
    const steps = this.pending;
    this.pending = [];
    let i = 0, batch = 16;
    while (i < steps.length) {
      // Yield first: each slice is a task of its own, with frames between.
      await nextTask();
      if (signal?.aborted) return false;
      const start = performance.now();
      // Slices of about sliceMs: as many steps per engine call as fit.
      while (i < steps.length && performance.now() - start < sliceMs) {
        // A bulk step, or a flush, is taken apart, in parts with frames
        // between them (heavyStep): taken whole, a bulk step of 100,000
        // documents held the page for 0.5 s, and a session of ten of them
        // for 5-12 s when it was reloaded, imported or opened by a link.
        // (A flush that turns out light goes on in the same slice: yielding
        // after each of the 1,000 flushes of a 100,000-step import took it
        // from 1.8 to 7 s.)
        if (mayBeHeavy(steps[i])) {
          const t0 = performance.now();
          await this.loadHeavy(steps[i], i, sliceMs, signal, { check, refusals });
          if (signal?.aborted) return false;
          i++;
          this.extendChunks();
          if (performance.now() - t0 > sliceMs) break;  // it yielded: a slice of its own
          continue;
        }
        let n = 1;
        while (n < batch && i + n < steps.length && !mayBeHeavy(steps[i + n])) n++;
        const part = steps.slice(i, i + n);
        const text = JSON.stringify(part);
        const t0 = performance.now();
        if (refusals || check) {
          const r = check ? this.sim.replayChecked(check, text, i) : this.sim.replayRefused(text);
          if (r === null) throw new Error(this.outOfMemory());
          if (r.ok === false) throw Object.assign(new Error(r.error), { unread: Boolean(r.unread) });
          for (const [k, error] of r.refused) refusals?.push({ step: i + k + 1, error });
        } else if (this.sim.replayText(text) < 0) {
          throw new Error(this.outOfMemory());
        }
        const ms = performance.now() - t0;
        for (const step of part) {
          this.steps.push(step);
          this.results.push(undefined);
          this.positions.push(undefined);
        }
        i += part.length;
        this.liveAt = this.cursor = this.steps.length;
        this.settle(ms);
        // The saved text's chunks, a slice's worth at a time: the first save
        // after an import does not serialize the whole history at once.
        this.extendChunks();
        // Batches of about one checkpoint spacing: settle() can take a
        // checkpoint after each, so a jump replays at most about that much.
        const target = Math.min(sliceMs, this.spacing);
        batch = Math.max(16, Math.min(4096, Math.round(batch * (ms < target / 2 ? 2 : ms > target * 2 ? 0.5 : 1))));
        // Another batch like this one would run past the slice: yield now.
        if (performance.now() - start + ms > sliceMs) break;
      }
      onProgress?.(i, steps.length);
    }
    // The results of the last steps, where the cursor stands, in a task of
    // their own rather than in the first drawing of the session.
    if (steps.length > 0) {
      await nextTask();
      if (signal?.aborted) return false;
      this.goToInner(this.steps.length);
    }
    return true;
  }

  /**
   * Takes steps[i] (mayBeHeavy) for load(): a bulk step in parts of
   * BULK_PART documents, a flush with more than FLUSH_PART deliveries
   * pending in parts of that many, yielding to the page whenever sliceMs
   * have passed (the live page takes them in the same parts:
   * actInParts, actFlushInParts); any other at once, as load() takes a
   * batch. With `check`, the step is checked first; a step the engine
   * refuses changes nothing, and is added to `refusals`. Stops between
   * parts when `signal` is aborted (load() then drops the session).
   */
  async loadHeavy(step, i, sliceMs, signal, { check = null, refusals = null } = {}) {
    const t0 = performance.now();
    let since = t0;
    const breathe = async () => {
      if (performance.now() - since < sliceMs) return;
      await nextTask();
      since = performance.now();
    };
    const applied = (one) => {
      const r = this.sim.apply(one);
      if (r === null || r.out_of_memory) throw new Error(this.outOfMemory());
      return r;
    };
    if (check) {
      const c = JSON.parse(check.add(JSON.stringify([step]), i));
      if (c.ok === false) throw Object.assign(new Error(c.error), { unread: Boolean(c.unread) });
    }
    // A step taken in parts gets the result the page gives it when it
    // takes it so (actInParts, actFlushInParts), and the positions around
    // it: time travel then never takes it again to learn them.
    const before = this.sim.positions().positions;
    let result;
    if (step.op === 'put_random' && bulkCheck(this.module, step).ok) {
      let first = null, last = null;
      for (const { step: one } of bulkParts(step, BULK_PART)) {
        const r = applied(one);
        if (!r.ok) { result = r; break; }
        first ??= r.first;
        last = r.last;
        if (signal?.aborted) return;
        await breathe();
      }
      result ??= bulkResult(step, first, last);
    } else if (step.op === 'flush' && step.limit === undefined && this.pendingFor(step) > FLUSH_PART) {
      let delivered = 0, refused = null;
      for (;;) {
        const r = applied({ ...step, limit: FLUSH_PART });
        if (!r.ok) { result = r; break; }
        refused ??= r.refused ?? null;
        delivered += r.delivered;
        if (!r.more) break;
        if (signal?.aborted) return;
        await breathe();
      }
      result ??= flushResult(before, this.sim.positions().positions, delivered, refused);
    } else {
      // Not heavy after all: taken as load() takes a batch, its result
      // worked out when it is reached.
      const r = this.sim.replayRefused(JSON.stringify([step]));
      if (r === null) throw new Error(this.outOfMemory());
      if (r.refused.length) refusals?.push({ step: i + 1, error: r.refused[0][1] });
    }
    if (result && !result.ok) refusals?.push({ step: i + 1, error: result.error });
    const n = this.steps.length;
    this.steps.push(step);
    this.results.push(result);
    if (result) this.positions[n] ??= before;
    this.positions.push(result ? this.sim.positions().positions : undefined);
    this.liveAt = this.cursor = this.steps.length;
    this.settle(performance.now() - t0);
  }

  // The change events a flush step would deliver now (all consumers', or
  // its consumer's), from the engine's lags.
  pendingFor(step) {
    // First a bound from the positions alone, which is cheap: each pending
    // event has an LSN of its own after the consumer's position, up to the
    // head. Only over a part is the engine asked for the lags (a view per
    // flush made a 100,000-step import 0.6 s slower).
    const { head, positions } = this.sim.positions();
    if (head !== null && head !== undefined) {
      let bound = 0;
      for (const [name, at] of Object.entries(positions)) {
        if (step.consumer === undefined || name === step.consumer) bound += Math.max(0, head - at);
      }
      if (bound <= FLUSH_PART) return bound;
    }
    const v = this.sim.view({ ...TOTALS_ONLY, rows: {} });
    if (!v.ok) return 0;
    return v.consumers.reduce((n, c) => n + ((step.consumer === undefined || c.name === step.consumer)
      && !c.ahead && c.feed !== 'direct' ? c.lag : 0), 0);
  }

  // What the page says when the module's memory ran out (`otherwise` when
  // the log's length cannot be read either).
  outOfMemory(otherwise = 'out of memory: export and start a new session') {
    let entries = null;
    try {
      entries = this.sim.view(TOTALS_ONLY).wal?.total ?? null;
    } catch { /* unknown */ }
    return entries === null ? otherwise : `out of memory at ${entries} log entries: export and start a new session`;
  }

  // A fresh engine holding only the scenario's starting consumers, and the
  // checkpoint of step 0.
  restart() {
    this.sim?.dispose();
    for (const c of this.checkpoints) c.sim.dispose();
    this.sim = new Simulator(this.module);
    for (const spec of this.consumers) {
      const r = this.sim.apply({ op: 'add_consumer', mode: 'replay', consumer: spec });
      if (!r.ok) throw new Error(`consumers: ${r.error}`);
    }
    this.liveAt = 0;
    this.checkpoints = [{ at: 0, sim: this.sim.clone() }];
    this.sinceCheckpoint = 0;
    this.spacing = CHECKPOINT_MS;  // ms of replay between checkpoints; doubles as they thin
    this.cachedViews = new Map();
  }

  // Applies step i (the live engine is at i) and takes a checkpoint after it
  // when replaying since the last one has cost enough.
  applyNext(step) {
    const start = performance.now();
    const result = this.sim.apply(step);
    this.liveAt++;
    this.sinceCheckpoint += performance.now() - start;
    const newest = this.checkpoints[this.checkpoints.length - 1];
    if (this.sinceCheckpoint >= this.spacing && this.liveAt > newest.at) this.checkpoint();
    return result;
  }

  checkpoint() {
    const sim = this.sim.clone();
    if (!sim) return;  // out of memory: go on without
    this.checkpoints.push({ at: this.liveAt, sim });
    // The heap is counted every HEAP_CHECK_EVERY checkpoints (malloc's count
    // walks the heap: milliseconds at 100 MB), and after every costly step,
    // which may have changed much (a bulk step of new keys leaves little to
    // share between a checkpoint and the steps after it).
    const heavy = this.sinceCheckpoint >= HEAVY_STEP_MS;
    this.sinceCheckpoint = 0;
    const heapFull = () => (heavy || this.checkpoints.length % HEAP_CHECK_EVERY === 0) && this.module.heapBytes() > CHECKPOINT_HEAP;
    if (this.checkpoints.length > 3 && (this.checkpoints.length > MAX_CHECKPOINTS || heapFull())) {
      // Every other one goes, and new ones come half as often: the spacing
      // stays even over the whole history.
      this.spacing *= 2;
      // Keep step 0 and the newest; drop every other one in between.
      const kept = [this.checkpoints[0]];
      this.checkpoints.slice(1, -1).forEach((c, k) => { if (k % 2 === 1) kept.push(c); else c.sim.dispose(); });
      kept.push(this.checkpoints[this.checkpoints.length - 1]);
      this.checkpoints = kept;
    }
  }

  // Appends a step at the end (the engine must be at the end) and applies it.
  record(step) {
    this.liveAt = this.steps.length;
    const result = this.applyNext(step);
    this.remember(step, result);
    return result;
  }

  // Appends a step the live engine has just applied, with what it led to.
  remember(step, result) {
    this.steps.push(step);
    this.results.push(result);
    this.liveAt = this.cursor = this.steps.length;
    this.cachedViews = new Map();
    // Positions change only when the step says a consumer was touched.
    const previous = this.positions[this.positions.length - 1];
    this.positions.push(!movedAny(step, result) && previous ? previous : this.sim.positions().positions);
  }

  /** Moves the engine to step index i (0 = before any step). */
  goTo(i) {
    this.idle();
    const t0 = performance.now();
    this.goToInner(i);
    // For the browser tests' figures: how long reaching a point took.
    performance.measure('unbundled:goto', { start: t0, detail: { to: i } });
  }

  // `known`: also work out the result of the step that led to i, if a load
  // left it unknown.
  goToInner(i, known = true) {
    i = Math.max(0, Math.min(this.steps.length, i));
    if (known && !this.known(i)) {
      // A loaded step reached for the first time: go to KNOWN_AHEAD steps
      // before it and take those steps again, this time with their results
      // (stepping back from it is then quick).
      // (Not before a step whose result is known: a bulk step loaded in
      // parts is, and taking it again whole would hold the page.)
      let from = Math.max(0, i - KNOWN_AHEAD);
      for (let j = i - 1; j >= from; j--) {
        if (this.results[j] !== undefined && this.positions[j + 1] !== undefined) {
          from = j + 1;
          break;
        }
      }
      this.goToInner(from, false);
      const start = performance.now();
      let before = this.sim.positions().positions;
      for (let j = from; j < i; j++) {
        const result = this.results[j] = this.sim.apply(this.steps[j]);
        this.positions[j] ??= before;
        if (movedAny(this.steps[j], result)) before = this.sim.positions().positions;
        this.positions[j + 1] = before;
      }
      this.liveAt = this.cursor = i;
      this.sinceCheckpoint += performance.now() - start;
      this.cachedViews = new Map();
      return;
    }
    // The newest checkpoint at or before i, unless the live engine is nearer.
    let best = null;
    for (const c of this.checkpoints) if (c.at <= i) best = c;
    if (i < this.liveAt || (best && best.at > this.liveAt)) {
      if (!this.sim.copyFrom(best.sim)) throw new Error('out of memory restoring a checkpoint: export and start a new session');
      this.liveAt = best.at;
      // Replaying from this checkpoint: count the cost to the next one.
      this.sinceCheckpoint = 0;
    }
    // Steps before the newest checkpoint were checkpointed already: replay
    // them in one call, without building results. Beyond it, one by one.
    const newest = this.checkpoints[this.checkpoints.length - 1];
    const batchEnd = Math.min(i, Math.max(this.liveAt, newest.at));
    if (batchEnd > this.liveAt) {
      if (this.sim.replay(this.steps.slice(this.liveAt, batchEnd)) < 0) {
        throw new Error('out of memory replaying steps: export and start a new session');
      }
      this.liveAt = batchEnd;
    }
    while (this.liveAt < i) this.applyNext(this.steps[this.liveAt]);
    this.cursor = i;
    this.cachedViews = new Map();
  }

  // Whether step i's result and the positions before and after it are known
  // (a loaded step's are worked out when the cursor first reaches it).
  known(i) {
    return i === 0 || (this.results[i - 1] !== undefined && this.positions[i - 1] !== undefined && this.positions[i] !== undefined);
  }

  /**
   * Takes a new action at the cursor. A failed action changes nothing and is
   * not recorded. A successful one after stepping back forks the history:
   * the later steps are replaced, and returned in `discarded` so the page can
   * say so (and offer to bring them back).
   */
  act(step) {
    this.idle();
    this.goTo(this.cursor);
    // Try it on the live engine first: a failed step changes nothing.
    const start = performance.now();
    const probe = this.sim.apply(step);
    if (!probe.ok) return { result: probe, discarded: [] };
    return { result: probe, discarded: this.recordAtCursor(step, probe, performance.now() - start) };
  }

  /**
   * Takes a put_random step in parts of `part` documents (the engine writes
   * the same documents split or whole), yielding to the page between parts.
   * Resolves like act(); when `signal.aborted` it stops, puts the engine
   * back where it was and records nothing ({result: {ok: false, cancelled}}).
   */
  async actInParts(step, part, onProgress, signal) {
    // Refused whole, as the engine refuses it whole, before any part.
    const checked = bulkCheck(this.module, step);
    if (!checked.ok) return { result: checked, discarded: [] };
    this.goTo(this.cursor);
    const count = Number(step.count);
    let first = null, last = null, refused = null, wrote = false;
    await this.inParts(async () => {
      for (const { step: one, written } of bulkParts(step, part)) {
        const r = this.sim.apply(one);
        if (!r.ok || signal?.aborted) {
          refused = r.ok ? null : r;
          wrote = first !== null || r.ok;
          return;
        }
        first ??= r.first;
        last = r.last;
        onProgress?.(written, count);
        await nextTask();
      }
    });
    if (refused || signal?.aborted) {
      if (wrote || signal?.aborted) this.rewindLive();
      return { result: refused ?? { ok: false, cancelled: true, error: 'cancelled: nothing was written' }, discarded: [] };
    }
    const result = bulkResult(step, first, last);
    return { result, discarded: this.recordAtCursor(step, result, Infinity) };
  }

  /**
   * Takes a flush step in parts of at most `limit` stream events (the
   * engine ends a flush in parts exactly as a whole one), yielding to the
   * page between parts. `total` is the pending deliveries, for progress.
   * Resolves like act(); Cancel puts the engine back and records nothing.
   */
  async actFlushInParts(step, limit, total, onProgress, signal) {
    this.goTo(this.cursor);
    const before = this.sim.positions().positions;
    let delivered = 0, refused = null, failed = null;
    await this.inParts(async () => {
      for (;;) {
        const r = this.sim.apply({ ...step, limit });
        if (!r.ok || signal?.aborted) {
          failed = r.ok ? null : r;
          return;
        }
        refused ??= r.refused ?? null;
        delivered += r.delivered;
        onProgress?.(delivered, total);
        if (!r.more) return;
        await nextTask();
      }
    });
    if (failed || signal?.aborted) {
      if (delivered > 0 || signal?.aborted) this.rewindLive();
      return { result: failed ?? { ok: false, cancelled: true, error: 'cancelled: nothing was delivered' }, discarded: [] };
    }
    const result = flushResult(before, this.sim.positions().positions, delivered, refused);
    return { result, discarded: this.recordAtCursor(step, result, Infinity) };
  }

  /**
   * Takes a recover, replay_storage, verify, truncate, compact,
   * add_consumer (by snapshot) or rebuild step whose work (reading the log
   * back and replaying it on the side; building a fresh copy of each
   * consumer and comparing; building the log without the entries retention
   * removes; feeding storage's rows to a fresh consumer) is prepared in parts of about `sliceMs` first
   * (the first part of each phase `part` records), yielding to the page
   * between parts; the step itself then uses it. `onProgress(at, of,
   * phase)`. Resolves like act(); a step the engine refuses is refused as
   * act() refuses it. When `signal.aborted` the work is dropped and nothing
   * is recorded: the engine did not change.
   */
  async actPrepared(step, onProgress, signal, { sliceMs = 20, part = 4000 } = {}) {
    this.idle();
    this.goTo(this.cursor);
    let progress = this.sim.prepare(step);
    if (progress.out_of_memory) return { result: progress, discarded: [] };
    if (!progress.ok) return this.act(step);
    let cancelled = false;
    await this.inParts(async () => {
      // Records a part: from a first guess, then as many as fit in sliceMs,
      // growing at most twofold a part (a part timed at a millisecond or
      // less says little of how long ten times as many take: the rest of the
      // log may cost more a record, and the module's code warms up). A part
      // ends with its phase, and a record of the next phase costs another
      // time: the guess again.
      let budget = part;
      while (progress.ok && !progress.done) {
        await nextTask();
        if (signal?.aborted) {
          cancelled = true;
          return;
        }
        const phase = progress.phase;
        const start = performance.now();
        progress = this.sim.advancePrepared(budget);
        const ms = performance.now() - start;
        budget = progress.phase !== phase ? part
          : Math.max(100, Math.min(1 << 20, Math.round(budget * Math.min(2, sliceMs / Math.max(ms, 0.1)))));
        if (progress.ok) onProgress?.(progress.at, progress.of, progress.phase);
      }
      // The step in a task of its own, not after the last part.
      await nextTask();
      cancelled = signal?.aborted ?? false;
    });
    if (cancelled) {
      this.sim.dropPrepared();
      return { result: { ok: false, cancelled: true, error: 'cancelled: nothing changed' }, discarded: [] };
    }
    if (!progress.ok) return { result: progress, discarded: [] };
    // The step, which installs the work: its cost is the whole work's, so a
    // checkpoint follows it, which time travel restores rather than take
    // the step again in one go.
    const result = this.sim.apply(step);
    if (!result.ok) return { result, discarded: [] };
    const discarded = this.recordAtCursor(step, result, Infinity);
    // And the page's drawing of it in another.
    await nextTask();
    return { result, discarded };
  }

  // While a step is taken in parts (`run`, async), the live engine is part
  // way through it: nothing else may move the history or act until it ends.
  async inParts(run) {
    this.idle();
    this.busy = true;
    try {
      await run();
    } finally {
      this.busy = false;
    }
  }

  idle() {
    if (this.busy) throw new Error('a step is being taken in parts: wait for it to end, or cancel it');
  }

  // Records a step the live engine (at the cursor) has just applied, which
  // cost `ms`: the later steps it replaces are returned (a fork).
  recordAtCursor(step, result, ms) {
    let discarded = [];
    if (this.cursor < this.steps.length) {
      discarded = this.steps.slice(this.cursor);
      this.truncate(this.cursor);
    }
    this.remember(step, result);
    this.settle(ms);
    return discarded;
  }

  // After a new step at the end that cost `ms` to apply: a checkpoint when
  // replaying since the last one would now cost enough.
  settle(ms) {
    this.sinceCheckpoint += ms;
    if (this.sinceCheckpoint >= this.spacing) this.checkpoint();
  }

  // The live engine has changed without a recorded step: bring it back to
  // the cursor from a checkpoint.
  rewindLive() {
    const at = this.cursor;
    this.liveAt = Number.MAX_SAFE_INTEGER;
    this.goTo(at);
  }

  /** Replaces everything after the cursor with `steps` (undoing a fork). */
  restore(steps) {
    this.idle();
    this.goTo(this.cursor);
    const at = this.cursor;
    this.truncate(at);
    for (const s of steps) this.record(s);
    this.goTo(at);
  }

  // Forgets every step after the first n, and the checkpoints after it.
  truncate(n) {
    this.steps.length = n;
    this.stepChunks.length = Math.min(this.stepChunks.length, Math.floor(n / STEP_CHUNK));
    this.results.length = n;
    this.positions.length = n + 1;
    this.checkpoints = this.checkpoints.filter((c) => {
      if (c.at <= n) return true;
      c.sim.dispose();
      return false;
    });
    this.sinceCheckpoint = 0;
  }

  /** The whole state at the cursor (O(history)): for exports and tests only. */
  state() {
    return this.sim.state();
  }

  /** What the page draws at the cursor: a view (see Simulator::View). */
  view(request = {}) {
    const key = JSON.stringify(request);
    let v = this.cachedViews.get(key);
    if (!v) {
      v = this.sim.view(request);
      if (this.cachedViews.size > 8) this.cachedViews.clear();
      this.cachedViews.set(key, v);
    }
    return v;
  }

  /** Asks the engine at the cursor a read-only question (a query). */
  ask(step) {
    return this.sim.apply(step);
  }

  /**
   * The result of step n (1-based). A loaded step's is worked out if it is
   * not known yet (the cursor goes there and back).
   */
  resultAt(n) {
    if (!this.known(n)) {
      const at = this.cursor;
      this.goTo(n);
      this.goTo(at);
    }
    return this.results[n - 1];
  }

  /** The step that led to the current point, its result and index (1-based), or null. */
  current() {
    if (this.cursor === 0) return null;
    return { step: this.steps[this.cursor - 1], result: this.results[this.cursor - 1], index: this.cursor };
  }

  /** Names of consumers whose position moved in the current step. */
  movedConsumers() {
    if (this.cursor === 0) return new Set();
    const before = this.positions[this.cursor - 1], after = this.positions[this.cursor];
    return new Set(Object.keys(after).filter((n) => before[n] !== after[n]));
  }

  /**
   * JSON.stringify(this.toSession().scenario), in parts whose concatenation
   * is that text: the scenario's fields up to its steps, then one part per
   * STEP_CHUNK steps (cached, and the same string each time), then the steps
   * after the last whole chunk and the closing brackets. A save after one more
   * step (or after only moving the cursor) serializes at most one chunk
   * again, and writes only the parts that changed (store.js).
   */
  scenarioParts() {
    this.extendChunks();
    const full = this.stepChunks.length;
    const rest = this.stepsText(full * STEP_CHUNK, this.steps.length);
    const { steps, ...meta } = this.toSession().scenario;
    const head = JSON.stringify(meta).slice(0, -1);
    return [`${head}${head.length > 1 ? ',' : ''}"steps":[`, ...this.stepChunks,
      `${full > 0 && rest ? ',' : ''}${rest}]}`];
  }

  // The steps from..to as JSON texts joined by commas.
  stepsText(from, to) {
    return this.steps.slice(from, to).map((step) => JSON.stringify(step)).join(',');
  }

  // Caches the text of every whole chunk of steps (after the first, with the
  // comma before it).
  extendChunks() {
    const chunks = this.stepChunks;
    while (chunks.length < Math.floor(this.steps.length / STEP_CHUNK)) {
      const i = chunks.length;
      chunks.push(`${i > 0 ? ',' : ''}${this.stepsText(i * STEP_CHUNK, (i + 1) * STEP_CHUNK)}`);
    }
  }

  /** The session as a scenario file (whole history) plus the cursor. */
  toSession() {
    const s = { title: this.title };
    if (this.description) s.description = this.description;
    if (this.sources.length) s.sources = this.sources;
    if (this.consumers.length) s.consumers = this.consumers;
    s.steps = this.steps;
    return { scenario: s, cursor: this.cursor };
  }

  dispose() {
    this.sim?.dispose();
    this.sim = null;
    for (const c of this.checkpoints) c.sim.dispose();
    this.checkpoints = [];
  }
}
