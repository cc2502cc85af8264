// test/helpers/scim-users.ts: an IdP's two writes the webhook tests make: create a user, replace one attribute.
import { expect } from 'chai';
import { PATCH_URN, USER_URN } from './leaver-world';
import type { Stack } from './stack';
import { scim } from './stack';

export function scimUsers(stack: Stack, directoryId: string, token: string) {
  const base = `/scim/v2/${directoryId}/Users`;
  return {
    /** POSTs a user; its id. */
    create: async (userName: string): Promise<string> => {
      const res = await scim(stack.baseUrl, token, 'POST', base, { schemas: [USER_URN], userName });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.id as string;
    },
    /** PATCHes one attribute with `replace`. */
    patch: async (id: string, path: string, value: unknown): Promise<void> => {
      const body = { schemas: [PATCH_URN], Operations: [{ op: 'replace', path, value }] };
      const res = await scim(stack.baseUrl, token, 'PATCH', `${base}/${id}`, body);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    },
  };
}
