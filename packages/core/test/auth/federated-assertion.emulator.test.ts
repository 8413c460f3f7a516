// Workload identity federation end to end: the emulator's OpenID Connect issuer on loopback
// (startOidcIssuer: discovery, JWKS, a GitHub-Actions-like token endpoint) signs the workload's tokens; the emulator holds
// the app's federated identity credential, fetches the issuer's keys and checks the assertion as
// Entra does; core's ready-made assertions carry the token through msal-node.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSeed, emulatorAppCertificate, startEmulator, startOidcIssuer, type Emulator, type OidcIssuer } from '@o365/emulator';
import { Account } from '../../src/account.js';
import { MemoryTokenBackend } from '../../src/backends/memory-backend.js';
import { InvalidArgumentError, InvalidCredentialsError } from '../../src/errors.js';
import { MSGraphProtocol } from '../../src/protocol.js';
import { federatedTokenFileAssertion, githubActionsAssertion } from '../../src/auth/federated-assertion.js';
import { FederatedTokenError } from '../../src/errors.js';

const SUBJECT = 'system:serviceaccount:payments:api';
const GH_SUBJECT = 'repo:contoso/app:ref:refs/heads/main';

describe('workload identity federation', () => {
  let issuer: OidcIssuer;
  let emu: Emulator;
  let dir: string;
  const accounts: Account[] = [];

  beforeAll(async () => {
    issuer = await startOidcIssuer({ subject: SUBJECT, githubSubject: GH_SUBJECT });
    const seed = defaultSeed((await emulatorAppCertificate()).certificate);
    seed.tenants[0]!.apps[0]!.federatedIdentityCredentials = [
      { name: 'aks', issuer: issuer.url, subject: SUBJECT },
      { name: 'github', issuer: issuer.url, subject: GH_SUBJECT },
    ];
    emu = await startEmulator({ seed });
    dir = await mkdtemp(join(tmpdir(), 'o365-wif-'));
  });
  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu.stop();
    await issuer.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const appAccount = (credential: ConstructorParameters<typeof Account>[0][1]): Account => {
    const account = new Account([emu.defaults.clientId, credential!], {
      authFlowType: 'credentials',
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      tokenBackend: new MemoryTokenBackend(),
      retry: { maxRetries: 0 },
    });
    accounts.push(account);
    return account;
  };
  const tokenFile = async (token: string): Promise<string> => {
    const path = join(dir, `token-${randomUUID()}`);
    await writeFile(path, `${token}\n`);
    return path;
  };
  const failure = async (account: Account): Promise<InvalidCredentialsError> => {
    const error = await account.authenticate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    return error as InvalidCredentialsError;
  };

  it('a token file (AZURE_FEDERATED_TOKEN_FILE): an app token for the app, the issuer keys fetched', async () => {
    const path = await tokenFile(issuer.token({}));
    const account = appAccount(federatedTokenFileAssertion({ env: { AZURE_FEDERATED_TOKEN_FILE: path } }));
    expect(await account.authenticate()).toBe(true);
    const token = await account.getToken('https://graph.microsoft.com/.default');
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ appid: emu.defaults.clientId, appidacr: '2', idtyp: 'app' });
    expect(issuer.requests.map((r) => r.path)).toEqual(expect.arrayContaining(['/.well-known/openid-configuration', '/keys']));
    const users = [];
    for await (const user of account.directory().getUsers({ limit: 2 })) users.push(user);
    expect(users).toHaveLength(2);
  });

  it('the file is read again for each token request: a rotated token replaces a bad one', async () => {
    const path = await tokenFile(issuer.token({ sub: 'system:serviceaccount:other:thing' }));
    const account = appAccount(federatedTokenFileAssertion({ path }));
    const error = await failure(account);
    expect(error.errorCodes).toContain(700213);
    await writeFile(path, issuer.token({}));
    expect(await account.authenticate()).toBe(true);
  });

  it('Entra-like refusals: unknown issuer 700211, audience 700212, expired 700024, foreign key 700027', async () => {
    const unknownIssuer = await failure(appAccount(federatedTokenFileAssertion({ path: await tokenFile(issuer.token({ iss: 'https://issuer.example.com' })) })));
    expect(unknownIssuer.errorCodes).toContain(700211);
    expect(unknownIssuer.message).toContain('https://issuer.example.com');
    const audience = await failure(appAccount(federatedTokenFileAssertion({ path: await tokenFile(issuer.token({ aud: 'api://something-else' })) })));
    expect(audience.errorCodes).toContain(700212);
    const expired = await failure(appAccount(federatedTokenFileAssertion({ path: await tokenFile(issuer.token({ exp: Math.floor(Date.now() / 1000) - 3600 })) })));
    expect(expired.errorCodes).toContain(700024);
    const stranger = await startOidcIssuer();
    const forged = stranger.token({ iss: issuer.url, kid: issuer.kid });
    await stranger.stop();
    const badSignature = await failure(appAccount(federatedTokenFileAssertion({ path: await tokenFile(forged) })));
    expect(badSignature.errorCodes).toContain(700027);
  });

  it('no token file configured, or a missing file: typed errors naming the file, before or at sign-in', async () => {
    expect(() => federatedTokenFileAssertion({ env: {} })).toThrow(InvalidArgumentError);
    const missing = join(dir, 'nope');
    const error = await appAccount(federatedTokenFileAssertion({ path: missing })).authenticate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FederatedTokenError);
    expect((error as FederatedTokenError).message).toContain(missing);
  });

  it('GitHub Actions: the OIDC token fetched with the request token and the exchange audience', async () => {
    issuer.requests.length = 0;
    const { requestUrl, requestToken } = issuer.githubActions;
    const account = appAccount(githubActionsAssertion({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken } }));
    expect(await account.authenticate()).toBe(true);
    const call = issuer.requests.find((r) => r.path === '/_apis/token');
    expect(call?.authorization).toBe(`bearer ${requestToken}`);
  });

  it('GitHub Actions: outside a job, or a refused request token, typed errors without the token', async () => {
    expect(() => githubActionsAssertion({ env: {} })).toThrow(InvalidArgumentError);
    const account = appAccount(githubActionsAssertion({ requestUrl: `${issuer.url}/_apis/token`, requestToken: 'wrong-request-token-xyz' }));
    const error = await account.authenticate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FederatedTokenError);
    expect((error as Error).message).toContain('HTTP 401');
    expect((error as Error).message).not.toContain('wrong-request-token-xyz');
  });
});
