import { describe, expect, it } from '@jest/globals';
import { InvalidArgumentError } from './errors.js';
import { CLOUD_ENDPOINTS, MSGraphProtocol, Protocol } from './protocol.js';
import { SCOPE_HELPERS, isScopeHelper } from './scopes.js';

const G = 'https://graph.microsoft.com/';

describe('MSGraphProtocol', () => {
  it('defaults to the global cloud and v1.0', () => {
    const p = new MSGraphProtocol();
    expect(p.graphUrl).toBe('https://graph.microsoft.com/v1.0/');
    expect(p.serviceUrl).toBe(G);
    expect(p.apiVersion).toBe('v1.0');
    expect(p.cloud).toBe('global');
    expect(p.authorityHost).toBe('https://login.microsoftonline.com');
    expect(p.scopePrefix).toBe(G);
    expect(p.defaultResource).toBe('me');
    expect(p.maxTopValue).toBe(999);
  });

  it.each([
    ['usgov', 'https://graph.microsoft.us/beta/', 'https://login.microsoftonline.us', 'https://graph.microsoft.us/'],
    ['usgov-dod', 'https://dod-graph.microsoft.us/beta/', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us/'],
    ['china', 'https://microsoftgraph.chinacloudapi.cn/beta/', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/'],
  ] as const)('targets the %s national cloud', (cloud, graphUrl, authorityHost, prefix) => {
    const p = new MSGraphProtocol({ cloud, apiVersion: 'beta' });
    expect(p.graphUrl).toBe(graphUrl);
    expect(p.authorityHost).toBe(authorityHost);
    expect(p.scopePrefix).toBe(prefix);
    expect(p.getScopesFor('basic')).toEqual([`${prefix}User.Read`]);
  });

  it('takes a graphUrl override but keeps the cloud resource as scope prefix', () => {
    const p = new MSGraphProtocol({ graphUrl: 'https://127.0.0.1:8443' });
    expect(p.serviceUrl).toBe('https://127.0.0.1:8443/');
    expect(p.graphUrl).toBe('https://127.0.0.1:8443/v1.0/');
    expect(p.scopePrefix).toBe(G);
    expect(p.getScopesFor('users')).toEqual([`${G}User.ReadBasic.All`]);
    expect(new MSGraphProtocol({ graphUrl: 'https://gw.contoso.com/graph/' }).graphUrl).toBe(
      'https://gw.contoso.com/graph/v1.0/',
    );
  });

  it('rejects bad options with a clear TypeError', () => {
    expect(() => new MSGraphProtocol({ graphUrl: 'not a url' })).toThrow(/absolute URL/);
    expect(() => new MSGraphProtocol({ graphUrl: 'ftp://x/' })).toThrow(/http\(s\)/);
    expect(() => new MSGraphProtocol({ graphUrl: 'https://x/?a=1' })).toThrow(/query string/);
    expect(() => new MSGraphProtocol({ cloud: 'mars' as never })).toThrow(/Unknown cloud "mars"/);
    expect(() => new MSGraphProtocol({ apiVersion: 'v2' as never })).toThrow(/apiVersion/);
  });

  it('keeps a custom default resource', () => {
    expect(new MSGraphProtocol({ defaultResource: 'users/a@b.c' }).defaultResource).toBe('users/a@b.c');
  });
});

describe('getScopesFor / prefixScope', () => {
  const p = new MSGraphProtocol();

  it('expands every python-o365 helper to its prefixed permissions', () => {
    const expected: Record<string, string[]> = {
      basic: ['User.Read'],
      mailbox: ['Mail.Read'],
      mailbox_shared: ['Mail.Read.Shared'],
      message_send: ['Mail.Send'],
      message_all: ['Mail.ReadWrite', 'Mail.Send'],
      message_all_shared: ['Mail.ReadWrite.Shared', 'Mail.Send.Shared'],
      address_book: ['Contacts.Read'],
      address_book_shared: ['Contacts.Read.Shared'],
      address_book_all: ['Contacts.ReadWrite'],
      address_book_all_shared: ['Contacts.ReadWrite.Shared'],
      calendar: ['Calendars.Read'],
      calendar_shared: ['Calendars.Read.Shared'],
      calendar_all: ['Calendars.ReadWrite'],
      calendar_shared_all: ['Calendars.ReadWrite.Shared'],
      users: ['User.ReadBasic.All'],
      onedrive: ['Files.Read.All'],
      onedrive_all: ['Files.ReadWrite.All'],
      sharepoint: ['Sites.Read.All'],
      sharepoint_dl: ['Sites.ReadWrite.All'],
      settings_all: ['MailboxSettings.ReadWrite'],
      tasks: ['Tasks.Read'],
      tasks_all: ['Tasks.ReadWrite'],
      presence: ['Presence.Read'],
    };
    for (const [helper, perms] of Object.entries(expected)) {
      expect(isScopeHelper(helper)).toBe(true);
      expect(p.getScopesFor(helper)).toEqual(perms.map((s) => `${G}${s}`));
    }
  });

  it('never prefixes OpenID Connect scopes and keeps absolute scopes', () => {
    expect(p.getScopesFor(['openid', 'profile', 'offline_access', 'email'])).toEqual([
      'openid',
      'profile',
      'offline_access',
      'email',
    ]);
    expect(p.getScopesFor(['https://graph.microsoft.com/Mail.Read', 'api://my-api/Things.Read', '.default'])).toEqual([
      `${G}Mail.Read`,
      'api://my-api/Things.Read',
      `${G}.default`,
    ]);
    expect(p.prefixScope('HTTPS://GRAPH.MICROSOFT.COM/User.Read')).toBe('HTTPS://GRAPH.MICROSOFT.COM/User.Read');
  });

  it('deduplicates, keeps order, and mixes helpers with raw permissions', () => {
    expect(p.getScopesFor(['message_all', 'Mail.Send', 'basic', 'offline_access', 'User.Read', 'message_send'])).toEqual([
      `${G}Mail.ReadWrite`,
      `${G}Mail.Send`,
      `${G}User.Read`,
      'offline_access',
    ]);
  });

  it('accepts one string, including an OAuth space-separated list', () => {
    expect(p.getScopesFor('User.Read  users')).toEqual([`${G}User.Read`, `${G}User.ReadBasic.All`]);
    expect(p.getScopesFor([])).toEqual([]);
  });

  it('returns every helper scope when given nothing, as python-o365 does', () => {
    const all = p.getScopesFor();
    const expected = new Set(Object.values(SCOPE_HELPERS).flat().map((s) => `${G}${s}`));
    expect(new Set(all)).toEqual(expected);
    expect(all).toHaveLength(expected.size);
  });

  it('does not treat Object.prototype keys as helpers', () => {
    expect(p.getScopesFor('constructor')).toEqual([`${G}constructor`]);
    expect(isScopeHelper('toString')).toBe(false);
  });

  it('rejects non-string scopes', () => {
    expect(() => p.getScopesFor([42 as unknown as string])).toThrow(InvalidArgumentError);
    expect(() => p.getScopesFor({} as unknown as string)).toThrow(InvalidArgumentError);
  });

  it.each([
    ['a number', ['Mail.Read', 'User.Read', 3], 'scopes[2]', /scopes\[2\] must be a string, got a number/],
    ['null', [null], 'scopes[0]', /scopes\[0\] must be a string, got null/],
    ['a Symbol', ['Mail.Read', Symbol('x')], 'scopes[1]', /scopes\[1\] must be a string, got a symbol/],
    ['a sparse array', ['Mail.Read', , 'User.Read'], 'scopes[1]', /scopes\[1\] is missing \(a sparse array\)/],
    ['an array-like object', { length: 1, 0: 'Mail.Read' }, 'scopes', /scopes must be a string or an array of strings, got an object/],
    ['a Set', new Set(['Mail.Read']), 'scopes', /got an object/],
    ['a bare Symbol', Symbol('x'), 'scopes', /got a symbol/],
    ['a control character', ['Mail.Read\u0000'], 'scopes[0]', /control character/],
  ] as Array<[string, unknown, string, RegExp]>)('names the parameter for %s', (_name, value, parameter, message) => {
    let error: unknown;
    try {
      p.getScopesFor(value as string[]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('INVALID_ARGUMENT');
    expect((error as InvalidArgumentError).parameter).toBe(parameter);
    expect((error as Error).message).toMatch(message);
  });

  it('names a revoked Proxy as unreadable instead of leaking its TypeError', () => {
    const { proxy, revoke } = Proxy.revocable<string[]>([], {});
    revoke();
    expect(() => p.getScopesFor(proxy)).toThrow(/scopes could not be read/);
  });
});

describe('Protocol base', () => {
  it('supports another service with its own prefix and no helpers', () => {
    const p = new Protocol({ protocolUrl: 'https://api.contoso.com', apiVersion: '/v2/', scopePrefix: 'api://contoso/' });
    expect(p.graphUrl).toBe('https://api.contoso.com/v2/');
    expect(p.getScopesFor(['Things.Read', 'openid'])).toEqual(['api://contoso/Things.Read', 'openid']);
    expect(p.authorityHost).toBe(CLOUD_ENDPOINTS.global.authorityHost);
    expect(new Protocol({ protocolUrl: 'https://x/', apiVersion: 'v1' }).getScopesFor('A.B')).toEqual(['A.B']);
    expect(() => new Protocol({ protocolUrl: 'https://x/', apiVersion: ' ' })).toThrow(/apiVersion/);
  });
});
