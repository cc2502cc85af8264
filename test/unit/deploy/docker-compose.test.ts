// test/unit/deploy/docker-compose.test.ts: the production compose file parses and wires what scimflow needs.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { buildProgram } from '../../../cli/main';
import { SEARCH_ATTRIBUTE_TYPES } from '../../../workflows/contracts';

const ROOT = path.resolve(__dirname, '../../..');

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, unknown>;
  volumes?: string[];
  deploy?: { replicas?: number };
}

describe('docker-compose.yml', function () {
  const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };

  it('runs Temporal on PostgreSQL with its Web UI', function () {
    const { temporal, postgresql } = compose.services;
    expect(postgresql?.image).to.match(/^postgres:/);
    expect(temporal?.image).to.match(/^temporalio\/auto-setup:/);
    expect(temporal?.environment?.DB).to.equal('postgres12');
    expect(temporal?.environment?.POSTGRES_SEEDS).to.equal('postgresql');
    expect(compose.services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).to.equal('temporal:7233');
  });

  it('registers every search attribute the identity workflow sets', function () {
    const command = JSON.stringify(compose.services['temporal-search-attributes']?.command);
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES))
      expect(command).to.include(`--name ${name} --type ${type}`);
  });

  it('runs the api and the worker from this image with commands the CLI really has', function () {
    const commands = buildProgram().commands.map((c) => c.name());
    for (const name of ['api', 'worker']) {
      const service = compose.services[name]!;
      expect(service.build).to.equal('.');
      const argv = service.command as string[];
      expect(argv.slice(0, 2)).to.deep.equal(['node', 'bin/scimflow.js']);
      expect(commands).to.include(argv[2]);
      expect(service.environment?.TEMPORAL_ADDRESS).to.equal('temporal:7233');
      // scimflow's own PostgreSQL, not Temporal's, and the keys every replica needs to open sealed secrets.
      expect(service.environment?.DATABASE_URL).to.match(
        /^postgres:\/\/scimflow:\$\{SCIMFLOW_DB_PASSWORD\}@scimflow-db:5432\/scimflow$/,
      );
      expect(service.environment?.SCIMFLOW_SECRET_KEYS).to.match(/^\$\{SCIMFLOW_SECRET_KEYS:\?/);
      expect(service.depends_on).to.have.property('scimflow-db');
    }
    expect(compose.services['scimflow-db']?.image).to.match(/^postgres:/);
    expect(compose.services['scimflow-db']?.environment?.POSTGRES_DB).to.equal('scimflow');
    expect(fs.existsSync(path.join(ROOT, 'Dockerfile'))).to.equal(true);
  });

  it('runs workers and API services as replicas (on PostgreSQL every API process writes)', function () {
    expect(compose.services.worker?.deploy?.replicas).to.be.at.least(2);
    expect(compose.services.api?.deploy?.replicas).to.be.at.least(2);
    expect(compose.services.api?.environment?.API_PROCESSES).to.equal('auto');
    // Each replica publishes the container port on a host port of its own range.
    const [published] = compose.services.api!.ports![0]!.split(':');
    const [first, last] = published!.split('-').map(Number);
    expect(last! - first! + 1).to.equal(compose.services.api!.deploy!.replicas);
  });

  it('declares every named volume it mounts, and every file it mounts exists', function () {
    const mounted = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!));
    for (const name of mounted)
      if (name.startsWith('./')) expect(fs.existsSync(path.join(ROOT, name)), name).to.equal(true);
      else expect(compose.volumes).to.have.property(name);
  });

  it('gives Temporal the dynamic config that turns on task priority and fairness (leavers first)', function () {
    const temporal = compose.services.temporal!;
    const mount = temporal.volumes?.find((v) => v.includes('dynamicconfig'));
    const [file, target] = mount!.split(':') as [string, string];
    expect(target).to.equal(`/etc/temporal/${temporal.environment?.DYNAMIC_CONFIG_FILE_PATH}`);
    const config = YAML.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, { value: unknown }[]>;
    expect(config['matching.useNewMatcher']).to.deep.equal([{ value: true }]);
    expect(config['matching.enableFairness']).to.deep.equal([{ value: true }]);
  });
});
