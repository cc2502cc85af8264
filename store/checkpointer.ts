// store/checkpointer.ts: WAL checkpoints on a worker thread, so that no request's COMMIT copies pages or waits for fsync.
import { Worker } from 'node:worker_threads';
import type { Db } from './db';

/**
 * Cadence of the background thread: every 20 ms while writes keep coming (a checkpoint copied at least
 * BUSY_FRAMES), backing off by doubling to once a second when they trickle. Each checkpoint that copies anything
 * fsyncs twice, and a steady 100 fsyncs/s slowed the Temporal dev server sharing the disk threefold.
 */
export const CHECKPOINT_INTERVAL_MS = 20;
export const IDLE_INTERVAL_MS = 1_000;
export const BUSY_FRAMES = 256;
/**
 * The API connection's own auto-checkpoint threshold while the thread runs (pages; SQLite's default is 1,000). Under
 * sustained writes the thread rarely catches up completely, so the WAL would never restart; past this size the next
 * COMMIT checkpoints the few frames not yet copied and the WAL starts over. Also the bound if the thread ever dies.
 */
export const BACKSTOP_PAGES = 80_000;
/** Past this many WAL frames the thread forces the WAL to start over (a RESTART checkpoint), well before the backstop. */
export const RESTART_FRAMES = 32_000;
/** RESTART only once PASSIVE passes (at most CATCH_UP_PASSES in a row) left fewer frames than this to copy. */
export const RESTART_TAIL_FRAMES = 64;
export const CATCH_UP_PASSES = 4;

export interface CheckpointStats {
  checkpoints: number;
  /** Frames copied into the database file by the thread. */
  framesCopied: number;
  /** RESTART checkpoints that made the WAL start over. */
  restarts: number;
  errors: number;
  lastError?: string;
}

export interface Checkpointer {
  /** The thread's counters; once the thread is gone, zeros with `lastError: 'thread stopped'`. */
  stats(): Promise<CheckpointStats>;
  /** Stops the thread after its current checkpoint and closes its connection; the API connection gets its default back. */
  stop(): Promise<void>;
}

// Plain JavaScript, run with `eval`: it must not depend on how the main program is loaded (tsx, compiled, bundled).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 0');
const stats = { checkpoints: 0, framesCopied: 0, restarts: 0, errors: 0 };
let previous = 0;
const checkpoint = (mode) => {
  const [row] = db.pragma('wal_checkpoint(' + mode + ')');
  stats.checkpoints += 1;
  // checkpointed counts from the start of the WAL; it drops when the WAL restarts.
  const copied = row.checkpointed >= previous ? row.checkpointed - previous : row.checkpointed;
  if (copied > 0) stats.framesCopied += copied;
  previous = row.checkpointed;
  return row;
};
const tick = () => {
  try {
    let row = checkpoint('PASSIVE');
    if (row.log < workerData.restartFrames) return;
    // Under steady writes a PASSIVE checkpoint never catches up with the last commit, so the WAL would never start
    // over. RESTART does, but holds the write lock while it copies what is left and syncs (2-40 ms under load): so
    // first catch up with PASSIVE passes, then RESTART without waiting (busy_timeout is 0 here): if a write holds the
    // lock it fails at once and a later tick tries again. API writes that find the lock taken wait on a timer.
    for (let pass = 0; pass < workerData.catchUpPasses && row.log - row.checkpointed > workerData.restartTailFrames; pass++)
      row = checkpoint('PASSIVE');
    if (row.log - row.checkpointed <= workerData.restartTailFrames && checkpoint('RESTART').busy === 0)
      stats.restarts += 1;
  } catch (err) {
    stats.errors += 1;
    stats.lastError = String(err && err.message ? err.message : err);
  }
};
let interval = workerData.intervalMs;
let timer;
const schedule = () => {
  timer = setTimeout(() => {
    const before = stats.framesCopied;
    tick();
    const busy = stats.framesCopied - before >= workerData.busyFrames;
    interval = busy ? workerData.intervalMs : Math.min(interval * 2, workerData.idleIntervalMs);
    schedule();
  }, interval);
};
schedule();
parentPort.on('message', (message) => {
  if (message === 'stats') parentPort.postMessage({ stats });
  if (message === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.postMessage({ stopped: true, stats });
  }
});
`;

/**
 * Starts checkpointing `db`'s file from a worker thread with its own connection (same `synchronous` level, so a
 * checkpoint syncs exactly as SQLite's own would). Only long-running API processes use it; short CLI commands keep
 * SQLite's automatic checkpoints.
 */
export function startCheckpointer(
  db: Db,
  onError: (err: Error) => void,
  { intervalMs = CHECKPOINT_INTERVAL_MS, restartFrames = RESTART_FRAMES } = {},
): Checkpointer {
  const synchronous = Number(db.pragma('synchronous', { simple: true })) >= 2 ? 'FULL' : 'NORMAL';
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: require.resolve('better-sqlite3'),
      file: db.name,
      synchronous,
      intervalMs,
      idleIntervalMs: Math.max(intervalMs, IDLE_INTERVAL_MS),
      busyFrames: BUSY_FRAMES,
      restartFrames,
      restartTailFrames: RESTART_TAIL_FRAMES,
      catchUpPasses: CATCH_UP_PASSES,
    },
  });
  worker.unref();
  // A dead thread only means SQLite's own checkpoints take over again (at the backstop size): report it, never throw.
  worker.on('error', onError);
  const backstop = useCheckpointBackstop(db);
  let exited = false;
  worker.once('exit', () => {
    exited = true;
  });
  let stopped: Promise<void> | undefined;
  /** One request/reply round trip; settles (with `gone`) when the thread is or becomes dead instead of waiting forever. */
  const ask = <T>(message: string, pick: (reply: Record<string, unknown>) => T | undefined, gone: () => T) =>
    new Promise<T>((resolve) => {
      if (exited) return resolve(gone());
      const done = (value: T) => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (reply: Record<string, unknown>) => {
        const value = pick(reply);
        if (value !== undefined) done(value);
      };
      const onExit = () => done(gone());
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.postMessage(message);
    });
  const deadStats = (): CheckpointStats => ({
    checkpoints: 0,
    framesCopied: 0,
    restarts: 0,
    errors: 1,
    lastError: 'thread stopped',
  });
  return {
    stats: () => ask('stats', (reply) => reply.stats as CheckpointStats | undefined, deadStats),
    stop: () =>
      (stopped ??= ask(
        'stop',
        (reply) => (reply.stopped ? true : undefined),
        () => true,
      ).then(async () => {
        await worker.terminate();
        await backstop.stop();
      })),
  };
}

/**
 * For a connection whose checkpoints another thread or process runs (one of several API processes sharing a file):
 * its own COMMITs checkpoint only past BACKSTOP_PAGES. `stop` gives the connection SQLite's default back.
 */
export function useCheckpointBackstop(db: Db): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  return {
    stats: () => Promise.resolve({ checkpoints: 0, framesCopied: 0, restarts: 0, errors: 0 }),
    stop: () => {
      if (db.open) db.pragma('wal_autocheckpoint = 1000');
      return Promise.resolve();
    },
  };
}
