// api/preconditions.ts: If-Match / If-None-Match against meta.version (RFC 7644 §3.14).
import { ScimError } from '../domain/scim/errors';
import type { StoredResource } from '../store/resources';
import { etagOf } from './render';

const normalise = (tag: string) => tag.trim().replace(/^W\//, '');

function matchesAny(header: string, resource: StoredResource): boolean {
  const current = normalise(etagOf(resource));
  return header.split(',').some((t) => t.trim() === '*' || normalise(t) === current);
}

/** A write with a stale If-Match fails with 412 and changes nothing. */
export function checkIfMatch(ifMatch: string | undefined, resource: StoredResource): void {
  if (ifMatch && !matchesAny(ifMatch, resource))
    throw new ScimError(412, undefined, `Resource version is ${etagOf(resource)}; If-Match ${ifMatch} does not match`);
}

/** A GET whose If-None-Match names the current version answers 304. */
export function notModified(ifNoneMatch: string | undefined, resource: StoredResource): boolean {
  return Boolean(ifNoneMatch) && matchesAny(ifNoneMatch!, resource);
}
