// api/forward-writes.ts: with several API processes, SCIM writes go to the one writer process; reads stay local.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import { ScimError } from '../domain/scim/errors';
import { readRawBody } from './body';
import { SCIM_PATH } from './middleware/scim-errors';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SEARCH_PATH = /\/\.search\/?$/i;
/** Hop-by-hop headers (RFC 9110 §7.6.1) stay on their own connection. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

/** SCIM writes (and Bulk); `POST …/.search` is a query and stays in the process that received it. */
export function isScimWrite(method: string, path: string): boolean {
  return WRITE_METHODS.has(method) && SCIM_PATH.test(path) && !(method === 'POST' && SEARCH_PATH.test(path));
}

/** How long a relaying process waits for the writer's answer (a Bulk of 1,000 operations takes about a second). */
export const RELAY_TIMEOUT_MS = 60_000;

/**
 * SQLite has one write lock per file. Several API processes each committing their own groups would pass that lock
 * back and forth (measured: fewer writes/s and a worse p99 than one process), so the processes that are not the
 * writer relay SCIM writes, unchanged, over a local socket to the one that is; it batches them all into its group
 * commits. Reads are answered where they arrive, which is what scales with processes.
 */
export function forwardWrites(socketPath: string, maxBodyBytes: number): Middleware {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return async function forwardWritesMiddleware(ctx, next) {
    if (!isScimWrite(ctx.method, ctx.path)) return next();
    const body = await readRawBody(ctx, maxBodyBytes);
    const unavailable = (why: string) =>
      new ScimError(503, undefined, `the writer process is not available (${why}); retry`);
    const answer = await new Promise<Relayed>((resolve, reject) => {
      const upstream = http.request(
        {
          socketPath,
          agent,
          method: ctx.method,
          path: ctx.url,
          // The id this process gave the request (and answered with), so the writer records the same one.
          headers: { ...endToEnd(ctx.req.headers), 'x-request-id': String(ctx.state.requestId ?? '') },
          timeout: RELAY_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', (err: NodeJS.ErrnoException) => reject(unavailable(err.code ?? err.message)));
        },
      );
      // Never re-sent: the writer may have committed a write whose answer was lost.
      upstream.on('error', (err: NodeJS.ErrnoException) => reject(unavailable(err.code ?? err.message)));
      upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      upstream.end(body);
    });
    for (const [name, value] of Object.entries(endToEnd(answer.headers))) if (value !== undefined) ctx.set(name, value);
    ctx.status = answer.status;
    if (answer.body.length > 0 || answer.status !== 204) ctx.body = answer.body;
  };
}

/** Headers minus the hop-by-hop ones (a client's `Connection: close` must not close the pooled relay connection). */
function endToEnd(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const out: http.IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

interface Relayed {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** In the writer process: also serve `app` on the local socket the other processes forward writes to. */
export function listenForForwardedWrites(app: Koa, socketPath: string): Promise<Server> {
  removeStaleSocket(socketPath); // left by a writer that died
  return new Promise((resolve, reject) => {
    const server = app.listen({ path: socketPath, exclusive: true }, () => resolve(server));
    server.keepAliveTimeout = 0; // relaying processes keep their pooled connections; the writer never drops them idle
    server.once('error', reject);
  });
}

/**
 * A fresh local socket path for one cluster's writer, in a new directory only this user can enter (mkdtemp: 0700),
 * so no other local user can take the path or connect to it. `removeWriterSocket` deletes the directory.
 */
export function createWriterSocketPath(): string {
  if (process.platform === 'win32') return `\\\\.\\pipe\\scimflow-writer-${process.pid}-${Date.now()}`;
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-writer-')), 'writer.sock');
}

/** Set by the primary in every member's environment. */
export const WRITER_SOCKET_ENV = 'SCIMFLOW_WRITER_SOCKET';

export function writerSocketFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const socket = env[WRITER_SOCKET_ENV];
  if (!socket) throw new Error(`${WRITER_SOCKET_ENV} is not set: API members are started by the API's primary process`);
  return socket;
}

/** The socket and its private directory (the socket file outlives a writer that did not close its server). */
export function removeWriterSocket(socketPath: string): void {
  if (process.platform === 'win32') return;
  fs.rmSync(socketPath, { force: true });
  const dir = path.dirname(socketPath);
  if (path.basename(dir).startsWith('scimflow-writer-')) fs.rmSync(dir, { recursive: true, force: true });
}

/** A writer's own start: only the socket file a dead predecessor left, never the directory the others connect into. */
function removeStaleSocket(socketPath: string): void {
  if (process.platform !== 'win32') fs.rmSync(socketPath, { force: true });
}
