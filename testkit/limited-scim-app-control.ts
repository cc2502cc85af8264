// testkit/limited-scim-app-control.ts: /__control, so that a benchmark can drive an out-of-process app like a test drives the handle.
import type { IncomingMessage } from 'node:http';
import type { Reply } from './limited-scim-app-http';
import { ScimHttpError, allow, notFound, readJson } from './limited-scim-app-http';
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
