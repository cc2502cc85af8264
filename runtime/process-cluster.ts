// runtime/process-cluster.ts: N copies of one entry module sharing a listening port (node:cluster), kept alive.
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import path from 'node:path';

/** Set in every member's environment: its slot (0…N-1); slot 0 also runs the process-wide background jobs. */
export const MEMBER_INDEX_ENV = 'SCIMFLOW_CLUSTER_INDEX';

export interface ClusterOptions {
  /** Absolute path of the entry each member runs (`.ts` entries are loaded through tsx). */
  module: string;
  processes: number;
  args?: string[];
  env?: Record<string, string>;
  /** How long each member may take to call `announceReady`. */
  readyTimeoutMs?: number;
  log: (line: string) => void;
  /** More than `maxRestarts` unexpected exits within `restartWindowMs` means a crash loop: the cluster gives up. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Called once when the cluster gives up after a crash loop (members are stopped first). */
  onGiveUp?: (reason: string) => void;
}

export interface ProcessCluster {
  /** What each member passed to `announceReady` (in slot order). */
  readonly ready: unknown[];
  pids(): number[];
  /** Sends `{ ask: topic }` to every member; resolves with their answers (see `answerAsks`), in slot order. */
  ask<T>(topic: string, timeoutMs?: number): Promise<T[]>;
  /** SIGTERM to every member, SIGKILL after `graceMs`; resolves when all have exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

interface Message {
  type?: string;
  value?: unknown;
  topic?: string;
}

/** Forks the members and resolves once every one announced it is ready (rejects, stopping them, if one fails). */
export async function startProcessCluster(opts: ClusterOptions): Promise<ProcessCluster> {
  const execArgv = opts.module.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [];
  cluster.setupPrimary({ exec: opts.module, args: opts.args ?? [], execArgv: [...execArgv, ...process.execArgv] });
  const slots: (Worker | undefined)[] = new Array(opts.processes).fill(undefined);
  const ready: unknown[] = new Array(opts.processes).fill(undefined);
  const restarts: number[] = [];
  let stopping: Promise<void> | undefined;
  let starting = true;

  /** Members that exited while the cluster was still starting, even after they had announced they were ready. */
  const diedWhileStarting: string[] = [];
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;

  const fork = (index: number): Promise<unknown> => {
    const worker = cluster.fork({ ...opts.env, [MEMBER_INDEX_ENV]: String(index) });
    slots[index] = worker;
    // A send to a member whose channel just closed emits 'error' here; its 'exit' follows and is handled below.
    worker.on('error', (err: Error) => opts.log(`cluster member ${index}: ${err.message}`));
    const ready = nextMessage(worker, 'ready', readyTimeoutMs, () => {
      // Hung before it was ready: kill it, so its slot is freed (and, once started, it is replaced).
      worker.process.kill('SIGKILL');
      return new Error(`cluster member ${index} not ready within ${readyTimeoutMs} ms`);
    });
    worker.once('exit', (code, signal) => {
      if (slots[index] === worker) slots[index] = undefined;
      ready.cancel(new Error(`cluster member ${index} exited (${signal ?? code}) before it was ready`));
      if (stopping) return;
      if (starting) diedWhileStarting.push(`cluster member ${index} exited (${signal ?? code}) while starting`);
      else onUnexpectedExit(index, signal ?? code);
    });
    return ready.value;
  };

  const onUnexpectedExit = (index: number, why: string | number | null) => {
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - (opts.restartWindowMs ?? 60_000)) restarts.shift();
    if (restarts.length > (opts.maxRestarts ?? 5)) {
      const reason = `cluster member ${index} exited (${why}); ${restarts.length} exits within a minute, giving up`;
      opts.log(reason);
      void handle.stop().then(() => opts.onGiveUp?.(reason));
      return;
    }
    opts.log(`cluster member ${index} exited (${why}); starting a new one`);
    fork(index).then(
      (value) => {
        ready[index] = value;
      },
      (err: Error) => opts.log(err.message),
    );
  };

