// test/helpers/conformance-server.ts: the real Koa API on a real port over a real store (a SQLite file, or with
// SCIMFLOW_TEST_STORE=postgres a PostgreSQL database), with pokes recorded (no Temporal).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../api/app';
import type { ApiLimits } from '../../api/config';
import type { Stores } from '../../store';
import type { EventRow } from '../../store/event-log';
import { openStores, TEST_STORE_KIND } from './store-kinds';

export const DEFAULT_LIMITS: ApiLimits = { maxBodyBytes: 1_048_576, bulkMaxOperations: 1000, maxPageSize: 1000 };

export interface TestDirectory {
  id: string;
  token: string;
  /** SCIM base URL of the directory, e.g. http://127.0.0.1:PORT/scim/v2/<id> */
  baseUrl: string;
}

export interface ConformanceServer {
  origin: string;
  stores: Stores;
  /** Every batch the API poked, in call order. */
  pokes: EventRow[][];
  /** Errors the app re-emitted as 500s (bugs), with their stacks. */
  serverErrors: Error[];
  limits: ApiLimits;
  newDirectory(dialect?: string): Promise<TestDirectory>;
  /** Poked events of one directory, flattened in poke order. */
  pokedEvents(directoryId: string): EventRow[];
  close(): Promise<void>;
}

export async function startConformanceServer(limits: Partial<ApiLimits> = {}): Promise<ConformanceServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-conformance-'));
  const opened = await openStores(TEST_STORE_KIND, path.join(dataDir, 'scimflow.sqlite'));
  const stores = opened.stores;
  const pokes: EventRow[][] = [];
  const serverErrors: Error[] = [];
  const effective = { ...DEFAULT_LIMITS, ...limits };
  const app = createApp({ stores, poke: (events) => pokes.push(events), limits: effective });
  app.silent = true;
  app.on('error', (err: Error) => serverErrors.push(err));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let counter = 0;
  return {
    origin,
    stores,
    pokes,
    serverErrors,
    limits: effective,
    async newDirectory(dialect = 'generic') {
      counter += 1;
      const { directory, token } = await stores.directories.create({ name: `conformance-${counter}`, dialect });
      return { id: directory.id, token, baseUrl: `${origin}/scim/v2/${directory.id}` };
    },
    pokedEvents(directoryId) {
      return pokes.flat().filter((e) => e.directoryId === directoryId);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await opened.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ScimResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: any;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the directory token; null sends no Authorization header. */
  token?: string | null;
}

/** One SCIM call with fetch: JSON bodies as application/scim+json, string bodies raw. */
export async function call(
  dir: TestDirectory,
  method: string,
  pathname: string,
  opts: CallOptions = {},
): Promise<ScimResponse> {
  const token = opts.token === undefined ? dir.token : opts.token;
  const headers: Record<string, string> = {
    ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
    ...(opts.body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
    ...opts.headers,
  };
  const res = await fetch(`${dir.baseUrl}${pathname}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export function userBody(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA], userName, ...extra };
}

export function patchBody(...operations: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}

/** Creates a user over HTTP and returns its id (fails loudly when the server refuses). */
export async function createUser(
  dir: TestDirectory,
  userName: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await call(dir, 'POST', '/Users', { body: userBody(userName, extra) });
  if (res.status !== 201) throw new Error(`creating ${userName}: ${res.status} ${res.text}`);
  return res.body.id as string;
}

export async function createGroup(dir: TestDirectory, displayName: string, memberIds: string[] = []): Promise<string> {
  const body = { schemas: [GROUP_SCHEMA], displayName, members: memberIds.map((value) => ({ value })) };
  const res = await call(dir, 'POST', '/Groups', { body });
  if (res.status !== 201) throw new Error(`creating group ${displayName}: ${res.status} ${res.text}`);
  return res.body.id as string;
}
