// runtime/logger.ts: the process's structured logger (pino): JSON lines on stderr, human-readable on a terminal.
import pino from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError } from '../store/env';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Never logged, wherever they appear in a logged object (tokens, secrets, credentials, bodies). */
const REDACT = [
  'token',
  'secret',
  'password',
  'authorization',
  'clientSecret',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.clientSecret',
  'headers.authorization',
  'req.headers.authorization',
];

let root: Logger | undefined;

/**
 * LOG_LEVEL (default info) and LOG_FORMAT (`json`, `pretty`; default: pretty on a terminal, JSON otherwise). Created on
 * first use, so a bad setting is a clear start-up error rather than a crash at import.
 */
export function logger(): Logger {
  if (root) return root;
  const level = process.env.LOG_LEVEL ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level))
    throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}; got ${level}`);
  const format = process.env.LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty')
    throw new ConfigError(`LOG_FORMAT must be json or pretty; got ${format}`);
  const options = { name: 'scimflow', level, redact: { paths: REDACT, censor: '[redacted]' } };
  root =
    format === 'pretty'
      ? pino(
          options,
          pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, ignore: 'pid,hostname,name' }),
        )
      : pino(options, pino.destination({ fd: 2, sync: true }));
  return root;
}

/** A `(line) => void` for the modules that take one (dev server, relay, watchdog), logging at info under a component. */
export function lineLog(component: string): (line: string) => void {
  const child = logger().child({ component });
  return (line) => child.info(line);
}

let temporalInstalled = false;

/**
 * Routes the Temporal SDK's own log (worker, bundler, core) through this logger, one level down for its chatter: its
 * INFO lines (workflow bundle built, worker state changes) are `debug` here, so the default log shows scimflow's lines
 * and the SDK's warnings and errors only; with `metricsBindAddress` its core also exports Prometheus metrics there
 * (metrics/temporal-sdk.ts). Must run before the first connection of the process; later calls do nothing.
 */
export function installTemporalRuntime(opts: { metricsBindAddress?: string } = {}): void {
  if (temporalInstalled) return;
  temporalInstalled = true;
  const log = logger().child({ component: 'temporal-sdk' });
  const map = { TRACE: 'trace', DEBUG: 'trace', INFO: 'debug', WARN: 'warn', ERROR: 'error' } as const;
  const ownLevel = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => {
      const { message, meta } = entry;
      // scimflow's own lines from workflow and activity code (the SDK never logs with these components) keep their level.
      const own = meta?.sdkComponent === 'workflow' || meta?.sdkComponent === 'activity';
      log[own ? ownLevel[entry.level] : map[entry.level]](meta ?? {}, message);
    }),
    ...(opts.metricsBindAddress
      ? {
          telemetryOptions: {
            metrics: { prometheus: { bindAddress: opts.metricsBindAddress, useSecondsForDurations: true } },
          },
        }
      : {}),
  });
}
