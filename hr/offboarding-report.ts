// hr/offboarding-report.ts: one leaver's offboarding, from the audit trail and the applied state: every account,
// entitlement and owned NHI that existed at termination, when each was revoked and verified, and what is still open.
import type { Stores } from '../store';
import { auditRecords } from '../store';
import type { AuditRecord } from '../store/applied-state';
import { loadDesired } from '../store/desired-state';

export interface OffboardingReport {
  identity: { id: string; userName: string; status: string; hold: string | null };
  termination: { at: string; by: 'hr' | 'idp'; hrEvent: string | null; reason: string | null } | null;
  apps: {
    appId: string;
    app: string;
    account: { remoteId: string | null; state: string; revokedAt: string | null; verifiedAt: string | null };
    entitlements: { entitlement: string; revokedAt: string | null; verifiedAt: string | null }[];
  }[];
  nhis: {
    id: string;
    name: string;
    kind: string;
    outcome: 'transferred' | 'revoked' | 'exception' | 'still-owned';
    to: string | null;
    at: string | null;
    revocationVerifiedAt: string | null;
    credentials: { id: string; name: string; revoke: string; status: string; revokedAt: string | null }[];
  }[];
  timeToRevoke: { requestedAt: string; verifiedAt: string; latencyMs: number } | null;
  /** What still needs doing; empty when the offboarding is complete. */
  open: string[];
}

const ACCOUNT_REVOKES = new Set(['account.disabled', 'account.deleted']);

export async function offboardingReport(
  stores: Stores,
  directoryId: string,
  identityId: string,
): Promise<OffboardingReport> {
  const desired = (await loadDesired(stores, directoryId, identityId)).state;
  const resource = await stores.resources.getAnyState(directoryId, identityId);
  const since = desired.deactivatedAt ?? resource?.deletedAt ?? null;
  const trail = await collect(auditRecords(stores, directoryId, { identityId }));
  const after = (e: AuditRecord) => since !== null && e.at >= since;
  const hrTermination = desired.hold === 'terminated' ? lastHr(trail) : undefined;
  const open: string[] = [];
  if (desired.status === 'active') open.push('the identity is active: nothing to offboard');

  const apps: OffboardingReport['apps'] = [];
  for (const row of await stores.applied.list(directoryId, identityId)) {
    const app = await stores.directories.getApp(row.appId);
    const name = app?.name ?? row.appId;
    const mine = trail.filter((e) => e.appId === row.appId && after(e));
    const revokedAt = mine.find((e) => ACCOUNT_REVOKES.has(e.action))?.at ?? null;
    const accountVerified = mine.find(
      (e) => e.action === 'revocation.verified' && (e.detail?.expect === 'disable' || e.detail?.expect === 'delete'),
    );
    const revokedEntitlements = mine.filter((e) => e.action === 'entitlement.revoked');
    const entitlements = [
      ...revokedEntitlements.map((e) => {
        const entitlement = String(e.detail?.entitlement);
        const verified = mine.find(
          (v) =>
            v.action === 'revocation.verified' &&
            v.id >= e.id &&
            Array.isArray(v.detail?.entitlements) &&
            (v.detail.entitlements as unknown[]).includes(entitlement),
        );
        return { entitlement, revokedAt: e.at, verifiedAt: verified?.at ?? null };
      }),
      ...row.entitlements.map((entitlement) => ({ entitlement, revokedAt: null, verifiedAt: null })),
    ];
    if (desired.status !== 'active') {
      if (!row.revocationVerified && row.state !== 'deleted')
        open.push(`${name}: the account (${row.remoteId ?? 'not found yet'}) is not verified revoked`);
      for (const e of row.entitlements) open.push(`${name}: entitlement ${e} is still held`);
    }
    apps.push({
      appId: row.appId,
      app: name,
      account: {
        remoteId: row.remoteId,
        state: row.state,
        revokedAt,
        verifiedAt: row.revocationVerified ? (accountVerified?.at ?? revokedAt) : null,
      },
      entitlements,
    });
  }

  const nhis = await nhisOf(stores, directoryId, identityId, open);
  const records = await stores.applied.revocationsOf(directoryId, identityId);
  const record = records.find((r) => r.requestedAt === desired.deactivatedAt) ?? records.at(-1) ?? null;
  if (desired.status !== 'active' && !record) open.push('time to revoke not recorded yet: revocation not verified');
  return {
    identity: {
      id: identityId,
      userName: desired.label,
      status: desired.status,
      hold: desired.hold ?? null,
    },
    termination: since
      ? {
          at: since,
          by: hrTermination ? 'hr' : 'idp',
          hrEvent: (hrTermination?.detail?.event as string | undefined) ?? null,
          reason: (hrTermination?.detail?.reason as string | null | undefined) ?? null,
        }
      : null,
    apps,
    nhis,
    timeToRevoke: record && {
      requestedAt: record.requestedAt,
      verifiedAt: record.verifiedAt,
      latencyMs: record.latencyMs,
    },
    open,
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function lastHr(trail: AuditRecord[]): AuditRecord | undefined {
  return trail.filter((e) => e.action === 'hr.termination').at(-1);
}

/** NHIs this person owned at their departure: handed on, revoked, held in exception, or (still) owned. */
async function nhisOf(
  stores: Stores,
  directoryId: string,
  ownerId: string,
  open: string[],
): Promise<OffboardingReport['nhis']> {
  const handed = new Map<string, AuditRecord>();
  for (const nhi of await stores.nhis.list(directoryId)) {
    const trail = await collect(auditRecords(stores, directoryId, { identityId: nhi.id }));
    const event = trail
      .filter(
        (e) => ['nhi.transferred', 'nhi.revoked', 'nhi.exception'].includes(e.action) && e.detail?.owner === ownerId,
      )
      .at(-1);
    if (event) handed.set(nhi.id, event);
    else if (nhi.ownerId === ownerId) handed.set(nhi.id, { action: 'still-owned' } as AuditRecord);
  }
  const nhis: OffboardingReport['nhis'] = [];
  for (const [id, event] of handed) {
    const nhi = (await stores.nhis.get(directoryId, id))!;
    const outcome =
      nhi.status === 'revoked'
        ? 'revoked'
        : nhi.exception
          ? 'exception'
          : event.action === 'nhi.transferred'
            ? 'transferred'
            : 'still-owned';
    const verified = (await stores.applied.revocationsOf(directoryId, id)).at(-1)?.verifiedAt ?? null;
    const credentials = (await stores.nhis.credentials(directoryId, id)).map((c) => ({
      id: c.id,
      name: c.name,
      revoke: c.revoke,
      status: c.status,
      revokedAt: c.revokedAt,
    }));
    if (outcome === 'exception') open.push(`NHI ${nhi.name} (${id}): ${nhi.exception}`);
    if (outcome === 'still-owned') open.push(`NHI ${nhi.name} (${id}) is still owned by this leaver`);
    if (outcome === 'revoked' && !verified) open.push(`NHI ${nhi.name} (${id}): revocation not verified yet`);
    for (const c of credentials)
      if (c.status === 'open')
        open.push(
          `NHI ${nhi.name}: credential ${c.name} (${c.id}) needs a person to revoke it and confirm (scimflow nhi confirm)`,
        );
    nhis.push({
      id,
      name: nhi.name,
      kind: nhi.kind,
      outcome,
      to: outcome === 'transferred' ? nhi.ownerId : null,
      at: event.at ?? null,
      revocationVerifiedAt: verified,
      credentials,
    });
  }
  return nhis;
}
