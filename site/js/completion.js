// The student's answers to predictions outside the page, and the completion
// record an instructor opens from a completion link.
//
// In the page an answer belongs to a step object; saved and shared, it
// belongs to a step number (1-based, as the page says "Step 5"), since a
// session read back has new objects. The record is
//   [{"step": 5, "tries": [{"answer": 0, "right": false}, {"answer": 1, "right": true}], "revealed"?: true}]
// and a completion link adds {"completion": {"score": {"right", "of"}, "student"?}}.
//
// Whether an answer is right is never taken from outside: the page works it
// out from the engine's value in its own replay. What a record says ("right"
// on each try, the score) is a claim, only compared with that, and every
// disagreement is named in the summary ("does not match").
import { h, fill, plural } from './dom.js';
import { pretty } from './render.js';

/** Equal as JSON values: objects whatever the order of their keys, arrays in order. */
export function sameJson(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
  }
  return false;
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------- one prediction

// The page's record of one prediction: {step, answers: [values in order],
// revealed, actual} (actual: the engine's value, from the replay).

/** Where the student is with it: {done: null | 'right' | 'revealed', tries} (tries: up to the right one). */
export function outcome(entry) {
  if (!entry) return { done: null, tries: 0 };
  const k = entry.answers.findIndex((a) => sameJson(a, entry.actual));
  if (k >= 0) return { done: 'right', tries: k + 1 };
  return { done: entry.revealed ? 'revealed' : null, tries: entry.answers.length };
}

export const rightFirstTime = (entry) => entry.answers.length > 0 && sameJson(entry.answers[0], entry.actual);

/**
 * The record saved and shared: the page's answers (`predictions`, a Map from
 * step object to entry) to the steps still in `steps`, by step number.
 */
export function predictionRecord(steps, predictions) {
  const out = [];
  for (const [step, e] of predictions) {
    if (steps[e.step - 1] !== step) continue;  // a step a fork replaced (kept for undo)
    const p = { step: e.step, tries: e.answers.map((answer) => ({ answer, right: sameJson(answer, e.actual) })) };
    if (e.revealed) p.revealed = true;
    out.push(p);
  }
  return out.sort((a, b) => a.step - b.step);
}

// ---------------------------------------------------------------- checking what comes from outside

function fields(value, at, allowed) {
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new Error(`${at}.${k}: unknown field (expected ${allowed.join(', ')})`);
  }
}

/**
 * Checks a record from outside against the session's steps; returns it as
 * {step, tries: [{answer, right}], revealed} or throws an Error naming the
 * field. Only its form is checked: whether the claims hold is summarize()'s.
 */
export function checkPredictions(value, steps) {
  if (!Array.isArray(value)) throw new Error('predictions: must be an array of {step, tries, revealed?}');
  const seen = new Set();
  return value.map((p, i) => {
    const at = `predictions[${i}]`;
    if (!isObject(p)) throw new Error(`${at}: must be an object {step, tries, revealed?}`);
    fields(p, at, ['step', 'tries', 'revealed']);
    if (!Number.isInteger(p.step) || p.step < 1 || p.step > steps.length) {
      throw new Error(`${at}.step: must be a step number from 1 to ${steps.length}`);
    }
    const op = steps[p.step - 1]?.op;
    if (op !== 'predict') throw new Error(`${at}.step: step ${p.step} is ${JSON.stringify(op)}, not a prediction`);
    if (seen.has(p.step)) throw new Error(`${at}.step: step ${p.step} is listed twice`);
    seen.add(p.step);
    if (!Array.isArray(p.tries)) throw new Error(`${at}.tries: must be an array of {answer, right}`);
    const tries = p.tries.map((t, j) => {
      const tat = `${at}.tries[${j}]`;
      if (!isObject(t)) throw new Error(`${tat}: must be an object {answer, right}`);
      fields(t, tat, ['answer', 'right']);
      if (!('answer' in t)) throw new Error(`${tat}.answer: missing (the value the student gave)`);
      if (typeof t.right !== 'boolean') throw new Error(`${tat}.right: must be true or false`);
      return { answer: t.answer, right: t.right };
    });
    if ('revealed' in p && typeof p.revealed !== 'boolean') throw new Error(`${at}.revealed: must be true or false`);
    return { step: p.step, tries, revealed: p.revealed === true };
  });
}

export const MAX_STUDENT_CHARS = 200;

