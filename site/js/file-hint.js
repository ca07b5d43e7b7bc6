// Opened from disk (file://), this multi-file site cannot start: a browser
// loads no module script and fetches no wasm for a page from a file. This
// classic script still runs there, and shows the hint that says what to do.
// The offline page (unbundled-offline.html) leaves it out.
if (location.protocol === 'file:') {
  document.addEventListener('DOMContentLoaded', () => {
    const hint = document.getElementById('file-hint');
    if (hint) hint.hidden = false;
  });
}
