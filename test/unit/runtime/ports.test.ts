// test/unit/runtime/ports.test.ts: port probing on loopback.
import net from 'node:net';
import { expect } from 'chai';
import { assertPortFree, findFreePort, isPortFree } from '../../../runtime/ports';

async function hold(port: number): Promise<net.Server> {
  const server = net.createServer().listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

describe('runtime/ports', () => {
  it('finds a port that can then be listened on', async () => {
    const port = await findFreePort();
    expect(port).to.be.within(1, 65535);
    const server = await hold(port);
    server.close();
  });

  it('tells a taken port from a free one', async () => {
    const port = await findFreePort();
    expect(await isPortFree(port)).to.equal(true);
    const server = await hold(port);
    try {
      expect(await isPortFree(port)).to.equal(false);
    } finally {
      server.close();
    }
  });

  it('names the setting to change when the port is taken', async () => {
    const port = await findFreePort();
    const server = await hold(port);
    try {
      await expect(assertPortFree(port, '127.0.0.1', 'PORT')).to.be.rejectedWith(
        `Port ${port} is already in use (PORT) on 127.0.0.1; stop the process holding it or set PORT to another port.`,
      );
    } finally {
      server.close();
    }
  });

  it('resolves for a free port', async () => {
    await expect(assertPortFree(await findFreePort(), '127.0.0.1', 'PORT')).to.be.fulfilled;
  });
});
