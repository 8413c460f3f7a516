#!/usr/bin/env node
// Installs the packages as they would be published, side by side, the way a user does: every
// publishable package is packed (`pnpm pack` turns workspace ranges into real ones), then all the
// tarballs are installed together with npm into an empty project. npm refuses peer ranges that do
// not meet (ERESOLVE), so an install that succeeds shows core + every backend + the CLI fit
// together; each package is then loaded from the install (require and import) and the `o365`
// binary run. Expects a build.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandRunner, packPackages, publishablePackages } from './pack.mjs';

const work = mkdtempSync(join(tmpdir(), 'o365-install-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const { run, fail } = commandRunner('check-install', () => rmSync(work, { recursive: true, force: true }));

const packages = publishablePackages();
const files = [...packPackages(packages, tarballs, { run, fail }).values()];
mkdirSync(app, { recursive: true });
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'o365-install-check', private: true, version: '1.0.0' }));
const log = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=warn', ...files], app);
if (/ERESOLVE|peer dep|conflicting peer/i.test(log)) fail(`npm reported a peer dependency problem:\n${log}`);

// Each package loads from the install, as CommonJS and as ESM.
const names = packages.map(({ pkg }) => pkg.name).filter((name) => name !== '@o365/cli');
const probe = `
  const names = ${JSON.stringify(names)};
  for (const name of names) {
    const cjs = require(name);
    if (Object.keys(cjs).length === 0) throw new Error(name + ' exports nothing (require)');
  }
  Promise.all(names.map((name) => import(name))).then((mods) => {
    mods.forEach((m, i) => { if (Object.keys(m).length === 0) throw new Error(names[i] + ' exports nothing (import)'); });
    console.log('loaded ' + names.length + ' packages');
  }).catch((e) => { console.error(e); process.exit(1); });`;
const loaded = run('node', ['-e', probe], app);
const version = run(join(app, 'node_modules', '.bin', 'o365'), ['--version'], app).trim();
rmSync(work, { recursive: true, force: true });
console.log(`[check-install] ${files.length} packed packages install side by side with npm, no peer conflict; ${loaded.trim()}; o365 --version: ${version}`);
