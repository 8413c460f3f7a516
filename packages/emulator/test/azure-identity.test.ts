// @azure/identity's own credentials against the emulator: configuration only (authorityHost,
// disableInstanceDiscovery, tlsOptions.ca; for managed identity the environment Azure sets and
// NODE_EXTRA_CA_CERTS, in a child process).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Agent } from 'undici';
import { defaultSeed, DEFAULT_IDS, startEmulator, startOidcIssuer, type Emulator, type OidcIssuer } from '../src/index.js';
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

describe('@azure/identity: ClientAssertionCredential with a federated token (workload identity federation)', () => {
  let issuer: OidcIssuer;
  let fed: Emulator;

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    const seed = defaultSeed();
    seed.tenants[0]!.apps[0]!.federatedIdentityCredentials = [{ issuer: issuer.url, subject: 'system:serviceaccount:default:workload' }];
    fed = await startEmulator({ port: 0, seed });
  });

  afterAll(async () => {
    await fed.stop();
    await issuer.stop();
  });

  const credential = (assertion: () => string) =>
    new ClientAssertionCredential(fed.defaults.tenantId, fed.defaults.clientId, async () => assertion(), {
      authorityHost: fed.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: fed.ca },
    });

  it("the issuer's token is accepted as the app's client assertion", async () => {
    const token = await credential(() => issuer.token()).getToken('https://graph.microsoft.com/.default');
    expect(jwtClaims(token.token)).toMatchObject({ appid: fed.defaults.clientId, appidacr: '2', idtyp: 'app' });
  });

  it('a token for another subject is AADSTS700213', async () => {
    await expect(credential(() => issuer.token({ sub: 'system:serviceaccount:other:thing' })).getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS700213/);
  });
});

describe('@azure/identity: ManagedIdentityCredential (a child process with the environment Azure sets)', () => {
  let dir: string;
  let caFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'o365-azid-mi-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, emu.ca);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const SCRIPT = `
    const { ManagedIdentityCredential } = require('@azure/identity');
    const id = process.argv[1];
    const credential = id ? new ManagedIdentityCredential({ clientId: id }) : new ManagedIdentityCredential();
    credential.getToken('https://graph.microsoft.com/.default').then(
      (t) => console.log(JSON.stringify({ token: t.token })),
      (e) => console.log(JSON.stringify({ error: e.name + ': ' + e.message })),
    );`;

  async function run(protocol: 'appService' | 'imds', clientId = ''): Promise<{ token?: string; error?: string }> {
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], NODE_EXTRA_CA_CERTS: caFile, ...emu.managedIdentityEnv(protocol) };
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', SCRIPT, clientId], { cwd: join(__dirname, '..'), env, timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { token?: string; error?: string };
  }

  it.each(['appService', 'imds'] as const)('%s: the system-assigned identity gets a Graph token', async (protocol) => {
    const result = await run(protocol);
    expect(result.error).toBeUndefined();
    expect(jwtClaims(result.token!)).toMatchObject({ oid: DEFAULT_IDS.systemIdentityObjectId, idtyp: 'app' });
  }, 60_000);

  it('appService: a user-assigned identity by client id', async () => {
    const result = await run('appService', DEFAULT_IDS.userIdentityClientId);
    expect(jwtClaims(result.token!)).toMatchObject({ oid: DEFAULT_IDS.userIdentityObjectId });
  }, 60_000);
});
