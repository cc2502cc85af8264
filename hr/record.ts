// hr/record.ts: records one HR event (webhook, CLI or import): idempotent by id, matched to its identity, durable,
// with its log event in the same transaction; the caller delivers the returned events to the identity workflows.
import crypto from 'node:crypto';
import type { HrEventBody, MatchKey, Person } from '../domain/hr/events';
import { effectiveInstant, HrEventBodySchema, MATCH_KEYS, matchValueOf, zodMessage } from '../domain/hr/events';
import { canonicalJson } from '../domain/scim/normalize-values';
import { ScimError } from '../domain/scim/errors';
import type { Stores } from '../store';
import type { EventKind, EventRow } from '../store/event-log';
import type { HrEventRow, HrEventStatus } from '../store/hr';
import { statusOf } from '../store/hr';

export interface HrSettings {
  /** How HR names a person (webhooks and imports); the CLI names the key per call. */
  matchKey: MatchKey;
  /** What happens to the NHIs a leaver owns: transferred to their manager, or revoked. */
  nhiOnOwnerLeave: 'transfer' | 'revoke';
}

export const DEFAULT_HR_SETTINGS: HrSettings = { matchKey: 'employeeNumber', nhiOnOwnerLeave: 'transfer' };

export function hrSettingsOf(config: Record<string, unknown>): HrSettings {
  const hr = (config.hr ?? {}) as Partial<HrSettings>;
  return {
    matchKey: MATCH_KEYS.includes(hr.matchKey as MatchKey) ? hr.matchKey! : DEFAULT_HR_SETTINGS.matchKey,
    nhiOnOwnerLeave: hr.nhiOnOwnerLeave === 'revoke' ? 'revoke' : 'transfer',
  };
}

export interface HrRecordResult {
  id: string;
  type: HrEventBody['type'];
  identityId: string | null;
  effectiveAt: string;
  status: HrEventStatus;
  /** Retried with the same body: nothing was recorded again. */
  duplicate: boolean;
  /** For the caller to deliver (signal the identity's workflow). */
  events: EventRow[];
}

export interface RecordOptions {
  source: HrEventRow['source'];
  /** The delivery's id (`webhook-id`), used when the body has none. */
  deliveryId?: string;
  /** Overrides the directory's match key (the CLI's `--user`, `--employee-number`, `--email`). */
  matchKey?: MatchKey;
  now?: Date;
}

const bad = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** Parses and records an HR event; throws a ScimError (400, 404, 409) with nothing changed when it cannot. */
export async function recordHrEvent(
  stores: Stores,
  directoryId: string,
  input: unknown,
  options: RecordOptions,
): Promise<HrRecordResult> {
  const parsed = HrEventBodySchema.safeParse(input);
  if (!parsed.success) throw bad(`Invalid HR event: ${zodMessage(parsed.error)}`);
  const body = parsed.data;
  if (body.id && options.deliveryId && body.id !== options.deliveryId)
    throw bad(`The body's id ${body.id} differs from the delivery's webhook-id ${options.deliveryId}`);
  const id = body.id ?? options.deliveryId;
  if (!id) throw bad('An HR event needs an id (the body’s `id`, or the `webhook-id` header)');
  const now = options.now ?? new Date();
  const stored: HrEventBody & { id: string } = { ...body, id };
  const bodyHash = crypto.createHash('sha256').update(canonicalJson(stored)).digest('hex');

  return stores.atomically(async (): Promise<HrRecordResult> => {
    const existing = await stores.hr.get(directoryId, id);
    if (existing) {
      if (existing.bodyHash !== bodyHash)
        throw new ScimError(409, 'uniqueness', `HR event ${id} was recorded already with a different body`);
      return { ...summary(existing, now), duplicate: true, events: [] };
    }
    if (body.type === 'termination.rescinded')
      return await rescind(stores, directoryId, stored, bodyHash, options, now);

    const matchKey =
      options.matchKey ?? hrSettingsOf((await stores.directories.get(directoryId))?.config ?? {}).matchKey;
    const matchValue = matchValueOf(body.person, matchKey);
    if (!matchValue)
      throw bad(
        `The person has no ${matchKey}: this directory matches HR events by ${matchKey} (scimflow hr configure --match-key)`,
      );
    const identityId = await identityNamed(stores, directoryId, matchKey, matchValue, body.person);
    const effectiveAt = effectiveInstant(body, now).toISOString();
    if (stored.type === 'mover' && stored.changes?.manager) {
      // HR names the manager by the same key; the user document holds the manager's SCIM id (RFC 7643 §4.3).
      const managers = await stores.hr.usersMatching(directoryId, matchKey, stored.changes.manager.toLowerCase());
      if (managers.length === 1) stored.changes = { ...stored.changes, manager: managers[0]! };
    }
    const row: Omit<HrEventRow, 'rescindedAt' | 'rescindedBy' | 'supersededBy'> = {
      directoryId,
      id,
      type: stored.type,
      bodyHash,
      body: stored,
      matchKey,
      matchValue,
      identityId,
      effectiveAt,
      receivedAt: now.toISOString(),
      source: options.source,
      seq: null,
    };
    await stores.hr.insert(row);
    const superseded =
      stored.type === 'termination'
        ? await stores.hr.supersedePendingTerminations(directoryId, row, id, now.toISOString())
        : [];
    const events = identityId ? await logged(stores, directoryId, identityId, row, kindOf(stored.type), now) : [];
    await stores.applied.audit({
      directoryId,
      identityId: identityId ?? '',
      action: `hr.${stored.type}`,
      seq: events[0]?.seq,
      detail: {
        event: id,
        source: options.source,
        effectiveAt,
        reason: stored.reason ?? null,
        matchKey,
        ...(identityId ? {} : { awaiting: matchValue }),
        ...(superseded.length > 0 ? { superseded } : {}),
      },
    });
    return { ...summary((await stores.hr.get(directoryId, id))!, now), duplicate: false, events };
  });
}

