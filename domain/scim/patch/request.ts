// domain/scim/patch/request.ts: validates a PATCH body (RFC 7644 §3.5.2) into a list of operations.
import { ScimError } from '../errors';
import { getMember, isJsonObject } from '../json';
import { URN } from '../schemas/urns';

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: PatchOpName;
  /** Undefined when the operation has no path (its value is then a partial resource). */
  path?: string;
  /** undefined when the operation has no "value" member; null when the client sent null. */
  value: unknown;
  /** Position in Operations, for error details. */
  index: number;
}

// DIALECTS.md rule 1: Entra sends 'Add'/'Replace'/'Remove'; scimgateway reports clients sending 'delete'.
const OPS = new Map<string, PatchOpName>([
  ['add', 'add'],
  ['replace', 'replace'],
  ['remove', 'remove'],
  ['delete', 'remove'],
]);

/**
 * Every IdP in the corpus sends `schemas: [PatchOp]`, so the check stays strict. Member names are matched
 * case-insensitively (RFC 7643 §2.1 applies to message attributes too); a blank path means no path.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isJsonObject(body)) throw syntax('a PATCH body must be a JSON object');
  const schemas = getMember(body, 'schemas');
  const listsPatchOp =
    Array.isArray(schemas) &&
    schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.PatchOp.toLowerCase());
  if (!listsPatchOp) throw syntax(`a PATCH body must list "${URN.PatchOp}" in schemas`);
  const operations = getMember(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) throw syntax('"Operations" must be a non-empty array');
  return operations.map((raw, index) => {
    if (!isJsonObject(raw)) throw syntax(`Operations[${index}] must be an object`);
    const opName = getMember(raw, 'op');
    const op = typeof opName === 'string' ? OPS.get(opName.trim().toLowerCase()) : undefined;
    if (!op) throw syntax(`Operations[${index}].op must be add, replace or remove, not ${JSON.stringify(opName)}`);
    const path = getMember(raw, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string') {
      throw new ScimError(400, 'invalidPath', `Operations[${index}].path must be a string`);
    }
    const operation: PatchOperation = { op, value: getMember(raw, 'value'), index };
    if (typeof path === 'string' && path.trim() !== '') operation.path = path.trim();
    return operation;
  });
}

function syntax(detail: string): ScimError {
  return new ScimError(400, 'invalidSyntax', detail);
}
