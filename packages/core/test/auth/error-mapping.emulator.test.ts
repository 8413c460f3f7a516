import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { Agent, fetch } from 'undici';
import { AuthenticationError, ConsentDeclinedError, InteractionRequiredError } from '../../src/errors.js';
import { mapAuthError } from '../../src/auth/error-mapping.js';

describe('mapAuthError on answers of the emulator', () => {
  let emu: Emulator;
  let agent: Agent;
  beforeAll(async () => {
    emu = await startEmulator();
    agent = new Agent({ connect: { ca: emu.ca } });
  });
  afterAll(async () => {
    await agent?.close();
    await emu?.stop();
  });

  it('AADSTS70011 invalid_scope names the refused scope and does not say "start the sign-in again"', async () => {
    const response = await fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emu.defaults.clientId,
        client_secret: emu.defaults.clientSecret,
        scope: 'https://graph.microsoft.com/Bogus.Scope',
      }).toString(),
    });
    const body = (await response.json()) as Record<string, never>;
    const mapped = mapAuthError(new Error('x'), 'credentials', { status: response.status, body }, { scopes: ['Bogus.Scope'] });
    expect(mapped).toBeInstanceOf(AuthenticationError);
    expect(mapped.errorCodes).toContain(70011);
    expect(mapped.message).toContain("the scope '");
    expect(mapped.message).toContain('Bogus.Scope');
    expect(mapped.message).not.toMatch(/Start the sign-in again/);
  });
});

// Shaped exactly like the emulator's (and the platform's) AADSTS65001 / 65004 answers.
describe('mapAuthError advice for consent', () => {
  it('AADSTS65001 in the authorization-code flow gives admin-consent guidance with the consent URL', () => {
    const mapped = mapAuthError(new Error('x'), 'authorization_code', {
      status: 400,
      body: {
        error: 'invalid_grant',
        suberror: 'consent_required',
        error_codes: [65001],
        error_description: "AADSTS65001: The user or administrator has not consented to use the application with ID '11111111-2222-3333-4444-555555555555' named 'App'.",
      },
    }, { authority: 'https://login.microsoftonline.com/contoso.com' });
    expect(mapped).toBeInstanceOf(InteractionRequiredError);
    expect(mapped.message).toContain('https://login.microsoftonline.com/contoso.com/adminconsent?client_id=11111111-2222-3333-4444-555555555555');
    expect(mapped.message).not.toContain('Use the authorization or device code flow');
  });

  it.each([
    ['error=access_denied with AADSTS65004', { error: 'access_denied', error_codes: [65004], error_description: 'AADSTS65004: User declined to consent to access the app.' }],
    ['error=access_denied, error_subcode=cancel', { error: 'access_denied', suberror: 'cancel' }],
  ])('%s is a ConsentDeclinedError, not InteractionRequiredError', (_name, body) => {
    const mapped = mapAuthError(new Error('x'), 'authorization_code', { body }, { clientId: 'c' });
    expect(mapped).toBeInstanceOf(ConsentDeclinedError);
    expect(mapped).not.toBeInstanceOf(InteractionRequiredError);
    expect(mapped.code).toBe('CONSENT_DECLINED');
    expect(mapped.message).toContain('adminconsent?client_id=c');
  });

  it('a failed MFA (access_denied, AADSTS500121) is not a declined consent', () => {
    const mapped = mapAuthError(new Error('x'), 'authorization_code', { body: { error: 'access_denied', error_codes: [500121] } });
    expect(mapped).not.toBeInstanceOf(ConsentDeclinedError);
  });
});
