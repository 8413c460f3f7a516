// The public scripted browser (`EmulatorBrowser`), checked with Microsoft's own client: msal-node
// builds the authorize URL and redeems the code; the device-code poll ends with msal's tokens.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CryptoProvider, PublicClientApplication } from '@azure/msal-node';
import type { Agent } from 'undici';
import { EmulatorBrowser, SignInPageError, startEmulator, type Emulator } from '../src/index.js';
import { jwtClaims, msalAuthConfig, msalNetworkClient, trustingAgent } from './helpers.js';

let emu: Emulator;
let agent: Agent;
let browser: EmulatorBrowser;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, deviceCodeInterval: 1 });
  agent = trustingAgent(emu.ca);
  browser = new EmulatorBrowser(emu);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

const publicApp = (): PublicClientApplication =>
  new PublicClientApplication({
    auth: { clientId: emu.defaults.publicClientId, ...msalAuthConfig(emu) },
    system: { networkClient: msalNetworkClient(agent) },
  });

async function authorizeUrl(pca: PublicClientApplication, scopes: string[], redirectUri = 'http://localhost:53124/cb'): Promise<{ url: string; verifier: string }> {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await pca.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 's-1' });
  return { url, verifier };
}

describe('EmulatorBrowser.signIn', () => {
  it('signs in on the authorize page and returns the redirect msal-node redeems', async () => {
    const pca = publicApp();
    const redirectUri = 'http://localhost:53124/cb';
    const { url, verifier } = await authorizeUrl(pca, ['User.Read'], redirectUri);
    const redirected = new URL(await browser.signIn(url, { username: emu.defaults.username, password: emu.defaults.password }));
    expect(`${redirected.origin}${redirected.pathname}`).toBe(redirectUri);
    expect(redirected.searchParams.get('state')).toBe('s-1');
    const result = await pca.acquireTokenByCode({ code: redirected.searchParams.get('code')!, scopes: ['User.Read'], redirectUri, codeVerifier: verifier });
    expect(result.account?.username).toBe(emu.defaults.username);
  });

  it('answers the second-factor page for an MFA user (approve by default)', async () => {
    const pca = publicApp();
    const { url, verifier } = await authorizeUrl(pca, ['User.Read']);
    const redirected = new URL(await browser.signIn(url, { username: emu.defaults.mfaUsername, password: emu.defaults.password }));
    const result = await pca.acquireTokenByCode({ code: redirected.searchParams.get('code')!, scopes: ['User.Read'], redirectUri: 'http://localhost:53124/cb', codeVerifier: verifier });
    expect(jwtClaims(result.accessToken)['amr']).toEqual(['pwd', 'mfa']);
  });

  it('a denied second factor redirects with an error instead of a code', async () => {
    const { url } = await authorizeUrl(publicApp(), ['User.Read']);
    const redirected = new URL(await browser.signIn(url, { username: emu.defaults.mfaUsername, password: emu.defaults.password, mfa: 'deny' }));
    expect(redirected.searchParams.get('code')).toBeNull();
    expect(redirected.searchParams.get('error')).toBeTruthy();
  });

  it('a wrong password ends in SignInPageError with the page error and no password in it', async () => {
    const { url } = await authorizeUrl(publicApp(), ['User.Read']);
    const error = await browser.signIn(url, { username: emu.defaults.username, password: 'Wr0ng-Passw0rd!' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignInPageError);
    expect((error as SignInPageError).code).toBe('EMULATOR_SIGN_IN_PAGE');
    expect((error as SignInPageError).message).toMatch(/AADSTS50126|password/i);
    expect((error as SignInPageError).message).not.toContain('Wr0ng-Passw0rd!');
  });

  it('cancelSignIn presses Cancel: the redirect carries access_denied and the state, no code', async () => {
    const { url } = await authorizeUrl(publicApp(), ['User.Read']);
    const redirected = new URL(await browser.cancelSignIn(url));
    expect(redirected.searchParams.get('code')).toBeNull();
    expect(redirected.searchParams.get('error')).toBe('access_denied');
    expect(redirected.searchParams.get('state')).toBe('s-1');
  });

  it('refuses a URL that is not the emulator', async () => {
    await expect(browser.signIn('https://example.invalid/authorize', { username: 'a', password: 'b' })).rejects.toThrow(SignInPageError);
  });

  it('python-o365 scope helper permissions are consented in the default tenant (Mail.Read, Calendars.Read)', async () => {
    const pca = publicApp();
    const scopes = ['Mail.Read', 'Calendars.Read', 'Files.Read.All', 'Mail.Send'];
    const { url, verifier } = await authorizeUrl(pca, scopes);
    const redirected = new URL(await browser.signIn(url, { username: emu.defaults.username, password: emu.defaults.password }));
    expect(redirected.searchParams.get('error')).toBeNull();
    const result = await pca.acquireTokenByCode({ code: redirected.searchParams.get('code')!, scopes, redirectUri: 'http://localhost:53124/cb', codeVerifier: verifier });
    const scp = String(jwtClaims(result.accessToken)['scp']).split(' ');
    expect(scp).toEqual(expect.arrayContaining(scopes));
  });
});

describe('EmulatorBrowser.completeDeviceLogin', () => {
  it('completes the device-login page; msal-node polling gets the tokens', async () => {
    let page: Promise<void> | undefined;
    const result = await publicApp().acquireTokenByDeviceCode({
      scopes: ['User.Read'],
      deviceCodeCallback: (info) => {
        page = browser.completeDeviceLogin(info.verificationUri, info.userCode, { username: emu.defaults.username, password: emu.defaults.password });
      },
    });
    await page;
    expect(result?.account?.username).toBe(emu.defaults.username);
  });

  it('declineDeviceLogin presses Cancel: msal-node polling ends with authorization_declined', async () => {
    let page: Promise<void> | undefined;
    const error = await publicApp()
      .acquireTokenByDeviceCode({
        scopes: ['User.Read'],
        deviceCodeCallback: (info) => {
          page = browser.declineDeviceLogin(info.verificationUri, info.userCode);
        },
      })
      .catch((e: unknown) => e);
    await page;
    // msal-node reports the token endpoint's 400 as post_request_failed, with the server's error in the message.
    expect(error).toMatchObject({ errorCode: 'post_request_failed', errorMessage: expect.stringContaining('authorization_declined') });
  });

  it('a wrong code ends in SignInPageError', async () => {
    await expect(
      browser.completeDeviceLogin(`${emu.url}/devicelogin`, 'NOTACODE', { username: emu.defaults.username, password: emu.defaults.password }),
    ).rejects.toThrow(SignInPageError);
    await expect(browser.declineDeviceLogin(`${emu.url}/devicelogin`, 'NOTACODE')).rejects.toThrow(SignInPageError);
  });
});

describe('EmulatorBrowser.visit', () => {
  let server: Server;
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('follows a loopback redirect and returns what the app answered; refuses other hosts', async () => {
    server = createServer((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    expect(await browser.visit(`http://localhost:${port}/?code=x`)).toBe(204);
    await expect(browser.visit('https://example.com/')).rejects.toThrow(SignInPageError);
  });
});