  const handle: ProcessCluster = {
    ready,
    pids: () => slots.flatMap((w) => (w?.process.pid === undefined ? [] : [w.process.pid])),
    ask: <T>(topic: string, timeoutMs = 10_000) =>
      Promise.all(
        slots.map((worker, index) => {
          if (!worker) return Promise.reject(new Error(`cluster member ${index} is not running`));
          const answer = nextMessage(
            worker,
            'answer',
            timeoutMs,
            () => new Error(`cluster member ${index} did not answer '${topic}' within ${timeoutMs} ms`),
            topic,
          );
          worker.send({ type: 'ask', topic }, (err: Error | null) => {
            if (err) answer.cancel(new Error(`cluster member ${index} cannot be asked '${topic}': ${err.message}`));
          });
          return answer.value as Promise<T>;
        }),
      ),
    stop: (graceMs = 10_000) =>
      (stopping ??= (async () => {
        // Member 0 last: it may serve the others (the API's writer), whose in-flight requests finish first.
        await Promise.all(slots.slice(1).map((worker) => stopMember(worker, graceMs)));
        await stopMember(slots[0], graceMs);
      })()),
  };

  try {
    // Member 0 first: it may serve the others (the API's writer), so none takes a connection before it is up.
    ready[0] = await fork(0);
    const rest = await Promise.all(slots.slice(1).map((_, i) => fork(i + 1)));
    rest.forEach((value, i) => (ready[i + 1] = value));
    if (diedWhileStarting.length > 0) throw new Error(diedWhileStarting.join('; '));
  } catch (err) {
    await handle.stop(2_000);
    throw err;
  }
  starting = false;
  return handle;
}

/**
 * The value of the first message of `type` (and `topic`) from `worker`; rejects with `onTimeout()` after `timeoutMs`,
 * or with what `cancel` is given. The listener and the timer go either way.
 */
function nextMessage(
  worker: Worker,
  type: string,
  timeoutMs: number,
  onTimeout: () => Error,
  topic?: string,
): { value: Promise<unknown>; cancel: (err: Error) => void } {
  let cancel: (err: Error) => void = () => undefined;
  const value = new Promise<unknown>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
    };
    const onMessage = (m: Message) => {
      if (m?.type !== type || (topic !== undefined && m.topic !== topic)) return;
      done();
      resolve(m.value);
    };
    const timer = setTimeout(() => {
      done();
      reject(onTimeout());
    }, timeoutMs);
    worker.on('message', onMessage);
    cancel = (err) => {
      done();
      reject(err);
    };
  });
  return { value, cancel };
}

async function stopMember(worker: Worker | undefined, graceMs: number): Promise<void> {
  if (!worker || worker.isDead()) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.process.kill('SIGTERM');
  const killer = setTimeout(() => worker.process.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}

/** In a member: this member's slot, or undefined when the process was not started by `startProcessCluster`. */
export function memberIndex(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[MEMBER_INDEX_ENV];
  return cluster.isWorker && raw !== undefined ? Number(raw) : undefined;
}

/** In a member: tells the primary it is serving. */
export function announceReady(value: unknown): void {
  process.send?.({ type: 'ready', value });
}

/** In a member: answers the primary's `ask(topic)` with what `answer` returns. */
export function answerAsks(answers: Record<string, () => unknown>): void {
  process.on('message', (m: Message) => {
    if (m?.type !== 'ask' || m.topic === undefined || !(m.topic in answers)) return;
    void Promise.resolve(answers[m.topic]!()).then((value) =>
      process.send?.({ type: 'answer', topic: m.topic, value }),
    );
  });
}

/**
 * In a member: runs `shutdown` once on SIGTERM (sent by the primary's `stop`) or when the primary is gone (its IPC
 * channel closes), then exits. SIGINT is ignored: a terminal's Ctrl-C reaches the whole process group, and the primary
 * decides how its members stop.
 */
export function onMemberShutdown(shutdown: () => Promise<void>): void {
  let once: Promise<void> | undefined;
  const run = () => {
    once ??= shutdown().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => undefined);
  process.once('SIGTERM', run);
  // node:cluster's own 'disconnect' handler exits at once unless the disconnect was expected: say it was, and stop
  // gracefully instead (in-flight requests finish, pending pokes are flushed).
  process.prependOnceListener('disconnect', () => {
    if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
    run();
  });
}

/** Resolves a sibling module of `fromFile` with the same extension (`.ts` under tsx, `.js` when compiled). */
export function siblingModule(fromFile: string, name: string): string {
  return path.join(path.dirname(fromFile), `${name}${path.extname(fromFile)}`);
}
