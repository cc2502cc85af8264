// store/request-context.ts: the HTTP request on whose behalf this code runs (its X-Request-Id), so the events a write
// produces say which request made them, whatever process or group commit records them. Set by the API's request-log
// middleware; carried into a group commit by the write batcher (store/write-batch.ts).
import { AsyncLocalStorage } from 'node:async_hooks';

const context = new AsyncLocalStorage<{ requestId: string }>();

export function withRequestId<T>(requestId: string, fn: () => T): T {
  return context.run({ requestId }, fn);
}

/** The current request's id, or undefined outside a request (the CLI, a workflow's activity, a timer). */
export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

/** `fn` bound to the current request (if any), to run later from another async context (a batch flush). */
export function bindToRequest<T>(fn: () => T): () => T {
  const requestId = currentRequestId();
  return requestId === undefined ? fn : () => withRequestId(requestId, fn);
}
