// Runs the built `o365` binary as a child process, the way a shell does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Emulator } from '@o365/emulator';

export const BIN = resolve(__dirname, '../bin/o365.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A spawned `o365` whose output can be watched while it runs. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; keepStdinOpen?: boolean } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  if (options.input !== undefined) child.stdin!.end(options.input);
  else if (!options.keepStdinOpen) child.stdin!.end();
  const done = new Promise<CliResult>((resolveDone) => {
    child.on('close', (code, signal) => resolveDone({ code, signal, stdout: out, stderr: err }));
  });
  return { child, stdout: () => out, stderr: () => err, done };
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Resolves once `predicate` holds for the text, polling. */
export async function waitFor(read: () => string, predicate: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = read();
    if (predicate(text)) return text;
    if (Date.now() > until) throw new Error(`timed out waiting; got: ${text.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A config directory and the options that point `o365 login` at a running emulator. */
export async function cliWorkspace(emu: Emulator): Promise<{ dir: string; configDir: string; target: string[]; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'o365-cli-test-'));
  const caFile = join(dir, 'emulator-ca.pem');
  await writeFile(caFile, emu.ca);
  return {
    dir,
    configDir: join(dir, 'config'),
    target: ['--authority-host', emu.authorityHost, '--graph-url', emu.graphUrl, '--ca-file', caFile, '--tenant', emu.defaults.tenantId],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
