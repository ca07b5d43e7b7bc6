// Wiring: every user action has the same shape. Take the action on the
// history (which forks it if we had stepped back), then re-render.
import { loadModule, Simulator } from './engine.js';
import { History } from './history.js';
import { h, fill } from './dom.js';
import { renderLog, renderStorage, renderStream, renderConsumers, pretty, QUERY_FIELD, resetColours } from './render.js';
import {
  encodeSession, decodeSession, parseScenarioFile, saveToStorage, loadFromStorage,
  clearStorage, debeziumNdjson, download, SLOT_CURRENT, SLOT_SANDBOX,
} from './share.js';

const $ = (id) => document.getElementById(id);

const SANDBOX = {
  title: 'Sandbox',
  consumers: [
    { name: 'users_by_city', type: 'secondary_index', field: 'city' },
    { name: 'city_stats', type: 'materialized_view', group_by: 'city', sum: 'age' },
  ],
  steps: [],
};

const page = {
  module: null,
  history: null,
  lesson: null,        // {file, title, description, steps} while a lesson is open
  leftLessonAt: null,  // the step at which the student left the lesson's script
  fork: null,          // {at, discarded} after the last fork
  playing: null,       // interval id
  consumerErrors: {},
  embed: false,
  lessons: [],
  holdSave: false,     // after a damaged link: keep the saved work until the student acts
};

// ---------------------------------------------------------------- notices

function notice(text, kind = 'info') {
  const el = h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, text),
    h('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss', onclick: () => el.remove() }, '×'));
  $('notices').append(el);
}

function clearErrors() {
  for (const id of ['write-error', 'flush-error', 'consumer-error', 'import-error']) $(id).textContent = '';
  page.consumerErrors = {};
}

// ---------------------------------------------------------------- sessions

function clearNotices() {
  $('notices').replaceChildren();
}

function openSession(scenario, cursor, lesson = null) {
  stopPlaying();
  $('share-box').hidden = true;
  page.history?.dispose();
  page.history = new History(page.module, scenario);
  resetColours();
  page.history.goTo(cursor ?? page.history.steps.length);
  page.lesson = lesson;
  page.leftLessonAt = null;
  page.fork = null;
  clearErrors();
  $('get-result').textContent = '';
  $('lesson-picker').value = lesson?.file ?? '';
  // Offer the session's own kind of document in the write form.
  const example = scenario.steps.find((s) => s.op === 'put' && typeof s.key === 'string');
  $('key').value = example ? example.key : 'u1';
  $('value').value = example ? pretty(example.value) : '{"name": "Ada Lovelace", "city": "London", "age": 36}';
  checkValue();
  render();
}

async function fetchJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function openLesson(file, step = 0, scenario = null) {
  const entry = page.lessons.find((l) => l.file === file || l.file === `${file}.json`);
  if (!entry) throw new Error(`lesson: no lesson named '${file}'`);
  scenario ??= await fetchJson(`lessons/${entry.file}`);
  openSession(scenario, Math.min(step, scenario.steps.length),
    { file: entry.file, title: scenario.title, description: scenario.description ?? '', scenario });
}

function sameSteps(a, b) {
  return a.length === b.length && a.every((step, i) => JSON.stringify(step) === JSON.stringify(b[i]));
}

/** True while the history is still the lesson's script. */
function onScript() {
  const { lesson, history } = page;
  if (!lesson) return false;
  const script = lesson.scenario.steps;
  return sameSteps(history.steps, script);
}

// The session is saved on every render, so a reload keeps it. The sandbox is
// also kept in a slot of its own, so that opening a lesson and coming back
// to the sandbox does not lose it.
function save() {
  if (page.embed || page.holdSave) return;
  const { scenario, cursor } = page.history.toSession();
  const session = { scenario, cursor };
  if (page.lesson && onScript()) session.lesson = page.lesson.file;
  saveToStorage(SLOT_CURRENT, session);
  if (!page.lesson) saveToStorage(SLOT_SANDBOX, session);
}

