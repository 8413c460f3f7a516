// The README's seed example is a working seed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from 'undici';
import { emulatorAppCertificate, SeedError, startEmulator, validateSeed, type Emulator, type EmulatorSeed } from '../src/index.js';
import { jwtClaims, tokenRequest, trustingAgent } from './helpers.js';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Seed format'));
const json = /```json\n([\s\S]*?)```/.exec(section)![1]!;

let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  const seed = JSON.parse(json) as EmulatorSeed;
  // The README abbreviates the certificate; a placeholder is refused with a SeedError...
  expect(() => validateSeed(seed)).toThrow(SeedError);
  // ...and a real one makes the example start.
  seed.tenants[0]!.apps[0]!.certificates = [(await emulatorAppCertificate()).certificate];
  emu = await startEmulator({ port: 0, seed });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

describe('README seed example', () => {
  it('derives the defaults and signs its user in', async () => {
    expect(emu.defaults).toMatchObject({ clientSecret: 's3cret', username: 'ada@contoso.onmicrosoft.com', password: 'pw', publicClientId: '', mfaUsername: '' });
    const res = await tokenRequest(emu, agent, {
      grant_type: 'password',
      client_id: emu.defaults.clientId,
      client_secret: 's3cret',
      username: 'ada@contoso.onmicrosoft.com',
      password: 'pw',
      scope: 'User.Read User.ReadBasic.All offline_access',
    });
    expect(res.status).toBe(200);
    expect(String(jwtClaims(String(res.body['access_token']))['scp']).split(' ').sort()).toEqual(['User.Read', 'User.ReadBasic.All']);
  });
});
