// The device-code screen in a real terminal (tmux): the code and URL shown, a spinner while
// polling, colour on a TTY; Ctrl-C cancels cleanly. And `o365 demo`, the README's main job.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IDS } from '@o365/emulator';
import { BIN, runCli, waitFor } from './cli-harness.js';

const TMUX = '/usr/bin/tmux';

describe('the device-code screen in a terminal (tmux)', () => {
  let dir: string;
  const session = `o365-test-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync(TMUX, ['-L', session, ...args], { encoding: 'utf8' });

  beforeAll(async () => {
    if (!existsSync(TMUX)) throw new Error('tmux is needed for this test (apt-get install tmux; pnpm test installs it)');
    dir = await mkdtemp(join(tmpdir(), 'o365-tty-'));
  });
  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the code and URL in bold with a spinner; Ctrl-C exits 130 and stores nothing', async () => {
    const config = join(dir, 'config');
    const command = `env -u NO_COLOR ${process.execPath} ${BIN} --emulator --config-dir ${config} login --flow device; echo "EXIT=$?"; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '30', command);
    // -e keeps the escape sequences: the code is bold on a terminal.
    // The spinner starts with the sign-in, the code comes with the identity platform's answer:
    // wait for both (on a busy machine the first spinner frame may come first).
    const screen = await waitFor(
      () => tmux('capture-pane', '-p', '-e', '-t', session),
      (t) => /waiting for the sign-in/.test(t) && /enter the code/.test(t),
    );
    expect(screen).toMatch(/To sign in, open .*https:\/\/127\.0\.0\.1:\d+\/devicelogin.* and enter the code .*[A-Z0-9]{9}/);
    expect(screen).toContain('\x1b[1m');
    expect(screen).toMatch(/[|/\\-] waiting for the sign-in/);
    tmux('send-keys', '-t', session, 'C-c');
    const after = await waitFor(() => tmux('capture-pane', '-p', '-t', session), (t) => /EXIT=\d+/.test(t));
    expect(after).toContain('EXIT=130');
    expect(after).toMatch(/nothing was stored/);
    expect(existsSync(join(config, 'profiles')) ? await readdir(join(config, 'profiles')) : []).toEqual([]);
  });
});

describe('o365 demo', () => {
  it('runs every step against its embedded emulator, exits 0, prints no secret or token', async () => {
    const result = await runCli(['demo']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Done\. \d+ steps as expected/);
    for (const step of ['Client credentials with a secret', 'with a certificate', 'Device code', 'Authorization code with PKCE', 'Password flow', 'Automatic refresh', 'A wrong secret', 'A revoked sign-in']) {
      expect(result.stdout).toContain(step);
    }
    expect(result.stdout).toMatch(/token refreshes seen by the emulator: 1\b/);
    const text = result.stdout + result.stderr;
    expect(text).not.toContain(DEFAULT_IDS.password);
    expect(text).not.toContain(DEFAULT_IDS.clientSecret);
    expect(text).not.toMatch(/eyJ[\w-]{20,}\.eyJ/);
    expect(text).toContain(DEFAULT_IDS.clientId);
  });

  it('--json gives the steps, every one ok', async () => {
    const result = await runCli(['demo', '--json']);
    expect(result.code).toBe(0);
    const steps = JSON.parse(result.stdout) as { title: string; ok: boolean; exitCode: number; expectedExitCode: number; ms: number }[];
    expect(steps.length).toBeGreaterThanOrEqual(12);
    expect(steps.every((s) => s.ok && s.exitCode === s.expectedExitCode)).toBe(true);
  });
});
