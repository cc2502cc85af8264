// test/unit/metrics/alerts.test.ts: the shipped alert rules and dashboard only use metrics scimflow exports.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { registry } from '../../../metrics/registry';
import { registerStoreMetrics } from '../../../metrics/store-gauges';
import { gateReason } from '../../../metrics/registry';
import type { Stores } from '../../../store';

const ROOT = path.join(__dirname, '../../..');

/** Every exported metric name, with the suffixes Prometheus derives from histograms. */
function exportedNames(): Set<string> {
  const stores = {
    applied: { newestRevocationRowId: () => Promise.resolve(0) },
  } as unknown as Stores; // only read when scraped; names are known at registration
  const storeMetrics = new Registry();
  registerStoreMetrics(storeMetrics, stores);
  const names = new Set<string>();
  for (const metric of [...registry.getMetricsAsArray(), ...storeMetrics.getMetricsAsArray()]) {
    const { name } = metric as unknown as { name: string };
    names.add(name);
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

const metricNamesIn = (expr: string) => [...expr.matchAll(/\b(scimflow_[a-z_]+)\b/g)].map((m) => m[1]!);

describe('shipped alerts and dashboard', function () {
  const exported = exportedNames();

  it('alert rules parse and use only exported metrics', function () {
    const doc = parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/scimflow-alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).to.include.members([
      'ScimflowRevocationStuck',
      'ScimflowEventLag',
      'ScimflowAppBreakerOpen',
    ]);
    for (const rule of rules) {
      const names = metricNamesIn(rule.expr);
      expect(names, rule.alert).to.not.be.empty;
      for (const name of names) expect(exported.has(name), `${rule.alert}: ${name}`).to.equal(true);
    }
  });

  it('dashboard panels use only exported metrics', function () {
    const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/scimflow-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dash.panels.length).to.be.greaterThan(5);
    for (const panel of dash.panels)
      for (const target of panel.targets)
        for (const name of metricNamesIn(target.expr))
          expect(exported.has(name), `${panel.title}: ${name}`).to.equal(true);
  });

  it('names gate refusals by a bounded reason, the breaker first whatever its last error says', function () {
    expect(gateReason('rate limit 5/s')).to.equal('rate-limit');
    expect(gateReason('concurrency limit 4 reached')).to.equal('concurrency');
    expect(gateReason('circuit open after 5 failures: 429 rate limited')).to.equal('circuit-open');
    expect(gateReason('something else')).to.equal('other');
  });
});
