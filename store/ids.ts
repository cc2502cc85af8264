// store/ids.ts: resource ids are UUIDv7 (RFC 9562): time-ordered, so inserts append to the primary-key index.
import crypto from 'node:crypto';

let lastMs = 0;
let counter = 0;

/** A UUIDv7: 48-bit Unix ms, version 7, 12-bit counter (monotonic within one ms here), variant, 62 random bits. */
export function newResourceId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = crypto.randomInt(0, 2048);
  } else {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1; // borrow the next millisecond rather than repeat an id
      counter = 0;
    }
  }
  const bytes = crypto.randomBytes(16);
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
