// test/unit/domain/scim/corpus.ts: reads the recorded IdP scenarios (test/fixtures/idp-corpus/dev) for SCIM unit tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CorpusStep {
  request: { method: string; path: string; body?: unknown };
  expect: { status: number | number[]; body?: unknown };
}

export interface CorpusScenario {
  file: string;
  idp: string;
  steps: CorpusStep[];
}

const DIR = join(__dirname, '../../../fixtures/idp-corpus/dev');

export function loadCorpus(): CorpusScenario[] {
  return readdirSync(DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Omit<CorpusScenario, 'file'>) }));
}

/** A query parameter decoded the way the HTTP layer will (form decoding: '+' is a space). */
export function queryParam(path: string, name: string): string | undefined {
  const query = path.indexOf('?');
  return query < 0 ? undefined : (new URLSearchParams(path.slice(query + 1)).get(name) ?? undefined);
}
