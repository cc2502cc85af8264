// domain/policy/facts.ts: the identity facts a policy can test, extracted from a SCIM user document.
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface IdentityFacts {
  userName: string;
  groups: string[];
  department?: string;
  title?: string;
  costCenter?: string;
  employeeType?: string;
  division?: string;
  organization?: string;
  manager?: string;
  doc: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function factsFromUser(doc: Record<string, unknown>, groups: string[]): IdentityFacts {
  const ent = (doc[ENTERPRISE] ?? {}) as Record<string, unknown>;
  const manager = ent.manager as { value?: unknown } | undefined;
  return {
    userName: str(doc.userName) ?? '',
    groups,
    department: str(ent.department),
    title: str(doc.title),
    costCenter: str(ent.costCenter),
    employeeType: str(doc.userType) ?? str(ent.employeeType),
    division: str(ent.division),
    organization: str(ent.organization),
    manager: str(manager?.value),
    doc,
  };
}

/** Reads a dotted path (`name.givenName`, or `urn:…:User:attr.sub`) case-insensitively from a document. */
export function readPath(doc: Record<string, unknown>, path: string): unknown {
  const urnSplit = path.toLowerCase().startsWith('urn:') ? path.lastIndexOf(':') : -1;
  let node: unknown = doc;
  let rest = path;
  if (urnSplit > 0) {
    node = getCi(doc, path.slice(0, urnSplit));
    rest = path.slice(urnSplit + 1);
  }
  for (const key of rest.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = getCi(node as Record<string, unknown>, key);
  }
  return node;
}

function getCi(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  const found = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : obj[found];
}
