// testkit/limited-scim-app-control.ts: /__control, so that a benchmark can drive an out-of-process app like a test drives the handle.
import type { IncomingMessage } from 'node:http';
import type { Reply } from './limited-scim-app-http';
import { ScimHttpError, USER_URN, allow, notFound, readJson } from './limited-scim-app-http';
import type { AppState } from './limited-scim-app-state';
import { applyFaults, authorize, resetState, snapshot } from './limited-scim-app-state';

export const CONTROL_PREFIX = '/__control/';

/** Answers are plain JSON (errors stay SCIM errors); no latency, no outage and no request log apply here. */
export async function routeControl(state: AppState, req: IncomingMessage, pathname: string): Promise<Reply> {
  authorize(state, req);
  const request = { method: req.method ?? 'GET' };
  switch (pathname.slice(CONTROL_PREFIX.length)) {
    case 'faults':
      allow(request, ['GET', 'POST']);
      if (request.method === 'GET') return json(structuredClone(state.faults));
      return json(setFaults(state, await readJson(req)));
    case 'state':
      allow(request, ['GET']);
      return json(snapshot(state));
    case 'seed': {
      // Many accounts at once, for a benchmark of reading the app (reconciliation): {count, prefix}.
      allow(request, ['POST']);
      const body = (await readJson(req)) as { count?: unknown; prefix?: unknown };
      const count = Number(body.count);
      const prefix = typeof body.prefix === 'string' ? body.prefix : 'seeded';
      if (!Number.isInteger(count) || count < 1 || count > 1_000_000)
        throw new ScimHttpError(400, 'invalidValue', 'count must be an integer from 1 to 1000000');
      for (let i = 0; i < count; i += 1)
        state.store.createUser({
          schemas: [USER_URN],
          userName: `${prefix}${i}@seeded.test`,
          displayName: `${prefix} ${i}`,
        });
      return json({ seeded: count, users: state.store.listUsers().length });
    }
    case 'load':
      allow(request, ['GET']);
      return json({ inFlight: state.inFlight, peakInFlight: state.peakInFlight });
    case 'reset':
      allow(request, ['POST']);
      resetState(state);
      return { status: 204 };
    default:
      throw notFound(pathname);
  }
}

const json = (body: unknown): Reply => ({ status: 200, body, contentType: 'application/json' });

function setFaults(state: AppState, body: unknown): unknown {
  try {
    return applyFaults(state, body);
  } catch (err) {
    throw new ScimHttpError(400, 'invalidValue', (err as Error).message);
  }
}
