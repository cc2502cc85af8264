// domain/scim/schemas/common.ts: the attributes every resource carries (RFC 7643 §3 schemas, §3.1 id/externalId/meta).
import { attr, complex } from './define';
import type { AttributeDef } from './types';

/**
 * These sit in the core User and Group schemas so resolve() types them (meta.lastModified is a dateTime, id is
 * caseExact). RFC 7643 §8.7.1 leaves them out of the /Schemas representation; serve them or strip them by name.
 */
export const COMMON_ATTRIBUTE_NAMES = ['schemas', 'id', 'externalId', 'meta'] as const;

export function commonAttributes(): AttributeDef[] {
  return [
    attr('schemas', {
      type: 'reference',
      referenceTypes: ['uri'],
      multiValued: true,
      required: true,
      returned: 'always',
      description: 'The schema URIs the resource conforms to (RFC 7643 §3).',
    }),
    // §3.1 makes id REQUIRED on every representation, but clients never send it; readOnly already guards it.
    attr('id', {
      caseExact: true,
      mutability: 'readOnly',
      returned: 'always',
      uniqueness: 'server',
      description: 'Service-provider-assigned, stable identifier of the resource.',
    }),
    attr('externalId', {
      caseExact: true,
      description: 'Identifier of the resource as defined by the provisioning client.',
    }),
    complex(
      'meta',
      [
        attr('resourceType', { caseExact: true, mutability: 'readOnly' }),
        attr('created', { type: 'dateTime', mutability: 'readOnly' }),
        attr('lastModified', { type: 'dateTime', mutability: 'readOnly' }),
        attr('location', { type: 'reference', referenceTypes: ['uri'], caseExact: true, mutability: 'readOnly' }),
        attr('version', { caseExact: true, mutability: 'readOnly' }),
      ],
      { mutability: 'readOnly', description: 'Resource metadata maintained by the service provider.' },
    ),
  ];
}
