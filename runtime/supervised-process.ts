// runtime/supervised-process.ts: a long-running child process that cannot outlive this one, stopped as a whole group.
import { spawn } from 'node:child_process';
import { forEachLine, OutputTail } from './process-output';

export interface SupervisedProcess {
  /** Resolves (never rejects) with how the process ended: "exited with code 3", "was killed by SIGKILL", … */
  exited: Promise<string>;
  /** The last output lines, for error messages. */
  tail: OutputTail;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; safe to call more than once. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs the command under a small sh wrapper whose stdin is a pipe from this process. However this process ends (even
 * SIGKILL, which no handler sees), the pipe closes, `read` returns and the wrapper stops the command: nothing is left
 * holding ports. The wrapper leads its own process group (detached), so a terminal's Ctrl-C reaches only this process,
 * which decides the shutdown order, and stop() signals the group as a whole.
 */
const WATCHDOG = `
exec 3<&0 0</dev/null
"$@" 3<&- &
server=$!
(
  read -r _ <&3
  kill -TERM "$server" 2>/dev/null
  i=0; while [ $i -lt 100 ] && kill -0 "$server" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  kill -0 "$server" 2>/dev/null && kill -KILL "$server"
) &
watcher=$!
exec 3<&-
trap 'kill -TERM "$server" 2>/dev/null' TERM INT HUP
wait "$server"; code=$?
while kill -0 "$server" 2>/dev/null; do wait "$server"; code=$?; done
kill "$watcher" 2>/dev/null
exit "$code"
`;

/** POSIX only (needs /bin/sh). `onLine` gets stdout and stderr lines until stop() is called. */
export function spawnSupervised(command: string, args: string[], onLine: (line: string) => void): SupervisedProcess {
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'supervised', command, ...args], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tail = new OutputTail();
  let stopping: Promise<void> | undefined;
  const handleLine = (line: string) => {
    tail.push(line);
    if (!stopping) onLine(line); // a stopping server complains about every request it cuts short: noise, not news
  };
  forEachLine(child.stdout, handleLine);
  forEachLine(child.stderr, handleLine);

  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  let ended = false;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be started: ${err.message}`));
    child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  }).finally(() => (ended = true));
  // For a parent that exits without calling stop() (process.exit, an uncaught error): a synchronous last word.
  const onParentExit = () => signalGroup('SIGTERM');
  process.once('exit', onParentExit);

  const stop = (graceMs = 10_000) => {
    stopping ??= (async () => {
      if (!ended) signalGroup('SIGTERM');
      if (!(await settlesWithin(exited, graceMs))) {
        signalGroup('SIGKILL');
        await settlesWithin(exited, 5_000);
      }
      process.removeListener('exit', onParentExit);
      child.stdin?.destroy();
    })();
    return stopping;
  };
  return { exited, tail, stop };
}

export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return result;
}
