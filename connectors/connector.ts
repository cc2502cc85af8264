// connectors/connector.ts: the one interface every downstream app connector implements.
import type { ScimCapabilities } from './scim-capabilities';
import type { AccountSpec } from '../domain/accounts/account-spec';

export type { AccountSpec } from '../domain/accounts/account-spec';

/** What the app says an account looks like when read back (entitlements are read apart: they cost more requests). */
export interface RemoteAccount {
  id: string;
  userName: string;
  externalId?: string;
  active: boolean;
}

/** An account as a full scan of the app sees it (reconciliation). */
export interface ScannedAccount extends RemoteAccount {
  /** The resource as the app returned it: owned attributes are compared from here. */
  attributes: Record<string, unknown>;
  /** The entitlements it holds, when the app lists them with the account (roles, the local app); else see holders. */
  entitlements?: string[];
}

export interface AccountPage {
  accounts: ScannedAccount[];
  /** The app's count of all accounts, when it says. */
  totalResults: number | null;
}

export interface ReadOptions {
  /** Aborts the app's request (the activity was cancelled or timed out). */
  signal?: AbortSignal;
}

export interface CallOptions extends ReadOptions {
  /** `<workflowId>/<seq>/<appId>/<step>`; sent downstream (Idempotency-Key header) and used to make retries safe. */
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

/** The attributes an account can be searched by, in the documented match order after the recorded id. */
export type SearchableAttribute = 'externalId' | 'userName';

export interface Connector {
  /** Reads one account by the app's id; undefined when the app no longer has it. */
  getAccount(remoteId: string, options?: ReadOptions): Promise<RemoteAccount | undefined>;
  /**
   * The accounts whose attribute equals `value` (userName case-insensitively, as SCIM compares it). Every match is
   * returned, so that the caller can refuse to guess among several. An app that cannot search by the attribute
   * answers [] (the next attribute in the match order is asked).
   */
  searchAccounts(attribute: SearchableAttribute, value: string, options?: ReadOptions): Promise<RemoteAccount[]>;
  /** Creates the account. An account that exists already is a DownstreamRejectedError with status 409. */
  createAccount(spec: AccountSpec, options: CallOptions): Promise<RemoteAccount>;
  /** Writes every attribute of the spec (including active) over the account. */
  updateAccount(remoteId: string, spec: AccountSpec, options: CallOptions): Promise<RemoteAccount>;
  /** Sets active=false and nothing else; undefined when the app no longer has the account. */
  disableAccount(remoteId: string, options: CallOptions): Promise<RemoteAccount | undefined>;
  /** Deletes the account; an account that is already gone counts as deleted. */
  deleteAccount(remoteId: string, options: CallOptions): Promise<void>;
  /** Grants one named entitlement (idempotent: granting a held entitlement is a no-op). */
  grantEntitlement(remoteId: string, entitlement: string, options: CallOptions): Promise<void>;
  /** Revokes one named entitlement (idempotent: revoking an absent entitlement is a no-op). */
  revokeEntitlement(remoteId: string, entitlement: string, options: CallOptions): Promise<void>;
  /** Which of `among` the account holds in the app (a read-back: verifies grants and revocations). */
  heldEntitlements(remoteId: string, among: string[], options?: ReadOptions): Promise<string[]>;
  /** One page of every account, by SCIM's 1-based startIndex (a page may be shorter than asked; [] past the end). */
  listAccounts(startIndex: number, count: number, options?: ReadOptions): Promise<AccountPage>;
  /**
   * Who holds each of `entitlements` (remote id → the ones held), for apps that list entitlements apart from accounts
   * (app-side Groups); null when every scanned account carries its own (`ScannedAccount.entitlements`).
   */
  entitlementHolders(entitlements: string[], options?: ReadOptions): Promise<Map<string, string[]> | null>;
  /** What the app says it can do (SCIM apps: RFC 7644 §4 discovery); absent for apps that have nothing to say. */
  discover?(options?: ReadOptions): Promise<ScimCapabilities>;
}
