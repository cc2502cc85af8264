// test/integration/store-contract/applied.test.ts: applied state (accounts, blocks, progress, audit, revocations) and
// per-app admission behave the same on SQLite and PostgreSQL: shapes, order, paging, idempotence, and no lost update,
// skipped record or extra admission when calls for one account or one app run at the same time.
import { expect } from 'chai';
import type { AppliedAccount, AppliedAccountChange, AuditRecord } from '../../../store/applied-state';
import { LEASE_MS } from '../../../store/app-throttle';
import { BREAKER_POLICY, CLOSED } from '../../../domain/apps/throttle';
import { withRequestId } from '../../../store/request-context';
import { describeEachStore } from '../../helpers/store-kinds';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const T1 = '2020-12-01T10:00:00.000Z';
const T2 = '2020-12-01T11:00:00.000Z';
const T3 = '2020-12-01T12:00:00.000Z';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const withoutTime = ({ updatedAt, ...rest }: AppliedAccount) => (void updatedAt, rest);

describeEachStore('applied state', (ctx) => {
  const applied = () => ctx.stores.applied;
  const directory = async (name = 'dir') =>
    (await ctx.stores.directories.create({ name, dialect: 'generic' })).directory.id;
  const append = (directoryId: string, identityId: string, resourceType: 'User' | 'Group' = 'User', at = T1) =>
    ctx.stores.atomically(() =>
      ctx.stores.events.append(directoryId, [{ identityId, resourceType, kind: 'updated' }], at),
    );

  it('saves an account with defaults for fields never written and reads it back by key and by identity', async function () {
    const d = await directory();
    expect(await applied().get(d, 'u1', 'app-b')).to.equal(undefined);
    expect(await applied().list(d, 'u1')).to.deep.equal([]);
    const saved = await applied().save(d, 'u1', 'app-b', {
      entitlements: ['z', 'a', 'z'],
      unconfirmedEntitlements: ['z', 'q', 'z'],
    });
    expect(withoutTime(saved)).to.deep.equal({
      appId: 'app-b',
      remoteId: null,
      state: 'deleted',
      specHash: null,
      entitlements: ['a', 'z'],
      unconfirmedEntitlements: ['z'], // not recorded, so not awaiting confirmation
      revocationVerified: false,
      intentKey: null,
      blocked: null,
    });
    expect(saved.updatedAt).to.match(ISO);
    const active = await applied().save(d, 'u1', 'app-a', {
      state: 'active',
      remoteId: 'r-1',
      specHash: 'h',
      intentKey: 'k',
      revocationVerified: true,
    });
    expect(withoutTime(active)).to.deep.equal({
      appId: 'app-a',
      remoteId: 'r-1',
      state: 'active',
      specHash: 'h',
      entitlements: [],
      unconfirmedEntitlements: [],
      revocationVerified: true,
      intentKey: 'k',
      blocked: null,
    });
    // A partial change keeps every other field; a field set to null is cleared.
    const later = await applied().save(d, 'u1', 'app-b', { specHash: 'h2' });
    expect(withoutTime(later)).to.deep.equal({ ...withoutTime(saved), specHash: 'h2' });
    const cleared = await applied().save(d, 'u1', 'app-a', { intentKey: null, entitlements: ['g'] });
    expect(withoutTime(cleared)).to.deep.equal({ ...withoutTime(active), intentKey: null, entitlements: ['g'] });
    // An entitlement dropped from the record stops awaiting confirmation.
    const dropped = await applied().save(d, 'u1', 'app-b', { entitlements: ['a'] });
    expect(dropped.unconfirmedEntitlements).to.deep.equal([]);
    const list = await applied().list(d, 'u1');
    expect(list.map((a) => a.appId)).to.deep.equal(['app-a', 'app-b']);
    expect(await applied().get(d, 'u1', 'app-a')).to.deep.equal(list[0]);
    expect(await applied().get(d, 'u1', 'app-b')).to.deep.equal(dropped);
    expect(await applied().list(d, 'u2')).to.deep.equal([]);
    expect(await applied().list(await directory('other'), 'u1')).to.deep.equal([]);
  });

  it('keeps every field of concurrent partial saves of one account (no lost update)', async function () {
    const d = await directory();
    for (const round of [1, 2]) {
      const changes: AppliedAccountChange[] = [
        { remoteId: `r-${round}` },
        { specHash: `h-${round}` },
        { intentKey: `k-${round}` },
        { state: round === 1 ? 'active' : 'disabled' },
        { revocationVerified: round === 2 },
        { entitlements: [`e-${round}`] },
      ];
      await Promise.all(changes.map((change) => applied().save(d, 'u1', 'app', change)));
      expect(withoutTime((await applied().get(d, 'u1', 'app'))!)).to.deep.equal({
        appId: 'app',
        remoteId: `r-${round}`,
        state: round === 1 ? 'active' : 'disabled',
        specHash: `h-${round}`,
        entitlements: [`e-${round}`],
        unconfirmedEntitlements: [],
        revocationVerified: round === 2,
        intentKey: `k-${round}`,
        blocked: null,
      });
    }
  });

  it('lists and counts the accounts of an app that may still give access', async function () {
    const d = await directory();
    await applied().save(d, 'u1', 'app', { state: 'active' });
    await applied().save(d, 'u2', 'app', { state: 'pending' });
    await applied().save(d, 'u3', 'app', { state: 'disabled' });
    await applied().save(d, 'u4', 'app', { state: 'disabled', revocationVerified: true });
    await applied().save(d, 'u5', 'app', { state: 'deleted' });
    await applied().save(d, 'u6', 'other', { state: 'active' });
    const unrevoked = await applied().unrevokedInApp('app');
    expect([...unrevoked].sort((a, b) => a.identityId.localeCompare(b.identityId))).to.deep.equal([
      { identityId: 'u1', state: 'active' },
      { identityId: 'u2', state: 'pending' },
      { identityId: 'u3', state: 'disabled' },
    ]);
    expect(await applied().countUnrevokedInApp('app')).to.equal(3);
    expect(await applied().countUnrevokedInApp('other')).to.equal(1);
    expect(await applied().unrevokedInApp('none')).to.deep.equal([]);
    expect(await applied().countUnrevokedInApp('none')).to.equal(0);
  });

  it('says whether another identity still holds an app account', async function () {
    const d = await directory();
    await applied().save(d, 'u1', 'app', { state: 'active', remoteId: 'r1' });
    expect(await applied().claimedByOther('app', 'r1', 'u2')).to.equal(true);
    expect(await applied().claimedByOther('app', 'r1', 'u1')).to.equal(false);
    expect(await applied().claimedByOther('other', 'r1', 'u2')).to.equal(false);
    expect(await applied().claimedByOther('app', 'r-none', 'u2')).to.equal(false);
    await applied().save(d, 'u1', 'app', { state: 'disabled' }); // revocation not verified yet: still held
    expect(await applied().claimedByOther('app', 'r1', 'u2')).to.equal(true);
    await applied().save(d, 'u1', 'app', { revocationVerified: true }); // let go: a rehire may adopt it
    expect(await applied().claimedByOther('app', 'r1', 'u2')).to.equal(false);
    await applied().save(d, 'u3', 'app', { state: 'pending', remoteId: 'r3', revocationVerified: true });
    expect(await applied().claimedByOther('app', 'r3', 'u2')).to.equal(true);
  });

  it('marks a block (creating the account row), keeps its first time per kind, and clears it', async function () {
    const d = await directory();
    await applied().setBlocked(d, 'u1', 'app', { kind: 'revocation', since: T1, reason: '503' });
    const created = (await applied().get(d, 'u1', 'app'))!;
    expect(withoutTime(created)).to.deep.equal({
      appId: 'app',
      remoteId: null,
      state: 'deleted',
      specHash: null,
      entitlements: [],
      unconfirmedEntitlements: [],
      revocationVerified: false,
      intentKey: null,
      blocked: { kind: 'revocation', since: T1, reason: '503' },
    });
    await applied().setBlocked(d, 'u1', 'app', { kind: 'revocation', since: T2, reason: 'timeout' });
    expect((await applied().get(d, 'u1', 'app'))!.blocked).to.deep.equal({
      kind: 'revocation',
      since: T1,
      reason: 'timeout',
    });
    // A save leaves the block alone.
    await applied().save(d, 'u1', 'app', { remoteId: 'r1' });
    expect((await applied().get(d, 'u1', 'app'))!.blocked).to.deep.equal({
      kind: 'revocation',
      since: T1,
      reason: 'timeout',
    });
    await applied().setBlocked(d, 'u1', 'app', { kind: 'grant', since: T3, reason: '' });
    expect((await applied().get(d, 'u1', 'app'))!.blocked).to.deep.equal({ kind: 'grant', since: T3, reason: '' });
    await applied().setBlocked(d, 'u1', 'app', null);
    const after = (await applied().get(d, 'u1', 'app'))!;
    expect(after.blocked).to.equal(null);
    expect(after.remoteId).to.equal('r1');
    await applied().setBlocked(d, 'u2', 'app', null); // clearing a row that never existed creates it, unblocked
    expect((await applied().get(d, 'u2', 'app'))!.blocked).to.equal(null);
  });

  it('records progress that never moves back, with the exception and when it was first seen', async function () {
    const d = await directory();
    expect(await applied().progress(d, 'u1')).to.equal(undefined);
    await applied().recordProgress(d, 'u1', { processedSeq: 5, lifecycle: 'joiner', exception: null });
    expect(await applied().progress(d, 'u1')).to.deep.equal({ processedSeq: 5, lifecycle: 'joiner', exception: null });
    await applied().recordProgress(d, 'u1', { processedSeq: 3, lifecycle: 'mover', exception: 'boom' });
    expect(await applied().progress(d, 'u1')).to.deep.equal({ processedSeq: 5, lifecycle: 'mover', exception: 'boom' });
    const first = (await applied().exceptions(d))[0]!;
    expect(first.exception).to.equal('boom');
    await sleep(5);
    await applied().recordProgress(d, 'u1', { processedSeq: 6, lifecycle: 'mover', exception: 'still' });
    const second = (await applied().exceptions(d))[0]!;
    expect(second.exception).to.equal('still');
    expect(second.since).to.equal(first.since); // the exception's age runs from when it was first recorded
    await applied().recordProgress(d, 'u1', { processedSeq: 7, lifecycle: 'active', exception: null });
    expect(await applied().exceptions(d)).to.deep.equal([]);
    expect(await applied().progress(d, 'u2')).to.equal(undefined);
  });

  it('keeps the highest processed seq of concurrent progress writes', async function () {
    const d = await directory();
    const seqs = [7, 3, 20, 1, 12, 19, 2, 15, 4, 11, 18, 5, 9, 16, 6, 13, 8, 17, 10, 14];
    await Promise.all(
      seqs.map((processedSeq) => applied().recordProgress(d, 'u1', { processedSeq, lifecycle: 'x', exception: null })),
    );
    expect((await applied().progress(d, 'u1'))!.processedSeq).to.equal(20);
  });

  it('flags a stalled identity from outside its workflow, keeping its progress and first flag time', async function () {
    const d = await directory();
    await applied().flagStalled(d, 'u1', 'workflow failed');
    expect(await applied().progress(d, 'u1')).to.deep.equal({
      processedSeq: 0,
      lifecycle: 'stalled',
      exception: 'workflow failed',
    });
    await applied().recordProgress(d, 'u2', { processedSeq: 4, lifecycle: 'joiner', exception: null });
    await applied().flagStalled(d, 'u2', 'terminated');
    expect(await applied().progress(d, 'u2')).to.deep.equal({
      processedSeq: 4,
      lifecycle: 'joiner',
      exception: 'terminated',
    });
    const before = (await applied().exceptions(d)).find((e) => e.identityId === 'u2')!;
    await sleep(5);
    await applied().flagStalled(d, 'u2', 'tasks failing');
    const after = (await applied().exceptions(d)).find((e) => e.identityId === 'u2')!;
    expect(after.exception).to.equal('tasks failing');
    expect(after.since).to.equal(before.since);
    // The workflow's next progress clears it.
    await applied().recordProgress(d, 'u2', { processedSeq: 5, lifecycle: 'joiner', exception: null });
    expect((await applied().exceptions(d)).map((e) => e.identityId)).to.deep.equal(['u1']);
  });

  it('lists identities needing an eye, oldest first, with their blocked apps and ages', async function () {
    const d = await directory();
    const other = await directory('other');
    await applied().recordProgress(d, 'u1', { processedSeq: 1, lifecycle: 'joiner', exception: 'refused' });
    await applied().setBlocked(d, 'u1', 'app-y', { kind: 'revocation', since: T2, reason: '503' });
    await applied().setBlocked(d, 'u2', 'app-x', { kind: 'exception', since: T3, reason: 'ambiguous' });
    await applied().setBlocked(d, 'u2', 'app-z', { kind: 'grant', since: T1, reason: 'refused grant' });
    await applied().setBlocked(d, 'u3', 'app-x', null);
    await applied().setBlocked(other, 'u9', 'app-x', { kind: 'grant', since: T1, reason: 'elsewhere' });
    const now = Date.parse('2020-12-02T10:00:00.000Z');
    const found = await applied().exceptions(d, now);
    expect(found.map((e) => e.identityId)).to.deep.equal(['u2', 'u1']);
    const [u2, u1] = found;
    expect(u2).to.deep.equal({
      identityId: 'u2',
      userName: null,
      exception: null,
      apps: [
        { appId: 'app-x', kind: 'exception', since: T3, ageSeconds: 22 * 3600, reason: 'ambiguous' },
        { appId: 'app-z', kind: 'grant', since: T1, ageSeconds: 24 * 3600, reason: 'refused grant' },
      ].sort((a, b) => a.appId.localeCompare(b.appId)),
      since: T1,
      ageSeconds: 24 * 3600,
    });
    expect(u1!.exception).to.equal('refused');
    expect(u1!.apps).to.deep.equal([
      { appId: 'app-y', kind: 'revocation', since: T2, ageSeconds: 23 * 3600, reason: '503' },
    ]);
    expect(u1!.since).to.equal(T2); // the older of its exception (now) and its block
    expect(u1!.ageSeconds).to.equal(23 * 3600);
    // Ages never go below zero.
    expect((await applied().exceptions(d, Date.parse(T1) - 60_000))[0]!.ageSeconds).to.equal(0);
    expect(await applied().exceptions(await directory('empty'))).to.deep.equal([]);
  });

  it("names an identity's user in its exception", async function () {
    const d = await directory();
    const { resource } = await ctx.stores.resources.insert(d, 'User', { userName: 'ada', active: true });
    await applied().setBlocked(d, resource.id, 'app', { kind: 'grant', since: T1, reason: 'refused' });
    await applied().recordProgress(d, resource.id, { processedSeq: 1, lifecycle: 'joiner', exception: 'refused' });
    const [found] = await applied().exceptions(d);
    expect(found!.userName).to.equal('ada');
    expect(found!.exception).to.equal('refused');
  });

  it('appends to the audit trail and reads it in order, per directory and identity, with a limit', async function () {
    const d = await directory();
    const other = await directory('other');
    await applied().audit({
      directoryId: d,
      identityId: 'u1',
      appId: 'app',
      action: 'account.created',
      seq: 3,
      workflowId: 'identity/d/u1',
      attempt: 2,
      detail: { remoteId: 'r1', nested: { a: [1, 2] } },
    });
    await applied().audit({ directoryId: d, identityId: 'u2', action: 'exception' });
    await applied().audit({ directoryId: d, identityId: 'u1', action: 'revocation.verified', seq: 4 });
    await applied().audit({ directoryId: other, identityId: 'u1', action: 'exception' });
    const trail = await applied().auditTrail(d);
    expect(trail.map((a) => [a.identityId, a.action])).to.deep.equal([
      ['u1', 'account.created'],
      ['u2', 'exception'],
      ['u1', 'revocation.verified'],
    ]);
    expect(trail[0]!.id).to.be.below(trail[1]!.id);
    expect(trail[1]!.id).to.be.below(trail[2]!.id);
    expect(trail[0]).to.deep.equal({
      id: trail[0]!.id,
      directoryId: d,
      identityId: 'u1',
      appId: 'app',
      action: 'account.created',
      seq: 3,
      workflowId: 'identity/d/u1',
      attempt: 2,
      detail: { remoteId: 'r1', nested: { a: [1, 2] } },
      at: trail[0]!.at,
    });
    expect(trail[0]!.at).to.match(ISO);
    expect(trail[1]).to.deep.equal({
      id: trail[1]!.id,
      directoryId: d,
      identityId: 'u2',
      appId: undefined,
      action: 'exception',
      seq: undefined,
      workflowId: undefined,
      attempt: undefined,
      detail: {},
      at: trail[1]!.at,
    });
    expect((await applied().auditTrail(d, 'u1')).map((a) => a.action)).to.deep.equal([
      'account.created',
      'revocation.verified',
    ]);
    expect((await applied().auditTrail(d, undefined, 2)).map((a) => a.id)).to.deep.equal(
      trail.slice(0, 2).map((a) => a.id),
    );
    expect((await applied().auditTrail(d, 'u1', 1)).map((a) => a.action)).to.deep.equal(['account.created']);
    expect(await applied().auditTrail(d, 'nobody')).to.deep.equal([]);
    expect((await applied().auditTrail(other)).map((a) => a.identityId)).to.deep.equal(['u1']);
  });

  it('pages the audit trail with filters, and names the request behind each change while its event is kept', async function () {
    const d = await directory();
    const [withRequest] = await withRequestId('req-42', () => append(d, 'u1'));
    const [plain] = await append(d, 'u2');
    await applied().audit({ directoryId: d, identityId: 'u1', appId: 'a', action: 'one', seq: withRequest!.seq });
    await sleep(3);
    await applied().audit({ directoryId: d, identityId: 'u2', appId: 'b', action: 'two', seq: plain!.seq });
    await sleep(3);
    await applied().audit({ directoryId: d, identityId: 'u1', appId: 'b', action: 'three' });
    await sleep(3);
    await applied().audit({ directoryId: d, identityId: 'u1', appId: 'a', action: 'four', seq: 999 });
    await applied().audit({ directoryId: await directory('other'), identityId: 'u1', action: 'elsewhere' });
    const all = await applied().auditPage(d, {}, 0, 100);
    expect(all.map((a) => a.action)).to.deep.equal(['one', 'two', 'three', 'four']);
    expect(all[0]!.requestId).to.equal('req-42');
    for (const record of all.slice(1)) expect(record).not.to.have.property('requestId');
    const trail = await applied().auditTrail(d);
    expect(all.map(({ requestId, ...rest }) => (void requestId, rest))).to.deep.equal(trail);
    // Paging: after a record, at most `limit`.
    const actions = (records: AuditRecord[]) => records.map((a) => a.action);
    expect(actions(await applied().auditPage(d, {}, all[0]!.id, 2))).to.deep.equal(['two', 'three']);
    expect(actions(await applied().auditPage(d, {}, all[3]!.id, 2))).to.deep.equal([]);
    expect(actions(await applied().auditPage(d, { identityId: 'u1' }, 0, 100))).to.deep.equal(['one', 'three', 'four']);
    expect(actions(await applied().auditPage(d, { appId: 'b' }, 0, 100))).to.deep.equal(['two', 'three']);
    expect(actions(await applied().auditPage(d, { identityId: 'u1', appId: 'a' }, all[0]!.id, 100))).to.deep.equal([
      'four',
    ]);
    expect(actions(await applied().auditPage(d, { since: all[2]!.at }, 0, 100))).to.deep.equal(['three', 'four']);
    expect(actions(await applied().auditPage(d, { since: '2999-01-01T00:00:00.000Z' }, 0, 100))).to.deep.equal([]);
  });

  it('records each revocation once and lists them by verification time, per directory and identity', async function () {
    const d = await directory();
    const other = await directory('other');
    expect(await applied().newestRevocationRowId()).to.equal(0);
    expect(await applied().revocationsAfterRowId(0)).to.deep.equal([]);
    await applied().recordRevocation(d, 'u1', 5, T1, '2020-12-01T10:00:02.500Z');
    await applied().recordRevocation(d, 'u2', 6, T1, '2020-12-01T10:00:01.000Z');
    await applied().recordRevocation(other, 'u1', 5, T1, '2020-12-01T10:00:03.000Z');
    await applied().recordRevocation(d, 'u1', 9, T2, '2020-12-01T11:00:00.250Z');
    // The same departure again (a retried activity) changes nothing.
    await applied().recordRevocation(d, 'u1', 5, T2, T3);
    expect(await applied().revocations(d)).to.deep.equal([
      { identityId: 'u2', seq: 6, requestedAt: T1, verifiedAt: '2020-12-01T10:00:01.000Z', latencyMs: 1000 },
      { identityId: 'u1', seq: 5, requestedAt: T1, verifiedAt: '2020-12-01T10:00:02.500Z', latencyMs: 2500 },
      { identityId: 'u1', seq: 9, requestedAt: T2, verifiedAt: '2020-12-01T11:00:00.250Z', latencyMs: 250 },
    ]);
    expect(await applied().revocationsOf(d, 'u1')).to.deep.equal([
      { seq: 5, requestedAt: T1, verifiedAt: '2020-12-01T10:00:02.500Z', latencyMs: 2500 },
      { seq: 9, requestedAt: T2, verifiedAt: '2020-12-01T11:00:00.250Z', latencyMs: 250 },
    ]);
    expect(await applied().revocationsOf(d, 'nobody')).to.deep.equal([]);
    // Every directory's, in the order recorded.
    const recorded = await applied().revocationsAfterRowId(0);
    expect(recorded.map((r) => [r.directoryId, r.latencyMs])).to.deep.equal([
      [d, 2500],
      [d, 1000],
      [other, 3000],
      [d, 250],
    ]);
    const ids = recorded.map((r) => r.rowId);
    expect(ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > ids[i - 1]!))).to.equal(true);
    expect(await applied().newestRevocationRowId()).to.equal(ids[3]);
    expect(await applied().revocationsAfterRowId(ids[1]!)).to.deep.equal(recorded.slice(2));
    expect(await applied().revocationsAfterRowId(ids[3]!)).to.deep.equal([]);
  });

  it('lets a reader following row ids see every revocation recorded concurrently, once', async function () {
    const d = await directory();
    await applied().recordRevocation(d, 'u0', 1, T1, T2);
    let after = await applied().newestRevocationRowId();
    const seen: number[] = [];
    const readOnce = async () => {
      for (const r of await applied().revocationsAfterRowId(after)) {
        seen.push(r.rowId);
        after = Math.max(after, r.rowId);
      }
    };
    let recording = true;
    const reader = (async () => {
      while (recording) await readOnce();
    })();
    const count = 60;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        ctx.stores.atomically(async () => {
          await applied().recordRevocation(d, `u${i + 1}`, 1, T1, T2);
          await sleep(i % 3); // commits in another order than the row ids were drawn, if nothing orders them
        }),
      ),
    );
    recording = false;
    await reader;
    await readOnce();
    expect(seen).to.have.length(count);
    expect(new Set(seen).size).to.equal(count);
  });

  it('tells when a departure was verified by an app but not yet recorded', async function () {
    const d = await directory();
    expect(await applied().unrecordedRevocationVerifiedAt(d, 'u1', 5)).to.equal(undefined);
    await applied().audit({ directoryId: d, identityId: 'u1', appId: 'a', action: 'revocation.verified', seq: 4 });
    await applied().audit({ directoryId: d, identityId: 'u1', appId: 'a', action: 'account.disabled', seq: 6 });
    await applied().audit({ directoryId: d, identityId: 'u2', appId: 'a', action: 'revocation.verified', seq: 6 });
    expect(await applied().unrecordedRevocationVerifiedAt(d, 'u1', 5)).to.equal(undefined);
    await applied().audit({ directoryId: d, identityId: 'u1', appId: 'a', action: 'revocation.verified', seq: 5 });
    await sleep(3);
    await applied().audit({ directoryId: d, identityId: 'u1', appId: 'b', action: 'revocation.verified', seq: 7 });
    const trail = await applied().auditTrail(d, 'u1');
    const newest = trail.filter((a) => a.action === 'revocation.verified' && a.seq! >= 5).map((a) => a.at);
    expect(await applied().unrecordedRevocationVerifiedAt(d, 'u1', 5)).to.equal(newest.sort().at(-1));
    await applied().recordRevocation(d, 'u1', 5, T1, T2);
    expect(await applied().unrecordedRevocationVerifiedAt(d, 'u1', 5)).to.equal(undefined);
    expect(await applied().unrecordedRevocationVerifiedAt(d, 'u1', 7)).to.equal(trail.at(-1)!.at);
  });

  it('finds the identities whose workflow is behind the log, and the lag per directory', async function () {
    const d = await directory();
    expect(await applied().lag(d)).to.deep.equal({ newestSeq: 0, unprocessedEvents: 0, identitiesBehind: 0 });
    expect(await applied().unprocessed(d, 0)).to.deep.equal({ identities: [], lowestSeq: 0 });
    await append(d, 'u1', 'User', T1); // 1
    await append(d, 'u2', 'User', T2); // 2
    await append(d, 'g1', 'Group', T1); // 3
    await append(d, 'u1', 'User', T3); // 4
    await append(d, 'u3', 'User', T3); // 5
    await append(d, 'u2', 'User', T1); // 6
    expect(await applied().lag(d)).to.deep.equal({ newestSeq: 6, unprocessedEvents: 5, identitiesBehind: 3 });
    expect(await applied().unprocessed(d, 0)).to.deep.equal({
      identities: [
        { identityId: 'u1', seq: 4, since: T1, exception: null },
        { identityId: 'u2', seq: 6, since: T1, exception: null },
        { identityId: 'u3', seq: 5, since: T3, exception: null },
      ],
      lowestSeq: 0,
    });
    await applied().recordProgress(d, 'u1', { processedSeq: 4, lifecycle: 'active', exception: null });
    await applied().recordProgress(d, 'u2', { processedSeq: 2, lifecycle: 'active', exception: null });
    await applied().flagStalled(d, 'u3', 'stuck');
    expect(await applied().lag(d)).to.deep.equal({ newestSeq: 6, unprocessedEvents: 2, identitiesBehind: 2 });
    expect(await applied().unprocessed(d, 0)).to.deep.equal({
      identities: [
        { identityId: 'u2', seq: 6, since: T1, exception: null },
        { identityId: 'u3', seq: 5, since: T3, exception: 'stuck' },
      ],
      lowestSeq: 4,
    });
    expect(await applied().unprocessed(d, 5)).to.deep.equal({
      identities: [{ identityId: 'u2', seq: 6, since: T1, exception: null }],
      lowestSeq: 5,
    });
    await applied().recordProgress(d, 'u2', { processedSeq: 6, lifecycle: 'active', exception: null });
    await applied().recordProgress(d, 'u3', { processedSeq: 5, lifecycle: 'active', exception: null });
    // Nothing behind: the low-water mark moves to the newest event read, or stays when none was.
    expect(await applied().unprocessed(d, 1)).to.deep.equal({ identities: [], lowestSeq: 6 });
    expect(await applied().unprocessed(d, 6)).to.deep.equal({ identities: [], lowestSeq: 6 });
    expect(await applied().unprocessed(d, 10)).to.deep.equal({ identities: [], lowestSeq: 10 });
    expect(await applied().lag(d)).to.deep.equal({ newestSeq: 6, unprocessedEvents: 0, identitiesBehind: 0 });
    expect(await applied().lag('no-such-directory')).to.deep.equal({
      newestSeq: 0,
      unprocessedEvents: 0,
      identitiesBehind: 0,
    });
  });
});

