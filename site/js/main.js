// Wiring: every user action has the same shape. Take the action on the
// history (which forks it if we had stepped back), then re-render.
import { loadModule, Simulator } from './engine.js';
import { History } from './history.js';
import { h, fill } from './dom.js';
import { renderLog, renderStorage, renderStream, renderConsumers } from './render.js';
import {
  encodeSession, decodeSession, parseScenarioFile, saveToStorage, loadFromStorage,
  clearStorage, debeziumNdjson, download,
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

function openSession(scenario, cursor, lesson = null) {
  stopPlaying();
  page.history?.dispose();
  page.history = new History(page.module, scenario);
  page.history.goTo(cursor ?? page.history.steps.length);
  page.lesson = lesson;
  page.leftLessonAt = null;
  page.fork = null;
  clearErrors();
  $('get-result').textContent = '';
  $('lesson-picker').value = lesson?.file ?? '';
  render();
}

async function fetchJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function openLesson(file, step = 0) {
  const entry = page.lessons.find((l) => l.file === file || l.file === `${file}.json`);
  if (!entry) throw new Error(`lesson: no lesson named '${file}'`);
  const scenario = await fetchJson(`lessons/${entry.file}`);
  openSession(scenario, Math.min(step, scenario.steps.length),
    { file: entry.file, title: scenario.title, description: scenario.description ?? '', scenario });
}

function sameStep(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** True while the history is still the lesson's script. */
function onScript() {
  const { lesson, history } = page;
  if (!lesson) return false;
  const script = lesson.scenario.steps;
  return history.steps.length === script.length && history.steps.every((s, i) => sameStep(s, script[i]));
}

function save() {
  if (page.embed) return;
  const { scenario, cursor } = page.history.toSession();
  const session = { scenario, cursor };
  if (page.lesson && onScript()) session.lesson = page.lesson.file;
  saveToStorage(session);
}

// ---------------------------------------------------------------- actions

/** Takes a step as the student's own action; returns the result. */
function act(step, errorEl) {
  stopPlaying();
  clearErrors();
  const wasOnScript = onScript();
  const at = page.history.cursor;
  const { result, discarded } = page.history.act(step);
  if (!result.ok) {
    if (typeof errorEl === 'string') page.consumerErrors[errorEl] = result.error;
    else if (errorEl) errorEl.textContent = result.error;
    render();
    return result;
  }
  if (discarded.length) page.fork = { at, discarded, wasOnScript };
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
    expect: () => 'check',
  }[step.op]?.() ?? step.op;
  if (!result.ok) return `${what}: refused (${result.error})`;
  if (step.op === 'put' || step.op === 'delete') {
    const kind = { c: 'create', u: 'update', d: 'delete' }[result.event?.op];
    return result.event ? `${what}: log entry LSN ${result.event.lsn}, change event ${result.event.op} (${kind})` : `${what}: key absent, nothing written`;
  }
  if (step.op === 'flush') return `${what}: ${result.delivered} change event${result.delivered === 1 ? '' : 's'} delivered`;
  if (step.op === 'step') return result.event ? `${what}: processed LSN ${result.event.lsn}` : `${what}: nothing pending`;
  if (step.op === 'add_consumer' || step.op === 'rebuild') return `${what}: position ${result.position}`;
  if (step.op === 'expect') return 'check passed';
  return what;
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
    cs.textContent = 'Step 0: the beginning, before any step.';
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

function render() {
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
    $('get-result').textContent = `get ${current.step.key} → ${JSON.stringify(current.result.value)}`;
  } else {
    $('get-result').textContent = '';
  }
  document.title = `${page.lesson ? page.lesson.title : history.title} · step ${history.cursor} · Unbundled`;
  save();
}

const QUERY_FIELD = { secondary_index: 'value', materialized_view: 'group', full_text: 'text' };

const consumerActions = {
  step: (name) => act({ op: 'step', consumer: name }, name),
  flush: (name) => act({ op: 'flush', consumer: name }, name),
  rebuild: (name) => act({ op: 'rebuild', consumer: name }, name),
  remove: (name) => act({ op: 'remove_consumer', consumer: name }, name),
  query: (c, text) => act({ op: 'query', consumer: c.name, [QUERY_FIELD[c.type]]: text }, c.name),
};

// ---------------------------------------------------------------- controls

function checkValue() {
  const el = $('value-check');
  try {
    const v = JSON.parse($('value').value);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be a JSON object, like {"name": "Ada"}');
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
  return target instanceof HTMLElement && (target.matches('input:not([type=range]):not([type=radio]), textarea, select') || target.isContentEditable);
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
    try {
      if (file) await openLesson(file);
      else openSession(SANDBOX, 0);
    } catch (e) {
      notice(`Could not open the lesson: ${e.message}`, 'error');
    }
  });
  $('lesson-return').addEventListener('click', () => {
    const at = page.leftLessonAt ?? 0;
    const lesson = page.lesson;
    openSession(lesson.scenario, at, lesson);
  });

  $('reset').addEventListener('click', () => {
    clearStorage();
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
    try {
      const scenario = parseScenarioFile(page.module, await file.text());
      openSession(scenario, scenario.steps.length);
      notice(`Imported “${scenario.title}” (${scenario.steps.length} steps).`);
    } catch (e) {
      $('import-error').textContent = `Could not import ${file.name}: ${e.message}. Nothing was changed.`;
    }
  });
  $('text-size').addEventListener('click', () => {
    const on = document.body.classList.toggle('large');
    $('text-size').setAttribute('aria-pressed', String(on));
    $('text-size').textContent = on ? 'A−' : 'A+';
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
      f: () => act({ op: 'flush' }, $('flush-error')),
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
    $('lesson').append(h('a', { class: 'open-full', href: full.href, target: '_blank', rel: 'noopener' },
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
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('s')) {
    try {
      const s = await decodeSession(page.module, hash.get('s'));
      const lesson = s.lesson && page.lessons.find((l) => l.file === s.lesson);
      if (lesson) {
        await openLesson(lesson.file, s.cursor);
        if (!onScript()) openSession(s.scenario, s.cursor);
      } else {
        openSession(s.scenario, s.cursor);
      }
      return;
    } catch (e) {
      history.replaceState(null, '', location.pathname + location.search);
      notice(`This share link is damaged or was changed (${e.message}), so an empty session was started instead.`, 'error');
      openSession(SANDBOX, 0);
      return;
    }
  }
  if (params.has('lesson')) {
    const step = Number.parseInt(params.get('step') ?? '0', 10);
    try {
      await openLesson(params.get('lesson'), Number.isFinite(step) && step > 0 ? step : 0);
      return;
    } catch (e) {
      notice(`${e.message}. Showing an empty session instead.`, 'error');
      openSession(SANDBOX, 0);
      return;
    }
  }
  let saved = null;
  try {
    saved = loadFromStorage(page.module);
  } catch (e) {
    notice(`Your saved session could not be read (${e.message}) and was discarded.`, 'error');
  }
  if (saved) {
    try {
      const lesson = saved.lesson && page.lessons.find((l) => l.file === saved.lesson);
      if (lesson) await openLesson(lesson.file, saved.cursor);
      if (!lesson || !onScript()) openSession(saved.scenario, saved.cursor);
      return;
    } catch (e) {
      clearStorage();
      notice(`Your saved session could not be read (${e.message}) and was discarded.`, 'error');
    }
  }
  openSession(SANDBOX, 0);
}

start();
