// Root jest: every package's tests in one run (this is what `pnpm test` and CI execute).
module.exports = {
  projects: ['<rootDir>/packages/*/jest.config.cjs', '<rootDir>/tooling/*/jest.config.cjs'],
};
