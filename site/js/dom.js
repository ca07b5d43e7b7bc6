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
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
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
    else out.push(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function patchChildren(el, fresh) {
  const old = el.childNodes;
  for (let i = 0; i < fresh.length; i++) {
    const n = fresh[i], o = old[i];
    if (!o) el.appendChild(n);
    else if (o.nodeType === n.nodeType && o.nodeName === n.nodeName && o.dataset?.renew === n.dataset?.renew) patchNode(o, n);
    else el.replaceChild(n, o);
  }
  while (old.length > fresh.length) el.removeChild(el.lastChild);
}

function patchNode(o, n) {
  if (n.nodeType !== Node.ELEMENT_NODE) {
    if (o.data !== n.data) o.data = n.data;
    return;
  }
  for (const name of o.getAttributeNames()) if (!n.hasAttribute(name)) o.removeAttribute(name);
  for (const name of n.getAttributeNames()) {
    const v = n.getAttribute(name);
    if (o.getAttribute(name) !== v) o.setAttribute(name, v);
  }
  if (o.__on || n.__on) {
    o.__on = {};
    for (const [type, fn] of Object.entries(n.__on ?? {})) listen(o, type, fn);
  }
  patchChildren(o, [...n.childNodes]);
  // Form state is a property, not an attribute: take the new one.
  if (o.nodeName === 'INPUT' || o.nodeName === 'SELECT' || o.nodeName === 'TEXTAREA') {
    if (o.value !== n.value) o.value = n.value;
    if (o.checked !== n.checked) o.checked = n.checked;
  }
  if (o.nodeName === 'DETAILS' && o.open !== n.open) o.open = n.open;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Compact JSON for display. */
export function json(value) {
  return JSON.stringify(value);
}
