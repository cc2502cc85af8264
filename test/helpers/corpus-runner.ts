// test/helpers/corpus-runner.ts: runs one recorded IdP scenario (test/fixtures/idp-corpus/README.md) over real HTTP.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeBody, matchBodyNot, matchHeaders, matchPartial } from './corpus-match';
import { sendRaw } from './raw-http';
import type { RawResponse } from './raw-http';

const Json: z.ZodType<unknown> = z.unknown();

const CorpusStepSchema = z.object({
  request: z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string().nullable()).optional(),
    body: Json.optional(),
  }),
  expect: z.object({
    status: z.union([z.number().int(), z.array(z.number().int()).min(1)]),
    body: Json.optional(),
    bodyNot: Json.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    notes: z.string().optional(),
  }),
});

export const CorpusScenarioSchema = z.object({
  idp: z.enum(['entra', 'okta', 'onelogin', 'google', 'jumpcloud', 'pingfederate', 'pingone', 'rippling', 'rfc7644']),
  scenario: z.string(),
  source: z.string(),
  confidence: z.string().optional(),
  steps: z.array(CorpusStepSchema).min(1),
});

export type CorpusStep = z.infer<typeof CorpusStepSchema>;
export type CorpusScenario = z.infer<typeof CorpusScenarioSchema>;