/** Opens the saved sandbox, or a fresh one. */
function openSandbox() {
  let saved = null;
  try {
    saved = loadFromStorage(page.module, SLOT_SANDBOX);
  } catch (e) {
    notice(`Your saved sandbox could not be read (${e.message}) and was discarded.`, 'error');
  }
  try {
    if (saved) return openSession(saved.scenario, saved.cursor);
  } catch (e) {
    clearStorage(SLOT_SANDBOX);
    notice(`Your saved sandbox could not be replayed (${e.message}) and was discarded.`, 'error');
  }
  return openSession(SANDBOX, 0);
}

// ---------------------------------------------------------------- actions

/** Takes a step as the student's own action; returns the result. */
function act(step, errorEl) {
  stopPlaying();
  clearErrors();
  clearNotices();
  page.holdSave = false;
  $('share-box').hidden = true;
  const wasOnScript = onScript();
  const at = page.history.cursor;
  const { result, discarded } = page.history.act(step);
  if (!result.ok) {
    if (typeof errorEl === 'string') page.consumerErrors[errorEl] = result.error;
    else if (errorEl) errorEl.textContent = result.error;
    render();
    return result;
  }
  if (discarded.length) page.fork = { at, discarded };
  else page.fork = null;
  if (page.lesson && wasOnScript && !onScript()) page.leftLessonAt = at;
  render();
  return result;
}

function goTo(i) {
  page.history.goTo(i);
  clearErrors();
  render();
}

function stopPlaying() {
  if (page.playing !== null) clearInterval(page.playing);
  page.playing = null;
  $('play').textContent = '▶ Play';
  $('play').setAttribute('aria-pressed', 'false');
}

function togglePlay() {
  if (page.playing !== null) return stopPlaying();
  const h = page.history;
  if (h.cursor >= h.steps.length) h.goTo(0);
  $('play').textContent = '❚❚ Pause';
  $('play').setAttribute('aria-pressed', 'true');
  const tick = () => {
    if (page.history.cursor >= page.history.steps.length) return stopPlaying();
    goTo(page.history.cursor + 1);
    if (page.history.cursor >= page.history.steps.length) stopPlaying();
  };
  page.playing = setInterval(tick, Number($('speed').value));
  render();
}

// ---------------------------------------------------------------- rendering

function describeStep(step, result) {
  const what = {
    put: () => `put ${step.key}`,
    delete: () => `delete ${step.key}`,
    get: () => `get ${step.key}`,
    flush: () => (step.consumer ? `flush ${step.consumer}` : 'flush all consumers'),
    step: () => `step ${step.consumer} by one change event`,
    add_consumer: () => `add consumer ${step.consumer?.name} by ${step.mode ?? 'snapshot'}`,
    remove_consumer: () => `remove consumer ${step.consumer}`,
    rebuild: () => `rebuild ${step.consumer}`,
    query: () => `query ${step.consumer}`,
    expect: () => `check ${describeExpect(step)}`,
  }[step.op]?.() ?? step.op;
  if (!result.ok) return `${what}: refused (${result.error})`;
  if (step.op === 'put' || step.op === 'delete') {
    const kind = { c: 'create', u: 'update', d: 'delete' }[result.event?.op];
    return result.event ? `${what}: log entry LSN ${result.event.lsn}, change event ${result.event.op} (${kind})` : `${what}: key absent, nothing written`;
  }
  if (step.op === 'flush') return `${what}: ${result.delivered} change event${result.delivered === 1 ? '' : 's'} delivered`;
  if (step.op === 'step') return result.event ? `${what}: processed LSN ${result.event.lsn}` : `${what}: nothing pending`;
  if (step.op === 'add_consumer' || step.op === 'rebuild') return `${what}: position ${result.position}`;
  if (step.op === 'expect') return `${what}: holds`;
  if (step.op === 'query') return `${what}: ${pretty(result.result)}`;
  return what;
}

