// testkit/limited-scim-app.ts: a deliberately limited SCIM 2.0 app (node:http, in memory) that tests and the benchmark provision into.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { CONTROL_PREFIX, routeControl } from './limited-scim-app-control';
import type { LimitedScimAppFaults } from './limited-scim-app-faults';
import { NO_FAULTS, flapIsDown, parseFaults, takeLostAnswer } from './limited-scim-app-faults';
import type { Reply } from './limited-scim-app-http';
import { ScimHttpError, USER_URN, errorReply, notFound, readJson, send } from './limited-scim-app-http';
import { isPublic, routeScim } from './limited-scim-app-routes';
import type { AppState, LimitedScimDialect, RequestRecord } from './limited-scim-app-state';
import { FULL_DIALECT, applyFaults, authorize, logRequest, resetState } from './limited-scim-app-state';
import type { ScimGroup, ScimUser } from './limited-scim-app-store';
import { LimitedStore } from './limited-scim-app-store';

export type { LimitedScimAppFaults, LoseAnswerFault, OutageFault } from './limited-scim-app-faults';
export type { RequestRecord, StateSnapshot } from './limited-scim-app-state';
export type { ScimGroup, ScimMember, ScimMeta, ScimUser } from './limited-scim-app-store';

const HOST = '127.0.0.1';
const BASE_PATH = '/scim/v2';

export interface LimitedScimAppOptions extends Partial<LimitedScimAppFaults> {
  /** 0 (the default) lets the OS pick a free port. */
  port?: number;
  /** The bearer token every non-discovery request must carry; random when omitted. */
  token?: string;
  /** Serve /Groups (displayName filter and member PATCH only); off by default, as in many real apps. */
  groups?: boolean;
  /** What the app can do beyond that (all on by default): an app that cannot filter, one without PATCH, one without discovery. */
  dialect?: Partial<LimitedScimDialect>;
}

/** A user as created by hand in the app's own UI: the id is assigned unless given. */
export interface SeedUser {
  userName: string;
  id?: string;
  schemas?: string[];
  active?: boolean;
  [attribute: string]: unknown;
}

