// domain/scim/errors.ts: the one error type SCIM code throws on purpose (RFC 7644 §3.12).

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export const SCIM_ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export function scimErrorBody(error: ScimError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    schemas: [SCIM_ERROR_URN],
    status: String(error.status),
    detail: error.message,
  };
  if (error.scimType) body.scimType = error.scimType;
  return body;
}
