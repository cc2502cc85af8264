// domain/scim/schemas/user.ts: the core User schema of RFC 7643 §4.1 (characteristics as in §8.7.1).
import { commonAttributes } from './common';
import { attr, complex, frozenSchema, multiValued } from './define';
import { URN } from './urns';

const readOnly = { mutability: 'readOnly' } as const;

export const USER_SCHEMA = frozenSchema({
  id: URN.User,
  name: 'User',
  description: 'User Account',
  attributes: [
    ...commonAttributes(),
    attr('userName', {
      required: true,
      uniqueness: 'server',
      description: 'Unique identifier for the User, typically used to sign in; compared case-insensitively.',
    }),
    complex(
      'name',
      [
        attr('formatted'),
        attr('familyName'),
        attr('givenName'),
        attr('middleName'),
        attr('honorificPrefix'),
        attr('honorificSuffix'),
      ],
      { description: "The components of the User's real name." },
    ),
    attr('displayName', { description: 'The name of the User, suitable for display to end-users.' }),
    attr('nickName', { description: 'The casual way to address the User.' }),
    attr('profileUrl', {
      type: 'reference',
      referenceTypes: ['external'],
      description: "A URI pointing to the User's online profile.",
    }),
    attr('title', { description: "The User's title, such as 'Vice President'." }),
    attr('userType', { description: 'The relationship between the organization and the User, e.g. Employee.' }),
    attr('preferredLanguage', { description: "The User's preferred written or spoken language (RFC 7231 §5.3.5)." }),
    attr('locale', { description: "The User's default location for localisation, e.g. en-US." }),
    attr('timezone', { description: "The User's time zone in IANA format, e.g. America/Los_Angeles." }),
    attr('active', { type: 'boolean', description: "The User's administrative status." }),
    attr('password', {
      mutability: 'writeOnly',
      returned: 'never',
      description: "The User's cleartext password; never returned.",
    }),
    multiValued('emails', 'Email addresses for the User.', ['work', 'home', 'other']),
    multiValued('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multiValued('ims', 'Instant messaging addresses for the User.', [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    multiValued('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], {
      type: 'reference',
      referenceTypes: ['external'],
    }),
    complex(
      'addresses',
      [
        attr('formatted'),
        attr('streetAddress'),
        attr('locality'),
        attr('region'),
        attr('postalCode'),
        attr('country'),
        attr('type', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', { type: 'boolean' }),
      ],
      { multiValued: true, description: 'Physical mailing addresses for the User.' },
    ),
    complex(
      'groups',
      [
        attr('value', readOnly),
        attr('$ref', { ...readOnly, type: 'reference', referenceTypes: ['User', 'Group'] }),
        attr('display', readOnly),
        attr('type', { ...readOnly, canonicalValues: ['direct', 'indirect'] }),
      ],
      { ...readOnly, multiValued: true, description: 'Groups the User belongs to; changed through the Group.' },
    ),
    multiValued('entitlements', 'Entitlements of the User.', undefined),
    multiValued('roles', 'Roles of the User.', undefined),
    multiValued('x509Certificates', 'X.509 certificates issued to the User.', undefined, { type: 'binary' }),
  ],
});