function kindOf(type: HrEventBody['type']): EventKind {
  if (type === 'termination' || type === 'leave.started') return 'hr.leaver';
  if (type === 'mover') return 'hr';
  return 'hr.rejoin';
}

function summary(row: HrEventRow, now: Date) {
  return {
    id: row.id,
    type: row.type,
    identityId: row.identityId,
    effectiveAt: row.effectiveAt,
    status: statusOf(row, now),
  };
}

/** The one live user the person names, null when none does yet (awaiting identity); 409 when several do. */
async function identityNamed(
  stores: Stores,
  directoryId: string,
  key: MatchKey,
  value: string,
  person: Person | undefined,
): Promise<string | null> {
  const found = await stores.hr.usersMatching(directoryId, key, value);
  if (found.length > 1)
    throw new ScimError(
      409,
      'uniqueness',
      `Several users match ${key} ${JSON.stringify(person?.[key])}: ${found.slice(0, 5).join(', ')}; nothing changed`,
    );
  return found[0] ?? null;
}

/** Appends the identity's log event for an HR event and remembers its sequence (the order of receipt). */
async function logged(
  stores: Stores,
  directoryId: string,
  identityId: string,
  row: Pick<HrEventRow, 'id' | 'type' | 'effectiveAt'>,
  kind: EventKind,
  now: Date,
): Promise<EventRow[]> {
  const events = await stores.events.append(
    directoryId,
    [
      {
        identityId,
        resourceType: 'User',
        kind,
        detail: { hrEvent: row.id, type: row.type, effectiveAt: row.effectiveAt },
      },
    ],
    now.toISOString(),
  );
  await stores.hr.setSeq(directoryId, row.id, events[0]!.seq);
  return events;
}

async function rescind(
  stores: Stores,
  directoryId: string,
  body: HrEventBody & { id: string },
  bodyHash: string,
  options: RecordOptions,
  now: Date,
): Promise<HrRecordResult> {
  const target = await stores.hr.get(directoryId, body.rescinds!);
  if (!target) throw new ScimError(404, undefined, `No HR event ${body.rescinds} in this directory`);
  if (target.type !== 'termination')
    throw bad(`HR event ${target.id} is a ${target.type}; only a termination can be rescinded`);
  const rescinded = { id: body.id, type: body.type, identityId: target.identityId, effectiveAt: now.toISOString() };
  if (target.rescindedAt) {
    await stores.hr.insert({ ...row(), seq: null });
    return { ...rescinded, status: 'rescinded', duplicate: false, events: [] };
  }
  if (target.identityId && target.effectiveAt <= now.toISOString() && !target.supersededBy)
    throw new ScimError(409, undefined, `Termination ${target.id} took effect at ${target.effectiveAt}; use rehire`);
  await stores.hr.insert({ ...row(), seq: null });
  await stores.hr.rescind(directoryId, target.id, body.id, now.toISOString());
  const events = target.identityId
    ? await logged(stores, directoryId, target.identityId, { ...rescinded, type: body.type }, 'hr.rejoin', now)
    : [];
  await stores.applied.audit({
    directoryId,
    identityId: target.identityId ?? '',
    action: 'hr.termination.rescinded',
    seq: events[0]?.seq,
    detail: { event: body.id, rescinds: target.id, source: options.source, reason: body.reason ?? null },
  });
  return { ...rescinded, status: 'rescinded', duplicate: false, events };

  function row(): Omit<HrEventRow, 'rescindedAt' | 'rescindedBy' | 'supersededBy'> {
    return {
      directoryId,
      id: body.id,
      type: body.type,
      bodyHash,
      body,
      matchKey: null,
      matchValue: null,
      identityId: target!.identityId,
      effectiveAt: now.toISOString(),
      receivedAt: now.toISOString(),
      source: options.source,
      seq: null,
    };
  }
}

/** Takes back a termination by its id (the CLI's `hr rescind`): a rescind event of its own, idempotent. */
export function rescindTermination(
  stores: Stores,
  directoryId: string,
  terminationId: string,
  source: HrEventRow['source'],
  now = new Date(),
): Promise<HrRecordResult> {
  return recordHrEvent(
    stores,
    directoryId,
    { id: `rescind-${terminationId}`, type: 'termination.rescinded', rescinds: terminationId },
    { source, now },
  );
}
