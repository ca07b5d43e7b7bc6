// A tiny static file server for the built site, bound to 127.0.0.1.
//   node scripts/serve.mjs DIR [PORT]    (PORT 0 picks a free port)
// Prints the address on stdout. Used by scripts/run and the browser tests.
import { createServer } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.ndjson': 'application/x-ndjson',
};

// Headers on every answer: no MIME sniffing (a .json is never run as a
// script), and no Referer leaves with a link's #s= session (it never would:
// fragments are not sent, but a query can be).
const COMMON = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/**
 * Serves the regular files under `dir`, and nothing else: GET and HEAD only
 * (405 otherwise), only for a Host header naming this server on a loopback
 * address (421 otherwise: a DNS-rebinding page on another name is refused),
 * only paths that stay under `dir` once symlinks are resolved (404 otherwise).
 */
export function serve(dir, port = 0) {
  const root = resolve(dir);
  const realRootPromise = realpath(root);
  let hosts = new Set();
  const send = (res, status, text, extra = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...COMMON, ...extra });
    res.end(text);
  };
  const server = createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) return send(res, 421, 'this server answers only to its own address');
    try {
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path.includes('\0')) throw new Error('bad path');
      if (path.endsWith('/')) path += 'index.html';
      const realRoot = await realRootPromise;
      const file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) throw new Error('outside root');
      // Symlinks are followed only where they stay inside the site.
      const real = await realpath(file);
      if (!real.startsWith(realRoot + sep)) throw new Error('outside root');
      const info = await stat(real);
      if (!info.isFile()) throw new Error('not a regular file');
      const body = await readFile(real);
      res.writeHead(200, { 'content-type': TYPES[extname(real)] ?? 'application/octet-stream',
                           'cache-control': 'no-store', 'content-length': body.length, ...COMMON });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      send(res, 404, 'not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => {
    const p = server.address().port;
    hosts = new Set([`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`]);
    ok(server);
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, port] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node scripts/serve.mjs DIR [PORT]');
    process.exit(2);
  }
  const server = await serve(dir, Number(port ?? 8000));
  console.log(`Unbundled is running at http://127.0.0.1:${server.address().port}/  (Ctrl-C stops it)`);
}
