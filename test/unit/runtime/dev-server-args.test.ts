// test/unit/runtime/dev-server-args.test.ts: the command line handed to `temporal server start-dev`.
import { expect } from 'chai';
import { devServerArgs } from '../../../runtime/dev-server';

const base = { cliPath: '/bin/temporal', port: 7300, uiPort: 8300, searchAttributes: {} };

function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1]!] : []));
}

describe('runtime/dev-server devServerArgs', () => {
  it('binds loopback by default and passes ports, search attributes and warn logging', () => {
    const args = devServerArgs({
      ...base,
      searchAttributes: { ScimflowDirectory: 'Keyword', ScimflowException: 'Bool' },
    });
    expect(args.slice(0, 2)).to.deep.equal(['server', 'start-dev']);
    expect(valuesOf(args, '--ip')).to.deep.equal(['127.0.0.1']);
    expect(valuesOf(args, '--port')).to.deep.equal(['7300']);
    expect(valuesOf(args, '--ui-port')).to.deep.equal(['8300']);
    expect(valuesOf(args, '--log-level')).to.deep.equal(['warn']);
    expect(valuesOf(args, '--search-attribute')).to.deep.equal(['ScimflowDirectory=Keyword', 'ScimflowException=Bool']);
  });

  it('keeps the server in memory unless a database file is given, then uses WAL', () => {
    expect(devServerArgs(base)).to.not.include('--db-filename');
    const args = devServerArgs({ ...base, dbFile: '.data/temporal.sqlite' });
    expect(valuesOf(args, '--db-filename')).to.deep.equal(['.data/temporal.sqlite']);
    expect(valuesOf(args, '--sqlite-pragma')).to.deep.equal(['journal_mode=wal', 'synchronous=normal']);
  });

  it('creates only a non-default namespace (default always exists)', () => {
    expect(devServerArgs(base)).to.not.include('--namespace');
    expect(valuesOf(devServerArgs({ ...base, namespace: 'scim' }), '--namespace')).to.deep.equal(['scim']);
  });

  it('passes dynamic config values as KEY=JSON', () => {
    expect(valuesOf(devServerArgs(base), '--dynamic-config-value')).to.include('frontend.namespaceRPS.visibility=2000');
  });
});