function describeExpect(step) {
  const parts = [];
  if ('head' in step) parts.push(`the head is LSN ${step.head}`);
  if ('key' in step) parts.push(step.value === null ? `storage has no ${step.key}` : `storage holds ${step.key} = ${pretty(step.value)}`);
  if ('position' in step) parts.push(`${step.consumer} is at position ${step.position}`);
  if ('lag' in step) parts.push(`${step.consumer} lags by ${step.lag}`);
  if ('query' in step) parts.push(`${step.consumer} answers ${pretty(step.query)} with ${pretty(step.result)}`);
  return parts.join('; ');
}

// What storage would answer to the current query: a throwaway engine, loaded
// with storage's rows and a consumer of the same definition by snapshot.
function freshAnswer(state, current) {
  if (!current || current.step.op !== 'query' || !current.result.ok) return undefined;
  const consumer = state.consumers.find((c) => c.name === current.step.consumer);
  if (!consumer) return undefined;
  const scratch = new Simulator(page.module);
  try {
    for (const [key, value] of Object.entries(state.storage.data)) scratch.apply({ op: 'put', key, value });
    scratch.apply({ op: 'add_consumer', consumer: { name: 'fresh', type: consumer.type, ...consumer.config } });
    const { op, consumer: _, note, ...query } = current.step;
    return scratch.apply({ op: 'query', consumer: 'fresh', ...query }).result;
  } finally {
    scratch.dispose();
  }
}

function renderTimeline() {
  const { history } = page;
  const n = history.steps.length;
  $('slider').max = String(n);
  $('slider').value = String(history.cursor);
  $('step-label').textContent = `step ${history.cursor} of ${n}`;
  $('back').disabled = history.cursor === 0;
  $('forward').disabled = history.cursor === n;
  const current = history.current();
  const cs = $('current-step');
  if (current) {
    cs.textContent = `Step ${current.index}: ${describeStep(current.step, current.result)}`;
    cs.className = `current-step${current.result.ok ? '' : ' refused'}`;
  } else {
    cs.textContent = page.lesson || page.history.steps.length
      ? 'Step 0: the beginning, before any step.'
      : 'Step 0: an empty sandbox. New here? Pick “1. The log is the source of truth” from the Lesson menu, or put a document.';
    cs.className = 'current-step';
  }
  const fork = $('fork-notice');
  if (page.fork) {
    const k = page.fork.discarded.length;
    fill(fork, h('span', {}, `History forked at step ${page.fork.at}: you took a new action there, so the ${k} later step${k === 1 ? ' was' : 's were'} replaced.`),
      ' ', h('button', { type: 'button', id: 'undo-fork', onclick: undoFork }, `Bring back the ${k} step${k === 1 ? '' : 's'}`));
    fork.hidden = false;
  } else {
    fork.hidden = true;
  }
}

function undoFork() {
  const { at, discarded } = page.fork;
  page.history.goTo(at);
  page.history.restore(discarded);
  page.fork = null;
  if (page.lesson && onScript()) page.leftLessonAt = null;
  render();
}

function renderLesson() {
  const { lesson, history } = page;
  $('lesson').hidden = !lesson;
  if (!lesson) return;
  $('lesson-title').textContent = lesson.title;
  const script = onScript();
  $('lesson-offscript').hidden = script;
  if (script) {
    const n = lesson.scenario.steps.length;
    $('lesson-progress').textContent = history.cursor === n ? `finished (${n} steps)` : `step ${history.cursor} of ${n}`;
    const current = history.current();
    $('lesson-note').textContent = current
      ? (current.step.note ?? '')
      : `${lesson.description} Press Next (or →) to begin.`;
  } else {
    $('lesson-progress').textContent = `paused at step ${page.leftLessonAt ?? 0}`;
    $('lesson-note').textContent = 'Your own steps are in the history too: step back and forward through them as usual.';
  }
}

