// Shared jest configuration: TypeScript through @swc/jest (types are checked by `tsc --noEmit`),
// and workspace packages resolved to their sources so tests never depend on a stale build.
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const workspaceSources = {
  '@o365/core': 'packages/core/src/index.ts',
  '@o365/core/backend': 'packages/core/src/backend.ts',
  '@o365/emulator': 'packages/emulator/src/index.ts',
  '@o365/backend-testkit': 'tooling/backend-testkit/src/index.ts',
  '@o365/backend-s3': 'packages/backend-s3/src/index.ts',
  '@o365/backend-secrets-manager': 'packages/backend-secrets-manager/src/index.ts',
  '@o365/backend-prisma': 'packages/backend-prisma/src/index.ts',
  '@o365/backend-firestore': 'packages/backend-firestore/src/index.ts',
  '@o365/backend-bitwarden': 'packages/backend-bitwarden/src/index.ts',
  '@o365/backend-redis': 'packages/backend-redis/src/index.ts',
  '@o365/cli': 'packages/cli/src/index.ts',
};

/** @param {string} dir the package directory (pass __dirname) */
function jestConfig(dir, overrides = {}) {
  const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
  for (const [name, file] of Object.entries(workspaceSources)) {
    moduleNameMapper[`^${name.replace('/', '\\/')}$`] = path.join(root, file);
  }
  return {
    displayName: path.basename(dir),
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.(t|j)sx?$': [
        require.resolve('@swc/jest'),
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
          module: { type: 'commonjs' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleNameMapper,
    testTimeout: 30000,
    ...overrides,
  };
}

module.exports = { jestConfig, workspaceSources, root };
