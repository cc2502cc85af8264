// hr/nhi-ops.ts: managing non-human identities (CLI and admin API): add, transfer, revoke, confirm a manual revocation.
// Each write records its log event in the same transaction; the caller delivers the returned events.
import { z } from 'zod';
import { parseEffective } from '../domain/hr/effective';
import { zodMessage } from '../domain/hr/events';
import { ScimError } from '../domain/scim/errors';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import type { Nhi, NhiCredential } from '../store/nhis';
import { NHI_KINDS } from '../store/nhis';

const Instant = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .transform((v, ctx) => {
    try {
      return parseEffective(v).toISOString();
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

export const NhiInputSchema = z
  .object({
    name: z.string().trim().min(1).max(256),
    kind: z.enum(NHI_KINDS).default('service-account'),
    /** The owner's SCIM id or userName. */
    owner: z.string().trim().min(1).max(256),
    expiresAt: Instant.optional(),
    rotateBy: Instant.optional(),
    /** App name → entitlements: where it holds an account. */
    apps: z.record(z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(256)).default({}),
    credentials: z
      .array(
        z
          .object({
            name: z.string().trim().min(1).max(256),
            app: z.string().min(1).max(256).optional(),
            revoke: z.enum(['account', 'manual']).default('manual'),
          })
          .strict(),
      )
      .max(256)
      .default([]),
  })
  .strict();
export type NhiInput = z.input<typeof NhiInputSchema>;

const bad = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** A live user of the directory named by SCIM id or userName (case-insensitive). */
export async function userNamed(stores: Stores, directoryId: string, name: string): Promise<string> {
  const byId = await stores.resources.get(directoryId, 'User', name);
  if (byId) return byId.id;
  const [found] = await stores.resources.findBy(directoryId, 'User', 'userName', name);
  if (!found) throw new ScimError(404, undefined, `No user ${name} in this directory`);
  return found.id;
}

export async function nhiNamed(stores: Stores, directoryId: string, name: string): Promise<Nhi> {
  const byId = await stores.nhis.get(directoryId, name);
  if (byId) return byId;
  const found = await stores.nhis.byName(directoryId, name);
  if (found.length > 1)
    throw new ScimError(409, 'uniqueness', `Several NHIs are named ${name}: ${found.map((n) => n.id).join(', ')}`);
  if (!found[0]) throw new ScimError(404, undefined, `No non-human identity ${name} in this directory`);
  return found[0];
}

export async function describeNhi(stores: Stores, nhi: Nhi, now = new Date()) {
  return {
    ...nhi,
    rotationOverdue: nhi.rotateBy !== null && nhi.rotateBy <= now.toISOString(),
    expired: nhi.expiresAt !== null && nhi.expiresAt <= now.toISOString(),
    credentials: await stores.nhis.credentials(nhi.directoryId, nhi.id),
  };
}

export async function addNhi(stores: Stores, directoryId: string, input: unknown, now = new Date()) {
  const parsed = NhiInputSchema.safeParse(input);
  if (!parsed.success) throw bad(`Invalid non-human identity: ${zodMessage(parsed.error)}`);
  const spec = parsed.data;
  const apps = new Map((await stores.directories.listApps(directoryId)).map((a) => [a.name, a.id]));
  for (const name of [...Object.keys(spec.apps), ...spec.credentials.flatMap((c) => (c.app ? [c.app] : []))])
    if (!apps.has(name)) throw bad(`No app named ${name} in this directory`);
  for (const credential of spec.credentials)
    if (credential.revoke === 'account' && (!credential.app || !Object.hasOwn(spec.apps, credential.app)))
      throw bad(
        `Credential ${credential.name} is revoked with an account: name an app the NHI has an account in (--app)`,
      );
  const ownerId = await userNamed(stores, directoryId, spec.owner);
  const at = now.toISOString();
  return stores.atomically(async () => {
    const nhi = await stores.nhis.add({
      directoryId,
      name: spec.name,
      kind: spec.kind,
      ownerId,
      expiresAt: spec.expiresAt ?? null,
      rotateBy: spec.rotateBy ?? null,
      apps: spec.apps,
      source: 'admin',
      at,
    });
    for (const c of spec.credentials)
      await stores.nhis.addCredential({
        directoryId,
        nhiId: nhi.id,
        name: c.name,
        appId: c.app ? apps.get(c.app)! : null,
        revoke: c.revoke,
      });
    await stores.applied.audit({
      directoryId,
      identityId: nhi.id,
      action: 'nhi.added',
      detail: { ...spec, owner: ownerId },
    });
    const events = await stores.events.append(directoryId, [nhiEvent(nhi.id, 'nhi', { nhi: 'added' })], at);
    return { nhi: await describeNhi(stores, nhi, now), events };
  });
}

export async function transferNhi(stores: Stores, directoryId: string, name: string, to: string, now = new Date()) {
  const nhi = await nhiNamed(stores, directoryId, name);
  if (nhi.status !== 'active') throw new ScimError(409, undefined, `NHI ${nhi.id} was revoked at ${nhi.revokedAt}`);
  const ownerId = await userNamed(stores, directoryId, to);
  const at = now.toISOString();
  return stores.atomically(async () => {
    await stores.nhis.transfer(directoryId, nhi.id, ownerId, at);
    await stores.applied.audit({
      directoryId,
      identityId: nhi.id,
      action: 'nhi.transferred',
      detail: { from: nhi.ownerId, to: ownerId, by: 'operator' },
    });
    const events = await stores.events.append(directoryId, [nhiEvent(nhi.id, 'nhi', { nhi: 'transferred' })], at);
    return { nhi: await describeNhi(stores, (await stores.nhis.get(directoryId, nhi.id))!, now), events };
  });
}

export async function revokeNhi(stores: Stores, directoryId: string, name: string, reason: string, now = new Date()) {
  const nhi = await nhiNamed(stores, directoryId, name);
  if (nhi.status === 'revoked') return { nhi: await describeNhi(stores, nhi, now), events: [] as EventRow[] };
  const at = now.toISOString();
  return stores.atomically(async () => {
    const events = await stores.events.append(
      directoryId,
      [nhiEvent(nhi.id, 'nhi.revoked', { nhi: 'revoked', reason })],
      at,
    );
    await stores.nhis.revoke(directoryId, nhi.id, reason, events[0]!.seq, at);
    await stores.applied.audit({
      directoryId,
      identityId: nhi.id,
      action: 'nhi.revoked',
      detail: { reason, by: 'operator' },
    });
    return { nhi: await describeNhi(stores, (await stores.nhis.get(directoryId, nhi.id))!, now), events };
  });
}

/** Someone confirmed they revoked a credential no API could: the offboarding report stops showing it open. */
export async function confirmCredential(
  stores: Stores,
  directoryId: string,
  id: string,
  by: string,
  now = new Date(),
): Promise<NhiCredential> {
  const credential: NhiCredential | undefined = await stores.nhis.credential(id);
  if (!credential || credential.directoryId !== directoryId)
    throw new ScimError(404, undefined, `No credential ${id} in this directory`);
  if (credential.status === 'active')
    throw new ScimError(409, undefined, `Credential ${id} is not being revoked (its NHI is active)`);
  if (await stores.nhis.confirm(id, by, now.toISOString()))
    await stores.applied.audit({
      directoryId,
      identityId: credential.nhiId,
      appId: credential.appId ?? undefined,
      action: 'nhi.credential.revoked',
      detail: { credential: id, name: credential.name, confirmedBy: by },
    });
  return (await stores.nhis.credential(id))!;
}

/** The log event that wakes an NHI's workflow (added, transferred, revoked). */
export const nhiEvent = (identityId: string, kind: 'nhi' | 'nhi.revoked', detail: Record<string, unknown>) => ({
  identityId,
  resourceType: 'User' as const,
  kind,
  detail,
});
