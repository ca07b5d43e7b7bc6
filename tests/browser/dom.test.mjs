// site/js/dom.js in the browser: patch() with keyed items draws what a fresh
// fill() draws, and keeps the page's node under a key instead of building
// it again (what makes a step cheap at 100,000 entries).
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { start, closePages, openPage, assertClean } from './harness.mjs';

let env;
before(async () => { env = await start(); });
afterEach(closePages);
after(async () => { await env?.close(); });

test('patch() of random keyed and unkeyed items draws what a fresh fill() draws', async () => {
  const page = await openPage(env.browser, env.base);
  const problems = await page.evaluate(async () => {
    const { h, patch, keyed, list, fill, stale } = await import('/js/dom.js');
    // xorshift32: the low bits of a power-of-two LCG repeat in short cycles
    // (seed % 2 alternates), which left some mixes of choices never drawn.
    let seed = 1;
    const rnd = (n) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
    // Text, plain elements (some with data-renew, which patch() never
    // patches across), nested lists, and keyed items, some repeated.
    const item = () => {
      const k = rnd(12), txt = `t${rnd(3)}`;
      switch (rnd(5)) {
        case 0: return `text${rnd(3)}`;
        case 1: return h(rnd(2) ? 'div' : 'span', { class: `u${rnd(3)}`, dataset: rnd(4) === 0 ? { renew: rnd(2) } : {} }, txt);
        case 2: return list(h('div', { class: 'l' }), keyed(`in${rnd(4)}`, () => h('i', {}, 'x')), rnd(2) ? 'y' : null);
        default: return keyed(`k${k}/${txt}`, () => h('div', { class: `k k${k}`, tabindex: '0' }, txt, h('b', {}, String(k))));
      }
    };
    const items = () => {
      const out = [];
      for (let i = 0, n = rnd(10); i < n; i++) out.push(item());
      return out;
    };
    const found = [];
    const host = document.createElement('div');
    document.body.append(host);
    for (let round = 0; round < 3000 && found.length === 0; round++) {
      const s0 = seed;
      const fresh = items();
      seed = s0;
      const reference = document.createElement('div');
      fill(reference, items());
      // Now and then the focus is on a keyed node, or the first is stale.
      if (rnd(5) === 0) {
        const f = [...host.querySelectorAll('[tabindex]')];
        if (f.length) f[rnd(f.length)].focus();
      }
      if (rnd(7) === 0 && host.firstElementChild) stale(host.firstElementChild);
      patch(host, fresh);
      if (host.innerHTML !== reference.innerHTML) found.push({ round, got: host.innerHTML, want: reference.innerHTML });
    }
    host.remove();
    return found;
  });
  assert.deepEqual(problems, []);
  assertClean(assert, page);
});

test('patch() keeps the node under a key, builds only new keys, and rebuilds a stale one', async () => {
  const page = await openPage(env.browser, env.base);
  const r = await page.evaluate(async () => {
    const { h, patch, keyed, list, stale } = await import('/js/dom.js');
    let built = 0;
    const row = (n) => keyed(`row ${n}`, () => { built++; return h('li', { dataset: { n }, tabindex: '0' }, `row ${n}`); });
    const host = document.createElement('div');
    document.body.append(host);
    const draw = (from) => patch(host, list(h('ol'), [0, 1, 2, 3, 4].map((i) => row(from + i))));
    draw(0);
    const first = built;
    const before = new Map([...host.querySelectorAll('li')].map((li) => [li.dataset.n, li]));
    // The window moves one row on: four rows are the same, one is new.
    draw(1);
    const moved = built - first;
    const kept = [...host.querySelectorAll('li')].filter((li) => before.get(li.dataset.n) === li).length;
    const order = [...host.querySelectorAll('li')].map((li) => li.textContent);
    // A node marked stale (the student opened it) is built again.
    const second = host.querySelector('li[data-n="2"]');
    stale(second);
    const b0 = built;
    draw(1);
    const rebuilt = built - b0;
    const replaced = host.querySelector('li[data-n="2"]') !== second;
    // A keyed node holding the focus is not removed (which would drop the
    // focus to the page's body): it is patched in place, as an unkeyed node
    // is, so the keyboard stays in the list.
    const focused = host.querySelector('li[data-n="3"]');
    focused.focus();
    draw(10);
    const focusKept = focused.isConnected && document.activeElement === focused;
    const afterFocus = [...host.querySelectorAll('li')].map((li) => li.textContent);
    host.remove();
    return { first, moved, kept, order, rebuilt, replaced, focusKept, afterFocus };
  });
  assert.equal(r.first, 5, 'the first drawing builds every row');
  assert.equal(r.moved, 1, 'moving the window one row on builds only the new row');
  assert.equal(r.kept, 4, 'the four rows still shown are the same nodes');
  assert.deepEqual(r.order, ['row 1', 'row 2', 'row 3', 'row 4', 'row 5']);
  assert.equal(r.rebuilt, 1, 'a stale row is built again');
  assert.ok(r.replaced, 'and replaces the stale node');
  assert.ok(r.focusKept, 'a focused keyed node is not taken out of the page');
  assert.deepEqual(r.afterFocus, ['row 10', 'row 11', 'row 12', 'row 13', 'row 14'], 'and the list shows what it was asked to');
  assertClean(assert, page);
});
