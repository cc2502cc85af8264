// api/log-watch.ts: wakes the events API's long polls when this process commits events to a directory's log.
import { EventEmitter } from 'node:events';
import type { EventRow } from '../store/event-log';

/**
 * In-process only: writes another process commits (a second API process, the CLI, a worker) are seen by the long
 * poll's own polling of the log (api/events-feed.ts); this makes the common case, a write through this API, immediate.
 */
export class LogWatch {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  /** After the commit: the directories whose logs grew. */
  notify(events: readonly Pick<EventRow, 'directoryId'>[]): void {
    for (const directoryId of new Set(events.map((e) => e.directoryId))) this.emitter.emit(directoryId);
  }

  /** Resolves when this directory's log grows here, after `ms`, or when `signal` aborts, whichever is first. */
  wait(directoryId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(directoryId, done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(directoryId, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
