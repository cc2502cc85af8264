// store/ids.ts: resource ids are UUIDv7 (RFC 9562): time-ordered, so inserts append to the primary-key index.
import crypto from 'node:crypto';

let lastMs = 0;
let counter = 0;

// Random bits come from a pooled CSPRNG fill: one randomFillSync per 256 ids instead of a randomBytes call per id
// (which was 5 % of a POST /Users).
const POOLED_IDS = 256;
const pool = Buffer.alloc(16 * POOLED_IDS);
let pooled = POOLED_IDS;

function randomBlock(): Buffer {
  if (pooled === POOLED_IDS) {
    crypto.randomFillSync(pool);
    pooled = 0;
  }
  const start = 16 * pooled++;
  return Buffer.from(pool.subarray(start, start + 16)); // a copy: the caller overwrites bytes
}

/** A UUIDv7: 48-bit Unix ms, version 7, 12-bit counter (monotonic within one ms here), variant, 62 random bits. */
export function newResourceId(now: number = Date.now()): string {
  const bytes = randomBlock();
  if (now > lastMs) {
    lastMs = now;
    counter = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff; // a random start in [0, 2048), as RFC 9562 §6.2 suggests
  } else {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1; // borrow the next millisecond rather than repeat an id
      counter = 0;
    }
  }
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = Math.floor(ms / 2 ** 24) & 0xff;
  bytes[3] = Math.floor(ms / 2 ** 16) & 0xff;
  bytes[4] = Math.floor(ms / 2 ** 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