/** Checks a completion link's claims: {score: {right, of}, student?}; throws naming the field. */
export function checkCompletion(value) {
  if (!isObject(value)) throw new Error('completion: must be an object {score, student?}');
  fields(value, 'completion', ['score', 'student']);
  const { score } = value;
  if (!isObject(score)) throw new Error('completion.score: must be an object {right, of}');
  fields(score, 'completion.score', ['right', 'of']);
  for (const k of ['right', 'of']) {
    if (!Number.isInteger(score[k]) || score[k] < 0) throw new Error(`completion.score.${k}: must be a whole number`);
  }
  const out = { score: { right: score.right, of: score.of } };
  if ('student' in value) {
    if (typeof value.student !== 'string' || value.student.length > MAX_STUDENT_CHARS) {
      throw new Error(`completion.student: must be a name of at most ${MAX_STUDENT_CHARS} characters`);
    }
    out.student = value.student;
  }
  return out;
}

// ---------------------------------------------------------------- the summary

/**
 * Every prediction of the session with the record's answers, right or wrong
 * by the engine's value (`resultAt(n)`: step n's result in the replay), the
 * score, and where the record's claims disagree ({where, what}).
 * `claimed`: the completion link's score, if any.
 */
export function summarize(steps, resultAt, record, claimed = null) {
  const byStep = new Map((record ?? []).map((p) => [p.step, p]));
  const items = [];
  const mismatches = [];
  steps.forEach((step, i) => {
    if (step.op !== 'predict') return;
    const n = i + 1;
    const result = resultAt(n);
    const p = byStep.get(n);
    const where = `Step ${n}`;
    const tries = (p?.tries ?? []).map((t) => ({ ...t, right: result.ok && sameJson(t.answer, result.actual), claimed: t.right }));
    const firstRight = tries.findIndex((t) => t.right);
    tries.forEach((t, j) => {
      if (t.claimed !== t.right) {
        mismatches.push({ where, what: `try ${j + 1} (${pretty(t.answer)}): the link says ${t.claimed ? 'right' : 'wrong'}, the replay says ${t.right ? 'right' : 'wrong'} (the engine's value is ${result.ok ? pretty(result.actual) : 'unknown'})` });
      }
    });
    if (firstRight >= 0 && firstRight < tries.length - 1) {
      mismatches.push({ where, what: `${plural(tries.length - 1 - firstRight, 'try', 'tries')} after the right answer on try ${firstRight + 1}: the page asks no more once an answer is right` });
    }
    if (firstRight >= 0 && p.revealed) mismatches.push({ where, what: 'Show answer after a right answer: the page offers it only before' });
    if (!result.ok) mismatches.push({ where, what: `the engine refused this prediction in the replay (${result.error})` });
    items.push({
      step: n,
      prompt: String(step.prompt ?? ''),
      actual: result.ok ? result.actual : undefined,
      ok: result.ok,
      answered: p !== undefined,
      tries,
      revealed: firstRight < 0 && p?.revealed === true,
      rightOn: firstRight >= 0 ? firstRight + 1 : null,
    });
  });
  const right = items.filter((it) => it.tries[0]?.right).length;
  const of = items.length;
  if (claimed && (claimed.right !== right || claimed.of !== of)) {
    mismatches.push({ where: 'Score', what: `the link says ${claimed.right} of ${claimed.of} right first time, the replay gives ${right} of ${of}` });
  }
  const unanswered = items.filter((it) => it.tries.length === 0 && !it.revealed).length;
  return { items, right, of, unanswered, mismatches };
}

/** The score in words, as the lesson panel and the summary say it. */
export function scoreText(s) {
  if (s.of === 0) return 'No predictions to score';
  return `Predictions: ${s.right} of ${s.of} right first time${s.unanswered ? ` (${s.unanswered} not answered)` : ''}`;
}

/** An item's verdict in words. */
function verdict(it) {
  if (!it.ok) return 'refused by the engine';
  if (it.rightOn === 1) return 'right first time';
  if (it.rightOn) return `right on try ${it.rightOn}`;
  const wrong = it.tries.length ? `, after ${plural(it.tries.length, 'wrong try', 'wrong tries')}` : '';
  if (it.revealed) return `Show answer${wrong}`;
  return it.tries.length ? `not answered right${wrong}` : 'not answered';
}

