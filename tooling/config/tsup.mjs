// One build definition for every publishable package: ESM + CommonJS, with declarations for both
// (index.d.ts for import, index.d.cts for require), as publint and are-the-types-wrong expect.
import { defineConfig } from 'tsup';

/** @param {Partial<import('tsup').Options>} overrides */
export function libraryConfig(overrides = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'node',
    shims: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
