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

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SCIM_PATH = /^\/scim\//i;
const SEARCH_PATH = /\/\.search\/?$/i;
/** Hop-by-hop headers (RFC 9110 §7.6.1) stay on their own connection. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

/** SCIM writes (and Bulk); `POST …/.search` is a query and stays in the process that received it. */
export function isScimWrite(method: string, path: string): boolean {
  return WRITE_METHODS.has(method) && SCIM_PATH.test(path) && !SEARCH_PATH.test(path);
}

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
    const send = (): Promise<Relayed> =>
      new Promise((resolve, reject) => {
        const upstream = http.request(
          { socketPath, agent, method: ctx.method, path: ctx.url, headers: ctx.req.headers },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
            );
            res.on('error', reject);
          },
        );
        upstream.on('error', (err: NodeJS.ErrnoException) => {
          // A pooled connection the writer closed just as it was reused: the request never reached it, send it again.
          if (upstream.reusedSocket && err.code === 'ECONNRESET') return void send().then(resolve, reject);
          reject(
            new ScimError(503, undefined, `the writer process is not available (${err.code ?? err.message}); retry`),
          );
        });
        upstream.end(body);
      });
    const answer = await send();
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) ctx.set(name, value);
    ctx.status = answer.status;
    if (answer.body.length > 0 || answer.status !== 204) ctx.body = answer.body;
  };
}

interface Relayed {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** In the writer process: also serve `app` on the local socket the other processes forward writes to. */
export function listenForForwardedWrites(app: Koa, socketPath: string): Promise<Server> {
  removeWriterSocket(socketPath); // left by a writer that died
  return new Promise((resolve, reject) => {
    const server = app.listen({ path: socketPath, exclusive: true }, () => resolve(server));
    server.keepAliveTimeout = 0; // relaying processes keep their pooled connections; the writer never drops them idle
    server.once('error', reject);
  });
}

/** A fresh local socket path for one cluster's writer (named after the primary's pid). */
export function writerSocketPath(pid = process.pid): string {
  const name = `scimflow-${pid}-writer`;
  return process.platform === 'win32' ? `\\\\.\\pipe\\${name}` : path.join(os.tmpdir(), `${name}.sock`);
}

/** Set by the primary in every member's environment. */
export const WRITER_SOCKET_ENV = 'SCIMFLOW_WRITER_SOCKET';

export function writerSocketFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const socket = env[WRITER_SOCKET_ENV];
  if (!socket) throw new Error(`${WRITER_SOCKET_ENV} is not set: API members are started by the API's primary process`);
  return socket;
}

/** Unix socket files outlive a process that did not close its server (named pipes on Windows do not). */
export function removeWriterSocket(socketPath: string): void {
  if (process.platform !== 'win32') fs.rmSync(socketPath, { force: true });
}
