// cli/app-commands.ts: `scimflow app …`: connect, inspect and change the downstream apps of a directory.
import type { Command } from 'commander';
import { Option } from 'commander';
import { ScimAppConfigSchema } from '../connectors/scim-outbound';
import { DEFAULT_GUARD_TEXT, parseGuard } from '../domain/apps/mass-change';
import type { AppLimits } from '../domain/apps/throttle';
import { AppLimitsSchema, parseRate } from '../domain/apps/throttle';
import type { Stores } from '../store';
import type { AppRow } from '../store/directories';
import { changeConfiguration } from '../api/config-change';
import { ORPHAN_SETTINGS } from '../activities/reconcile-app';
import { DEFAULT_RECONCILE_EVERY } from '../runtime/reconcile-schedule';
import type { EntitlementMode } from '../connectors/scim-capabilities';
import { applyReconcileSchedule, checkReconcileEvery } from './reconcile-commands';
import { ENTITLEMENT_CHOICES, describeCapabilities, discoverApp } from './app-discovery';
import {
  checkWebhookUrl,
  describeWebhook,
  parseDeadLetterAfter,
  parseOverlap,
  rotatedWebhook,
  setSummary,
  webhookConfig,
} from './app-webhook';
import { CliError, printJson, withStores } from './context';
import { publicBaseUrl } from './directory-commands';
import { deliver, startGroupFeed } from './deliver';

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
async function describeApp(stores: Stores, app: AppRow) {
  const limits = AppLimitsSchema.parse(app.config.limits ?? {});
  const { breaker, inFlight } = await stores.throttle.status(app.id);
  return {
    id: app.id,
    directoryId: app.directoryId,
    name: app.name,
    type: app.type,
    deprovision: app.config.deprovision ?? 'disable',
    orphans: app.config.orphans ?? 'report',
    massChangeGuard: app.config.massChangeGuard ?? DEFAULT_GUARD_TEXT,
    reconcileEvery: app.config.reconcileEvery ?? 'off',
    ...(app.type === 'webhook' ? await describeWebhook(stores, app, app.config) : {}),
    ...(app.type === 'scim'
      ? {
          url: app.config.url,
          entitlements: app.config.entitlementMode ?? 'groups',
          ...authOf(app.config),
          capabilities: describeCapabilities(app.config),
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

async function appOrFail(stores: Stores, id: string): Promise<AppRow> {
  const app = await stores.directories.getApp(id);
  if (!app) throw new CliError(`app ${id} not found`);
  return app;
}

/** The `--mass-change-guard` value checked before anything is written. */
function checkGuard(text: string): string {
  try {
    parseGuard(text);
    return text;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

const DEAD_LETTER_HELP =
  'type webhook: how long an event that gives access may keep failing before it is dead-lettered (1m to 30d)';

const STATUS_URL_HELP =
  'type webhook: GET <url>/<account id> answers {"active", "entitlements"} (404: gone); revocations are verified by it';

const GUARD_HELP =
  'stop and ask (scimflow approve) before one policy change or reconcile disables or deletes more than this share of the app’s accounts: N% or off';

/** What reconciliation does with accounts that match no identity, live or deleted (docs/reconciliation.md). */
const orphansOption = () =>
  new Option('--orphans <what>', 'accounts in the app that match no identity: report, disable or delete them').choices(
    ORPHAN_SETTINGS,
  );

const limitOptions = (command: Command) =>
  command
    .option('--max-concurrency <n>', 'requests in flight to the app at once, across every worker (or off)')
    .option('--rate-limit <rate>', 'requests per second to the app, across every worker: N/s (or off)');

/** How scimflow reaches a SCIM app: a URL and a bearer token, or OAuth 2.0 client credentials (see authFromFlags). */
const connectionOptions = (command: Command) =>
  command
    .option('--url <url>', 'SCIM base URL of the app (type scim)')
    .option('--token <token>', 'bearer token for the app (type scim); on update it replaces OAuth credentials')
    .option('--oauth-token-url <url>', 'OAuth 2.0 token endpoint: client credentials instead of --token (type scim)')
    .option('--client-id <id>', 'OAuth client id')
    .option('--client-secret <secret>', 'OAuth client secret')
    .option('--scope <scopes>', 'OAuth scopes, space-separated, if the app asks for some');

export function registerAppCommands(program: Command): void {
  const app = program.command('app').description('downstream apps a directory provisions into');
  limitOptions(
    connectionOptions(
      app
        .command('add')
        .description('connect an app to a directory')
        .requiredOption('--directory <id>')
        .requiredOption('--name <name>')
        .addOption(new Option('--type <type>', 'connector').choices(['scim', 'webhook', 'local']).default('local')),
    )
      .addOption(
        new Option(
          '--format <format>',
          'type webhook: Standard Webhooks JSON, or SCIM Security Event Tokens (RFC 9967)',
        )
          .choices(['standard-webhooks', 'scim-set'])
          .default('standard-webhooks'),
      )
      .option('--secret <whsec>', 'type webhook: the signing secret (whsec_…); generated and shown once when left out')
      .option('--issuer <iss>', "format scim-set: the SETs' iss (default: the API's base URL)")
      .option('--status-url <url>', STATUS_URL_HELP)
      .option('--audience <aud>', "format scim-set: the SETs' aud (default: the endpoint's URL)")
      .option('--dead-letter-after <duration>', DEAD_LETTER_HELP, '24h')
      .addOption(
        new Option('--deprovision <mode>', 'what a leaver gets in this app')
          .choices(['disable', 'delete'])
          .default('disable'),
      )
      .addOption(
        new Option('--entitlements <mode>', 'how entitlements map (type scim); auto: from what the app says it has')
          .choices(ENTITLEMENT_CHOICES)
          .default('auto'),
      )
      .option('--skip-discovery', 'connect a SCIM app without reading its capabilities (it cannot be reached now)')
      .addOption(orphansOption().default('report'))
      .option('--mass-change-guard <share>', GUARD_HELP, DEFAULT_GUARD_TEXT)
      .option(
        '--reconcile-every <duration>',
        'reconcile the app on a schedule: 30m, 6h, 1d… or off',
        DEFAULT_RECONCILE_EVERY,
      ),
  ).action(
    async (
      opts: {
        directory: string;
        name: string;
        type: string;
        url?: string;
        token?: string;
        oauthTokenUrl?: string;
        clientId?: string;
        clientSecret?: string;
        scope?: string;
        deprovision: string;
        entitlements: string;
        orphans: string;
        reconcileEvery: string;
        massChangeGuard: string;
        maxConcurrency?: string;
        rateLimit?: string;
        skipDiscovery?: boolean;
        secret?: string;
        format: string;
        issuer?: string;
        audience?: string;
        statusUrl?: string;
        deadLetterAfter: string;
      },
      command: Command,
    ) => {
      let adapted: string[] | undefined;
      let generatedSecret: string | undefined;
      await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        const same = (await stores.directories.listApps(opts.directory)).find((a) => a.name === opts.name);
        if (same)
          throw new CliError(`directory ${opts.directory} already has an app named "${opts.name}" (${same.id})`);
        const config: Record<string, unknown> = {
          deprovision: opts.deprovision,
          orphans: opts.orphans,
          reconcileEvery: checkReconcileEvery(opts.reconcileEvery),
          massChangeGuard: checkGuard(opts.massChangeGuard),
        };
        if (opts.type !== 'webhook')
          for (const flag of ['secret', 'issuer', 'audience', 'format', 'statusUrl'] as const)
            if (command.getOptionValueSource(flag) === 'cli')
              throw new CliError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --type webhook`);
        if (opts.type === 'webhook') {
          const oauth = authFromFlags({ ...opts, token: undefined });
          if (oauth || (opts.token !== undefined && opts.format !== 'scim-set'))
            throw new CliError(
              '--token and --oauth-* are for --type scim: a webhook app is signed (--token: a scim-set receiver’s bearer token)',
            );
          if (command.getOptionValueSource('entitlements') === 'cli')
            throw new CliError('--entitlements is for --type scim: a webhook app is told each entitlement by name');
          const webhook = webhookConfig(opts, publicBaseUrl());
          Object.assign(config, webhook.config);
          generatedSecret = webhook.generated;
        } else if (opts.type === 'scim') {
          if (!opts.url) throw new CliError('--type scim needs --url, and --token or --oauth-token-url');
          const auth = authFromFlags(opts);
          if (!auth)
            throw new CliError('--type scim needs --token, or --oauth-token-url with --client-id and --client-secret');
          const scim = scimConfig({ url: opts.url, ...auth });
          const found = await discoverApp(
            scim,
            opts.entitlements as EntitlementMode | 'auto',
            opts.skipDiscovery === true,
          );
          adapted = found.notes;
          Object.assign(
            config,
            scim,
            { entitlementMode: found.entitlementMode },
            found.capabilities ? { capabilities: found.capabilities } : {},
          );
        } else if (opts.url || authFromFlags(opts))
          throw new CliError('--url, --token and --oauth-* are for --type scim');
        const limits = limitsWith({}, opts);
        if (Object.keys(limits).length > 0) config.limits = limits;
        // Existing identities the policy gives an account in the new app get an event each, and are converged.
        const change = await changeConfiguration(stores, opts.directory, {
          kind: 'app',
          dryRun: false,
          apply: () =>
            stores.directories.addApp({ directoryId: opts.directory, name: opts.name, type: opts.type, config }),
          detail: (row) => ({ appId: row.id, change: 'added' }),
        });
        const signalled = change.events.length > 0 ? await deliver(stores, change.events, 8) : 0;
        const schedule = await applyReconcileSchedule(change.result!.id, opts.reconcileEvery);
        // A webhook app hears the directory's groups from its log's start (its group feed; woken by group writes).
        if (opts.type === 'webhook') await startGroupFeed(change.result!.id);
        printJson({
          id: change.result!.id,
          ...(generatedSecret ? { secret: generatedSecret } : {}),
          ...(opts.type === 'webhook' && opts.format === 'scim-set'
            ? { jwksUrl: `${publicBaseUrl()}/apps/${change.result!.id}/jwks.json`, ...setSummary(config) }
            : {}),
          identitiesAffected: change.identitiesAffected,
          signalled,
          schedule,
          ...(opts.type === 'scim' ? { entitlements: config.entitlementMode, adapted } : {}),
        });
      });
    },
  );

  app
    .command('list')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) =>
        printJson(
          (await stores.directories.listApps(opts.directory)).map((a) => ({
            id: a.id,
            name: a.name,
            type: a.type,
            deprovision: a.config.deprovision,
          })),
        ),
      );
    });

  app
    .command('show')
    .description("an app's settings (secrets left out), limits, circuit breaker and requests in flight")
    .requiredOption('--app <id>')
    .action(async (opts: { app: string }) => {
      await withStores(async (stores) => printJson(await describeApp(stores, await appOrFail(stores, opts.app))));
    });

  limitOptions(
    connectionOptions(
      app
        .command('update')
        .description("change an app's URL, token, deprovisioning or limits; what is not given is kept")
        .requiredOption('--app <id>'),
    )
      .addOption(new Option('--deprovision <mode>', 'what a leaver gets in this app').choices(['disable', 'delete']))
      .addOption(orphansOption())
      .option('--reconcile-every <duration>', 'reconcile the app on a schedule: 30m, 6h, 1d… or off')
      .option('--mass-change-guard <share>', GUARD_HELP)
      .option('--skip-discovery', "with --url: keep the capabilities read before instead of reading the new app's")
      .option(
        '--rotate-secret',
        'type webhook: a new signing secret, shown once (scim-set: a new key); the old one keeps signing for --overlap',
      )
      .option('--overlap <duration>', 'with --rotate-secret: how long the old secret still signs (0m to 30d)', '24h')
      .option('--dead-letter-after <duration>', DEAD_LETTER_HELP)
      .option('--status-url <url>', `${STATUS_URL_HELP}; off removes it`),
  ).action(
    async (opts: {
      app: string;
      url?: string;
      token?: string;
      oauthTokenUrl?: string;
      clientId?: string;
      clientSecret?: string;
      scope?: string;
      deprovision?: string;
      orphans?: string;
      reconcileEvery?: string;
      massChangeGuard?: string;
      maxConcurrency?: string;
      rateLimit?: string;
      skipDiscovery?: boolean;
      rotateSecret?: boolean;
      overlap: string;
      deadLetterAfter?: string;
      statusUrl?: string;
    }) => {
      await withStores(async (stores) => {
        const row = await appOrFail(stores, opts.app);
        const config: Record<string, unknown> = { ...row.config };
        const auth = authFromFlags(opts);
        let newSecret: string | undefined;
        if (opts.rotateSecret) {
          if (row.type !== 'webhook')
            throw new CliError(`app ${row.name} is type ${row.type}: --rotate-secret is for webhook`);
          const rotated = rotatedWebhook(row.config, parseOverlap(opts.overlap));
          if (rotated.set) config.set = rotated.set;
          else config.webhook = rotated.webhook;
          newSecret = rotated.secret;
        }
        if (opts.deadLetterAfter !== undefined) {
          if (row.type !== 'webhook')
            throw new CliError(`app ${row.name} is type ${row.type}: --dead-letter-after is for webhook`);
          config.deadLetterAfterSeconds = parseDeadLetterAfter(opts.deadLetterAfter);
        }
        if (opts.statusUrl !== undefined && row.type !== 'webhook')
          throw new CliError(`app ${row.name} is type ${row.type}: --status-url is for webhook`);
        if (row.type === 'webhook') {
          // A scim-set receiver may ask for a bearer token; a webhook app has no other credentials.
          if (auth && !('token' in auth && row.config.format === 'scim-set'))
            throw new CliError(`app ${row.name} is a webhook app: --oauth-* are for scim, --token for format scim-set`);
          if (opts.url !== undefined) config.url = checkWebhookUrl(opts.url);
          if (opts.statusUrl === 'off') delete config.statusUrl;
          else if (opts.statusUrl !== undefined) config.statusUrl = checkWebhookUrl(opts.statusUrl, '--status-url');
          if (auth && 'token' in auth) config.token = auth.token;
        } else if (opts.url !== undefined || auth) {
          if (row.type !== 'scim')
            throw new CliError(`app ${row.name} is type ${row.type}: --url, --token and --oauth-* are for scim`);
          const kept = auth ?? (row.config.oauth ? { oauth: row.config.oauth } : { token: row.config.token });
          delete config.token;
          delete config.oauth;
          const mode = (row.config.entitlementMode as EntitlementMode | undefined) ?? 'groups';
          const scim = scimConfig({ url: opts.url ?? String(row.config.url), ...kept, entitlementMode: mode });
          Object.assign(config, scim);
          // Another URL may be another app: read what it can do (the entitlement mode in use must still fit).
          if (opts.url !== undefined && !opts.skipDiscovery) {
            const found = await discoverApp(scim, mode, false);
            if (found.capabilities) config.capabilities = found.capabilities;
            else delete config.capabilities;
          }
        }
        if (opts.deprovision) config.deprovision = opts.deprovision;
        if (opts.orphans) config.orphans = opts.orphans;
        if (opts.massChangeGuard) config.massChangeGuard = checkGuard(opts.massChangeGuard);
        if (opts.reconcileEvery) config.reconcileEvery = checkReconcileEvery(opts.reconcileEvery);
        const limits = limitsWith(AppLimitsSchema.parse(row.config.limits ?? {}), opts);
        if (Object.keys(limits).length > 0) config.limits = limits;
        else delete config.limits;
        await stores.directories.updateAppConfig(row.id, config);
        const schedule = opts.reconcileEvery ? await applyReconcileSchedule(row.id, opts.reconcileEvery) : undefined;
        printJson({
          ...(await describeApp(stores, await appOrFail(stores, row.id))),
          ...(newSecret ? { secret: newSecret } : {}),
          ...(schedule ? { schedule } : {}),
        });
      });
    },
  );

  app
    .command('remove')
    .description('disconnect an app: keep its accounts as they are, or deprovision them all first')
    .requiredOption('--app <id>')
    .addOption(
      new Option('--accounts <what>', "what happens to the app's accounts")
        .choices(['keep', 'deprovision'])
        .makeOptionMandatory(),
    )
    .option('--timeout <seconds>', 'with deprovision: how long to wait for every revocation', (v) => Number(v), 600)
    .action(async (opts: { app: string; accounts: 'keep' | 'deprovision'; timeout: number }) => {
      if (!(opts.timeout > 0)) throw new CliError('--timeout must be a positive number of seconds');
      await withStores(async (stores) => {
        const row = await appOrFail(stores, opts.app);
        if (opts.accounts === 'keep') {
          const left = await stores.applied.countUnrevokedInApp(row.id);
          await stores.directories.removeApp(row.id);
          await stores.throttle.reset(row.id);
          const schedule = await applyReconcileSchedule(row.id, 'off');
          printJson({ id: row.id, removed: true, accounts: 'kept', accountsLeft: left, schedule });
          return;
        }
        // Deprovision: the app is marked as being removed (nobody keeps, or gets, access there), each identity with an
        // account gets an event and is converged; the app goes once every account is revoked and verified.
        let signalled = 0;
        if (row.config.removing !== true) {
          const change = await changeConfiguration(stores, row.directoryId, {
            kind: 'app',
            dryRun: false,
            apply: () => stores.directories.updateAppConfig(row.id, { ...row.config, removing: true }),
            detail: () => ({ appId: row.id, change: 'removing' }),
          });
          signalled = change.events.length > 0 ? await deliver(stores, change.events, 8) : 0;
        }
        const deadline = Date.now() + opts.timeout * 1000;
        let lastReport = 0;
        for (;;) {
          const left = await stores.applied.countUnrevokedInApp(row.id);
          if (left === 0) break;
          if (Date.now() > deadline)
            throw new CliError(
              `${left} accounts of app ${row.name} are not revoked after ${opts.timeout} s (report exceptions shows why);` +
                ' the app stays in removal (nobody is provisioned there): run the command again to keep waiting',
            );
          if (Date.now() - lastReport >= 5_000) {
            process.stderr.write(`app ${row.name}: ${left} accounts left to revoke\n`);
            lastReport = Date.now();
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        await stores.directories.removeApp(row.id);
        await stores.throttle.reset(row.id);
        const schedule = await applyReconcileSchedule(row.id, 'off');
        printJson({ id: row.id, removed: true, accounts: 'deprovisioned', signalled, schedule });
      });
    });

  app
    .command('accounts')
    .description('accounts held by a built-in local app, or what a webhook app was told it holds')
    .requiredOption('--app <id>')
    .action(async (opts: { app: string }) => {
      await withStores(async (stores) => {
        const row = await appOrFail(stores, opts.app);
        if (row.type !== 'local' && row.type !== 'webhook')
          throw new CliError(
            'only local and webhook apps keep their accounts in scimflow; read a SCIM app through its own API',
          );
        printJson(await stores.localAccounts.list(row.id));
      });
    });
}

interface AuthFlags {
  token?: string;
  oauthTokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
}

/** The app's credentials from the flags: a bearer token, or OAuth client credentials; undefined when none is given. */
function authFromFlags(opts: AuthFlags): { token: string } | { oauth: Record<string, string> } | undefined {
  const oauthFlags = [opts.oauthTokenUrl, opts.clientId, opts.clientSecret, opts.scope].some((v) => v !== undefined);
  if (opts.token !== undefined && oauthFlags) throw new CliError('give either --token or --oauth-token-url, not both');
  if (opts.token !== undefined) return { token: opts.token };
  if (!oauthFlags) return undefined;
  if (!opts.oauthTokenUrl || !opts.clientId || !opts.clientSecret)
    throw new CliError('OAuth client credentials need --oauth-token-url, --client-id and --client-secret');
  return {
    oauth: {
      tokenUrl: opts.oauthTokenUrl,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      ...(opts.scope ? { scope: opts.scope } : {}),
    },
  };
}

/** How `app show` describes the credentials: which kind, never the secret. */
function authOf(config: Record<string, unknown>) {
  const oauth = config.oauth as { tokenUrl: string; clientId: string; scope?: string } | undefined;
  if (oauth)
    return {
      auth: 'oauth-client-credentials',
      oauth: { tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, scope: oauth.scope ?? null, secretSet: true },
    };
  return { auth: 'bearer', tokenSet: Boolean(config.token) };
}

/** A SCIM app's connection settings, validated (a bad URL is the operator's error, not a crash). */
function scimConfig(input: { url: string; token?: unknown; oauth?: unknown; entitlementMode?: string }) {
  const parsed = ScimAppConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new CliError(
      `invalid SCIM app settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
