#!/usr/bin/env node
// examples/events-consumer.mjs: keeps a table of a directory's users in sync from scimflow's events API alone, and
// survives restarts. Plain Node.js (>= 20), no dependencies. See docs/events.md.
//
//   SCIMFLOW_URL=http://127.0.0.1:8080 ADMIN_TOKEN=… DIRECTORY_ID=… STATE_FILE=users.json \
//     node examples/events-consumer.mjs [--once] [--verbose]
//
// The table and the cursor are saved together, atomically (write a temporary file, rename it), after every page: a
// crash loses at most a page that was not saved, which is read again, so no event is lost and none is applied twice.
import fs from 'node:fs';

const base = (process.env.SCIMFLOW_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const token = process.env.ADMIN_TOKEN;
const directoryId = process.env.DIRECTORY_ID;
const stateFile = process.env.STATE_FILE ?? 'users.json';
const once = process.argv.includes('--once'); // stop when caught up (for scripts and tests)
const verbose = process.argv.includes('--verbose'); // print each applied event id
if (!token || !directoryId) {
  console.error('events-consumer: set ADMIN_TOKEN and DIRECTORY_ID');
  process.exit(2);
}

async function get(path) {
  const res = await fetch(`${base}/admin/directories/${directoryId}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.json();
  if (res.status === 410) return { gone: true };
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${body.detail ?? JSON.stringify(body)}`);
  return body;
}

/** The row this consumer keeps per user: what its own app needs. */
const rowOf = (user) => ({
  userName: user.userName,
  displayName: user.displayName ?? null,
  active: user.active !== false,
  groups: (user.groups ?? []).map((g) => g.display ?? g.value).sort(),
});

function load() {
  try {
    return JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

function save(state) {
  const tmp = `${stateFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, stateFile); // atomic: the old file or the new one, never half of each
}

/** A consistent start: the first page's cursor, then every page; changes made meanwhile come again as events. */
async function fromSnapshot() {
  const state = { cursor: undefined, users: {} };
  for (let startIndex = 1; ;) {
    const page = await get(`/snapshot?type=User&count=500&startIndex=${startIndex}`);
    state.cursor ??= page.cursor;
    for (const user of page.Resources) state.users[user.id] = rowOf(user);
    startIndex += page.Resources.length;
    if (page.Resources.length === 0 || startIndex > page.totalResults) break;
  }
  save(state);
  console.log(`snapshot: ${Object.keys(state.users).length} users, cursor ${state.cursor}`);
  return state;
}

let state = load() ?? (await fromSnapshot());
for (;;) {
  const page = await get(`/events?after=${state.cursor}&type=user.*&limit=500&wait=${once ? 0 : 25}`);
  if (page.gone) {
    console.log(`cursor ${state.cursor} is past the retained log: starting again from the snapshot`);
    state = await fromSnapshot();
    continue;
  }
  for (const event of page.events) {
    if (event.seq <= Number(state.cursor)) continue; // already applied (a page read again): never twice
    if (event.state === null) delete state.users[event.resourceId];
    else state.users[event.resourceId] = rowOf(event.state);
    state.cursor = String(event.seq);
    if (verbose) console.log(`applied ${event.id} ${event.type}`);
  }
  state.cursor = page.cursor;
  save(state);
  if (once && !page.hasMore) break;
}
console.log(`caught up at ${state.cursor}: ${Object.keys(state.users).length} users`);
