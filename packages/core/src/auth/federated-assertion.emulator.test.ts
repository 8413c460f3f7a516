// Workload identity federation end to end: a small OpenID Connect issuer on loopback (discovery,
// JWKS, and a GitHub-Actions-like token endpoint) signs the workload's tokens; the emulator holds
// the app's federated identity credential, fetches the issuer's keys and checks the assertion as
// Entra does; core's ready-made assertions carry the token through msal-node.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSeed, emulatorAppCertificate, startEmulator, type Emulator } from '@o365/emulator';
import { Account } from '../account.js';
import { MemoryTokenBackend } from '../backends/memory-backend.js';
import { InvalidArgumentError, InvalidCredentialsError } from '../errors.js';
import { MSGraphProtocol } from '../protocol.js';
import { FederatedTokenError, federatedTokenFileAssertion, githubActionsAssertion, TOKEN_EXCHANGE_AUDIENCE } from './federated-assertion.js';

const SUBJECT = 'system:serviceaccount:payments:api';
const GH_SUBJECT = 'repo:contoso/app:ref:refs/heads/main';
const REQUEST_TOKEN = 'gh-request-token-0123456789abcdef';

/** A loopback OIDC issuer: what Kubernetes or GitHub Actions is to Entra. */
class TestIssuer {
  readonly kid = 'key-1';
  readonly #key: KeyObject;
  readonly #jwk: Record<string, unknown>;
  #server!: Server;
  url = '';
  requests: { path: string; authorization?: string }[] = [];

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#key = privateKey;
    this.#jwk = { ...publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' };
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.url);
      this.requests.push({ path: url.pathname, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/openid-configuration') return json(200, { issuer: this.url, jwks_uri: `${this.url}/keys` });
      if (url.pathname === '/keys') return json(200, { keys: [this.#jwk] });
      if (url.pathname === '/_apis/token') {
        if (req.headers.authorization !== `bearer ${REQUEST_TOKEN}`) return json(401, { message: 'bad request token' });
        return json(200, { value: this.token({ sub: GH_SUBJECT, aud: url.searchParams.get('audience') ?? '' }) });
      }
      json(404, {});
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  token(claims: { sub?: string; aud?: string; iss?: string; exp?: number; kid?: string }): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: claims.kid ?? this.kid };
    const payload = { iss: claims.iss ?? this.url, sub: claims.sub ?? SUBJECT, aud: claims.aud ?? TOKEN_EXCHANGE_AUDIENCE, iat: now, nbf: now, exp: claims.exp ?? now + 3600, jti: randomUUID() };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${createSign('RSA-SHA256').update(input).sign(this.#key).toString('base64url')}`;
  }
}

describe('workload identity federation', () => {
  const issuer = new TestIssuer();
  let emu: Emulator;
  let dir: string;
  const accounts: Account[] = [];

  beforeAll(async () => {
    await issuer.start();
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
    const forged = new TestIssuer().token({ iss: issuer.url, kid: issuer.kid });
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
    issuer.requests = [];
    const account = appAccount(githubActionsAssertion({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/_apis/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN } }));
    expect(await account.authenticate()).toBe(true);
    const call = issuer.requests.find((r) => r.path === '/_apis/token');
    expect(call?.authorization).toBe(`bearer ${REQUEST_TOKEN}`);
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
