// bench/scenarios.ts: the benchmark scenarios (what each sends, on which server, against which target).
import { URN } from '../domain/scim/schemas/urns';
import type { NextRequest } from './load';
import type { SeedMeta } from './seed';
import { userBody, userName } from './seed';

export interface Target {
  label: string;
  minReqPerSec?: number;
  maxP99Ms?: number;
}

export interface Scenario {
  name: string;
  what: string;
  server: 'ceiling' | 'scim';
  /** Write scenarios get their own copy of the dataset. */
  writes: boolean;
  target?: Target;
  /** A fresh generator per run; `used()` says how many requests it built (warm-up included). */
  requests: (seed: SeedMeta) => { next: () => NextRequest; used: () => number };
  /** Checks the first answer, so a wrong URL or a 404 is caught before it is measured. */
  expect: { status: number; body?: (json: Record<string, unknown>) => boolean };
}

// The targets: ≥ 10,000 filtered reads/s, ≥ 4,000 user writes/s, p99 ≤ 25 ms.
const READ_TARGET: Target = { label: '≥10000/s, p99≤25ms', minReqPerSec: 10_000, maxP99Ms: 25 };
const WRITE_TARGET: Target = { label: '≥4000/s, p99≤25ms', minReqPerSec: 4_000, maxP99Ms: 25 };
const LATENCY_TARGET: Target = { label: 'p99≤25ms', maxP99Ms: 25 };

const patchOp = (ops: unknown[]) => JSON.stringify({ schemas: [URN.PatchOp], Operations: ops });
const randomIndex = (n: number) => Math.floor(Math.random() * n);
const base = (seed: SeedMeta) => `/scim/v2/${seed.directoryId}`;

function counter<T>(build: (n: number) => T): { next: () => T; used: () => number } {
  let n = 0;
  return { next: () => build(n++), used: () => n };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'ceiling',
    what: 'bare Koa + one prepared SELECT by user_name_lower (no auth, no SCIM)',
    server: 'ceiling',
    writes: false,
    requests: (seed) =>
      counter(() => ({
        method: 'GET',
        path: `/?userName=${encodeURIComponent(userName('user', randomIndex(seed.users)))}`,
      })),
    expect: { status: 200, body: (j) => j.totalResults === 1 },
  },
  {
    name: 'spc',
    what: 'GET /ServiceProviderConfig (auth + routing floor)',
    server: 'scim',
    writes: false,
    requests: (seed) => counter(() => ({ method: 'GET', path: `${base(seed)}/ServiceProviderConfig` })),
    expect: { status: 200 },
  },
  {
    name: 'filter-user',
    what: 'GET /Users?filter=userName eq "<random existing user>"',
    server: 'scim',
    writes: false,
    target: READ_TARGET,
    requests: (seed) =>
      counter(() => {
        const filter = `userName eq "${userName('user', randomIndex(seed.users))}"`;
        return { method: 'GET', path: `${base(seed)}/Users?filter=${encodeURIComponent(filter)}` };
      }),
    expect: { status: 200, body: (j) => j.totalResults === 1 },
  },
  {
    name: 'create-user',
    what: 'POST /Users, unique userName (row + event in one transaction)',
    server: 'scim',
    writes: true,
    target: WRITE_TARGET,
    requests: (seed) =>
      counter((n) => ({ method: 'POST', path: `${base(seed)}/Users`, body: JSON.stringify(userBody('post', n)) })),
    expect: { status: 201 },
  },
  {
    name: 'patch-user',
    what: 'PATCH /Users/<random of N> replace displayName (varying value)',
    server: 'scim',
    writes: true,
    target: WRITE_TARGET,
    requests: (seed) =>
      counter((n) => ({
        method: 'PATCH',
        path: `${base(seed)}/Users/${seed.memberIds[randomIndex(seed.memberIds.length)]}`,
        body: patchOp([{ op: 'replace', path: 'displayName', value: `Bench Name ${n}` }]),
      })),
    expect: { status: 200, body: (j) => typeof j.displayName === 'string' && j.displayName.startsWith('Bench Name') },
  },
  {
    name: 'group-add',
    what: 'PATCH /Groups/<N-member group> add one non-member',
    server: 'scim',
    writes: true,
    target: WRITE_TARGET,
    requests: (seed) =>
      counter((n) => ({
        method: 'PATCH',
        path: `${base(seed)}/Groups/${seed.groupId}`,
        body: patchOp([{ op: 'add', path: 'members', value: [{ value: seed.poolIds[n % seed.poolIds.length] }] }]),
      })),
    expect: { status: 204 },
  },
  {
    name: 'group-remove',
    what: 'PATCH /Groups/<N-member group> remove one member (Entra value-array form)',
    server: 'scim',
    writes: true,
    target: WRITE_TARGET,
    requests: (seed) =>
      counter((n) => ({
        method: 'PATCH',
        path: `${base(seed)}/Groups/${seed.groupId}`,
        body: patchOp([
          { op: 'remove', path: 'members', value: [{ value: seed.memberIds[n % seed.memberIds.length] }] },
        ]),
      })),
    expect: { status: 204 },
  },
  {
    name: 'group-get',
    what: 'GET /Groups/<N-member group>?excludedAttributes=members',
    server: 'scim',
    writes: false,
    target: LATENCY_TARGET,
    requests: (seed) =>
      counter((n) => ({
        method: 'GET',
        // Equivalent spellings (attribute names are case-insensitive), so consecutive requests differ.
        path: `${base(seed)}/Groups/${seed.groupId}?excludedAttributes=${['members', 'Members', 'MEMBERS'][n % 3]}`,
      })),
    expect: { status: 200, body: (j) => j.displayName === 'All Employees' && j.members === undefined },
  },
];

/** How many distinct targets a scenario can consume before its requests start repeating (no-op writes). */
export function distinctLimit(name: string, seed: SeedMeta): number | undefined {
  if (name === 'group-add') return seed.poolIds.length;
  if (name === 'group-remove') return seed.memberIds.length;
  return undefined;
}
