const { jestConfig } = require('@o365/tooling/jest-preset');

// globalSetup generates the Prisma clients (test/generated/, gitignored) and starts a throwaway
// PostgreSQL server that every test file of this package shares; globalTeardown stops it.
module.exports = jestConfig(__dirname, {
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
});
