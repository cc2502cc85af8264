// connectors/connector.ts: the one interface every downstream app connector implements.
import { z } from 'zod';

/** What scimflow wants an app account to look like (a projection of the SCIM user). */
export const AccountSpecSchema = z.object({
  userName: z.string().min(1),
  externalId: z.string().optional(),
  active: z.boolean(),
  displayName: z.string().optional(),
  name: z
    .object({ givenName: z.string().optional(), familyName: z.string().optional(), formatted: z.string().optional() })
    .optional(),
  emails: z
    .array(z.object({ value: z.string(), type: z.string().optional(), primary: z.boolean().optional() }))
    .optional(),
});
export type AccountSpec = z.infer<typeof AccountSpecSchema>;

/** What the app says an account looks like when read back. */
export interface RemoteAccount {
  id: string;
  userName: string;
  externalId?: string;
  active: boolean;
  /** Entitlement names the account holds in the app (e.g. app-side group display names). */
  entitlements: string[];
}

export interface CallOptions {
  /** `<workflowId>/<seq>/<stepId>`; sent downstream (Idempotency-Key header) and used to make retries safe. */
  idempotencyKey: string;
}

/** A permanent "no" from the app (400/403/404/409/422 on a grant): Temporal must not retry it. */
export class DownstreamRejectedError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DownstreamRejectedError';
  }
}

/** A transient failure (408/429/5xx/network); `retryAfterMs` honours the app's Retry-After. */
export class DownstreamUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DownstreamUnavailableError';
  }
}

export interface Connector {
  /** Finds an existing account by externalId (preferred) or userName, case-insensitively for userName. */
  findAccount(query: { userName: string; externalId?: string }): Promise<RemoteAccount | undefined>;
  /** Reads one account by the app's id; undefined when the app no longer has it. */
  getAccount(remoteId: string): Promise<RemoteAccount | undefined>;
  /** Creates the account; if the app already has it (409 or found by lookup), adopts and updates it instead. */
  createAccount(spec: AccountSpec, options: CallOptions): Promise<RemoteAccount>;
  /** Replaces the account's attributes (including active). */
  updateAccount(remoteId: string, spec: AccountSpec, options: CallOptions): Promise<RemoteAccount>;
  /** Deletes the account; an account that is already gone counts as deleted. */
  deleteAccount(remoteId: string, options: CallOptions): Promise<void>;
  /** Grants one named entitlement (idempotent: granting a held entitlement is a no-op). */
  grantEntitlement(remoteId: string, entitlement: string, options: CallOptions): Promise<void>;
  /** Revokes one named entitlement (idempotent: revoking an absent entitlement is a no-op). */
  revokeEntitlement(remoteId: string, entitlement: string, options: CallOptions): Promise<void>;
}
