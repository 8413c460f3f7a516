// @azure/identity's ClientSecretCredential against the emulator: configuration only
// (authorityHost, disableInstanceDiscovery, tlsOptions.ca).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import type { Agent } from 'undici';
import { startEmulator, type Emulator } from '../src/index.js';
import { graphGet, jwtClaims, trustingAgent } from './helpers.js';

let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

function options() {
  return { authorityHost: emu.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: emu.ca } };
}

describe('@azure/identity', () => {
  it('ClientSecretCredential gets a Graph token that lists users', async () => {
    const credential = new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.clientId, emu.defaults.clientSecret, options());
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(token.token).toBeTruthy();
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
    expect(jwtClaims(token.token)).toMatchObject({ appid: emu.defaults.clientId, roles: ['User.Read.All'] });
    const users = await graphGet(emu, agent, 'v1.0/users?$top=3', token.token);
    expect(users.status).toBe(200);
    expect(emu.requests().some((r) => r.grantType === 'client_credentials' && r.status === 200)).toBe(true);
  });

  it('ClientSecretCredential with a wrong secret fails with AADSTS7000215', async () => {
    const credential = new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.clientId, 'wrong', options());
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS7000215/);
  });

  it('ClientCertificateCredential signs an assertion the emulator accepts', async () => {
    const pem = `${emu.defaults.certificate.privateKey}\n${emu.defaults.certificate.certificate}`;
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, emu.defaults.clientId, { certificate: pem }, options());
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(jwtClaims(token.token)['appidacr']).toBe('2');
  });
});
