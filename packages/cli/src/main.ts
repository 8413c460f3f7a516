// Entry of the `o365` binary (bin/o365.js loads the built copy of this file). Ctrl-C aborts what
// is waiting (device-code polling, prompts): the command then stores nothing and exits 130.
import { run } from './run.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new DOMException('Interrupted (Ctrl-C)', 'AbortError')));

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`o365: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
