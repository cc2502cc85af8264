// runtime/ports.ts: check that a TCP port can be listened on, and find free ones.
import net from 'node:net';

/** Resolves with the listen error code (EADDRINUSE, EACCES, …), or undefined when the port could be bound. */
function tryListen(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    // exclusive: a port held by another process must not look free through a shared cluster handle.
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await tryListen(port, host)) === undefined;
}

/**
 * Fails fast (never waits) when `port` cannot be bound on `host`; `setting` names the env var that chose the port so
 * the message tells the user what to change.
 */
export async function assertPortFree(port: number, host = '127.0.0.1', setting?: string): Promise<void> {
  const code = await tryListen(port, host);
  if (code === undefined) return;
  const where = setting ? ` (${setting})` : '';
  const change = setting ? `set ${setting} to another port` : 'choose another port';
  if (code === 'EADDRINUSE') {
    throw new Error(`Port ${port} is already in use${where} on ${host}; stop the process holding it or ${change}.`);
  }
  throw new Error(`Cannot listen on ${host}:${port}${where}: ${code}; ${change}.`);
}

/** A port the OS considers free right now; another process may still take it before the caller binds it. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error(`Could not read the port bound on ${host}`));
      });
    });
  });
}