// Re-rendering replaces the consumer cards; keep the keyboard focus on the
// equivalent control, and off controls that became disabled.
function focusKey() {
  const a = document.activeElement;
  const card = a?.closest?.('article.card');
  if (!card) return null;
  return { consumer: card.dataset.consumer, action: a.dataset.action ?? null, name: a.name ?? null };
}

function restoreFocus(key) {
  if (key) {
    const card = [...document.querySelectorAll('article.card')].find((c) => c.dataset.consumer === key.consumer);
    const el = card && (key.action ? card.querySelector(`[data-action="${key.action}"]`) : card.querySelector(`[name="${key.name}"]`));
    if (el && !el.disabled) return el.focus();
    if (card) return card.querySelector('button:not(:disabled)')?.focus();
  }
  if (document.activeElement?.disabled) $('slider').focus();
}

function render() {
  const focus = focusKey();
  renderPage();
  restoreFocus(focus);
}

function renderPage() {
  const { history } = page;
  const state = history.state();
  const current = history.current();
  const moved = history.movedConsumers();
  renderTimeline();
  renderLesson();
  renderLog($('log'), state, current, moved);
  renderStorage($('storage'), $('storage-lsn'), state, current);
  renderStream($('stream'), state, current);
  renderConsumers($('consumers'), state, current, moved, consumerActions, freshAnswer(state, current), page.consumerErrors);
  if (current?.step.op === 'get' && current.result.ok) {
    $('get-result').textContent = `get ${current.step.key} → ${pretty(current.result.value)}`;
  } else if (current?.step.op === 'delete' && current.result.ok && !current.result.event) {
    $('get-result').textContent = `delete ${current.step.key}: no such key, so nothing was written to the log.`;
  } else {
    $('get-result').textContent = '';
  }
  if (page.embed) {
    const full = new URL(location.href);
    full.searchParams.delete('embed');
    full.searchParams.set('step', String(history.cursor));
    $('open-full').href = full.href;
  }
  document.title = `${page.lesson ? page.lesson.title : history.title} · step ${history.cursor} · Unbundled`;
  save();
}

const consumerActions = {
  step: (name) => act({ op: 'step', consumer: name }, name),
  flush: (name) => act({ op: 'flush', consumer: name }, name),
  rebuild: (name) => act({ op: 'rebuild', consumer: name }, name),
  remove: (name) => act({ op: 'remove_consumer', consumer: name }, name),
  query: (c, text) => act({ op: 'query', consumer: c.name, [QUERY_FIELD[c.type]]: text }, c.name),
};

// ---------------------------------------------------------------- controls

// A number JSON.parse turns into Infinity would be stored as null.
function hasHugeNumber(v) {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v && typeof v === 'object') return Object.values(v).some(hasHugeNumber);
  return false;
}

