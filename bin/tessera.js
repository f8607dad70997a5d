#!/usr/bin/env node
// The operator command: runs the built server code (npm run build). In development, without a
// build, `npm run tessera -- <command>` runs the same command from the TypeScript sources.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('tessera: not built yet. Run `npm run build` first, or `npm run tessera -- <command>` to run from the sources.\n');
  process.exit(2);
}
await import(entry.href);
