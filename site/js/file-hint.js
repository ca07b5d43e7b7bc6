// Opened from disk (file://), this multi-file site cannot start: a browser
// loads no module script and fetches no wasm for a page from a file. This
// classic script still runs there, and shows the hint that says what to do.
// The offline page (unbundled-offline.html) leaves it out.
//
// Served, it is the first script to run, while the page is still being
// parsed: it starts downloading and compiling the engine's WebAssembly
// then, beside the page's own loading, instead of once the page's modules
// have run (engine.js loadModule takes the compiled module; it fetches the
// file itself if this could not).
if (location.protocol === 'file:') {
  document.addEventListener('DOMContentLoaded', () => {
    const hint = document.getElementById('file-hint');
    if (hint) hint.hidden = false;
  });
} else if (typeof WebAssembly === 'object' && typeof WebAssembly.compileStreaming === 'function') {
  globalThis.unbundledWasm = WebAssembly.compileStreaming(fetch('unbundled.wasm', { credentials: 'same-origin' }));
  globalThis.unbundledWasm.catch(() => {});  // engine.js falls back to its own fetch
}
