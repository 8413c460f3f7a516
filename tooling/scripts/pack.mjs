// Packing the publishable packages as they would be published, shared by the scripts that install
// them with npm (check-install.mjs, installed-size.mjs): `pnpm pack` turns workspace ranges into
// real ones, so the tarballs are what a user would download. Expects a build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * A script's way out and its command runner: `fail(message)` prints under `[tag]`, calls `onFail`
 * (cleanup) and exits 1; `run(cmd, args, cwd)` returns stdout + stderr, or fails with both.
 */
export function commandRunner(tag, onFail = () => {}) {
  const fail = (message) => {
    console.error(`[${tag}] ${message}`);
    onFail();
    process.exit(1);
  };
  const run = (cmd, args, cwd) => {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
    if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
  };
  return { run, fail };
}

/** Every package under packages/ that is not private: `{ dir, pkg }` (pkg = its package.json). */
export function publishablePackages(root = repoRoot) {
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private);
}

/** The file name `pnpm pack` gives a package's tarball (`@o365/core` 0.0.0: o365-core-0.0.0.tgz). */
export function tarballName(pkg) {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

/**
 * Packs each of `packages` (from publishablePackages) into `destination` with the runner from
 * commandRunner; returns a map from package name to its tarball's path.
 */
export function packPackages(packages, destination, { run, fail }) {
  const tarballs = new Map();
  for (const { dir, pkg } of packages) {
    run('pnpm', ['pack', '--pack-destination', destination], dir);
    const file = join(destination, tarballName(pkg));
    if (!existsSync(file)) fail(`pnpm pack wrote no ${tarballName(pkg)} for ${pkg.name} into ${destination}`);
    tarballs.set(pkg.name, file);
  }
  return tarballs;
}
