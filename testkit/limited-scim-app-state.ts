// testkit/limited-scim-app-state.ts: the state one limited app instance shares between its HTTP side and its test handle.
import type { IncomingMessage } from 'node:http';
import type { LimitedScimAppFaults } from './limited-scim-app-faults';
import { NO_FAULTS, parseFaults } from './limited-scim-app-faults';
import { ScimHttpError } from './limited-scim-app-http';
import type { LimitedStore, ScimGroup, ScimUser } from './limited-scim-app-store';

export interface RequestRecord {
  method: string;
  /** Relative to the base URL (`/Users/<id>`); the whole path for requests outside it. */
  path: string;
  /** The raw query string without `?`, '' when there is none. */
  query: string;
  /** 0 when the client got no HTTP answer (socket destroyed). */
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

/** What the app can do: each switch reproduces a kind of real app. */
export interface LimitedScimDialect {
  /** Answers `filter=` on /Users and /Groups (off: 400 invalidFilter, and ServiceProviderConfig says so). */
  filter: boolean;
  /** How Group members change: PATCH (PUT answers 501), or PUT of the whole group (PATCH answers 501). */
  groupWrites: 'patch' | 'put';
  /** Serves /ServiceProviderConfig, /ResourceTypes and /Schemas (off: 404, as many real apps do). */
  discovery: boolean;
}

export const FULL_DIALECT: LimitedScimDialect = { filter: true, groupWrites: 'patch', discovery: true };

export interface AppState {
  readonly store: LimitedStore;
  readonly baseUrl: string;
  readonly token: string;
  readonly groups: boolean;
  readonly dialect: LimitedScimDialect;
  faults: LimitedScimAppFaults;
  requests: RequestRecord[];
  /** SCIM requests being answered now, and the most there were at once since the last clearRequests/reset. */
  inFlight: number;
  peakInFlight: number;
  /**
   * When the current flapping fault's first down phase began (ms since the epoch): at the first request after it was
   * set, so that a scenario's first request always meets the app down, however long its workflows took to start.
   */
  flapSince: number | null;
}

export interface StateSnapshot {
  users: ScimUser[];
  groups: ScimGroup[];
  requests: RequestRecord[];
}

// A long benchmark against an out-of-process app must not grow its memory without bound.
const MAX_LOGGED_REQUESTS = 100_000;

export function logRequest(state: AppState, record: RequestRecord): void {
  state.requests.push(record);
  if (state.requests.length > MAX_LOGGED_REQUESTS) state.requests.splice(0, MAX_LOGGED_REQUESTS / 10);
}

/** Merges checked knobs over the current ones and returns a copy of the result. */
export function applyFaults(state: AppState, partial: unknown): LimitedScimAppFaults {
  const parsed = parseFaults(partial);
  if (parsed.flap !== undefined) state.flapSince = null;
  Object.assign(state.faults, parsed);
  return structuredClone(state.faults);
}

export function resetState(state: AppState): void {
  state.store.clear();
  state.faults = { ...NO_FAULTS };
  state.requests = [];
  state.peakInFlight = state.inFlight;
}

export function snapshot(state: AppState): StateSnapshot {
  return structuredClone({
    users: [...state.store.listUsers()],
    groups: state.store.listGroups(),
    requests: state.requests,
  });
}

export function authorize(state: AppState, req: IncomingMessage): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (match?.[1] === state.token) return;
  const detail = match ? 'The bearer token is not valid' : 'Authorization: Bearer <token> is required';
  throw new ScimHttpError(401, undefined, detail, { 'WWW-Authenticate': 'Bearer realm="limited-scim-app"' });
}
