// Root jest: every package's tests in one run (this is what `pnpm test` and CI execute).
// `testTimeout` is a global option: a project's own value is ignored in a multi-project run,
// so the shared preset's timeout is repeated here.
const { testTimeout } = require('./tooling/config/jest-preset.cjs').jestConfig(__dirname);

module.exports = {
  projects: ['<rootDir>/packages/*/jest.config.cjs', '<rootDir>/tooling/*/jest.config.cjs'],
  testTimeout,
};
