// test/unit/domain/scim/dialects-corpus.test.ts: replays every dev corpus scenario through normalise/PATCH over a toy store.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectDialect } from '../../../../domain/scim/dialects/dialect';
import { ScimError, scimErrorBody } from '../../../../domain/scim/errors';
import { matchesFilter } from '../../../../domain/scim/filter/evaluate';
import { parseFilter } from '../../../../domain/scim/filter/parse';
import type { JsonObject } from '../../../../domain/scim/json';
import { normalizeGroupBody, normalizeResource } from '../../../../domain/scim/normalize';
import type { MemberRef, ScimContext } from '../../../../domain/scim/normalize';
import { applyPatch } from '../../../../domain/scim/patch/apply';
import type { MemberDelta } from '../../../../domain/scim/patch/apply';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import type { ResourceTypeName } from '../../../../domain/scim/schemas/types';
import { URN } from '../../../../domain/scim/schemas/urns';

interface Step {
  request: { method: string; path: string; headers?: Record<string, string | null>; body?: unknown };
  expect: { status: number | number[]; body?: unknown; bodyNot?: unknown };
}

const DIR = join(__dirname, '../../../fixtures/idp-corpus/dev');
const registry = new SchemaRegistry();

/** What only the HTTP layer or the store can answer: auth, ETags, uniqueness, discovery. */
function isOutOfScope(step: Step): boolean {
  const headers = Object.keys(step.request.headers ?? {}).map((h) => h.toLowerCase());
  const statuses = ([] as number[]).concat(step.expect.status);
  return (
    headers.includes('authorization') ||
    headers.includes('if-match') ||
    statuses.includes(409) ||
    !/^\/(Users|Groups)\b/.test(step.request.path)
  );
}

/** The smallest store that honours the engine's contract: documents plus separately kept member rows. */
class ToyStore {
  private readonly docs = new Map<
    string,
    { type: ResourceTypeName; doc: JsonObject; members: Map<string, MemberRef> }
  >();
  private nextId = 1;

  constructor(private readonly dialect: ReturnType<typeof detectDialect>) {}

  ctx(type: ResourceTypeName): ScimContext {
    return { registry, resourceType: type, dialect: this.dialect ?? 'generic' };
  }

  handle(method: string, path: string, body: unknown): { status: number; body?: unknown } {
    const url = new URL(path, 'https://scim.test');
    const [, collection, id] = url.pathname.split('/') as [string, 'Users' | 'Groups', string | undefined];
    const type: ResourceTypeName = collection === 'Users' ? 'User' : 'Group';
    const withMembers = !/members/i.test(url.searchParams.get('excludedAttributes') ?? '');
    if (id === undefined && method === 'GET') return this.list(type, url.searchParams.get('filter'), withMembers);
    if (id === undefined) return this.create(type, body);
    const entry = this.docs.get(id);
    if (!entry || entry.type !== type)
      return { status: 404, body: scimErrorBody(new ScimError(404, undefined, 'not found')) };
    if (method === 'GET') return { status: 200, body: this.render(id, withMembers) };
    if (method === 'DELETE') return this.docs.delete(id) ? { status: 204 } : { status: 404 };
    if (method === 'PUT') {
      const put =
        type === 'Group'
          ? normalizeGroupBody(body, this.ctx(type))
          : { group: normalizeResource(body, this.ctx(type)) };
      entry.doc = put.group;
      if ('members' in put) entry.members = new Map(put.members.map((m) => [m.value, m]));
      return { status: 200, body: this.render(id, true) };
    }
    const result = applyPatch({ ...entry.doc, id }, body, this.ctx(type));
    const { id: _id, ...doc } = result.resource;
    entry.doc = doc;
    if (result.members) this.applyDelta(entry.members, result.members);
    // The API answers every group PATCH with 204 (RFC 7644 §3.5.2; no 100,000-member body is ever rendered).
    return type === 'Group' ? { status: 204 } : { status: 200, body: this.render(id, false) };
  }

  private create(type: ResourceTypeName, body: unknown) {
    const id = `id-${this.nextId++}`;
    const created =
      type === 'Group'
        ? normalizeGroupBody(body, this.ctx(type))
        : { group: normalizeResource(body, this.ctx(type)), members: [] };
    this.docs.set(id, { type, doc: created.group, members: new Map(created.members.map((m) => [m.value, m])) });
    return { status: 201, body: this.render(id, true) };
  }