function checkValue() {
  const el = $('value-check');
  try {
    let v;
    try {
      v = JSON.parse($('value').value);
    } catch (e) {
      const hint = /property name|Unexpected token|Bad control/.test(e.message)
        ? ' (names and strings need "double quotes")' : '';
      throw new Error(`${e.message}${hint}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be a JSON object, like {"name": "Ada"}');
    if (hasHugeNumber(v)) throw new Error('a number is too large to store (it would become null)');
    el.textContent = '✓ a valid JSON object';
    el.className = 'check ok';
    $('value').removeAttribute('aria-invalid');
    return v;
  } catch (e) {
    el.textContent = `value: ${e.message}`;
    el.className = 'check bad';
    $('value').setAttribute('aria-invalid', 'true');
    return undefined;
  }
}

const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Leslie', 'Margaret', 'Tim'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lamport', 'Hamilton', 'Berners-Lee'];
const CITIES = ['London', 'Paris', 'Oslo', 'Lagos', 'Lima', 'Pune'];
const BIOS = ['Writes about logs and streams', 'Builds search indexes', 'Replicates databases', 'Designs consensus protocols', 'Tunes storage engines', 'Teaches distributed systems'];
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

function randomUser() {
  const taken = new Set(Object.keys(page.history.state().storage.data));
  let n = taken.size + 1;
  while (taken.has(`u${n}`)) n++;
  $('key').value = `u${n}`;
  $('value').value = JSON.stringify({ name: `${pick(FIRST)} ${pick(LAST)}`, city: pick(CITIES), age: 20 + Math.floor(Math.random() * 50), bio: pick(BIOS) });
  checkValue();
}

const CONFIG_FIELDS = {
  secondary_index: [['field', 'city', 'field to index', true]],
  materialized_view: [['group_by', 'city', 'group by field', true], ['sum', 'age', 'sum field (optional)', false]],
  full_text: [['fields', 'name, bio', 'fields, comma-separated (optional: empty means every string field)', false]],
};

function renderConfigFields() {
  const type = $('consumer-type').value;
  fill($('config-fields'), CONFIG_FIELDS[type].map(([name, value, label]) =>
    h('label', {}, label, h('input', { type: 'text', name, value, spellcheck: 'false', dataset: { config: name } }))));
  const suggested = { secondary_index: 'users_by_age', materialized_view: 'age_stats', full_text: 'search' }[type];
  const names = new Set(page.history?.state().consumers.map((c) => c.name) ?? []);
  let name = suggested;
  for (let i = 2; names.has(name); i++) name = `${suggested}_${i}`;
  $('consumer-name').value = name;
}

function consumerSpecFromForm() {
  const spec = { name: $('consumer-name').value, type: $('consumer-type').value };
  for (const input of $('config-fields').querySelectorAll('input')) {
    const v = input.value.trim();
    if (input.name === 'fields') {
      if (v) spec.fields = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (v || CONFIG_FIELDS[spec.type].find(([n]) => n === input.name)[3]) {
      spec[input.name] = v;
    }
  }
  return spec;
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.matches('input:not([type=range]), textarea, select') || target.isContentEditable);
}

function wireControls() {
  $('value').addEventListener('input', checkValue);
  $('random-user').addEventListener('click', randomUser);
  $('write-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = checkValue();
    if (value === undefined) {
      $('write-error').textContent = $('value-check').textContent;
      return;
    }
    act({ op: 'put', key: $('key').value, value }, $('write-error'));
  });
  $('delete').addEventListener('click', () => act({ op: 'delete', key: $('key').value }, $('write-error')));
  $('get').addEventListener('click', () => act({ op: 'get', key: $('key').value }, $('write-error')));
  $('flush-all').addEventListener('click', () => act({ op: 'flush' }, $('flush-error')));
  $('consumer-type').addEventListener('change', renderConfigFields);
  $('consumer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const mode = document.querySelector('input[name=mode]:checked').value;
    const r = act({ op: 'add_consumer', mode, consumer: consumerSpecFromForm() }, $('consumer-error'));
    if (r.ok) renderConfigFields();
  });

  $('back').addEventListener('click', () => { stopPlaying(); goTo(page.history.cursor - 1); });
  $('forward').addEventListener('click', () => { stopPlaying(); goTo(page.history.cursor + 1); });
  $('play').addEventListener('click', togglePlay);
  $('slider').addEventListener('input', () => { stopPlaying(); goTo(Number($('slider').value)); });
  $('speed').addEventListener('change', () => { if (page.playing !== null) { stopPlaying(); togglePlay(); } });

  $('lesson-picker').addEventListener('change', async () => {
    const file = $('lesson-picker').value;
    page.holdSave = false;
    clearNotices();
    try {
      if (file) await openLesson(file);
      else openSandbox();
    } catch (e) {
      notice(`Could not open the lesson: ${e.message}`, 'error');
    }
    // The arrow keys now step through the lesson, not through the picker.
    $('forward').disabled ? $('slider').focus() : $('forward').focus();
  });
  $('lesson-return').addEventListener('click', () => {
    const at = page.leftLessonAt ?? 0;
    const lesson = page.lesson;
    openSession(lesson.scenario, at, lesson);
  });

  $('reset').addEventListener('click', () => {
    clearStorage(SLOT_CURRENT);
    clearStorage(SLOT_SANDBOX);
    clearNotices();
    page.holdSave = false;
    history.replaceState(null, '', location.pathname + location.search);
    openSession(SANDBOX, 0);
  });
  $('share').addEventListener('click', async () => {
    const session = page.history.toSession();
    if (page.lesson && onScript()) session.lesson = page.lesson.file;
    const url = `${location.origin}${location.pathname}#s=${await encodeSession(session)}`;
    $('share-box').hidden = false;
    $('share-url').value = url;
    $('share-url').select();
    try {
      await navigator.clipboard.writeText(url);
      $('share-status').textContent = 'Copied to the clipboard.';
    } catch {
      $('share-status').textContent = 'Copy it from the box.';
    }
  });
  $('export').addEventListener('click', () => {
    download('unbundled-session.json', `${JSON.stringify(page.history.toSession().scenario, null, 2)}\n`, 'application/json');
  });
  $('export-ndjson').addEventListener('click', () => {
    download('change-stream.ndjson', debeziumNdjson(page.history.state().events, Date.now()), 'application/x-ndjson');
  });
  $('import-file').addEventListener('change', async () => {
    const file = $('import-file').files[0];
    $('import-file').value = '';
    if (!file) return;
    clearErrors();
    clearNotices();
    try {
      const scenario = parseScenarioFile(page.module, await file.text());
      const replaced = new History(page.module, scenario);  // throws if a consumer cannot be added
      replaced.dispose();
      page.holdSave = false;
      openSession(scenario, scenario.steps.length);
      notice(`Imported “${scenario.title}” (${scenario.steps.length} steps).`);
    } catch (e) {
      $('import-error').textContent = `Could not import ${file.name}: ${e.message}. Nothing was changed.`;
    }
  });
  const setLarge = (on) => {
    document.documentElement.classList.toggle('large', on);
    $('text-size').setAttribute('aria-pressed', String(on));
    $('text-size').textContent = on ? 'A−' : 'A+';
  };
  try { setLarge(localStorage.getItem('unbundled.large') === '1'); } catch { /* no storage */ }
  $('text-size').addEventListener('click', () => {
    const on = !document.documentElement.classList.contains('large');
    setLarge(on);
    try { localStorage.setItem('unbundled.large', on ? '1' : '0'); } catch { /* no storage */ }
  });

  const help = $('help');
  const openHelp = () => { help.hidden = false; $('help-close').focus(); };
  const closeHelp = () => { help.hidden = true; $('help-button').focus(); };
  $('help-button').addEventListener('click', openHelp);
  $('help-close').addEventListener('click', closeHelp);
  help.addEventListener('click', (ev) => { if (ev.target === help) closeHelp(); });

  document.addEventListener('keydown', (ev) => {
    if (!help.hidden) {
      if (ev.key === 'Escape' || ev.key === '?') { ev.preventDefault(); closeHelp(); }
      if (ev.key === 'Tab') { ev.preventDefault(); $('help-close').focus(); }  // the dialog is modal
      return;
    }
    if (ev.altKey || ev.ctrlKey || ev.metaKey || isTyping(ev.target)) return;
    const onButton = ev.target instanceof HTMLElement && ev.target.matches('button, summary, a, label.button');
    const keys = {
      ArrowLeft: () => { stopPlaying(); goTo(page.history.cursor - 1); },
      ArrowRight: () => { stopPlaying(); goTo(page.history.cursor + 1); },
      Home: () => { stopPlaying(); goTo(0); },
      End: () => { stopPlaying(); goTo(page.history.steps.length); },
      ' ': onButton ? null : togglePlay,
      '?': openHelp,
      f: page.embed ? null : () => act({ op: 'flush' }, $('flush-error')),
    };
    const fn = keys[ev.key];
    if (fn) {
      ev.preventDefault();
      fn();
    }
  });
}

// ---------------------------------------------------------------- start

async function start() {
  try {
    page.module = await loadModule();
  } catch (e) {
    fill(document.querySelector('main'), h('p', { class: 'error' }, `The engine could not be loaded: ${e.message}`));
    return;
  }
  const params = new URLSearchParams(location.search);
  page.embed = params.get('embed') === '1';
  document.body.classList.toggle('embed', page.embed);
  if (page.embed) {
    const full = new URL(location.href);
    full.searchParams.delete('embed');
    $('lesson').append(h('a', { class: 'open-full', id: 'open-full', href: full.href, target: '_blank', rel: 'noopener' },
      'Open in the full simulator ↗'));
  }
  try {
    page.lessons = await fetchJson('lessons/index.json');
  } catch (e) {
    notice(`The lessons could not be loaded: ${e.message}`, 'error');
  }
  for (const l of page.lessons) $('lesson-picker').append(h('option', { value: l.file }, l.title));
  wireControls();
  renderConfigFields();

  // Which session to open: a share link, an embed, the saved one, or a sandbox.
  if (await openFromLink()) return;
  let saved = null;
  try {
    saved = loadFromStorage(page.module, SLOT_CURRENT);
  } catch (e) {
    notice(`Your saved session could not be read (${e.message}) and was discarded.`, 'error');
  }
  if (saved) {
    try {
      await openSaved(saved);
      return;
    } catch (e) {
      clearStorage(SLOT_CURRENT);
      notice(`Your saved session could not be read (${e.message}) and was discarded.`, 'error');
    }
  }
  openSandbox();
}

/** Opens a checked {scenario, cursor, lesson?}: as the lesson if it is still its script. */
async function openSaved(s) {
  const entry = s.lesson && page.lessons.find((l) => l.file === s.lesson);
  if (entry) {
    const lesson = await fetchJson(`lessons/${entry.file}`);
    if (sameSteps(lesson.steps, s.scenario.steps)) return openLesson(entry.file, s.cursor, lesson);
  }
  return openSession(s.scenario, s.cursor);
}

/**
 * Opens the session a link names (#s=... share link, or ?lesson=...&step=...),
 * if any. Outside embed mode the link is then taken off the address bar, so
 * that a reload keeps the student's own later steps. Returns true if the link
 * decided what to show (including an empty session for a damaged link).
 */
async function openFromLink() {
  const params = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.slice(1));
  const clean = () => {
    if (page.embed) return;
    params.delete('lesson');
    params.delete('step');
    const q = params.toString();
    history.replaceState(null, '', location.pathname + (q ? `?${q}` : ''));
  };
  if (hash.has('s')) {
    try {
      await openSaved(await decodeSession(page.module, hash.get('s')));
      clean();
    } catch (e) {
      clean();
      history.replaceState(null, '', location.pathname + location.search);
      notice(`This share link is damaged or was changed (${e.message}), so an empty session was started instead. Your saved work is kept: pick Sandbox or reload to get it back.`, 'error');
      page.holdSave = true;
      openSession(SANDBOX, 0);
    }
    return true;
  }
  if (params.has('lesson')) {
    const step = Number.parseInt(params.get('step') ?? '0', 10);
    try {
      await openLesson(params.get('lesson'), Number.isFinite(step) && step > 0 ? step : 0);
    } catch (e) {
      const names = page.lessons.map((l) => l.file.replace(/\.json$/, '')).join(', ');
      notice(`${e.message}. The lessons are: ${names}. Showing an empty session instead.`, 'error');
      page.holdSave = true;
      openSession(SANDBOX, 0);
    }
    clean();
    return true;
  }
  return false;
}

// Pasting a share link into the address bar of an open page changes only the
// fragment: load it as if the page had been opened with it.
window.addEventListener('hashchange', async () => {
  if (!page.module || !new URLSearchParams(location.hash.slice(1)).has('s')) return;
  clearNotices();
  await openFromLink();
});

start();
