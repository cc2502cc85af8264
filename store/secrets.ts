// store/secrets.ts: app credentials encrypted at rest (AES-256-GCM), with a key from the environment or a key file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = 'enc:v1:';
const KEY_BYTES = 32;
/** The key file beside the database when SCIMFLOW_SECRET_KEYS is not set (created 0600). */
export const KEY_FILE_NAME = 'secret.key';

/** Where secrets live in an app's settings: a bearer token, an OAuth client secret, a webhook secret or SET key. */
const SECRET_PATHS: readonly (readonly string[])[] = [
  ['token'],
  ['oauth', 'clientSecret'],
  ['webhook', 'secret'],
  ['webhook', 'previousSecret'],
  ['set', 'privateKey'],
];

const keyId = (key: Buffer) => crypto.createHash('sha256').update(key).digest('hex').slice(0, 8);

function parseKey(text: string, from: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES)
    throw new Error(`${from}: a key must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
  return key;
}

/**
 * Seals and opens secret strings. The first key seals; every key opens (rotation: put the new key first, start once so
 * every secret is sealed again, then drop the old one). A value that is not sealed (stored before encryption) opens
 * as itself and is sealed on the next start.
 */
export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: Buffer[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    this.byId = new Map(keys.map((k) => [keyId(k), k]));
  }

  /**
   * SCIMFLOW_SECRET_KEYS (comma-separated base64 keys, the first one sealing), else the key file in `dataDir`
   * (generated, 0600, on first use), else (an in-memory database) a key for this process only.
   */
  static load(env: string | undefined, dataDir: string | undefined): SecretBox {
    if (env && env.trim() !== '')
      return new SecretBox(env.split(',').map((k, i) => parseKey(k, `SCIMFLOW_SECRET_KEYS key ${i + 1}`)));
    if (!dataDir) return new SecretBox([crypto.randomBytes(KEY_BYTES)]);
    const file = path.join(dataDir, KEY_FILE_NAME);
    try {
      // 'wx': only one process creates it; the others (or a race loser) read what it wrote.
      fs.writeFileSync(file, `${crypto.randomBytes(KEY_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return new SecretBox([parseKey(fs.readFileSync(file, 'utf8'), file)]);
  }

  seal(plain: string): string {
    const key = this.keys[0]!;
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [keyId(key), iv.toString('base64url'), cipher.getAuthTag().toString('base64url')];
    return `${PREFIX}${parts.join(':')}:${sealed.toString('base64url')}`;
  }

  open(value: string): string {
    if (!value.startsWith(PREFIX)) return value;
    const [id, iv, tag, sealed] = value.slice(PREFIX.length).split(':');
    const key = id === undefined ? undefined : this.byId.get(id);
    if (!key || iv === undefined || tag === undefined || sealed === undefined)
      throw new Error(
        `an app secret is sealed with key ${id ?? '?'}, which is not among SCIMFLOW_SECRET_KEYS or ${KEY_FILE_NAME}`,
      );
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** True when the value is sealed with the sealing key (nothing to do at rotation). */
  sealedWithCurrent(value: string): boolean {
    return value.startsWith(`${PREFIX}${keyId(this.keys[0]!)}:`);
  }

  /** A copy of an app's settings with every secret sealed (already sealed ones are kept as they are). */
  sealConfig(config: Record<string, unknown>): Record<string, unknown> {
    return mapSecrets(config, (v) => (v.startsWith(PREFIX) ? v : this.seal(v)));
  }

  openConfig(config: Record<string, unknown>): Record<string, unknown> {
    return mapSecrets(config, (v) => this.open(v));
  }

  /** Whether the settings hold a secret that is plaintext or sealed with an older key. */
  needsResealing(config: Record<string, unknown>): boolean {
    let stale = false;
    mapSecrets(config, (v) => {
      if (!this.sealedWithCurrent(v)) stale = true;
      return v;
    });
    return stale;
  }
}

function mapSecrets(config: Record<string, unknown>, change: (value: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const secretPath of SECRET_PATHS) {
    let parent: Record<string, unknown> = out;
    for (const key of secretPath.slice(0, -1)) {
      const child = parent[key];
      if (!child || typeof child !== 'object' || Array.isArray(child)) {
        parent = {};
        break;
      }
      parent = parent[key] = { ...(child as Record<string, unknown>) };
    }
    const last = secretPath[secretPath.length - 1]!;
    if (typeof parent[last] === 'string') parent[last] = change(parent[last]);
  }
  return out;
}
