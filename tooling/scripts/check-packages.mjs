#!/usr/bin/env node
// Checks every publishable package the way a consumer would see it: publint (package.json and
// files) and are-the-types-wrong (types resolve for ESM and CommonJS consumers). Expects a build.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const dirs = ['packages', 'tooling']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .filter((dir) => existsSync(join(dir, 'package.json')));

let failed = 0;
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  for (const [tool, args] of [
    ['publint', ['exec', 'publint', '--strict']],
    ['attw', ['exec', 'attw', '--pack', '.', '--format', 'table-flipped']],
  ]) {
    const r = spawnSync('pnpm', args, { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) {
      failed++;
      console.error(`[check-packages] ${tool} failed for ${pkg.name}`);
    }
  }
}
console.log(failed ? `[check-packages] ${failed} check(s) failed` : '[check-packages] all publishable packages pass publint and attw');
process.exit(failed ? 1 : 0);
