import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { Account } from './account.js';
import { MemoryTokenBackend } from './backends/memory-backend.js';
import { AuthenticationError } from './errors.js';
import { MSGraphProtocol } from './protocol.js';

const SECRET = 'unit~Test.Secret-0123456789-abcdefghij';

describe('Account (no network)', () => {
  it('validates credentials and options up front with clear errors', () => {
    expect(() => new Account([''] as unknown as [string])).toThrow(TypeError);
    expect(() => new Account(['id', ''])).toThrow(/empty/);
    expect(() => new Account(['id', 42 as unknown as string])).toThrow(/client secret string/);
    expect(() => new Account(['id'], { authFlowType: 'credentials' })).toThrow(/needs a client secret/);
    expect(() => new Account(['id'], { authFlowType: 'magic' as 'device' })).toThrow(/Unknown authFlowType/);
    expect(() => new Account(['id', SECRET], { authFlowType: 'device' })).toThrow(/public clients/);
    expect(() => new Account(['id'], { authorityHost: 'http://login.example' })).toThrow(AuthenticationError);
    expect(() => new Account(['id'], { tenantId: 'a/b' })).toThrow(/tenantId/);
  });

  it("refuses the credentials flow without a tenant ('common' cannot issue app-only tokens), before any request", () => {
    for (const tenantId of [undefined, 'common', 'Organizations', 'consumers']) {
      expect(
        () => new Account(['id', SECRET], { authFlowType: 'credentials', tokenBackend: new MemoryTokenBackend(), ...(tenantId ? { tenantId } : {}) }),
      ).toThrow(/needs the tenantId of your directory/);
    }
    expect(new Account(['id', SECRET], { authFlowType: 'credentials', tenantId: 'contoso.onmicrosoft.com', tokenBackend: new MemoryTokenBackend() }).connection.authority).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com',
    );
  });

  it('builds the authority from the cloud, or from authorityHost', () => {
    expect(new Account(['id'], { tokenBackend: new MemoryTokenBackend() }).connection.authority).toBe('https://login.microsoftonline.com/common');
    expect(
      new Account(['id'], { tokenBackend: new MemoryTokenBackend(), tenantId: 't1', protocol: new MSGraphProtocol({ cloud: 'usgov' }) }).connection
        .authority,
    ).toBe('https://login.microsoftonline.us/t1');
    expect(new Account(['id'], { tokenBackend: new MemoryTokenBackend(), authorityHost: 'https://127.0.0.1:8443/' }).connection.authority).toBe(
      'https://127.0.0.1:8443/common',
    );
  });

  it('never shows the secret or password in inspect, toString or JSON', () => {
    const account = new Account(['client-id', SECRET], { tokenBackend: new MemoryTokenBackend(), password: 'Pa55word-unit-test', username: 'a@b.c' });
    const outputs = [inspect(account, { depth: 10 }), inspect(account.connection, { depth: 10 }), String(account), JSON.stringify(account)];
    for (const out of outputs) {
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain('Pa55word-unit-test');
    }
    expect(outputs[0]).toContain('client-id');
  });

  it('rejects scopes and requestedScopes given with different values', async () => {
    const account = new Account(['client-id'], { tokenBackend: new MemoryTokenBackend() });
    await expect(account.authenticate({ scopes: ['a'], requestedScopes: ['b'] })).rejects.toThrow(/either requestedScopes or scopes/);
  });

  it('expands scope helpers and uses .default for the credentials flow', () => {
    const user = new Account(['client-id'], { tokenBackend: new MemoryTokenBackend() });
    expect(user.connection.resolveScopes(['basic', 'offline_access'])).toEqual(['https://graph.microsoft.com/User.Read', 'offline_access']);
    expect(user.connection.resolveScopes()).toEqual(['https://graph.microsoft.com/User.Read']);
    const app = new Account(['client-id', SECRET], { authFlowType: 'credentials', tenantId: 'contoso.onmicrosoft.com', tokenBackend: new MemoryTokenBackend() });
    expect(app.connection.resolveScopes(['Mail.Read'])).toEqual(['https://graph.microsoft.com/.default']);
  });

  it('newUser makes a User without a request', () => {
    const account = new Account(['client-id'], { tokenBackend: new MemoryTokenBackend() });
    expect(account.newUser('adele@contoso.com').userPrincipalName).toBe('adele@contoso.com');
    expect(account.newUser('0a1b').objectId).toBe('0a1b');
    expect(() => account.newUser(' ')).toThrow(TypeError);
  });

  it('is not authenticated with an empty backend, and says so clearly when a token is needed', async () => {
    const account = new Account(['client-id'], { tokenBackend: new MemoryTokenBackend() });
    expect(await account.isAuthenticated()).toBe(false);
    await expect(account.connection.getAccessToken()).rejects.toThrow(/Not signed in/);
    await account.close();
  });
});
