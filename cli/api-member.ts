// cli/api-member.ts: one of API_PROCESSES API processes (forked by cli/api-cluster.ts); member 0 is the writer.
import { loadApiConfig } from '../api/config';
import { logger } from '../runtime/logger';
import { writerSocketFromEnv } from '../api/forward-writes';
import { announceReady, memberIndex, onMemberShutdown } from '../runtime/process-cluster';
import { startApiProcess } from './api-server';

async function main(): Promise<void> {
  const index = memberIndex() ?? 0;
  const log = (line: string) => logger().info({ component: 'api', member: index }, line);
  const running = await startApiProcess(loadApiConfig(), log, { index, writerSocket: writerSocketFromEnv() });
  onMemberShutdown(() => running.close());
  announceReady(running.url);
}

main().catch((err: unknown) => {
  process.stderr.write(`[scimflow api] failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
