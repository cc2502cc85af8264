// store/connection-gate.ts: one SQLite connection shared by asynchronous callers. A transaction that awaits between
// its statements owns the connection until it ends; calls from any other async context wait for it.
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * better-sqlite3 runs each statement synchronously on one connection, so a transaction written as a chain of awaits
 * (the asynchronous store interface) would otherwise take in whatever other request ran a statement between two of
 * its awaits: that statement would commit or roll back with it. The gate gives the connection to one transaction
 * scope at a time; the scope is the async context that opened it (AsyncLocalStorage), so the transaction's own calls,
 * however deep, go straight through and nested scopes become savepoints.
 */
export class ConnectionGate {
  private readonly scopes = new AsyncLocalStorage<object>();
  private owner: object | null = null;
  private waiters: (() => void)[] = [];

  /** True when the caller may use the connection now: no scope is open, or the caller runs inside it. */
  ready(): boolean {
    return this.owner === null || this.scopes.getStore() === this.owner;
  }

  /** True when the caller runs inside the open scope (its statements belong to that transaction). */
  inside(): boolean {
    return this.owner !== null && this.scopes.getStore() === this.owner;
  }

  /** Waits until the caller may use the connection. Callers check `ready()` again in the same turn they use it. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Runs `fn` as the connection's only user: waits for the open scope (another context's) to end, then opens one. The
   * check and the taking happen in one turn, so two waiters never both take it. Must not be called from inside the
   * open scope (the caller nests with a savepoint instead).
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.owner !== null) await this.wait();
    const scope = {};
    this.owner = scope;
    try {
      return await this.scopes.run(scope, fn);
    } finally {
      this.owner = null;
      for (const wake of this.waiters.splice(0)) wake();
    }
  }
}

/** A synchronous store's public methods, each returning a promise (the store interface every caller uses). */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K];
};

/**
 * The asynchronous view of a synchronous SQLite store: each method runs at once when the connection is free (or the
 * caller's own transaction holds it), otherwise after the open transaction ends. Errors become rejections.
 */
export function asyncView<T extends object>(store: T, gate: ConnectionGate): Async<T> {
  const view: Record<string, unknown> = {};
  for (let proto = Object.getPrototypeOf(store) as object | null; proto && proto !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in view) continue;
      const method = (store as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      view[name] = (...args: unknown[]): Promise<unknown> =>
        gated(gate, () => (method as (...a: unknown[]) => unknown).apply(store, args));
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return view as Async<T>;
}

/** Runs a synchronous call on the connection as soon as the caller may use it (at once, when it is free). */
export function gated<R>(gate: ConnectionGate, call: () => R): Promise<R> {
  if (!gate.ready()) return later(gate, call);
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

async function later<R>(gate: ConnectionGate, call: () => R): Promise<R> {
  while (!gate.ready()) await gate.wait();
  return call();
}
