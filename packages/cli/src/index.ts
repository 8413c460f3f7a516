// Public API of @o365/cli: the programmatic entry of the `o365` command and its exit codes.
export { run, type RunIo } from './run.js';
export { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes.js';
