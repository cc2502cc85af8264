#!/usr/bin/env node
// bin/scimflow.js: the `scimflow` executable; runs the TypeScript sources through tsx (no build step).
require('tsx/cjs');
require('../cli/main.ts')
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`scimflow: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