  private list(type: ResourceTypeName, filter: string | null, withMembers: boolean) {
    const node = filter === null ? undefined : parseFilter(filter);
    const Resources = [...this.docs.keys()]
      .map((id) => this.render(id, withMembers))
      .filter((r, i) => [...this.docs.values()][i]!.type === type)
      .filter((r) => !node || matchesFilter(r, node, { registry, resourceType: type }));
    return {
      status: 200,
      body: {
        schemas: [URN.ListResponse],
        totalResults: Resources.length,
        startIndex: 1,
        itemsPerPage: Resources.length,
        Resources,
      },
    };
  }

  /** Store order from MemberDelta's contract: removeAll/replaceAll, removeWhere, remove, add. */
  private applyDelta(members: Map<string, MemberRef>, delta: MemberDelta): void {
    if (delta.removeAll || delta.replaceAll) members.clear();
    for (const ref of delta.replaceAll ?? []) members.set(ref.value, ref);
    for (const filter of delta.removeWhere ?? []) {
      for (const [id, ref] of members) {
        if (
          matchesFilter(
            { members: [{ ...ref }] },
            { kind: 'valuePath', path: { attr: 'members' }, filter },
            this.ctx('Group'),
          )
        )
          members.delete(id);
      }
    }
    delta.remove.forEach((id) => members.delete(id));
    for (const ref of delta.add) if (!members.has(ref.value)) members.set(ref.value, ref);
  }

  private render(id: string, withMembers: boolean): JsonObject {
    const { type, doc, members } = this.docs.get(id)!;
    const { password: _never, ...shown } = doc; // returned: never
    const out: JsonObject = { ...shown, id, meta: { resourceType: type } };
    if (type === 'Group' && withMembers) out.members = [...members.values()].map((m) => ({ ...m }));
    return out;
  }
}

function substitute(text: string, responses: unknown[]): string {
  return text.replace(/\{\{step(\d+)\.([^}]+)\}\}/g, (_m, n: string, path: string) => {
    let value: unknown = responses[Number(n) - 1];
    for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
    return String(value);
  });
}

/** README rule 7: a partial match; arrays match element-wise against distinct actual elements. */
function matches(expected: unknown, actual: unknown, top = true): boolean {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return false;
    const used = new Set<number>();
    return expected.every((e) => {
      const i = actual.findIndex((a, j) => !used.has(j) && matches(e, a, false));
      return i >= 0 && used.add(i) !== undefined;
    });
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(
      ([k, v]) => (top && k === 'status') || matches(v, (actual as Record<string, unknown>)[k], false),
    );
  }
  return expected === actual;
}

/** README rule 8: null means absent; listed array elements must match no actual element. */
function violatesBodyNot(bodyNot: Record<string, unknown>, actual: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(bodyNot)) {
    const got = actual[key];
    if (value === null && got !== undefined) return `${key} is present`;
    if (Array.isArray(value) && Array.isArray(got) && value.some((v) => got.some((g) => matches(v, g, false))))
      return `${key} has a forbidden element`;
    if (value !== null && !Array.isArray(value) && got === value) return `${key} equals ${JSON.stringify(value)}`;
  }
  return undefined;
}

describe('dialects: the dev corpus replayed through the engine', () => {
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    it(`gives the answers ${file} expects`, () => {
      const scenario = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { steps: Step[] };
      const agent = scenario.steps.map((s) => s.request.headers?.['User-Agent']).find((ua) => typeof ua === 'string');
      const store = new ToyStore(detectDialect(agent ?? undefined));
      const responses: unknown[] = [];
      scenario.steps.forEach((step, i) => {
        if (isOutOfScope(step)) return responses.push(undefined);
        const path = substitute(step.request.path, responses);
        const body =
          step.request.body === undefined
            ? undefined
            : JSON.parse(substitute(JSON.stringify(step.request.body), responses));
        let response: { status: number; body?: unknown };
        try {
          response = store.handle(step.request.method, path, body);
        } catch (err) {
          if (!(err instanceof ScimError)) throw err;
          response = { status: err.status, body: scimErrorBody(err) };
        }
        responses.push(response.body);
        const where = `${file} step ${i + 1} (${step.request.method} ${path}) → ${JSON.stringify(response)}`;
        expect(([] as number[]).concat(step.expect.status), where).to.include(response.status);
        if (step.expect.body !== undefined && response.body !== undefined) {
          const wanted = JSON.parse(substitute(JSON.stringify(step.expect.body), responses)) as unknown;
          expect(matches(wanted, response.body), `${where}\nexpected to contain ${JSON.stringify(wanted)}`).to.equal(
            true,
          );
        }
        if (step.expect.bodyNot && response.body) {
          const forbidden = JSON.parse(substitute(JSON.stringify(step.expect.bodyNot), responses)) as Record<
            string,
            unknown
          >;
          expect(violatesBodyNot(forbidden, response.body as Record<string, unknown>), where).to.equal(undefined);
        }
      });
    });
  }
});
