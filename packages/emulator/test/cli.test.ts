// The CLI as a user runs it: a real process that prints its facts as JSON and stops on SIGTERM.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch } from 'undici';
import { defaultSeed } from '../src/index.js';
import { trustingAgent } from './helpers.js';

const CLI = join(__dirname, '..', 'src', 'cli.ts');

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const facts = new Promise<Record<string, unknown>>((resolve, reject) => {
    const check = () => {
      const end = stdout.lastIndexOf('}\n');
      if (stdout.trimStart().startsWith('{') && end > 0) {
        try {
          resolve(JSON.parse(stdout.slice(0, end + 1)) as Record<string, unknown>);
        } catch {
          /* not complete yet */
        }
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`exited ${String(code)}: ${stderr}`)));
  });
  // Callers that expect a failure never await `facts`.
  facts.catch(() => undefined);
  return { child, facts, exited, stderr: () => stderr };
}

describe('o365-emulator CLI', () => {
  it('prints the facts as JSON, serves HTTPS with the written CA, stops on SIGTERM', async () => {
    const { child, facts, exited } = run(['--port', '0']);
    const f = await facts;
    expect(f).toMatchObject({ tenantId: '5f3a2b1c-0d4e-4f60-8a7b-9c0d1e2f3a4b', username: 'AdeleV@contoso.onmicrosoft.com' });
    const caFile = String(f['caFile']);
    const agent = trustingAgent(readFileSync(caFile, 'utf8'));
    const res = await fetch(`${String(f['authorityHost'])}/${String(f['tenantId'])}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: String(f['clientId']), client_secret: String(f['clientSecret']), scope: 'https://graph.microsoft.com/.default' }).toString(),
      dispatcher: agent,
    });
    expect(res.status).toBe(200);
    await agent.close();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(caFile)).toBe(false);
  });

  it('loads a seed file and writes into --out-dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-test-'));
    const seed = defaultSeed();
    seed.tenants[0]!.users = seed.tenants[0]!.users.slice(0, 2);
    writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed));
    const { child, facts, exited } = run(['--seed', join(dir, 'seed.json'), '--out-dir', dir]);
    const f = await facts;
    expect(f['caFile']).toBe(join(dir, 'emulator-ca.pem'));
    expect(readFileSync(join(dir, 'app-private-key.pem'), 'utf8')).toContain('PRIVATE KEY');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('rejects bad arguments and bad seeds with exit code 2', async () => {
    const bad = run(['--port', 'eighty']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--port');
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-test-'));
    writeFileSync(join(dir, 'seed.json'), '{"tenants": [{"id": "nope"}]}');
    const badSeed = run(['--seed', join(dir, 'seed.json')]);
    expect(await badSeed.exited).toBe(2);
    expect(badSeed.stderr()).toContain('invalid emulator seed');
    writeFileSync(join(dir, 'broken.json'), '{"tenants": [');
    const broken = run(['--seed', join(dir, 'broken.json')]);
    expect(await broken.exited).toBe(2);
    expect(broken.stderr()).toContain(`cannot read seed ${join(dir, 'broken.json')}`);
    const missing = run(['--seed', join(dir, 'nope.json')]);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('ENOENT');
  });
});
