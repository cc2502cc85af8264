// api/body.ts: reads a JSON request body with a size limit and content-type check (RFC 7644 §3.8).
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { ScimError } from '../domain/scim/errors';

const JSON_TYPES = ['application/scim+json', 'application/json', 'text/json'];

export async function readJsonBody(ctx: Context, maxBytes: number): Promise<unknown> {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  assertDeclaredLength(ctx, maxBytes);
  if (type !== '' && !JSON_TYPES.includes(type) && !type.endsWith('+json'))
    throw new ScimError(415, undefined, `Unsupported Content-Type '${type}': send application/scim+json`);
  const raw = (await readRawBody(ctx, maxBytes)).toString('utf8');
  if (raw.trim() === '') throw new ScimError(400, 'invalidSyntax', 'Request body is empty');
  // Checked on the text, before parsing: JSON.parse of 500,000 nested arrays alone holds the event loop ~0.2 s.
  if (textDepthExceeds(raw, MAX_JSON_DEPTH))
    throw new ScimError(400, 'invalidSyntax', `Request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new ScimError(400, 'invalidSyntax', `Request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * No SCIM body nests deeper than about 8 levels (a Bulk operation's PATCH of an extension's manager); the code that
 * walks bodies recurses, so a body of 500,000 nested arrays would overflow the stack. Checked once, iteratively.
 */
export const MAX_JSON_DEPTH = 64;

/** True when JSON text opens more than `max` arrays/objects at once (brackets inside strings do not count). */
export function textDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The body's bytes, at most `maxBytes` (413 beyond, whatever Content-Length said). */
export async function readRawBody(ctx: Context, maxBytes: number): Promise<Buffer> {
  assertDeclaredLength(ctx, maxBytes);
  try {
    return await getRawBody(ctx.req, { limit: maxBytes });
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 413) throw new ScimError(413, undefined, `Request body exceeds ${maxBytes} bytes`);
    throw new ScimError(400, 'invalidSyntax', 'Could not read the request body');
  }
}

function assertDeclaredLength(ctx: Context, maxBytes: number): void {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > maxBytes) throw new ScimError(413, undefined, `Request body exceeds ${maxBytes} bytes`);
}