export interface LimitedScimApp {
  /** `http://127.0.0.1:<port>/scim/v2`; the control endpoints are `new URL('/__control/faults', baseUrl)` and `/__control/state`. */
  readonly baseUrl: string;
  readonly token: string;
  readonly port: number;
  /** A copy of the current knobs. */
  readonly faults: LimitedScimAppFaults;
  /** A copy of the SCIM request log, oldest first (/__control requests are not logged). */
  readonly requests: RequestRecord[];
  /** The most SCIM requests answered at once since the last clearRequests/reset (a concurrency limit's witness). */
  readonly peakInFlight: number;
  /** SCIM requests being answered right now. */
  readonly inFlight: number;
  setFaults(partial: Partial<LimitedScimAppFaults>): LimitedScimAppFaults;
  users(): ScimUser[];
  user(id: string): ScimUser | undefined;
  /** Case-insensitive, as the app compares userNames. */
  findUser(userName: string): ScimUser | undefined;
  groups(): ScimGroup[];
  group(id: string): ScimGroup | undefined;
  seedUser(resource: SeedUser): ScimUser;
  /** Changes a user behind scimflow's back; `undefined` removes an attribute, id and meta cannot change. */
  editUser(id: string, partial: Record<string, unknown>): ScimUser;
  clearRequests(): void;
  /** Clears users, groups, faults (back to none, whatever the options said) and the request log. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startLimitedScimApp(options: LimitedScimAppOptions = {}): Promise<LimitedScimApp> {
  const { port = 0, token = randomBytes(24).toString('base64url'), groups = false, dialect, ...knobs } = options;
  if (!/^\S+$/.test(token)) throw new Error('token must be a non-empty string without whitespace');
  const faults = { ...NO_FAULTS, ...parseFaults(knobs) };
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actualPort } = server.address() as AddressInfo;
  const baseUrl = `http://${HOST}:${actualPort}${BASE_PATH}`;
  const state: AppState = {
    store: new LimitedStore(baseUrl),
    baseUrl,
    token,
    groups,
    dialect: { ...FULL_DIALECT, ...dialect },
    faults,
    requests: [],
    inFlight: 0,
    peakInFlight: 0,
    flapSince: null,
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(state, req, res).catch((err: unknown) => {
      // Only a bug gets here (answer() catches the rest); a rejected listener would take the whole process down.
      console.error('limited-scim-app: request failed', err);
      res.destroy();
    });
  });
  return createHandle(state, server, actualPort);
}

function createHandle(state: AppState, server: http.Server, port: number): LimitedScimApp {
  const copy = <T>(value: T): T => structuredClone(value);
  let stopped: Promise<void> | undefined;
  return {
    baseUrl: state.baseUrl,
    token: state.token,
    port,
    get faults() {
      return copy(state.faults);
    },
    get requests() {
      return copy(state.requests);
    },
    get peakInFlight() {
      return state.peakInFlight;
    },
    get inFlight() {
      return state.inFlight;
    },
    setFaults: (partial) => applyFaults(state, partial),
    users: () => copy([...state.store.listUsers()]),
    user: (id) => copy(state.store.getUser(id)),
    findUser: (userName) => copy(state.store.findUserByName(userName)),
    groups: () => copy(state.store.listGroups()),
    group: (id) => copy(state.store.getGroup(id)),
    seedUser: ({ id, ...resource }) => copy(state.store.createUser({ schemas: [USER_URN], ...resource }, id)),
    editUser: (id, partial) => copy(state.store.editUser(id, partial)),
    clearRequests: () => {
      state.requests = [];
      state.peakInFlight = state.inFlight;
    },
    reset: () => resetState(state),
    stop: () => {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // keep-alive sockets would otherwise hold close() open
      });
      return stopped;
    },
  };
}

async function onRequest(state: AppState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  // Origin-form targets are glued to the origin: as a relative URL, `//x/scim/v2` would make `x` the host.
  const url = target.startsWith('/') ? new URL(`http://${HOST}${target}`) : requestUrl(target);
  if (url.pathname.startsWith(CONTROL_PREFIX)) {
    send(res, await answer(() => routeControl(state, req, url.pathname)));
    return;
  }
  const path =
    url.pathname === BASE_PATH || url.pathname.startsWith(`${BASE_PATH}/`)
      ? url.pathname.slice(BASE_PATH.length)
      : null;
  const query = url.search.slice(1);
  const record: RequestRecord = {
    method: req.method ?? 'GET',
    path: path ?? url.pathname,
    query,
    status: 0,
    at: Date.now(),
  };
  state.inFlight += 1;
  state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
  let reply: Awaited<ReturnType<typeof answerScim>>;
  try {
    reply = await answerScim(state, req, url, path);
  } finally {
    state.inFlight -= 1;
  }
  if (reply === 'reset') req.socket.destroy();
  else {
    send(res, reply);
    record.status = reply.status;
  }
  logRequest(state, record);
}

/** The faults wrap the real work: latency and outage before it, a lost answer after a write that did happen. */
async function answerScim(
  state: AppState,
  req: IncomingMessage,
  url: URL,
  path: string | null,
): Promise<Reply | 'reset'> {
  if (state.faults.latencyMs > 0) await delay(state.faults.latencyMs, undefined, { ref: false });
  const { flap } = state.faults;
  if (flap) {
    state.flapSince ??= Date.now();
    if (flapIsDown(flap, Date.now() - state.flapSince)) {
      if (flap.how === 'reset') return 'reset';
      return errorReply(new ScimHttpError(503, undefined, 'The app is flapping (down phase)'));
    }
  }
  const { outage } = state.faults;
  if (outage && outage.how === 'reset') return 'reset';
  if (outage) {
    const retryAfter: Record<string, string> =
      outage.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(outage.retryAfterSeconds) };
    if (outage.how === 'throttled')
      return errorReply(new ScimHttpError(429, undefined, 'Too many requests', retryAfter));
    return errorReply(new ScimHttpError(503, undefined, 'The app is temporarily unavailable', retryAfter));
  }
  const reply = await answer(async () => {
    if (path === null) throw notFound(url.pathname);
    const request = {
      state,
      method: req.method ?? 'GET',
      segments: segmentsOf(path),
      query: url.searchParams,
      readBody: () => readJson(req),
    };
    if (!isPublic(request)) authorize(state, req);
    return routeScim(request);
  });
  const lost = reply.write === undefined ? undefined : takeLostAnswer(state.faults, reply.write);
  if (lost === 'reset') return 'reset';
  if (lost === '500') return errorReply(new ScimHttpError(500, undefined, 'Internal server error'));
  return reply;
}

/** Absolute-form (`GET http://host/scim/v2/Users`) or garbage: the latter names no resource here. */
function requestUrl(target: string): URL {
  try {
    return new URL(target);
  } catch {
    return new URL(`http://${HOST}/invalid-request-target`);
  }
}

function segmentsOf(path: string): string[] {
  const segments = path.split('/').slice(1);
  if (segments.at(-1) === '') segments.pop(); // `/Users/` is `/Users`
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw notFound(path); // a malformed %-escape names nothing
  }
}

/** The error boundary: every failure leaves as a SCIM error body; an unexpected one is a bug in this kit, so say so. */
async function answer(work: () => Promise<Reply>): Promise<Reply> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ScimHttpError) return errorReply(err);
    console.error('limited-scim-app: unexpected error', err);
    return errorReply(new ScimHttpError(500, undefined, 'Internal server error'));
  }
}
