// Secrets come from an environment variable or a no-echo prompt, never from an argument.
import { createInterface } from 'node:readline';
import { CliError, EXIT_CODES, UsageError } from './exit-codes.js';
import type { RunIo } from './output.js';

/** Options that would put a secret on the command line (shell history, `ps`): refused before parsing. */
const SECRET_OPTIONS = ['--secret', '--client-secret', '--password', '--passwd', '--pass', '--private-key', '--certificate-password'];

/**
 * Refuses a secret given as an argument (exit 2). The value is never echoed.
 */
export function refuseSecretArguments(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const name = arg.split('=')[0]!;
    if (SECRET_OPTIONS.includes(name)) {
      throw new UsageError(
        `${name} is not accepted: secrets are never taken as arguments (they end up in shell history and process lists); use --secret-env VAR / --password-env VAR, or answer the prompt`,
      );
    }
  }
}

/** An environment variable's value, or a UsageError naming it. */
export function fromEnv(io: RunIo, name: string, what: string): string {
  const value = io.env[name];
  if (value === undefined || value === '') throw new UsageError(`the environment variable ${name} (the ${what}) is not set or empty`);
  return value;
}

/**
 * Asks on stderr and reads one line from stdin. With `secret`, typed characters are not echoed
 * (stdin in raw mode). Without a terminal on stdin, reads the first line of piped input.
 */
export async function ask(io: RunIo, question: string, options: { secret: boolean }): Promise<string> {
  const stdin = io.stdin;
  if (stdin === undefined) throw new UsageError(`no input to ask for ${question.replace(/[: ]+$/, '')}: ${options.secret ? 'use the --*-env option' : 'run it in a terminal'}`);
  io.stderr.write(question);
  if (options.secret && stdin.isTTY && typeof stdin.setRawMode === 'function') return readHidden(io, stdin as NodeJS.ReadStream);
  const rl = createInterface({ input: stdin, terminal: false });
  try {
    return await new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(io.signal?.reason ?? new DOMException('aborted', 'AbortError'));
      io.signal?.addEventListener('abort', onAbort, { once: true });
      rl.once('line', (line) => resolve(line));
      rl.once('close', () => reject(new CliError('the input ended before an answer', { exitCode: EXIT_CODES.cancelled })));
    });
  } finally {
    rl.close();
  }
}

function readHidden(io: RunIo, stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const done = (error?: unknown): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.signal?.removeEventListener('abort', onAbort);
      io.stderr.write('\n');
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onAbort = (): void => done(io.signal?.reason ?? new DOMException('aborted', 'AbortError'));
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new DOMException('interrupted', 'AbortError'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    io.signal?.addEventListener('abort', onAbort, { once: true });
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
