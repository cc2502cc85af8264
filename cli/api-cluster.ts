// cli/api-cluster.ts: runs the API as API_PROCESSES processes sharing one port and one (already migrated) database.
import type { ApiConfig } from '../api/config';
import { removeWriterSocket, WRITER_SOCKET_ENV, createWriterSocketPath } from '../api/forward-writes';
import { siblingModule, startProcessCluster } from '../runtime/process-cluster';
import type { RunningApi } from './api-server';

/**
 * Forks `config.processes` members of cli/api-member.ts. They read the same environment as this process plus `env`
 * (e.g. the embedded dev server's TEMPORAL_ADDRESS). Member 0 is the writer (see api/forward-writes.ts) and starts
 * first. A member that dies is replaced; a crash loop stops them all and calls `onGiveUp`.
 */
export async function startApiCluster(deps: {
  config: ApiConfig;
  env?: Record<string, string>;
  log: (line: string) => void;
  onGiveUp: (reason: string) => void;
}): Promise<RunningApi> {
  const writerSocket = createWriterSocketPath();
  const members = await startProcessCluster({
    module: siblingModule(__filename, 'api-member'),
    processes: deps.config.processes,
    env: { ...deps.env, [WRITER_SOCKET_ENV]: writerSocket },
    log: deps.log,
    onGiveUp: (reason) => {
      removeWriterSocket(writerSocket);
      deps.onGiveUp(reason);
    },
  }).catch((err: unknown) => {
    removeWriterSocket(writerSocket);
    throw err;
  });
  return {
    url: String(members.ready[0]),
    close: async () => {
      await members.stop();
      removeWriterSocket(writerSocket); // a writer that was killed leaves it behind
    },
  };
}
