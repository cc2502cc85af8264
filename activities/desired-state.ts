// activities/desired-state.ts: builds an identity's desired state from the directory store and the policy (reads only).
import crypto from 'node:crypto';
import { evaluatePolicy } from '../domain/policy/evaluate';
import { factsFromUser } from '../domain/policy/facts';
import { DEFAULT_POLICY, parsePolicy } from '../domain/policy/policy';
import type { AccountSpecView, DesiredApp, DesiredState } from '../domain/planner/types';
import type { Stores } from '../store';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The projection of a SCIM user that apps receive; only attributes every SCIM app understands. */
export function accountSpecFromUser(doc: Record<string, unknown>, active: boolean): AccountSpecView {
  const spec: AccountSpecView = { userName: str(doc.userName) ?? '', active };
  const externalId = str(doc.externalId);
  if (externalId) spec.externalId = externalId;
  const displayName = str(doc.displayName);
  if (displayName) spec.displayName = displayName;
  const name = doc.name as Record<string, unknown> | undefined;
  if (name && typeof name === 'object') {
    const n = { givenName: str(name.givenName), familyName: str(name.familyName), formatted: str(name.formatted) };
    const kept = Object.fromEntries(Object.entries(n).filter(([, v]) => v !== undefined));
    if (Object.keys(kept).length > 0) spec.name = kept;
  }
  if (Array.isArray(doc.emails)) {
    const emails = (doc.emails as Record<string, unknown>[])
      .filter((e) => typeof e?.value === 'string')
      .map((e) => {
        const email: { value: string; type?: string; primary?: boolean } = { value: e.value as string };
        if (typeof e.type === 'string') email.type = e.type;
        if (e.primary === true) email.primary = true;
        return email;
      });
    if (emails.length > 0) spec.emails = emails;
  }
  return spec;
}

/** Hash of the spec without `active` (activation is planned from state, not from the hash). */
export function specHash(spec: AccountSpecView): string {
  const { active: _active, ...rest } = spec;
  return crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 32);
}

export function loadDesiredState(stores: Stores, directoryId: string, identityId: string): DesiredState {
  const resource = stores.resources.getAnyState(directoryId, identityId);
  const latestSeq = stores.events.latestSeqFor(directoryId, identityId);
  const base = { directoryId, identityId, latestSeq, deactivatedAt: null, deactivatedSeq: null };
  if (!resource || resource.type !== 'User') return { ...base, userName: '', status: 'unknown', apps: [] };

  const status = resource.deletedAt ? 'deleted' : resource.active ? 'active' : 'inactive';
  const groups = stores.members.groupsOf(directoryId, identityId).map((g) => g.display);
  const stored = stores.policies.latest(directoryId);
  const policy = stored ? parsePolicy(stored.policy) : DEFAULT_POLICY;
  const apps = stores.directories.listApps(directoryId);
  const bundles =
    status === 'active'
      ? evaluatePolicy(
          policy,
          factsFromUser(resource.doc, groups),
          apps.map((a) => a.name),
        )
      : {};
  const spec = accountSpecFromUser(resource.doc, status === 'active');
  const hash = specHash(spec);

  const desiredApps: DesiredApp[] = apps.map((app) => {
    const deprovision = app.config.deprovision === 'delete' ? 'delete' : 'disable';
    const entitlements = bundles[app.name];
    return {
      appId: app.id,
      appName: app.name,
      account: entitlements ? 'active' : deprovision === 'delete' ? 'absent' : 'disabled',
      spec: entitlements ? spec : { ...spec, active: false },
      specHash: hash,
      entitlements: entitlements ?? [],
      onGrantFailure: policy.apps[app.name]?.onGrantFailure ?? 'rollback',
      deprovision,
    };
  });
  return {
    ...base,
    userName: str(resource.doc.userName) ?? '',
    status,
    apps: desiredApps,
    deactivatedAt: status === 'active' ? null : resource.deactivatedAt,
    deactivatedSeq: status === 'active' ? null : resource.deactivatedSeq,
  };
}
