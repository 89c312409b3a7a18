/**
 * Serves the dashboard: the page and its locally bundled assets (no CDN, it must work offline).
 * Only files inside the asset directories are served; paths are resolved and checked.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.json': 'application/json',
};

/** `dist/web` holds the bundle built by `npm run build`; `web/` the hand-written page and styles. */
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ROOTS = [join(projectRoot, 'dist', 'web'), join(projectRoot, 'web')];

export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<boolean> {
  const relative =
    pathname === '/'
      ? 'index.html'
      : pathname === '/views' || pathname.startsWith('/views/')
        ? 'view.html'
        : pathname.slice(1);
  for (const root of ROOTS) {
    const file = resolve(root, normalize(relative));
    if (!file.startsWith(root + sep)) return false;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) continue;
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': extname(file) === '.html' ? 'no-cache' : 'public, max-age=300',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  }
  return false;
}
