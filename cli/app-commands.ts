// cli/app-commands.ts: `scimflow app …`: connect, inspect and change the downstream apps of a directory.
import type { Command } from 'commander';
import { Option } from 'commander';
import { listLocalAccounts } from '../connectors/local-app';
import { ScimAppConfigSchema } from '../connectors/scim-outbound';
import type { AppLimits } from '../domain/apps/throttle';
import { AppLimitsSchema, parseRate } from '../domain/apps/throttle';
import type { Stores } from '../store';
import type { AppRow } from '../store/directories';
import { CliError, printJson, withStores } from './context';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `N` (a positive integer) or `off`. */
function parseConcurrency(text: string): number | undefined {
  if (text === 'off') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new CliError(`--max-concurrency must be an integer from 1 to 10000, or off: ${text}`);
  return n;
}

function rate(text: string): number | undefined {
  try {
    return parseRate(text);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** The limits after applying the flags given (`off` removes one; a flag not given keeps it). */
function limitsWith(current: AppLimits, opts: { maxConcurrency?: string; rateLimit?: string }): AppLimits {
  const next: AppLimits = { ...current };
  if (opts.maxConcurrency !== undefined) next.maxConcurrency = parseConcurrency(opts.maxConcurrency);
  if (opts.rateLimit !== undefined) next.ratePerSecond = rate(opts.rateLimit);
  if (next.maxConcurrency === undefined) delete next.maxConcurrency;
  if (next.ratePerSecond === undefined) delete next.ratePerSecond;
  return AppLimitsSchema.parse(next);
}

/** What an operator needs to know about an app, its secrets left out. */
function describeApp(stores: Stores, app: AppRow) {
  const limits = AppLimitsSchema.parse(app.config.limits ?? {});
  const { breaker, inFlight } = stores.throttle.status(app.id);
  return {
    id: app.id,
    directoryId: app.directoryId,
    name: app.name,
    type: app.type,
    deprovision: app.config.deprovision ?? 'disable',
    ...(app.type === 'scim'
      ? {
          url: app.config.url,
          entitlements: app.config.entitlementMode ?? 'groups',
          tokenSet: Boolean(app.config.token),
        }
      : {}),
    limits: { maxConcurrency: limits.maxConcurrency ?? null, ratePerSecond: limits.ratePerSecond ?? null },
    circuit: {
      state: breaker.state,
      failuresInARow: breaker.failures,
      openedAt: iso(breaker.openedAt),
      nextProbeAt: breaker.state === 'closed' ? null : iso(breaker.probeAt),
      lastError: breaker.lastError,
    },
    inFlight,
    createdAt: app.createdAt,
  };
}

function appOrFail(stores: Stores, id: string): AppRow {
  const app = stores.directories.getApp(id);
  if (!app) throw new CliError(`app ${id} not found`);
  return app;
}

const limitOptions = (command: Command) =>
  command
    .option('--max-concurrency <n>', 'requests in flight to the app at once, across every worker (or off)')
    .option('--rate-limit <rate>', 'requests per second to the app, across every worker: N/s (or off)');

export function registerAppCommands(program: Command): void {
  const app = program.command('app').description('downstream apps a directory provisions into');
  limitOptions(
    app
      .command('add')
      .description('connect an app to a directory')
      .requiredOption('--directory <id>')
      .requiredOption('--name <name>')
      .addOption(new Option('--type <type>', 'connector').choices(['scim', 'local']).default('local'))
      .option('--url <url>', 'SCIM base URL of the app (type scim)')
      .option('--token <token>', 'bearer token for the app (type scim)')
      .addOption(
        new Option('--deprovision <mode>', 'what a leaver gets in this app')
          .choices(['disable', 'delete'])
          .default('disable'),
      )
      .addOption(
        new Option('--entitlements <mode>', 'how entitlements map (type scim)')
          .choices(['groups', 'roles'])
          .default('groups'),
      ),
  ).action(
    async (opts: {
      directory: string;
      name: string;
      type: string;
      url?: string;
      token?: string;
      deprovision: string;
      entitlements: string;
      maxConcurrency?: string;
      rateLimit?: string;
    }) => {
      await withStores((stores) => {
        if (!stores.directories.get(opts.directory)) throw new CliError(`directory ${opts.directory} not found`);
        const config: Record<string, unknown> = { deprovision: opts.deprovision };
        if (opts.type === 'scim') {
          if (!opts.url || !opts.token) throw new CliError('--type scim needs --url and --token');
          Object.assign(config, scimConfig({ url: opts.url, token: opts.token, entitlementMode: opts.entitlements }));
        } else if (opts.url || opts.token) throw new CliError('--url and --token are for --type scim');
        const limits = limitsWith({}, opts);
        if (Object.keys(limits).length > 0) config.limits = limits;
        const row = stores.directories.addApp({
          directoryId: opts.directory,
          name: opts.name,
          type: opts.type,
          config,
        });
        printJson({ id: row.id });
      });
    },
  );

  app
    .command('list')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores((stores) =>
        printJson(
          stores.directories
            .listApps(opts.directory)
            .map((a) => ({ id: a.id, name: a.name, type: a.type, deprovision: a.config.deprovision })),
        ),
      );
    });

  app
    .command('show')
    .description("an app's settings (secrets left out), limits, circuit breaker and requests in flight")
    .requiredOption('--app <id>')
    .action(async (opts: { app: string }) => {
      await withStores((stores) => printJson(describeApp(stores, appOrFail(stores, opts.app))));
    });

  limitOptions(
    app
      .command('update')
      .description("change an app's URL, token, deprovisioning or limits; what is not given is kept")
      .requiredOption('--app <id>')
      .option('--url <url>', 'SCIM base URL of the app (type scim)')
      .option('--token <token>', 'bearer token for the app (type scim)')
      .addOption(new Option('--deprovision <mode>', 'what a leaver gets in this app').choices(['disable', 'delete'])),
  ).action(
    async (opts: {
      app: string;
      url?: string;
      token?: string;
      deprovision?: string;
      maxConcurrency?: string;
      rateLimit?: string;
    }) => {
      await withStores((stores) => {
        const row = appOrFail(stores, opts.app);
        const config: Record<string, unknown> = { ...row.config };
        if (opts.url !== undefined || opts.token !== undefined) {
          if (row.type !== 'scim')
            throw new CliError(`app ${row.name} is type ${row.type}: --url and --token are for scim`);
          Object.assign(
            config,
            scimConfig({
              url: opts.url ?? String(row.config.url),
              token: opts.token ?? String(row.config.token),
              entitlementMode: row.config.entitlementMode as string | undefined,
            }),
          );
        }
        if (opts.deprovision) config.deprovision = opts.deprovision;
        const limits = limitsWith(AppLimitsSchema.parse(row.config.limits ?? {}), opts);
        if (Object.keys(limits).length > 0) config.limits = limits;
        else delete config.limits;
        stores.directories.updateAppConfig(row.id, config);
        printJson(describeApp(stores, appOrFail(stores, row.id)));
      });
    },
  );

  app
    .command('accounts')
    .description('accounts held by a built-in local app')
    .requiredOption('--app <id>')
    .action(async (opts: { app: string }) => {
      await withStores((stores) => {
        const row = appOrFail(stores, opts.app);
        if (row.type !== 'local')
          throw new CliError('only local apps keep their accounts in scimflow; read a SCIM app through its own API');
        printJson(listLocalAccounts(stores.db, row.id));
      });
    });
}

/** A SCIM app's connection settings, validated (a bad URL is the operator's error, not a crash). */
function scimConfig(input: { url: string; token: string; entitlementMode?: string }) {
  const parsed = ScimAppConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new CliError(
      `invalid SCIM app settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
