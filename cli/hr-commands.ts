// cli/hr-commands.ts: `scimflow hr …`: signing secrets, settings, and HR events for systems that cannot sign webhooks.
import fs from 'node:fs';
import type { Command } from 'commander';
import type { MatchKey } from '../domain/hr/events';
import { MATCH_KEYS } from '../domain/hr/events';
import crypto from 'node:crypto';
import { importRows } from '../hr/import-rows';
import { hrSettingsOf, recordHrEvent, rescindTermination } from '../hr/record';
import type { HrRecordResult } from '../hr/record';
import type { Stores } from '../store';
import { statusOf } from '../store/hr';
import { CliError, directoryOf, printJson, withStores } from './context';
import { deliver } from './deliver';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** `0`, `90s`, `30m`, `24h`, `7d` → milliseconds (at most 30 days); undefined when it is none of those. */
function parseDuration(text: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (match[2] ? UNIT_MS[match[2]]! : 1_000);
  return ms <= 30 * 86_400_000 ? ms : undefined;
}

interface PersonOptions {
  directory: string;
  user?: string;
  employeeNumber?: string;
  email?: string;
  externalId?: string;
  eventId?: string;
  reason?: string;
  effective?: string;
}

/** The one person flag given → the match key and the person object. */
function personOf(opts: PersonOptions): { matchKey: MatchKey; person: Record<string, string> } {
  const given = (
    [
      ['userName', opts.user],
      ['employeeNumber', opts.employeeNumber],
      ['email', opts.email],
      ['externalId', opts.externalId],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (given.length !== 1)
    throw new CliError('name the person with exactly one of --user, --employee-number, --email, --external-id');
  const [key, value] = given[0]!;
  return { matchKey: key, person: { [key]: value! } };
}

/** Records, delivers to the identity's workflow, prints `{id, identityId, effectiveAt, status}`. */
async function recordAndDeliver(stores: Stores, result: HrRecordResult): Promise<void> {
  const { events, duplicate, type: _type, ...out } = result;
  if (events.length > 0) {
    const leaver = events.filter((e) => e.kind === 'hr.leaver').map((e) => e.identityId);
    await deliver(stores, events, 4, { leavers: new Set(leaver) });
  }
  printJson(duplicate ? { ...out, duplicate: true } : out);
}

const PERSON_FLAGS = (command: Command) =>
  command
    .requiredOption('--directory <id>')
    .option('--user <userName>', 'the userName (case-insensitive)')
    .option('--employee-number <n>')
    .option('--email <address>')
    .option('--external-id <id>')
    .option('--event-id <id>', 'the event id (idempotency: the same id with the same content records once)')
    .option('--reason <text>');

export function registerHrCommands(program: Command): void {
  const hr = program.command('hr').description('the HR system as a source of truth (terminations, leave, rehire)');

  hr.command('secret')
    .description('issue the directory’s HR signing secret (Standard Webhooks); printed once')
    .requiredOption('--directory <id>')
    .option('--overlap <duration>', 'how long the previous secret keeps working (e.g. 24h; 0 revokes it now)', '24h')
    .action(async (opts: { directory: string; overlap: string }) => {
      const overlapMs = parseDuration(opts.overlap);
      if (overlapMs === undefined) throw new CliError(`--overlap: not a duration: ${opts.overlap} (e.g. 0, 30m, 24h)`);
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const { id, secret } = await stores.hr.newSecret(dir.id, overlapMs);
        printJson({ id, secret, endpoint: `/hr/v1/${dir.id}/events` });
      });
    });

  hr.command('configure')
    .description('how HR names people, and what happens to the NHIs of a leaver')
    .requiredOption('--directory <id>')
    .option('--match-key <key>', `the person's key in HR events: ${MATCH_KEYS.join('|')}`)
    .option('--nhi-on-owner-leave <policy>', 'transfer (to the manager; an exception without one) | revoke')
    .action(async (opts: { directory: string; matchKey?: string; nhiOnOwnerLeave?: string }) => {
      if (opts.matchKey !== undefined && !MATCH_KEYS.includes(opts.matchKey as MatchKey))
        throw new CliError(`--match-key must be one of ${MATCH_KEYS.join(', ')}`);
      if (opts.nhiOnOwnerLeave !== undefined && !['transfer', 'revoke'].includes(opts.nhiOnOwnerLeave))
        throw new CliError('--nhi-on-owner-leave must be transfer or revoke');
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const settings = {
          ...hrSettingsOf(dir.config),
          ...(opts.matchKey ? { matchKey: opts.matchKey } : {}),
          ...(opts.nhiOnOwnerLeave ? { nhiOnOwnerLeave: opts.nhiOnOwnerLeave } : {}),
        };
        await stores.directories.updateConfig(dir.id, { ...dir.config, hr: settings });
        printJson({ directory: dir.id, hr: settings });
      });
    });

  const personEvent = (name: string, type: string, description: string, effective: boolean) => {
    const command = PERSON_FLAGS(hr.command(name).description(description));
    if (effective)
      command.option('--effective <RFC3339>', 'when it takes effect (Z or an offset); omitted or past: now');
    command.action(async (opts: PersonOptions) => {
      const { matchKey, person } = personOf(opts);
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const body = {
          id: opts.eventId ?? `cli-${crypto.randomUUID()}`,
          type,
          person,
          ...(opts.effective ? { effectiveAt: opts.effective } : {}),
          ...(opts.reason ? { reason: opts.reason } : {}),
        };
        await recordAndDeliver(stores, await recordHrEvent(stores, dir.id, body, { source: 'cli', matchKey }));
      });
    });
  };
  personEvent('terminate', 'termination', 'terminate a person (now, or at --effective); prints the event id', true);
  personEvent('leave', 'leave.started', 'a leave of absence: access suspended until `hr return`', true);
  personEvent('return', 'leave.ended', 'back from leave: access restored', true);
  personEvent('rehire', 'rehire', 'rehire a terminated person: the only way back after a termination', true);

  hr.command('rescind')
    .description('take back a termination that has not taken effect (idempotent)')
    .requiredOption('--directory <id>')
    .requiredOption('--event <id>', 'the termination’s id (as `hr terminate` printed it)')
    .action(async (opts: { directory: string; event: string }) => {
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const { events } = await rescindTermination(stores, dir.id, opts.event, 'cli');
        if (events.length > 0) await deliver(stores, events, 4);
        printJson({ id: opts.event, status: 'rescinded' });
      });
    });

  hr.command('list')
    .description('HR events of a directory, with their status now')
    .requiredOption('--directory <id>')
    .option('--pending', 'only those scheduled or awaiting their identity')
    .action(async (opts: { directory: string; pending?: boolean }) => {
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const now = new Date();
        const events = (await stores.hr.list(dir.id))
          .map((e) => ({
            id: e.id,
            type: e.type,
            identityId: e.identityId,
            person: e.body.person ?? null,
            effectiveAt: e.effectiveAt,
            receivedAt: e.receivedAt,
            source: e.source,
            reason: e.body.reason ?? null,
            status: statusOf(e, now),
            ...(e.rescindedBy ? { rescindedBy: e.rescindedBy } : {}),
            ...(e.supersededBy ? { supersededBy: e.supersededBy } : {}),
          }))
          .filter((e) => !opts.pending || e.status === 'scheduled' || e.status === 'awaiting-identity');
        printJson({ events });
      });
    });

  hr.command('import')
    .description('record an HR export: CSV (header row) or JSON events, idempotent per row')
    .requiredOption('--directory <id>')
    .requiredOption('--file <path>')
    .action(async (opts: { directory: string; file: string }) => {
      let text: string;
      try {
        text = fs.readFileSync(opts.file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${opts.file}: ${(err as Error).message}`);
      }
      const rows = importRows(text);
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const results: { row: number; id?: string; status?: string; duplicate?: boolean; error?: string }[] = [];
        const events = [];
        for (const [i, row] of rows.entries()) {
          try {
            const {
              events: recorded,
              duplicate,
              id,
              status,
            } = await recordHrEvent(stores, dir.id, row, { source: 'import' });
            events.push(...recorded);
            results.push({ row: i + 1, id, status, ...(duplicate ? { duplicate } : {}) });
          } catch (err) {
            results.push({ row: i + 1, error: (err as Error).message });
          }
        }
        if (events.length > 0)
          await deliver(stores, events, 8, {
            leavers: new Set(events.filter((e) => e.kind === 'hr.leaver').map((e) => e.identityId)),
          });
        const failed = results.filter((r) => r.error).length;
        printJson({
          rows: rows.length,
          recorded: results.filter((r) => r.status && !r.duplicate).length,
          duplicates: results.filter((r) => r.duplicate).length,
          failed,
          results,
        });
        if (failed > 0) throw new CliError(`${failed} of ${rows.length} rows were not recorded (see "results")`);
      });
    });
}
