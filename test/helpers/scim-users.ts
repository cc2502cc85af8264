// test/helpers/scim-users.ts: the IdP writes the webhook tests make: users created and patched, groups and members.
import { expect } from 'chai';
import { PATCH_URN, USER_URN } from './leaver-world';
import type { Stack } from './stack';
import { scim } from './stack';

const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export function scimUsers(stack: Stack, directoryId: string, token: string) {
  const base = `/scim/v2/${directoryId}/Users`;
  const groups = `/scim/v2/${directoryId}/Groups`;
  const write = async (method: string, path: string, body: unknown, status: number) => {
    const res = await scim(stack.baseUrl, token, method, path, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    return res.body as Record<string, unknown>;
  };
  return {
    /** POSTs a group with these members; its id. */
    createGroup: async (displayName: string, members: string[]): Promise<string> => {
      const body = { schemas: [GROUP_URN], displayName, members: members.map((value) => ({ value })) };
      return (await write('POST', groups, body, 201)).id as string;
    },
    /** PATCHes a group with these operations. */
    patchGroup: async (id: string, Operations: Record<string, unknown>[]): Promise<void> => {
      const res = await scim(stack.baseUrl, token, 'PATCH', `${groups}/${id}`, { schemas: [PATCH_URN], Operations });
      expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 204]);
    },
    deleteGroup: async (id: string): Promise<void> => {
      await write('DELETE', `${groups}/${id}`, undefined, 204);
    },
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
