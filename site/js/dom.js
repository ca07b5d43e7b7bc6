// A tiny element builder. Strings always become text nodes, so user text
// (keys, values, names) is rendered as text, never parsed as HTML.

/** h('div', {class: 'x', onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) listen(el, k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') el.style.cssText = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Keyed) el.append(make(c));
    else if (c instanceof Node) {
      // A list() below it stays unbuilt until patch() or fill() puts it in the page.
      if (c.__items || c.__lazy) el.__lazy = true;
      el.append(c);
    } else el.append(document.createTextNode(String(c)));
  }
}

// ---------------------------------------------------------------- keyed items
// A long list (the log strip, storage, the change stream, a state table) is
// drawn again at every step, and most of its items are the same as before
// (or the same, one place over). keyed(key, build) stands for the node
// build() makes, where `key` names everything that node shows and does (its
// text, attributes, and what its handlers use): patch() keeps the node the
// page already has under that key, moving it if need be, and calls build()
// only for the keys it does not have. list(el, items) gives an element its
// items (nodes, text, keyed()) without building them yet: patch() matches
// them against the page's, and fill() or h() build them all.
class Keyed {
  constructor(key, build) {
    this.key = key;
    this.build = build;
  }
}
export function keyed(key, build) {
  return new Keyed(String(key), build);
}
/** `el` (built with no children) with `items` as its children, matched by patch() against the page's. */
export function list(el, ...items) {
  el.__items = items;
  return el;
}
/**
 * Marks a node patch() kept under a key as no longer what its key says (the
 * student changed it: a <details> opened): the next patch() replaces it.
 */
export function stale(node) {
  if (node && node.__key !== undefined) node.__key = null;
}

// A node ready to go into the page: keyed items built, lists filled.
function make(n) {
  if (n instanceof Keyed) {
    const el = materialize(n.build());
    el.__key = n.key;
    return el;
  }
  return materialize(n);
}
function materialize(n) {
  if (n.__items) {
    const items = n.__items;
    n.__items = null;
    const out = [];
    collect(out, items);
    for (const c of out) n.appendChild(make(c));
  } else if (n.__lazy) {
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.__items || c.__lazy) materialize(c);
  }
  if (n.__lazy) n.__lazy = false;
  return n;
}

// Listeners set through h() are kept in el.__on and reached through one
// dispatcher per event type, so that patch() can hand an element's new
// listeners to the element it keeps.
function dispatch(ev) {
  this.__on?.[ev.type]?.call(this, ev);
}
function listen(el, type, fn) {
  el.__on ??= {};
  el.__types ??= new Set();
  el.__on[type] = fn;
  if (!el.__types.has(type)) {
    el.__types.add(type);
    el.addEventListener(type, dispatch);
  }
}

/**
 * Makes an element's children equal to `children` (as fill() would), but
 * keeps every existing node that matches the new one in its place (same
 * tag, at the same index) and changes only what differs: its attributes,
 * text, listeners set through h(), form values and children. The browser
 * then restyles and lays out only what changed, not the whole panel.
 * Handlers must not hold the new nodes they were built with (they may be
 * thrown away): they read the element from the event (ev.currentTarget).
 */
export function patch(el, ...children) {
  const fresh = [];
  collect(fresh, children);
  patchChildren(el, fresh);
}

function collect(out, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) collect(out, c);
    else out.push(c instanceof Node || c instanceof Keyed ? c : document.createTextNode(String(c)));
  }
}

