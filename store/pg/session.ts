// store/pg/session.ts: the PostgreSQL store's connections: one pool per process; a transaction's client follows the
// async context that opened it, so every store call inside `atomically` runs on it, however deep.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

interface Scope {
  client: pg.PoolClient;
  savepoints: number;
  /** Statements that may have changed rows, and statements that failed (either leaves the transaction unclean). */
  marks: TransactionMarks;
}

export interface TransactionMarks {
  writes: number;
  errors: number;
}

/** A statement that may change rows; anything but a plain SELECT counts (a CTE may write). */
const MAY_WRITE = /^\s*(?!SELECT\b)/i;

/** SQLSTATEs after which a transaction that only touched the database may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const ATTEMPTS = 5;

export class PgSession {
  private readonly scopes = new AsyncLocalStorage<Scope>();

  constructor(readonly pool: pg.Pool) {}

  /** Rows of one statement (`$1`, `$2`… placeholders), on the caller's transaction if it has one. */
  async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    const res = await this.send(text, params);
    for (const row of res.rows as Record<string, unknown>[])
      for (const key in row) if (typeof row[key] === 'string') row[key] = decodeText(row[key]);
    return res.rows as R[];
  }

  async one<R>(text: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.query<R>(text, params))[0];
  }

  /** The number of rows a write touched. */
  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.send(text, params)).rowCount ?? 0;
  }

  private async send(text: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    const scope = this.scopes.getStore();
    if (!scope) return this.pool.query(text, params.map(encodeParam));
    if (MAY_WRITE.test(text)) scope.marks.writes += 1;
    try {
      return await scope.client.query(text, params.map(encodeParam));
    } catch (err) {
      scope.marks.errors += 1;
      throw err;
    }
  }

  inTransaction(): boolean {
    return this.scopes.getStore() !== undefined;
  }

  /** What the current transaction has done so far (a copy), for a caller deciding whether a failure left it clean. */
  marks(): TransactionMarks | undefined {
    const scope = this.scopes.getStore();
    return scope && { ...scope.marks };
  }

  /**
   * `fn` in the caller's transaction, or in one of its own when there is none. Unlike `atomically`, no savepoint: a
   * failure inside a caller's transaction is the caller's (it rolls back, or undoes a savepoint of its own). The
   * store's own multi-statement writes use this: a savepoint costs two round trips, each while the directory's
   * counter row is locked, and the group commit isolates a failing write without one (write-batch.ts).
   */
  join<T>(fn: () => Promise<T>): Promise<T> {
    return this.scopes.getStore() ? fn() : this.atomically(fn);
  }

  /**
   * One transaction, or a savepoint of the caller's. A deadlock or serialization failure runs the whole transaction
   * again (its `fn` must only use the store, which is the rule for every transaction in scimflow).
   */
  async atomically<T>(fn: () => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const scope = this.scopes.getStore();
    if (scope) return this.savepoint(scope, fn);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transaction(fn, begin);
      } catch (err) {
        if (attempt >= ATTEMPTS || !isRetryable(err)) throw err;
      }
    }
  }

  /** Reads that agree with one another: one snapshot (REPEATABLE READ, read only). */
  readConsistently<T>(fn: () => Promise<T>): Promise<T> {
    const scope = this.scopes.getStore();
    if (scope) return fn();
    return this.transaction(fn, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  private async transaction<T>(fn: () => Promise<T>, begin: string): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const value = await this.scopes.run({ client, savepoints: 0, marks: { writes: 0, errors: 0 } }, fn);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      // A client whose rollback failed is in an unknown state: the pool closes it instead of lending it again.
      client.release(broken);
    }
  }

  private async savepoint<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
    const name = `sp${++scope.savepoints}`;
    await scope.client.query(`SAVEPOINT ${name}`);
    try {
      const value = await fn();
      await scope.client.query(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (err) {
      await scope.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await scope.client.query(`RELEASE SAVEPOINT ${name}`);
      throw err;
    }
  }

  /**
   * Calls `onNotify` on every NOTIFY on `channel`, from any process, on a connection of its own (outside the pool:
   * it stays open while listening). A lost connection is opened again after a second, and `onNotify` is called once
   * then: a notification sent in between is not lost to the listener, only late. Returns the unsubscribe.
   */
  listen(channel: string, onNotify: () => void): () => void {
    let client: pg.Client | undefined;
    let stopped = false;
    const connect = async () => {
      if (stopped) return;
      const next = new pg.Client(this.pool.options);
      next.on('notification', () => onNotify());
      next.on('error', () => undefined); // followed by 'end'
      next.once('end', () => {
        if (client === next && !stopped) setTimeout(() => void connect().then(onNotify), 1_000).unref();
      });
      try {
        await next.connect();
        await next.query(`LISTEN ${channel}`);
        client = next;
        if (stopped) await next.end();
      } catch {
        await next.end().catch(() => undefined);
        if (!stopped) setTimeout(() => void connect().then(onNotify), 1_000).unref();
      }
    };
    void connect();
    return () => {
      stopped = true;
      void client?.end().catch(() => undefined);
    };
  }

  /** Wakes every listener of `channel`, in every process. */
  async notify(channel: string): Promise<void> {
    await this.query("SELECT pg_notify($1, '')", [channel]);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A deadlock or serialization failure: the whole transaction may run again and will likely succeed. */
export function isRetryable(err: unknown): boolean {
  return RETRYABLE.has(sqlState(err) ?? '');
}

/** A unique or primary-key violation (SQLSTATE 23505). */
export function isPgUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/**
 * PostgreSQL's text cannot hold U+0000, and a lone UTF-16 surrogate has no UTF-8 form (the driver would send U+FFFD
 * in its place, so two different userNames could collide). SQLite keeps both, and an IdP may send them in a userName,
 * externalId or displayName (JSON documents are safe: JSON.stringify escapes both). So text parameters are encoded
 * and text results decoded, reversibly, with the noncharacter U+FFFF as the escape: U+FFFF → U+FFFF U+FFFF,
 * U+0000 → U+FFFF "0", a lone surrogate → U+FFFF "s" and its four hex digits. Equality and uniqueness are kept
 * (the encoding is one-to-one) and strings without those characters pass untouched. Values the database builds
 * itself from text (jsonb results) are not decoded: no query reads an identifier back that way.
 */
const NEEDS_CODEC = /[\uFFFF\uD800-\uDFFF]/;
const ESCAPE = '\uFFFF';

export function encodeText(value: string): string {
  if (!NEEDS_CODEC.test(value) && !value.includes('\u0000')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0xffff) out += ESCAPE + ESCAPE;
    else if (c === 0) out += `${ESCAPE}0`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length && isLow(value.charCodeAt(i + 1))) {
      out += value[i]! + value[i + 1]!;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += `${ESCAPE}s${c.toString(16)}`;
    else out += value[i]!;
  }
  return out;
}

export function decodeText(value: string): string {
  if (!value.includes(ESCAPE)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== ESCAPE) {
      out += value[i]!;
      continue;
    }
    const tag = value[i + 1];
    if (tag === ESCAPE) out += ESCAPE;
    else if (tag === '0') out += '\u0000';
    else if (tag === 's') {
      out += String.fromCharCode(parseInt(value.slice(i + 2, i + 6), 16));
      i += 4;
    } else throw new Error(`corrupt text from PostgreSQL: an escape at ${i} not followed by a known tag`);
    i++;
  }
  return out;
}

const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

function encodeParam(value: unknown): unknown {
  if (typeof value === 'string') return encodeText(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? encodeText(v) : v));
  return value;
}
