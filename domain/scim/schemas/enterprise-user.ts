// domain/scim/schemas/enterprise-user.ts: the Enterprise User extension of RFC 7643 §4.3.
import { attr, complex, frozenSchema } from './define';
import { URN } from './urns';

export const ENTERPRISE_USER_SCHEMA = frozenSchema({
  id: URN.EnterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attr('employeeNumber', { description: 'Numeric or alphanumeric identifier assigned by the organization.' }),
    attr('costCenter', { description: 'Identifies the name of a cost center.' }),
    attr('organization', { description: 'Identifies the name of an organization.' }),
    attr('division', { description: 'Identifies the name of a division.' }),
    attr('department', { description: 'Identifies the name of a department.' }),
    complex(
      'manager',
      [
        attr('value', { description: "The id of the SCIM resource representing the User's manager." }),
        attr('$ref', {
          type: 'reference',
          referenceTypes: ['User'],
          description: "The URI of the manager's resource.",
        }),
        attr('displayName', { mutability: 'readOnly', description: "The manager's displayName." }),
      ],
      { description: "The User's manager." },
    ),
  ],
});
