// store/index.ts: one object holding every store over one database handle.
import type { Db } from './db';
import { AppliedStateStore } from './applied-state';
import { AppThrottleStore } from './app-throttle';
import { DirectoryStore } from './directories';
import { DriftStore } from './drift';
import { HeldChangeStore } from './held-changes';
import { EventLog } from './event-log';
import { GroupMemberStore } from './group-members';
import { GroupNames } from './group-names';
import { PolicyStore } from './policies';
import { ResourceStore } from './resources';
import { WriteBatcher } from './write-batch';

export interface Stores {
  db: Db;
  directories: DirectoryStore;
  events: EventLog;
  resources: ResourceStore;
  members: GroupMemberStore;
  applied: AppliedStateStore;
  policies: PolicyStore;
  /** Reconciliation runs and the drift they found. */
  drift: DriftStore;
  /** Changes the mass-change guard holds until `scimflow approve`. */
  held: HeldChangeStore;
  /** Per-app rate limit, concurrency and circuit breaker, shared by every worker. */
  throttle: AppThrottleStore;
  /** Group commit for request writes (the API); other processes use plain transactions. */
  batch: WriteBatcher;
}

/** One cache per connection: a connection's own writes never change its data_version, so every Stores over it must share it. */
const groupNamesByDb = new WeakMap<Db, GroupNames>();
function groupNamesOf(db: Db): GroupNames {
  let names = groupNamesByDb.get(db);
  if (!names) groupNamesByDb.set(db, (names = new GroupNames(db)));
  return names;
}

export function createStores(db: Db): Stores {
  const events = new EventLog(db);
  const groupNames = groupNamesOf(db);
  return {
    db,
    directories: new DirectoryStore(db),
    events,
    resources: new ResourceStore(db, events, groupNames),
    members: new GroupMemberStore(db, groupNames),
    throttle: new AppThrottleStore(db),
    applied: new AppliedStateStore(db),
    policies: new PolicyStore(db),
    drift: new DriftStore(db),
    held: new HeldChangeStore(db),
    batch: new WriteBatcher(db),
  };
}
