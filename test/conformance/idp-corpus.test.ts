// test/conformance/idp-corpus.test.ts: every recorded IdP scenario, step by step, against the real API over HTTP and SQLite.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { EventRow } from '../../store/event-log';
import { startConformanceServer } from '../helpers/conformance-server';
import type { ConformanceServer } from '../helpers/conformance-server';
import { dialectForIdp, loadScenario, runScenario } from '../helpers/corpus-runner';
import type { CorpusScenario, StepOutcome } from '../helpers/corpus-runner';

const CORPUS = path.join(__dirname, '..', 'fixtures', 'idp-corpus');
// dev/ is the development set; a held-out set dropped beside it runs the same way.
const sets = fs
  .readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('IdP request corpus (recorded scenarios over real HTTP)', function () {
  let server: ConformanceServer;

  before(async function () {
    server = await startConformanceServer();
  });

  after(async function () {
    await server.close();
  });

  it('finds the development scenarios', function () {
    expect(sets).to.include('dev');
    expect(fs.readdirSync(path.join(CORPUS, 'dev')).filter((f) => f.endsWith('.json'))).to.have.length.greaterThan(0);
  });

  for (const set of sets) {
    describe(`${set}/`, function () {
      const files = fs
        .readdirSync(path.join(CORPUS, set))
        .filter((f) => f.endsWith('.json'))
        .sort();
      for (const file of files) {
        const full = path.join(CORPUS, set, file);
        const scenario = loadScenario(full);
        it(`answers ${file} as the IdP expects: ${scenario.scenario}`, async function () {
          const dir = await server.newDirectory(dialectForIdp(scenario.idp));
          let pokedSoFar = server.pokes.length;
          let errorsSoFar = server.serverErrors.length;
          const afterStep = ({ response }: StepOutcome): string[] => {
            const problems: string[] = [];
            const fresh = server.pokes.slice(pokedSoFar).flat();
            pokedSoFar = server.pokes.length;
            const errors = server.serverErrors.slice(errorsSoFar);
            errorsSoFar = server.serverErrors.length;
            for (const err of errors) problems.push(`the server raised an internal error: ${err.stack ?? String(err)}`);
            if (response.status >= 300 && fresh.length > 0)
              problems.push(
                `a ${response.status} answer still recorded ${fresh.length} event(s): ${describeEvents(fresh)}`,
              );
            const foreign = fresh.filter((e) => e.directoryId !== dir.id);
            if (foreign.length > 0) problems.push(`events of another directory were poked: ${describeEvents(foreign)}`);
            return problems;
          };
          await runScenario({ baseUrl: dir.baseUrl, token: dir.token, scenario, file: full, afterStep });

          // Record-then-poke: every committed event is poked exactly once, in the gapless order of the log.
          const logged = await server.stores.events.list(dir.id, { limit: 100_000 });
          const poked = server.pokedEvents(dir.id);
          expect(
            poked.map((e) => e.seq),
            'poked sequence numbers',
          ).to.deep.equal(logged.map((e) => e.seq));
          expect(
            logged.map((e) => e.seq),
            'event log sequence',
          ).to.deep.equal(logged.map((_, i) => i + 1));
        });
      }
    });
  }
});

// Negative controls: a harness that cannot fail proves nothing, so a few doctored copies of real scenarios must fail precisely.
describe('IdP corpus harness (negative controls)', function () {
  let server: ConformanceServer;
  const okta12 = path.join(CORPUS, 'dev', 'okta-12-group-replace-members.json');

  before(async function () {
    server = await startConformanceServer();
  });
  after(async function () {
    await server.close();
  });

  async function runDoctored(doctor: (scenario: CorpusScenario) => void): Promise<void> {
    const scenario = loadScenario(okta12);
    doctor(scenario);
    const dir = await server.newDirectory(dialectForIdp(scenario.idp));
    await runScenario({ baseUrl: dir.baseUrl, token: dir.token, scenario, file: okta12 });
  }

  it('fails on an unexpected status and names the step, the request and both statuses', async function () {
    await expect(runDoctored((s) => (s.steps[6]!.expect.status = 404))).to.be.rejectedWith(
      /okta-12-group-replace-members\.json step 7\/7 \(GET \/Groups\/\{\{step4\.id\}\}\) \[confidence: documented\] failed[\s\S]*request: {2}GET \/scim\/v2\/[\s\S]*status 200 is not 404/,
    );
  });

  it('fails when an expected array element has no distinct partner in the answer', async function () {
    await expect(
      runDoctored((s) => {
        const body = s.steps[6]!.expect.body as { members: unknown[] };
        body.members.push({ value: '{{step2.id}}' });
      }),
    ).to.be.rejectedWith(/\$\.members: the 3 expected elements cannot each match a distinct actual element/);
  });

  it('fails when bodyNot forbids an element the answer holds', async function () {
    await expect(
      runDoctored((s) => (s.steps[6]!.expect.bodyNot = { members: [{ value: '{{step3.id}}' }] })),
    ).to.be.rejectedWith(/\$\.members\[\d\] is .* which matches the forbidden/);
  });

  it('fails when an expected header value is not contained in the answer', async function () {
    await expect(runDoctored((s) => (s.steps[6]!.expect.headers = { 'content-type': 'text/xml' }))).to.be.rejectedWith(
      /header content-type is "application\/scim\+json.*"; expected it to contain "text\/xml"/,
    );
  });
});

function describeEvents(events: EventRow[]): string {
  return events.map((e) => `#${e.seq} ${e.resourceType}:${e.kind}`).join(', ');
}
