// bench/seed.ts: builds the benchmark dataset once (N users, one N-member group, a pool of non-members) and caches it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { normalizeResource } from '../domain/scim/normalize';
import { SchemaRegistry } from '../domain/scim/schemas/registry';
import { URN } from '../domain/scim/schemas/urns';
import { openDatabase } from '../store/db';
import { createStores } from '../store';

/** Bump when the generated documents change shape; the store schema is keyed separately (migrations hash). */
const SEED_FORMAT = 1;

const FIRST = [
  'ada',
  'grace',
  'alan',
  'edsger',
  'barbara',
  'donald',
  'frances',
  'ken',
  'radia',
  'tim',
  'margaret',
  'john',
];
const LAST = [
  'lovelace',
  'hopper',
  'turing',
  'dijkstra',
  'liskov',
  'knuth',
  'allen',
  'thompson',
  'perlman',
  'lee',
  'hamilton',
];
const DEPARTMENTS = ['Research', 'Finance', 'Engineering', 'Sales', 'Support', 'Legal', 'People', 'Operations'];
const TITLES = ['Analyst', 'Engineer', 'Manager', 'Director', 'Associate', 'Specialist'];

export interface SeedMeta {
  file: string;
  directoryId: string;
  token: string;
  groupId: string;
  users: number;
  pool: number;
  seedSeconds: number;
  /** Ids of the N group members, in index order (userName of member i is userName('user', i)). */
  memberIds: string[];
  /** Ids of users that are not in the group (targets for add-member PATCHes). */
  poolIds: string[];
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function userName(prefix: string, i: number): string {
  return `${FIRST[i % FIRST.length]}.${LAST[(i * 7) % LAST.length]}.${prefix}${i}@contoso.example`;
}

/** An Entra-shaped POST /Users body (entra-02-create-user-enterprise.json), deterministic in (prefix, i). */
export function userBody(prefix: string, i: number): Record<string, unknown> {
  const given = cap(FIRST[i % FIRST.length]!);
  const family = cap(LAST[(i * 7) % LAST.length]!);
  const name = userName(prefix, i);
  return {
    schemas: [URN.User, URN.EnterpriseUser],
    externalId: `${prefix}-${i}`,
    userName: name,
    active: true,
    displayName: `${given} ${family}`,
    emails: [{ primary: true, type: 'work', value: name }],
    name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
    title: TITLES[i % TITLES.length],
    [URN.EnterpriseUser]: { employeeNumber: String(100000 + i), department: DEPARTMENTS[i % DEPARTMENTS.length] },
  };
}

export function cacheDir(): string {
  return path.join(process.env.SCIMFLOW_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'scimflow'), 'bench');
}

/** Changes whenever a migration file changes, so a cached dataset never outlives its schema. */
function schemaStamp(): string {
  const dir = path.join(__dirname, '..', 'store', 'migrations');
  const hash = crypto.createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) hash.update(name).update(fs.readFileSync(path.join(dir, name)));
  return hash.digest('hex').slice(0, 12);
}

function readIds(file: string, meta: Omit<SeedMeta, 'memberIds' | 'poolIds'>): SeedMeta {
  const db = new Database(file, { readonly: true });
  try {
    const ids = (sql: string) =>
      db
        .prepare<[string], { id: string }>(sql)
        .all(meta.directoryId)
        .map((r) => r.id);
    // userNames carry the index, so ordering by externalId's number keeps member i at position i.
    const order = "ORDER BY CAST(substr(external_id, instr(external_id, '-') + 1) AS INTEGER)";
    return {
      ...meta,
      memberIds: ids(
        `SELECT id FROM resources WHERE directory_id = ? AND type = 'User' AND external_id LIKE 'user-%' ${order}`,
      ),
      poolIds: ids(
        `SELECT id FROM resources WHERE directory_id = ? AND type = 'User' AND external_id LIKE 'pool-%' ${order}`,
      ),
    };
  } finally {
    db.close();
  }
}

/** Returns the cached dataset for (users, pool, schema), building it first when absent. */
export async function ensureSeed(users: number, pool: number, log: (msg: string) => void): Promise<SeedMeta> {
  const dir = cacheDir();
  const base = path.join(dir, `scim-u${users}-p${pool}-f${SEED_FORMAT}-${schemaStamp()}`);
  const file = `${base}.sqlite`;
  const metaFile = `${base}.json`;
  if (fs.existsSync(file) && fs.existsSync(metaFile)) {
    log(`dataset: reusing ${file}`);
    return readIds(file, JSON.parse(fs.readFileSync(metaFile, 'utf8')) as SeedMeta);
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${base}.tmp-${process.pid}.sqlite`;
  log(`dataset: seeding ${users} users + ${pool} pool users into ${file} (one-off)…`);
  const started = Date.now();
  const db = await openDatabase({ file: tmp, synchronous: 'NORMAL' });
  const stores = createStores(db);
  const ctx = { registry: new SchemaRegistry(), resourceType: 'User' as const, dialect: 'generic' as const };
  const { directory, token } = await stores.directories.create({ name: 'bench', dialect: 'generic' });
  let groupId = '';
  // One transaction for everything: the store's own per-write transactions nest as savepoints.
  await stores.atomically(async () => {
    const insertUser = async (prefix: string, i: number) =>
      (await stores.resources.insert(directory.id, 'User', normalizeResource(userBody(prefix, i), ctx))).resource.id;
    const members: { value: string }[] = [];
    for (let i = 0; i < users; i++) members.push({ value: await insertUser('user', i) });
    for (let i = 0; i < pool; i++) await insertUser('pool', i);
    const group = { schemas: [URN.Group], displayName: 'All Employees', externalId: 'all-employees' };
    groupId = (await stores.resources.insert(directory.id, 'Group', group)).resource.id;
    await stores.members.add(directory.id, groupId, members);
  });
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const seedSeconds = (Date.now() - started) / 1000;
  const meta = { file, directoryId: directory.id, token, groupId, users, pool, seedSeconds };
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  fs.renameSync(tmp, file);
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${tmp}${suffix}`, { force: true });
  log(`dataset: seeded in ${seedSeconds.toFixed(1)} s`);
  return readIds(file, meta);
}
