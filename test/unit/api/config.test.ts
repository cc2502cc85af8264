// test/unit/api/config.test.ts: the API's environment, API_PROCESSES in particular.
import os from 'node:os';
import { expect } from 'chai';
import { loadApiConfig } from '../../../api/config';

describe('API configuration (api/config.ts)', function () {
  const env = (extra: Record<string, string>) => ({ DATA_DIR: '/tmp/scimflow-config-test', ...extra });

  it('runs one API process unless told otherwise', function () {
    expect(loadApiConfig(env({})).processes).to.equal(1);
  });

  it('API_PROCESSES takes a count, or auto for one per core', function () {
    expect(loadApiConfig(env({ API_PROCESSES: '3' })).processes).to.equal(3);
    expect(loadApiConfig(env({ API_PROCESSES: 'auto' })).processes).to.equal(os.availableParallelism());
  });

  for (const bad of ['0', '-1', '1.5', 'many', '65'])
    it(`refuses API_PROCESSES=${bad} with a message naming it`, function () {
      expect(() => loadApiConfig(env({ API_PROCESSES: bad }))).to.throw(/API_PROCESSES/);
    });

  it('keeps idle connections 75 s by default (above common load balancers), HTTP_KEEP_ALIVE_TIMEOUT_MS to change it', function () {
    expect(loadApiConfig(env({})).http.keepAliveTimeoutMs).to.equal(75_000);
    expect(loadApiConfig(env({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '620000' })).http.keepAliveTimeoutMs).to.equal(620_000);
    for (const bad of ['500', 'forever', '99999999'])
      expect(() => loadApiConfig(env({ HTTP_KEEP_ALIVE_TIMEOUT_MS: bad })), bad).to.throw(/HTTP_KEEP_ALIVE_TIMEOUT_MS/);
  });
});
