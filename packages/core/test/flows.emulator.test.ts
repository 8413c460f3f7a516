import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EmulatorBrowser, startEmulator, type Emulator } from '@o365/emulator';
import { Account, type AccountOptions } from '../src/account.js';
import { MemoryTokenBackend } from '../src/backends/memory-backend.js';
import { AuthenticationError, InteractionRequiredError, InvalidCredentialsError } from '../src/errors.js';
import { MSGraphProtocol } from '../src/protocol.js';
import type { AuthorizationFlow } from '../src/connection-options.js';

describe('sign-in flows against the emulator', () => {
  let emu: Emulator;
  let browser: EmulatorBrowser;
  const accounts: Account[] = [];
  const track = (a: Account): Account => {
    accounts.push(a);
    return a;
  };
  const options = (extra: AccountOptions = {}): AccountOptions => ({
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
    tokenBackend: new MemoryTokenBackend(),
    ...extra,
  });
  const user = () => ({ username: emu.defaults.username, password: emu.defaults.password });

  beforeAll(async () => {
    emu = await startEmulator({ deviceCodeInterval: 1 });
    browser = new EmulatorBrowser(emu);
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  describe('authorization (console) flow', () => {
    it('handleConsent submits the sign-in form and returns the redirected URL (confidential client)', async () => {
      const account = track(new Account([emu.defaults.clientId, emu.defaults.clientSecret], options()));
      const seen: string[] = [];
      const ok = await account.authenticate({
        requestedScopes: ['basic'],
        handleConsent: async (url) => {
          seen.push(url);
          return browser.signIn(url, user());
        },
      });
      expect(ok).toBe(true);
      expect(seen).toHaveLength(1);
      const consent = new URL(seen[0]!);
      expect(consent.origin).toBe(emu.url);
      expect(consent.searchParams.get('code_challenge_method')).toBe('S256');
      expect(consent.searchParams.get('redirect_uri')).toBe('https://login.microsoftonline.com/common/oauth2/nativeclient');
      expect((await account.getCurrentUser()).userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    });

    it('prints the URL and reads the pasted redirect when no handler is given', async () => {
      const printed: string[] = [];
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...options({ authFlowType: 'public' }),
          output: (text) => printed.push(text),
          input: async () => {
            const url = /https:\/\/\S+/.exec(printed.join('\n'))![0];
            return browser.signIn(url, user());
          },
        }),
      );
      expect(await account.authenticate()).toBe(true);
      expect(printed.join('\n')).toContain('Visit the following url to give consent');
      expect(await account.isAuthenticated()).toBe(true);
    });

    it('an empty paste aborts: resolves false and stores nothing', async () => {
      const backend = new MemoryTokenBackend();
      const account = track(new Account([emu.defaults.publicClientId], options({ authFlowType: 'public', tokenBackend: backend })));
      expect(await account.authenticate({ handleConsent: async () => '   ' })).toBe(false);
      expect(await backend.load()).toBeUndefined();
    });

    it('Cancel on the sign-in page comes back as error= and is a typed error', async () => {
      const account = track(new Account([emu.defaults.publicClientId], options({ authFlowType: 'public' })));
      const error = await account
        .authenticate({ handleConsent: (url) => browser.cancelSignIn(url) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).error).toBe('access_denied');
    });
  });

  it('a consent handler that throws gives a typed error with the cause, console and loopback alike', async () => {
    const failure = new Error('browser could not be opened');
    for (const redirectUri of [undefined, 'http://localhost']) {
      const account = track(new Account([emu.defaults.publicClientId], options({ authFlowType: 'public' })));
      const error = (await account
        .authenticate({
          ...(redirectUri ? { redirectUri } : {}),
          handleConsent: () => {
            throw failure;
          },
        })
        .catch((e: unknown) => e)) as AuthenticationError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toMatch(/consent handler failed/);
      expect(error.cause).toBe(failure);
    }
  });

  describe('loopback redirect', () => {
    it('catches the redirect on http://localhost itself', async () => {
      const account = track(new Account([emu.defaults.publicClientId], options({ authFlowType: 'public' })));
      const ok = await account.authenticate({
        redirectUri: 'http://localhost',
        handleConsent: async (url) => {
          const redirected = await browser.signIn(url, user());
          // Play the browser: follow the redirect to the loopback server.
          const target = new URL(redirected);
          expect(target.hostname).toBe('localhost');
          target.hostname = '127.0.0.1';
          // A stray request on the redirect path (a prefetch, another local program) is not the redirect.
          const stray = await fetch(`${target.origin}${target.pathname}`);
          expect(stray.status).toBe(404);
          await stray.text();
          // Nor is a forged redirect with another state: it gets a 400 and the sign-in goes on.
          const forged = await fetch(`${target.origin}${target.pathname}?code=x&state=forged`);
          expect(forged.status).toBe(400);
          await forged.text();
          const res = await fetch(target);
          expect(res.status).toBe(200);
          await res.text();
          return '';
        },
      });
      expect(ok).toBe(true);
      expect(await account.isAuthenticated()).toBe(true);
    });
  });

  describe('web two-step flow', () => {
    it('getAuthorizationUrl -> JSON round trip of the flow -> requestToken', async () => {
      const account = track(new Account([emu.defaults.clientId, emu.defaults.clientSecret], options()));
      const redirectUri = 'http://localhost:5000/callback';
      const { url, flow } = await account.getAuthorizationUrl(['basic'], { redirectUri, loginHint: emu.defaults.username });
      const stored = JSON.parse(JSON.stringify(flow)) as AuthorizationFlow;
      expect(stored.codeVerifier.length).toBeGreaterThan(40);
      const redirected = await browser.signIn(url, user());

      // A second Account (another request of the web app) finishes the flow.
      const later = track(new Account([emu.defaults.clientId, emu.defaults.clientSecret], options()));
      expect(await later.requestToken(redirected, { flow: stored })).toBe(true);
      expect(later.username?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    });

    it('rejects a wrong state, a missing code, error= and a malformed URL with typed errors', async () => {
      const account = track(new Account([emu.defaults.clientId, emu.defaults.clientSecret], options()));
      const redirectUri = 'http://localhost:5000/callback';
      const { url, flow } = await account.getAuthorizationUrl(['basic'], { redirectUri });
      const redirected = new URL(await browser.signIn(url, user()));

      const wrongState = new URL(redirected);
      wrongState.searchParams.set('state', 'forged');
      await expect(account.requestToken(wrongState.href, { flow })).rejects.toThrow(/state/);
      await expect(account.requestToken(wrongState.href, { flow })).rejects.toBeInstanceOf(AuthenticationError);

      const noCode = new URL(redirected);
      noCode.searchParams.delete('code');
      await expect(account.requestToken(noCode.href, { flow })).rejects.toThrow(/no authorization code/);

      const errorUrl = `${redirectUri}?error=consent_required&error_description=${encodeURIComponent('AADSTS65001: The user has not consented.')}&state=${flow.state}`;
      const consent = await account.requestToken(errorUrl, { flow }).catch((e: unknown) => e);
      expect(consent).toBeInstanceOf(InteractionRequiredError);
      expect((consent as InteractionRequiredError).errorCodes).toContain(65001);

      await expect(account.requestToken('not a url at all', { flow })).rejects.toBeInstanceOf(AuthenticationError);
      await expect(account.requestToken(redirected.href, { flow: { ...flow, version: 2 } as unknown as AuthorizationFlow })).rejects.toThrow(
        /flow/,
      );

      // The right state and code on a URL that is not the redirect URI are not redeemed.
      for (const elsewhere of [
        `javascript:alert(1)//${redirected.search}`,
        `https://attacker.example/callback${redirected.search}`,
        `http://localhost:5000/other${redirected.search}`,
        `https://localhost:5000/callback${redirected.search}`,
      ]) {
        const refused = (await account.requestToken(elsewhere, { flow }).catch((e: unknown) => e)) as AuthenticationError;
        expect(refused).toBeInstanceOf(AuthenticationError);
        expect(refused.message).toMatch(/is not this sign-in's redirect URI/);
        expect(refused.message).not.toContain(redirected.searchParams.get('code')!);
      }

      // The genuine redirect still works after the rejected attempts.
      expect(await account.requestToken(redirected.href, { flow })).toBe(true);
    });
  });

  describe('device code flow', () => {
    it('shows the code through the callback and completes when the person signs in on the device-login page', async () => {
      const account = track(new Account([emu.defaults.publicClientId], options({ authFlowType: 'device' })));
      let shown = '';
      const ok = await account.authenticate({
        deviceCodeCallback: (info) => {
          shown = info.message;
          void browser.completeDeviceLogin(info.verificationUri, info.userCode, user());
        },
      });
      expect(ok).toBe(true);
      expect(shown).toMatch(/enter the code/);
      expect(await account.isAuthenticated()).toBe(true);
    });

    it('a declined device code resolves false', async () => {
      const backend = new MemoryTokenBackend();
      const account = track(new Account([emu.defaults.publicClientId], options({ authFlowType: 'device', tokenBackend: backend })));
      const ok = await account.authenticate({
        deviceCodeCallback: (info) => {
          void browser.declineDeviceLogin(info.verificationUri, info.userCode);
        },
      });
      expect(ok).toBe(false);
      expect(await backend.load()).toBeUndefined();
    });
  });

  describe('token endpoint retries', () => {
    it('retries 429 and 503 on the token endpoint, honouring Retry-After through the injected sleep', async () => {
      const waits: number[] = [];
      const account = track(
        new Account([emu.defaults.clientId, emu.defaults.clientSecret], {
          ...options({ authFlowType: 'credentials' }),
          sleep: async (ms) => {
            waits.push(ms);
          },
        }),
      );
      const tokenPath = `/${emu.defaults.tenantId}/oauth2/v2.0/token`;
      emu.faults.add({ path: tokenPath, count: 1, kind: 'status', status: 429, retryAfter: 7 });
      emu.faults.add({ path: tokenPath, count: 1, kind: 'status', status: 503, retryAfter: 2 });
      expect(await account.authenticate()).toBe(true);
      expect(waits).toEqual(expect.arrayContaining([7000, 2000]));
      const tokenCalls = emu.requests().filter((r) => r.path === tokenPath);
      expect(tokenCalls.slice(-3).map((r) => r.status)).toEqual([429, 503, 200]);
    });

    it('Graph calls through the session retry 429 with Retry-After too', async () => {
      const waits: number[] = [];
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...options({ authFlowType: 'password', username: emu.defaults.username, password: emu.defaults.password }),
          sleep: async (ms) => {
            waits.push(ms);
          },
        }),
      );
      await account.authenticate();
      emu.faults.add({ path: '/v1.0/me', count: 2, kind: 'status', status: 429, retryAfter: 4 });
      expect((await account.getCurrentUser()).userPrincipalName).toBeDefined();
      expect(waits).toEqual([4000, 4000]);
    });

    it('gives up with a typed error when the server keeps answering 503', async () => {
      const account = track(
        new Account([emu.defaults.clientId, emu.defaults.clientSecret], {
          ...options({ authFlowType: 'credentials' }),
          retry: { maxRetries: 1 },
          sleep: async () => {},
        }),
      );
      emu.faults.add({ path: `/${emu.defaults.tenantId}/oauth2/v2.0/token`, count: 2, kind: 'status', status: 503, retryAfter: 1 });
      const error = await account.authenticate().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).not.toBeInstanceOf(InvalidCredentialsError);
    });
  });
});
