import { createApp } from './api/app';
const app = createApp({ stores: {} as any, poke: () => undefined, limits: { maxBodyBytes: 1, bulkMaxOperations: 1, maxPageSize: 1 } });
const mw = app.middleware as any[];
// find the root router's dispatch: it has .router
const root = mw.map((m) => m.router).find(Boolean);
console.log('layers', root.stack.length);
const p = '/scim/v2/8ef8b545-c84f-4002-b22f-6109b86cfbd0/Users';
const N = 200000;
let t = process.hrtime.bigint();
for (let i = 0; i < N; i++) root.match(p, 'GET');
console.log('match us', Number(process.hrtime.bigint() - t) / N / 1000);
