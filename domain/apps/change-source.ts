// domain/apps/change-source.ts: who a directory change came from, as webhook events tell it (IdP, HR, policy, …).
import { z } from 'zod';

export const ChangeSourceSchema = z.enum(['idp', 'hr', 'policy', 'reconcile', 'operator']);
export type ChangeSource = z.infer<typeof ChangeSourceSchema>;

/**
 * The source of a directory log event, from its kind: SCIM writes come from the IdP; `hr*` from the HR system; a policy
 * or app change from the directory's policy; a `resync` from reconciliation (its reason says) or from an operator's
 * resync; a non-human identity's change from an operator, or from HR when it is revoked because its owner left.
 */
export function changeSource(kind: string, detail: Record<string, unknown>): ChangeSource {
  if (kind === 'hr' || kind.startsWith('hr.')) return 'hr';
  if (kind === 'policy' || kind === 'app') return 'policy';
  if (kind === 'resync') return detail.reason === 'reconcile' ? 'reconcile' : 'operator';
  if (kind === 'nhi.revoked' && detail.nhi === 'owner-left') return 'hr';
  if (kind === 'nhi' || kind.startsWith('nhi.')) return 'operator';
  return 'idp';
}