export function loadScenario(file: string): CorpusScenario {
  const parsed = CorpusScenarioSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(`${path.basename(file)} is not a valid corpus scenario: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The directory dialect a scenario's IdP maps to (README: pingfederate/pingone → ping, rfc7644 → generic). */
export function dialectForIdp(idp: CorpusScenario['idp']): string {
  if (idp === 'pingfederate' || idp === 'pingone') return 'ping';
  if (idp === 'rfc7644') return 'generic';
  return idp;
}

const PLACEHOLDER = /\{\{\s*step(\d+)\.([^}]+?)\s*\}\}/g;

/** README rule 5: `{{stepN.a.0.b}}` inside any string is replaced by that value of step N's JSON response body. */
export function substitute(value: unknown, responses: ReadonlyArray<RawResponse | undefined>): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (whole, n: string, dotted: string) => {
      const response = responses[Number(n) - 1];
      if (!response) throw new Error(`placeholder ${whole}: step ${n} has not run yet`);
      let cursor: unknown = response.json;
      for (const segment of dotted.split('.')) {
        if (Array.isArray(cursor) && /^\d+$/.test(segment)) cursor = cursor[Number(segment)];
        else if (cursor !== null && typeof cursor === 'object' && !Array.isArray(cursor))
          cursor = (cursor as Record<string, unknown>)[segment];
        else cursor = undefined;
      }
      if (typeof cursor !== 'string' && typeof cursor !== 'number' && typeof cursor !== 'boolean')
        throw new Error(
          `placeholder ${whole}: step ${n} (status ${response.status}) has no scalar at '${dotted}'; body: ${describeBody(response)}`,
        );
      return String(cursor);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, responses));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, responses)]));
  return value;
}

export interface PreparedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** README rules 2–4: verbatim path, default Authorization and Content-Type, null headers withheld, string bodies raw. */
export function prepareRequest(
  step: CorpusStep,
  basePath: string,
  token: string,
  responses: ReadonlyArray<RawResponse | undefined>,
): PreparedRequest {
  const given = (substitute(step.request.headers ?? {}, responses) ?? {}) as Record<string, string | null>;
  const named = new Set(Object.keys(given).map((k) => k.toLowerCase()));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) if (value !== null) headers[name] = value;
  if (!named.has('authorization')) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (step.request.body !== undefined) {
    const resolved = substitute(step.request.body, responses);
    body = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
    if (!named.has('content-type')) headers['Content-Type'] = 'application/scim+json';
  }
  const pathname = substitute(step.request.path, responses) as string;
  return { method: step.request.method.toUpperCase(), path: `${basePath}${pathname}`, headers, body };
}

export interface StepOutcome {
  index: number;
  request: PreparedRequest;
  response: RawResponse;
}

export interface RunOptions {
  /** e.g. http://127.0.0.1:1234/scim/v2/<directoryId> */
  baseUrl: string;
  token: string;
  scenario: CorpusScenario;
  file: string;
  /** Extra invariants per step (recorded events, server errors); each returned string is a failure. */
  afterStep?: (outcome: StepOutcome) => string[];
}

/** Runs the steps in order and throws at the first failing one with the request, the expectation and the answer. */
export async function runScenario(opts: RunOptions): Promise<RawResponse[]> {
  const base = new URL(opts.baseUrl);
  const responses: RawResponse[] = [];
  const { steps } = opts.scenario;
  for (const [index, step] of steps.entries()) {
    const where = `${path.basename(opts.file)} step ${index + 1}/${steps.length} (${step.request.method} ${step.request.path})`;
    let request: PreparedRequest;
    try {
      request = prepareRequest(step, base.pathname.replace(/\/$/, ''), opts.token, responses);
    } catch (err) {
      throw new Error(`${where}: could not build the request: ${(err as Error).message}`);
    }
    const response = await sendRaw(base, request);
    responses.push(response);
    const problems: string[] = [];
    const allowed = Array.isArray(step.expect.status) ? step.expect.status : [step.expect.status];
    if (!allowed.includes(response.status)) problems.push(`status ${response.status} is not ${allowed.join(' or ')}`);
    let expected: { body?: unknown; bodyNot?: unknown; headers?: Record<string, string> } = {};
    try {
      expected = substitute(
        { body: step.expect.body, bodyNot: step.expect.bodyNot, headers: step.expect.headers },
        responses,
      ) as typeof expected;
    } catch (err) {
      problems.push(`could not resolve the expectation: ${(err as Error).message}`);
    }
    if (expected.body !== undefined) problems.push(...matchPartial(expected.body, response, true));
    if (expected.bodyNot !== undefined) problems.push(...matchBodyNot(expected.bodyNot, response.json, '$'));
    if (expected.headers) problems.push(...matchHeaders(expected.headers, response.headers));
    problems.push(...(opts.afterStep?.({ index, request, response }) ?? []));
    if (problems.length > 0) {
      // README rule 10: an UNCERTAIN recording is triaged, not treated as a hard bug; say so in the failure.
      const confidence = opts.scenario.confidence ? ` [confidence: ${opts.scenario.confidence}]` : '';
      throw new Error(failureMessage(`${where}${confidence}`, step, request, response, expected, problems));
    }
  }
  return responses;
}

function failureMessage(
  where: string,
  step: CorpusStep,
  request: PreparedRequest,
  response: RawResponse,
  expected: { body?: unknown; bodyNot?: unknown; headers?: Record<string, string> },
  problems: string[],
): string {
  const shownHeaders = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [
      k,
      k.toLowerCase() === 'authorization' && v.startsWith('Bearer sfdt_') ? 'Bearer <valid token>' : v,
    ]),
  );
  const lines = [
    `${where} failed`,
    ...(step.expect.notes ? [`  notes:    ${step.expect.notes}`] : []),
    `  request:  ${request.method} ${request.path}`,
    `            headers ${JSON.stringify(shownHeaders)}`,
    ...(request.body !== undefined ? [`            body ${truncate(request.body)}`] : []),
    `  expected: status ${JSON.stringify(step.expect.status)}`,
    ...(expected.body !== undefined ? [`            body ⊇ ${truncate(JSON.stringify(expected.body))}`] : []),
    ...(expected.bodyNot !== undefined ? [`            bodyNot ${truncate(JSON.stringify(expected.bodyNot))}`] : []),
    ...(expected.headers ? [`            headers ${JSON.stringify(expected.headers)}`] : []),
    `  actual:   status ${response.status}, content-type ${response.headers['content-type'] ?? '(none)'}`,
    `            body ${truncate(describeBody(response))}`,
    `  problems:`,
    ...problems.map((p) => `    - ${p}`),
  ];
  return lines.join('\n');
}

function truncate(text: string, max = 3000): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}