describeEachStore('app throttle', (ctx) => {
  const throttle = () => ctx.stores.throttle;
  const openBreaker = async (appId: string) => {
    for (let i = 1; i <= BREAKER_POLICY.failuresToOpen; i++) await throttle().leave(appId, null, 'transient', `e${i}`);
  };

  it('lets every call through an app with no limits and a closed breaker, holding no lease', async function () {
    expect(await throttle().enter('app', {})).to.deep.equal({ ok: true, leaseId: null });
    expect(await throttle().status('app')).to.deep.equal({ breaker: CLOSED, inFlight: 0 });
    await throttle().leave('app', null, 'answered');
    await throttle().leave('app', null, 'cancelled', 'aborted');
    expect(await throttle().status('app')).to.deep.equal({ breaker: CLOSED, inFlight: 0 });
  });

  it('holds an app to its concurrency limit with leases that calls free, or that expire', async function () {
    const limits = { maxConcurrency: 2 };
    const a = await throttle().enter('app', limits);
    const b = await throttle().enter('app', limits);
    if (!a.ok || !b.ok) throw new Error('the first two calls were refused');
    expect(a.leaseId).to.be.a('string');
    expect(b.leaseId).to.be.a('string').and.not.equal(a.leaseId);
    const refused = await throttle().enter('app', limits);
    if (refused.ok) throw new Error('a third call was let through');
    expect(refused.reason).to.equal('concurrency limit 2 reached');
    expect(refused.waitMs).to.be.within(200, 499);
    expect((await throttle().status('app')).inFlight).to.equal(2);
    expect((await throttle().status('other')).inFlight).to.equal(0);
    expect((await throttle().enter('other', limits)).ok).to.equal(true); // per app
    await throttle().leave('app', a.leaseId, 'answered');
    expect((await throttle().status('app')).inFlight).to.equal(1);
    const c = await throttle().enter('app', limits);
    expect(c.ok).to.equal(true);
    // A cancelled call frees its lease and leaves the breaker as it was.
    if (c.ok) await throttle().leave('app', c.leaseId, 'cancelled');
    expect(await throttle().status('app')).to.deep.equal({ breaker: CLOSED, inFlight: 1 });
    // Leases left by a crashed worker stop counting after LEASE_MS.
    const later = Date.now() + LEASE_MS + 1_000;
    expect((await throttle().status('app', later)).inFlight).to.equal(0);
    const fresh = await throttle().enter('app', { maxConcurrency: 1 }, later);
    expect(fresh.ok).to.equal(true);
    expect((await throttle().status('app', later)).inFlight).to.equal(1);
  });

  it('never admits more than the concurrency limit when many calls enter at once', async function () {
    const limit = 3;
    const entries = await Promise.all(
      Array.from({ length: 40 }, () => throttle().enter('app', { maxConcurrency: limit })),
    );
    expect(entries.filter((e) => e.ok)).to.have.length(limit);
    expect((await throttle().status('app')).inFlight).to.equal(limit);
    await throttle().reset('app');
    // Calls that hold their slot a while and then leave: at no moment are more than `limit` inside.
    let inside = 0;
    let most = 0;
    let admitted = 0;
    const worker = async () => {
      for (let attempt = 0; attempt < 15; attempt++) {
        const entry = await throttle().enter('app', { maxConcurrency: limit });
        if (!entry.ok) {
          await sleep(5);
          continue;
        }
        admitted += 1;
        inside += 1;
        most = Math.max(most, inside);
        await sleep(5);
        inside -= 1;
        await throttle().leave('app', entry.leaseId, 'answered');
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    expect(most).to.be.at.most(limit);
    expect(admitted).to.be.at.least(limit);
    expect((await throttle().status('app')).inFlight).to.equal(0);
  });

  it('holds an app to its rate, refilling its bucket over time', async function () {
    const now = Date.parse(T1);
    const limits = { ratePerSecond: 5 };
    for (let i = 0; i < 5; i++)
      expect(await throttle().enter('app', limits, now)).to.deep.equal({ ok: true, leaseId: null });
    expect(await throttle().enter('app', limits, now)).to.deep.equal({
      ok: false,
      waitMs: 200,
      reason: 'rate limit 5/s',
    });
    expect(await throttle().enter('app', limits, now + 100)).to.deep.equal({
      ok: false,
      waitMs: 100,
      reason: 'rate limit 5/s',
    });
    expect((await throttle().enter('app', limits, now + 200)).ok).to.equal(true);
    expect((await throttle().enter('app', limits, now + 200)).ok).to.equal(false);
    // Under one per second, a bucket of one.
    const slow = { ratePerSecond: 0.5 };
    expect((await throttle().enter('slow', slow, now)).ok).to.equal(true);
    expect(await throttle().enter('slow', slow, now + 1_000)).to.deep.equal({
      ok: false,
      waitMs: 1_000,
      reason: 'rate limit 0.5/s',
    });
    expect((await throttle().enter('slow', slow, now + 2_000)).ok).to.equal(true);
    // Rate and concurrency together: a call refused for want of a slot spends no token. (Leases count against the
    // clock, so this part runs at the present time.)
    const both = { ratePerSecond: 2, maxConcurrency: 1 };
    const at = Date.now();
    const first = await throttle().enter('both', both, at);
    if (!first.ok) throw new Error('the first call was refused');
    expect(first.leaseId).to.be.a('string');
    expect(await throttle().enter('both', both, at)).to.include({ ok: false, reason: 'concurrency limit 1 reached' });
    expect(await throttle().enter('both', both, at)).to.include({ ok: false, reason: 'concurrency limit 1 reached' });
    await throttle().leave('both', first.leaseId, 'answered');
    const second = await throttle().enter('both', both, at);
    if (!second.ok) throw new Error('the second token was spent by a refused call');
    await throttle().leave('both', second.leaseId, 'answered');
    expect(await throttle().enter('both', both, at)).to.deep.equal({
      ok: false,
      waitMs: 500,
      reason: 'rate limit 2/s',
    });
  });

  it('never takes more tokens than the bucket holds when many calls enter at once', async function () {
    const now = Date.parse(T1);
    const entries = await Promise.all(
      Array.from({ length: 30 }, () => throttle().enter('app', { ratePerSecond: 4 }, now)),
    );
    expect(entries.filter((e) => e.ok)).to.have.length(4);
  });

  it('opens the breaker after transient failures in a row, lets one probe through, and closes on an answer', async function () {
    await throttle().leave('app', null, 'transient', 'e1');
    await throttle().leave('app', null, 'answered'); // an answer resets the count
    expect((await throttle().status('app')).breaker).to.deep.equal(CLOSED);
    const start = Date.now();
    await openBreaker('app');
    const { breaker } = await throttle().status('app');
    expect(breaker).to.include({ state: 'open', failures: 5, cooldownMs: 2_000, lastError: 'e5' });
    expect(breaker.openedAt).to.be.within(start, Date.now());
    const probeAt = breaker.probeAt!;
    expect(probeAt - breaker.openedAt!).to.be.within(1_500, 2_500);
    const refused = await throttle().enter('app', {}, probeAt - 700);
    expect(refused).to.deep.equal({ ok: false, waitMs: 700, reason: 'circuit open after 5 failures: e5' });
    // A call let through before it opened, failing after, counts but does not push the probe back.
    await throttle().leave('app', null, 'transient', 'late');
    expect((await throttle().status('app')).breaker).to.include({ failures: 6, probeAt, lastError: 'late' });
    expect(await throttle().enter('app', {}, probeAt)).to.deep.equal({ ok: true, leaseId: null });
    expect((await throttle().status('app')).breaker).to.include({ state: 'half-open', probeAt: probeAt + 2_000 });
    const waiting = await throttle().enter('app', {}, probeAt + 10);
    expect(waiting).to.deep.equal({ ok: false, waitMs: 1_000, reason: 'circuit open after 6 failures: late' });
    await throttle().leave('app', null, 'answered');
    expect((await throttle().status('app')).breaker).to.deep.equal(CLOSED);
    expect(await throttle().enter('app', {})).to.deep.equal({ ok: true, leaseId: null });
  });

  it('doubles the wait after a failed probe and keeps only the first 500 characters of an error', async function () {
    await openBreaker('app');
    const { probeAt } = (await throttle().status('app')).breaker;
    expect((await throttle().enter('app', {}, probeAt!)).ok).to.equal(true);
    const failedAt = Date.now();
    await throttle().leave('app', null, 'transient', 'x'.repeat(600));
    const { breaker } = await throttle().status('app');
    expect(breaker).to.include({ state: 'open', failures: 6, cooldownMs: 4_000 });
    expect(breaker.lastError).to.equal('x'.repeat(500));
    expect(breaker.probeAt! - failedAt).to.be.within(3_000 - 50, 5_000 + 50);
  });

  it('lets exactly one probe through when many calls arrive at the probe time at once', async function () {
    await openBreaker('app');
    const { probeAt } = (await throttle().status('app')).breaker;
    const entries = await Promise.all(Array.from({ length: 25 }, () => throttle().enter('app', {}, probeAt!)));
    expect(entries.filter((e) => e.ok)).to.have.length(1);
    expect((await throttle().status('app')).breaker.state).to.equal('half-open');
  });

  it('counts every one of concurrent failures (no lost update of the breaker)', async function () {
    await Promise.all(
      Array.from({ length: BREAKER_POLICY.failuresToOpen }, (_, i) =>
        throttle().leave('app', null, 'transient', `e${i}`),
      ),
    );
    expect((await throttle().status('app')).breaker).to.include({
      state: 'open',
      failures: BREAKER_POLICY.failuresToOpen,
    });
  });

  it("forgets an app's breaker and leases on reset", async function () {
    await openBreaker('app');
    const lease = await throttle().enter('other', { maxConcurrency: 5 });
    await throttle().enter('app', { maxConcurrency: 5 }, Date.now() + 60_000); // the probe, holding a lease
    expect((await throttle().status('app')).inFlight).to.equal(1);
    await throttle().reset('app');
    expect(await throttle().status('app')).to.deep.equal({ breaker: CLOSED, inFlight: 0 });
    expect((await throttle().enter('app', { maxConcurrency: 1 })).ok).to.equal(true);
    expect((await throttle().status('other')).inFlight).to.equal(1); // another app's leases stay
    expect(lease.ok).to.equal(true);
    await throttle().reset('never-seen');
    expect(await throttle().status('never-seen')).to.deep.equal({ breaker: CLOSED, inFlight: 0 });
  });
});
