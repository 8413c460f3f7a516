#!/usr/bin/env node
// `pnpm bench:size`: what an install costs a user. Packs core and the backends as they would be
// published (pack.mjs, shared with check-install.mjs), then npm-installs each set into its own empty
// project: @o365/core alone, core + each backend, and the peers (@azure/msal-node, which core is
// built on, as the baseline; @azure/identity; @microsoft/microsoft-graph-client with
// @azure/identity, and with core as its credential instead). Prints the size of node_modules on
// disk (allocated blocks, hard links once: what `du -sk node_modules` says), its apparent size
// and the number of packages installed, as ratios against msal-node. The peers' versions are the
// ones core's package.json pins. npm runs no install scripts (`--ignore-scripts`), so every row
// counts the files npm unpacks and nothing a postinstall would download. Expects a build.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandRunner, packPackages, publishablePackages, repoRoot } from './pack.mjs';

const work = mkdtempSync(join(tmpdir(), 'o365-size-'));
const { run, fail } = commandRunner('installed-size', () => rmSync(work, { recursive: true, force: true }));

const BACKENDS = ['s3', 'secrets-manager', 'prisma', 'redis', 'firestore'].map((b) => `@o365/backend-${b}`);
const wanted = new Set(['@o365/core', ...BACKENDS]);
const packages = publishablePackages().filter(({ pkg }) => wanted.has(pkg.name));
const missing = [...wanted].filter((name) => !packages.some(({ pkg }) => pkg.name === name));
if (missing.length > 0) fail(`no publishable package ${missing.join(', ')}`);
const tarballs = packPackages(packages, join(work, 'tarballs'), { run, fail });

const corePkg = JSON.parse(readFileSync(join(repoRoot, 'packages/core/package.json'), 'utf8'));
const pinned = (name) => {
  const version = corePkg.dependencies?.[name] ?? corePkg.devDependencies?.[name];
  if (!version) fail(`packages/core/package.json pins no version of ${name}`);
  return `${name}@${version}`;
};
const msal = pinned('@azure/msal-node');
const identity = pinned('@azure/identity');
const graphClient = pinned('@microsoft/microsoft-graph-client');
const core = tarballs.get('@o365/core');

const sets = [
  { label: `${msal}  (baseline)`, specs: [msal] },
  { label: '@o365/core', specs: [core] },
  ...BACKENDS.map((name) => ({ label: `@o365/core + ${name}`, specs: [core, tarballs.get(name)], peersOf: name })),
  { label: identity, specs: [identity] },
  { label: `${graphClient} + ${identity}`, specs: [graphClient, identity] },
  { label: `${graphClient} + @o365/core`, specs: [graphClient, core] },
];

/** du -sk style: allocated 512-byte blocks of every entry, each inode once; and apparent bytes of files. */
function diskUsage(dir) {
  const seen = new Set();
  let blocks = 0;
  let bytes = 0;
  const walk = (path) => {
    const st = lstatSync(path);
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    blocks += st.blocks;
    if (st.isFile() || st.isSymbolicLink()) bytes += st.size;
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return { kib: (blocks * 512) / 1024, bytes };
}

/** Installed packages: every folder with a package.json directly under a node_modules (or its @scope). */
function countPackages(nodeModules) {
  let count = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        visit(path);
        continue;
      }
      try {
        lstatSync(join(path, 'package.json'));
        count++;
      } catch {
        continue;
      }
      try {
        visit(join(path, 'node_modules'));
      } catch {
        // no nested node_modules
      }
    }
  };
  visit(nodeModules);
  return count;
}

const results = [];
for (const [i, set] of sets.entries()) {
  const app = join(work, `app-${i}`);
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `o365-size-${i}`, private: true, version: '1.0.0' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...set.specs], app);
  const nodeModules = join(app, 'node_modules');
  // Peers of the backend that npm installed on its own (@prisma/client): which version it chose.
  const peers = Object.keys(packages.find(({ pkg }) => pkg.name === set.peersOf)?.pkg.peerDependencies ?? {})
    .filter((name) => name !== '@o365/core')
    .map((name) => `${name}@${JSON.parse(readFileSync(join(nodeModules, name, 'package.json'), 'utf8')).version}`);
  const label = peers.length > 0 ? `${set.label} (npm added its peer ${peers.join(', ')})` : set.label;
  results.push({ label, ...diskUsage(nodeModules), packages: countPackages(nodeModules) });
  rmSync(app, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });

const base = results[0];
const header = ['installed with npm into an empty project', 'node_modules on disk', 'vs msal-node', 'apparent size', 'packages', 'vs msal-node'];
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const ratio = (r) => `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
const rows = results.map((r) => [
  r.label,
  mib(r.kib),
  ratio(r.kib / base.kib),
  mib(r.bytes / 1024),
  String(r.packages),
  ratio(r.packages / base.packages),
]);
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
const line = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
console.log(`installed size: node ${process.version}, npm ${run('npm', ['--version'], repoRoot).trim()}, --ignore-scripts, one empty project per row`);
console.log([line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n'));
console.log('on disk = allocated blocks, as du -sk node_modules counts them; apparent = the bytes of the files; packages = folders with a package.json under a node_modules');
