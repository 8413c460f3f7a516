const { jestConfig } = require('@o365/tooling/jest-preset');

// globalSetup generates the Prisma clients (test/generated/, gitignored) and starts throwaway
// PostgreSQL and MariaDB servers that every test file of this package shares; globalTeardown stops them.
module.exports = jestConfig(__dirname, {
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
});
