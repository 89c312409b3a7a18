/**
 * Serves the dashboard from dist/web, as built by scripts/build-web.js (everything local, no CDN),
 * through `sirv`: assets have content-hashed names and are cached for a year as immutable; the pages
 * (and the client library's stable alias) are revalidated with ETag and answered 304 when unchanged;
 * every text file is sent as the brotli or gzip file made at build time when the browser takes it.
 * Only files that the build wrote are served (sirv indexes the folder once; nothing else is reachable).
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const WEB_ROOT = join(projectRoot, 'dist', 'web');
/** `app-ZIVTTBF5.js`, `style-88341EC2.css`: esbuild's and the build script's content hashes. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;
const YEAR_SECONDS = 31_536_000;

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
let handler: Handler | null = null;

/** The handler, made at the first request once the build exists (sirv indexes the folder then). */
function staticHandler(): Handler | null {
  if (handler) return handler;
  if (!existsSync(join(WEB_ROOT, 'index.html'))) return null;
  handler = sirv(WEB_ROOT, {
    etag: true,
    brotli: true,
    gzip: true,
    dotfiles: false,
    setHeaders: (res, pathname) => {
      res.setHeader(
        'Cache-Control',
        HASHED.test(pathname) ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache',
      );
    },
  }) as Handler;
  return handler;
}

/** The file a path stands for: the pages have friendly paths, assets their own names. */
function filePath(pathname: string): string {
  if (pathname === '/') return '/index.html';
  if (pathname === '/views' || pathname.startsWith('/views/')) return '/view.html';
  return pathname;
}

/** Answers from the built dashboard; resolves false (nothing sent) when no file matches. */
export function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  const serve = staticHandler();
  if (!serve) return Promise.resolve(false);
  const original = req.url;
  req.url = filePath(pathname);
  return new Promise((resolve) => {
    serve(req, res, () => {
      req.url = original;
      resolve(false);
    });
    if (res.headersSent || res.writableEnded) resolve(true);
  });
}
