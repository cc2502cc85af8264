// test/unit/testkit/limited-scim-client.ts: real HTTP calls against the limited SCIM app, and the SCIM error assertion.
import { expect } from 'chai';
import type { LimitedScimApp, RequestRecord } from '../../../testkit/limited-scim-app';

export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface CallOptions {
  /** A JSON value, or a string sent as is. */
  body?: unknown;
  /** null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

/** `path` is relative to the base URL unless it starts with `/__control/`. */
export function scimClient(app: LimitedScimApp) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
    const url = path.startsWith('/__control/') ? new URL(path, app.baseUrl).href : `${app.baseUrl}${path}`;
    const token = options.token === undefined ? app.token : options.token;
    const headers: Record<string, string> = { 'Content-Type': 'application/scim+json', ...options.headers };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
}

export const userBody = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER_URN],
  userName,
  ...extra,
});

export const patchBody = (...Operations: object[]) => ({ schemas: [PATCH_URN], Operations });

/** RFC 7644 §3.12: the status as a string, and scimType only where the RFC defines one. */
export function expectScimError(answer: Answer, status: number, scimType?: string): void {
  expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
  expect(answer.headers.get('content-type')).to.equal('application/scim+json');
  expect(answer.body.schemas).to.deep.equal([ERROR_URN]);
  expect(answer.body.status).to.equal(String(status));
  expect(answer.body.detail).to.be.a('string').and.not.equal('');
  if (scimType === undefined) expect(answer.body).not.to.have.property('scimType');
  else expect(answer.body.scimType).to.equal(scimType);
}

/** The request log without arrival times (checked apart), for exact comparisons. */
export function untimed(requests: RequestRecord[]): Omit<RequestRecord, 'at'>[] {
  return requests.map(({ at: _at, ...rest }) => rest);
}
