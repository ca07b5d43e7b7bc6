// The history of a session: every step taken, scripted or the student's own,
// and a cursor into it. Time travel renders an older point of the history.
//
// The engine is deterministic, so any point is reached by replaying steps on
// a fresh engine; moving forward applies only the steps in between. We keep,
// for every step, its result and each consumer's position after it, so that
// what a step changed can be highlighted without keeping whole old states.
import { Simulator } from './engine.js';

export class History {
  /**
   * @param module the loaded wasm module
   * @param session {title, description?, consumers: [spec], steps: [step]}
   */
  constructor(module, session) {
    this.module = module;
    this.title = session.title;
    this.description = session.description ?? '';
    this.consumers = session.consumers ?? [];
    this.steps = [];
    this.results = [];
    this.positions = [];   // positions[i]: {name: position} after step i (index 0: before any)
    this.cursor = 0;
    this.sim = null;
    this.liveAt = 0;        // how many steps this.sim has applied
    this.restart();
    this.positions.push(this.sim.positions().positions);
    for (const step of session.steps ?? []) this.record(step);
  }

  // A fresh engine holding only the scenario's starting consumers.
  restart() {
    this.sim?.dispose();
    this.sim = new Simulator(this.module);
    for (const spec of this.consumers) {
      const r = this.sim.apply({ op: 'add_consumer', mode: 'replay', consumer: spec });
      if (!r.ok) throw new Error(`consumers: ${r.error}`);
    }
    this.liveAt = 0;
    this.cachedState = null;
  }

  // Appends a step at the end (the engine must be at the end) and applies it.
  record(step) {
    const result = this.sim.apply(step);
    this.remember(step, result);
    return result;
  }

  // Appends a step the live engine has just applied, with what it led to.
  remember(step, result) {
    this.steps.push(step);
    this.results.push(result);
    this.liveAt = this.cursor = this.steps.length;
    this.cachedState = null;
    this.positions.push(this.sim.positions().positions);
  }

  /** Moves the engine to step index i (0 = before any step). */
  goTo(i) {
    i = Math.max(0, Math.min(this.steps.length, i));
    if (i < this.liveAt) this.restart();
    while (this.liveAt < i) this.sim.apply(this.steps[this.liveAt++]);
    this.cursor = i;
    this.cachedState = null;
  }

  /**
   * Takes a new action at the cursor. A failed action changes nothing and is
   * not recorded. A successful one after stepping back forks the history:
   * the later steps are replaced, and returned in `discarded` so the page can
   * say so (and offer to bring them back).
   */
  act(step) {
    this.goTo(this.cursor);
    // Try it on the live engine first: a failed step changes nothing.
    const probe = this.sim.apply(step);
    if (!probe.ok) return { result: probe, discarded: [] };
    let discarded = [];
    if (this.cursor < this.steps.length) {
      discarded = this.steps.slice(this.cursor);
      this.truncate(this.cursor);
    }
    this.remember(step, probe);
    return { result: probe, discarded };
  }

  /** Replaces everything after the cursor with `steps` (undoing a fork). */
  restore(steps) {
    this.goTo(this.cursor);
    const at = this.cursor;
    this.truncate(at);
    for (const s of steps) this.record(s);
    this.goTo(at);
  }

  // Forgets every step after the first n.
  truncate(n) {
    this.steps.length = n;
    this.results.length = n;
    this.positions.length = n + 1;
  }

  state() {
    if (!this.cachedState) this.cachedState = this.sim.state();
    return this.cachedState;
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

  /** The session as a scenario file (whole history) plus the cursor. */
  toSession() {
    const s = { title: this.title };
    if (this.description) s.description = this.description;
    if (this.consumers.length) s.consumers = this.consumers;
    s.steps = this.steps;
    return { scenario: s, cursor: this.cursor };
  }

  dispose() {
    this.sim?.dispose();
    this.sim = null;
  }
}