// The summary table's columns. Each cell also carries its column's name
// (data-label), which a phone shows beside it when the rows are stacked.
const COLUMNS = ['#', 'Step', 'Prediction', 'Answers, in order', 'Engine\'s value', 'Result'];

/**
 * Draws the completion record into `el`: who and which lesson, the score,
 * what does not match, and a table of the predictions. Everything from the
 * link (names, prompts, answers) goes in as text. `info`: {title, lesson:
 * {file, title} | null, sources, student, steps, cursor, problems: [{where,
 * what}], recordError}; `actions`: {print, close}.
 */
export function renderSummary(el, summary, info, actions) {
  const problems = [...info.problems, ...summary.mismatches];
  const subject = info.lesson
    ? h('p', { id: 'summary-lesson' }, h('strong', {}, 'Lesson: '), info.lesson.title, ' ', h('span', { class: 'muted' }, `(${info.lesson.file})`))
    : h('p', { id: 'summary-lesson' }, h('strong', {}, 'Session: '), info.title, ' ', h('span', { class: 'muted' }, '(not one of this site\'s lessons)'));
  const rows = summary.items.map((it, i) => h('tr', { dataset: { step: String(it.step) }, class: it.tries[0]?.right ? 'first' : null },
    h('td', { class: 'num', 'data-label': COLUMNS[0] }, String(i + 1)),
    h('td', { class: 'num', 'data-label': COLUMNS[1] }, String(it.step)),
    h('td', { class: 'prompt', 'data-label': COLUMNS[2] }, it.prompt),
    h('td', { class: 'answers', 'data-label': COLUMNS[3] }, it.tries.length || it.revealed
      ? [...it.tries.map((t) => h('span', { class: `try ${t.right ? 'right' : 'wrong'}${t.claimed !== t.right ? ' mismatch' : ''}` },
        `${t.right ? '✓' : '✗'} ${pretty(t.answer)}${t.claimed !== t.right ? ` (link says ${t.claimed ? 'right' : 'wrong'})` : ''}`)),
      it.revealed ? h('span', { class: 'try revealed' }, 'Show answer') : null].filter(Boolean).flatMap((x, j) => (j ? [', ', x] : [x]))
      : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'actual', 'data-label': COLUMNS[4] }, it.ok ? h('code', {}, pretty(it.actual)) : '—'),
    h('td', { class: 'verdict', 'data-label': COLUMNS[5] }, verdict(it))));
  fill(el,
    h('div', { class: 'summary-head' },
      h('h2', { id: 'summary-title' }, 'Completion record'),
      h('div', { class: 'summary-actions' },
        h('button', { type: 'button', id: 'summary-print', onclick: actions.print }, 'Print summary'),
        h('button', { type: 'button', id: 'summary-close', 'aria-label': 'Close the completion record', onclick: actions.close }, '×'))),
    subject,
    info.student !== undefined ? h('p', { id: 'summary-student' }, h('strong', {}, 'Student: '), info.student || '(no name given)',
      ' ', h('span', { class: 'muted' }, '(as the link gives it)')) : null,
    info.sources?.length ? h('p', { class: 'sources', id: 'summary-sources' }, h('strong', {}, 'Reading: '), info.sources.join('; ')) : null,
    h('p', { id: 'summary-session' }, `Replayed here from the link: ${plural(info.steps, 'step')}, shown at step ${info.cursor}.`),
    h('p', { class: 'summary-score', id: 'summary-score' }, scoreText(summary)),
    problems.length
      ? h('div', { class: 'summary-mismatch', id: 'summary-mismatch', role: 'alert' },
        h('strong', {}, `Does not match: ${plural(problems.length, 'claim', 'claims')} in this link ${problems.length === 1 ? 'disagrees' : 'disagree'} with the replay.`),
        h('ul', {}, problems.map((p) => h('li', {}, h('strong', {}, `${p.where}: `), p.what))))
      : h('p', { class: 'summary-ok', id: 'summary-ok' }, '✓ Everything the link claims matches the replay.'),
    summary.items.length
      ? h('div', { class: 'summary-scroll' }, h('table', { class: 'summary-table', id: 'summary-table' },
        h('thead', {}, h('tr', {}, COLUMNS.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, 'This session has no predictions.'),
    h('p', { class: 'summary-foot muted' }, 'Right and wrong, and the score, are worked out by this page from the engine\'s values in its own replay of the session; what the link says is only compared with them.'));
}
