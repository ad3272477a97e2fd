#!/usr/bin/env node
'use strict';
// Entry of the `socktap` command: runs the built CLI (dist/), or says how to build it.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'agent', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(`socktap: ${entry} is missing: run \`npm run build\` (after \`npm run setup\`) in ${path.dirname(__dirname)}\n`);
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; })
  .catch((err) => {
    process.stderr.write(`socktap: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