function patchChildren(el, fresh) {
  // Keyed items take the node the page has under their key (each once);
  // the page's keyed nodes no item takes go first, so that what follows
  // them is matched in place instead of shifted. One that holds the
  // keyboard focus stays, to be patched in place as an unkeyed node is.
  let used = null, held = null;
  if (fresh.some((n) => n instanceof Keyed)) {
    const byKey = new Map();
    const active = document.activeElement;
    for (let c = el.firstChild; c;) {
      const next = c.nextSibling;
      if (c.__key !== undefined) {
        if (c.__key !== null && !byKey.has(c.__key)) byKey.set(c.__key, c);
        else if (active && c.contains(active)) held = c;
        else el.removeChild(c);
      }
      c = next;
    }
    used = new Set();
    fresh = fresh.map((n) => {
      if (!(n instanceof Keyed)) return n;
      const o = byKey.get(n.key);
      if (o === undefined || used.has(o)) return n;
      used.add(o);
      return o;
    });
    for (const o of byKey.values()) {
      if (used.has(o)) continue;
      if (active && o.contains(active)) held = o;
      else el.removeChild(o);
    }
  }
  const old = el.childNodes;
  for (let i = 0; i < fresh.length; i++) {
    let n = fresh[i];
    const o = old[i];
    if (n === o) continue;
    if (!o) el.appendChild(used?.has(n) ? n : make(n));
    // A kept node in another place moves; a new keyed node, or a node before
    // a kept one, goes in before what is there (which keeps its node).
    else if (used !== null && (used.has(n) || used.has(o) || (n instanceof Keyed && o !== held))) el.insertBefore(used.has(n) ? n : make(n), o);
    else {
      if (n instanceof Keyed) n = make(n);
      if (o.nodeType === n.nodeType && o.nodeName === n.nodeName && o.dataset?.renew === n.dataset?.renew) patchNode(o, n);
      else el.replaceChild(make(n), o);
    }
  }
  while (old.length > fresh.length) el.removeChild(el.lastChild);
}

function patchNode(o, n) {
  // It is now what n is: keyed as n is (or not).
  if (o.__key !== n.__key) o.__key = n.__key;
  if (n.nodeType !== Node.ELEMENT_NODE) {
    if (o.data !== n.data) o.data = n.data;
    return;
  }
  // A field marked data-keep holds what the student types (a query): it
  // keeps it while the new one is marked with the same name (the same
  // consumer's field, with no value of its own to show).
  const keep = n.dataset.keep !== undefined && o.dataset.keep === n.dataset.keep;
  for (const name of o.getAttributeNames()) if (!n.hasAttribute(name)) o.removeAttribute(name);
  for (const name of n.getAttributeNames()) {
    const v = n.getAttribute(name);
    if (o.getAttribute(name) !== v) o.setAttribute(name, v);
  }
  if (o.__on || n.__on) {
    o.__on = {};
    for (const [type, fn] of Object.entries(n.__on ?? {})) listen(o, type, fn);
  }
  if (n.__items) {
    const items = [];
    collect(items, n.__items);
    patchChildren(o, items);
  } else {
    patchChildren(o, [...n.childNodes]);
  }
  // Form state is a property, not an attribute: take the new one.
  if (!keep && (o.nodeName === 'INPUT' || o.nodeName === 'SELECT' || o.nodeName === 'TEXTAREA')) {
    if (o.value !== n.value) o.value = n.value;
    if (o.checked !== n.checked) o.checked = n.checked;
  }
  if (o.nodeName === 'DETAILS' && o.open !== n.open) o.open = n.open;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  const out = [];
  collect(out, children);
  for (const c of out) el.appendChild(make(c));
}

/** Compact JSON for display. */
export function json(value) {
  return JSON.stringify(value);
}

/**
 * A whole number with its thousands grouped, as toLocaleString('en') writes
 * it ("12,345"). Not toLocaleString itself: its first call in a page loads
 * the ICU number formats, 70-190 ms with the CPU throttled 4x (the operator
 * panel, drawn on every page load; the import's first progress label, a
 * task of 66-109 ms in the middle of an import).
 */
export const grouped = (n) => (Number.isSafeInteger(n) && !Object.is(n, -0) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en'));

/**
 * A count and its noun: "1 row", "2 rows", "63,260 rows" (`many`: the
 * plural, if not word + "s"). The count is grouped, as the progress box's
 * are; an LSN, a name and not a count, is not.
 */
export const plural = (n, word, many) => `${grouped(n)} ${n === 1 ? word : (many ?? `${word}s`)}`;
