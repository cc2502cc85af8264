// domain/scim/schemas/group.ts: the core Group schema of RFC 7643 §4.2 (characteristics as in §8.7.1).
import { commonAttributes } from './common';
import { attr, complex, frozenSchema } from './define';
import { URN } from './urns';

// §4.2: members may be added and removed, but each member's sub-attributes are immutable once set.
const immutable = { mutability: 'immutable' } as const;

export const GROUP_SCHEMA = frozenSchema({
  id: URN.Group,
  name: 'Group',
  description: 'Group',
  attributes: [
    ...commonAttributes(),
    attr('displayName', { required: true, description: 'A human-readable name for the Group.' }),
    complex(
      'members',
      [
        attr('value', { ...immutable, description: 'The id of the member resource.' }),
        attr('$ref', { ...immutable, type: 'reference', referenceTypes: ['User', 'Group'] }),
        attr('display', { ...immutable, description: 'A human-readable name for the member.' }),
        attr('type', { ...immutable, canonicalValues: ['User', 'Group'] }),
      ],
      { multiValued: true, description: 'A list of members of the Group.' },
    ),
  ],
});
