import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultSeed, startEmulator } from '@o365/emulator';
import { GraphError } from '../../src/errors.js';
import { createHttpClient, type HttpClient } from '../../src/http/http-client.js';
import { InvalidMainResourceError } from '../../src/errors.js';
import { MSGraphProtocol } from '../../src/protocol.js';
import { Directory } from '../../src/graph/directory.js';
import { graphGet } from '../../src/graph/graph-request.js';
import { createGraphSession, type GraphSession } from '../../src/graph/graph-session.js';
import { appToken, userToken } from '../support/emulator-tokens.js';
import type { User } from '../../src/graph/user.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

// A second confidential app registered without any Graph application permission.
const UNPRIVILEGED = { clientId: '0b5e7c1a-9d2f-4e3a-8b6c-7d8e9f0a1b2c', clientSecret: 'unprivileged~secret-value-0123456789' };

async function collect(it: AsyncIterable<User>): Promise<User[]> {
  const out: User[] = [];
  for await (const u of it) out.push(u);
  return out;
}

describe('Directory against the emulator', () => {
  let emu: Emulator;
  let http: HttpClient;
  let protocol: MSGraphProtocol;
  let app: GraphSession;
  let delegated: GraphSession;
  let appTokenValue = '';
  let userTokenValue = '';

  const usersCalls = (): number => emu.requests().filter((r) => r.method === 'GET' && r.path === '/v1.0/users').length;

  beforeAll(async () => {
    const seed = defaultSeed();
    seed.tenants[0]?.apps.push({
      clientId: UNPRIVILEGED.clientId,
      displayName: 'app without permissions',
      secrets: [UNPRIVILEGED.clientSecret],
    });
    emu = await startEmulator({ seed });
    http = createHttpClient({ tls: { ca: emu.ca }, timeoutMs: 10_000 });
    protocol = new MSGraphProtocol({ graphUrl: emu.graphUrl });
    appTokenValue = await appToken(http, emu);
    userTokenValue = await userToken(http, emu, protocol.getScopesFor(['basic', 'users']));
    app = createGraphSession({ http, graphUrl: protocol.graphUrl, getAccessToken: () => appTokenValue });
    delegated = createGraphSession({ http, graphUrl: protocol.graphUrl, getAccessToken: () => userTokenValue });
  });

  afterAll(async () => {
    await http?.close();
    await emu?.stop();
  });

  it('pages through every seeded user in small batches', async () => {
    const dir = new Directory({ session: app, protocol, appOnly: true });
    const before = usersCalls();
    const users = await collect(dir.getUsers({ limit: Infinity, batch: 7 }));
    expect(users.length).toBeGreaterThanOrEqual(25);
    expect(new Set(users.map((u) => u.objectId)).size).toBe(users.length);
    expect(users.every((u) => typeof u.userPrincipalName === 'string' && u.userPrincipalName.includes('@'))).toBe(true);
    expect(usersCalls() - before).toBe(Math.ceil(users.length / 7));
  });

  it('respects limit without fetching pages it does not need', async () => {
    const dir = new Directory({ session: delegated, protocol });
    const before = usersCalls();
    const users = await collect(dir.getUsers({ limit: 10, batch: 4 }));
    expect(users).toHaveLength(10);
    expect(usersCalls() - before).toBe(3);

    const all = usersCalls();
    const byDefault = await collect(dir.getUsers());
    expect(byDefault.length).toBeGreaterThanOrEqual(25);
    expect(usersCalls() - all).toBe(1); // $top = 100 covers them in one page
  });

  it('filters, orders and selects', async () => {
    const dir = new Directory({ session: app, protocol, appOnly: true });
    const a = await collect(
      dir.getUsers({ filter: "startswith(displayName,'A')", orderBy: 'displayName desc', select: ['id', 'displayName'] }),
    );
    expect(a.map((u) => u.displayName)).toEqual(['Allan Deyoung', 'Alex Wilber', 'Adele Vance']);
    expect(a.every((u) => u.objectId !== undefined && u.jobTitle === undefined && u.mail === undefined)).toBe(true);

    // $count=true is refused without the ConsistencyLevel header, so this proves the header is sent on every page.
    const advanced = await collect(dir.getUsers({ filter: "startswith(givenName,'A')", advancedQuery: true, batch: 1 }));
    expect(advanced.map((u) => u.givenName).sort()).toEqual(['Adele', 'Alex', 'Allan']);

    const ordered = await collect(dir.getUsers({ orderBy: 'displayName', limit: Infinity, batch: 10 }));
    const names = ordered.map((u) => u.displayName ?? '');
    expect(names).toEqual([...names].sort((x, y) => x.localeCompare(y)));
  });

  it('gets one user by id and by UPN', async () => {
    const dir = new Directory({ session: app, protocol, appOnly: true });
    const byUpn = await dir.getUser(emu.defaults.username);
    expect(byUpn.displayName).toBe('Adele Vance');
    expect(byUpn.jobTitle).toBe('Retail Manager');
    expect(String(byUpn)).toBe('Adele Vance');
    const byId = await dir.getUser(byUpn.objectId ?? '');
    expect(byId.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    const selected = await dir.getUser(emu.defaults.username, { select: ['displayName', 'department'] });
    expect(selected.department).toBe('Retail');
    expect(selected.jobTitle).toBeUndefined();
  });

  it('turns a missing user into a 404 GraphError with code and request id', async () => {
    const dir = new Directory({ session: app, protocol, appOnly: true });
    const err = (await dir.getUser('nobody@contoso.onmicrosoft.com').catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.status).toBe(404);
    expect(err.graphCode).toBe('Request_ResourceNotFound');
    expect(typeof err.requestId).toBe('string');
    expect(err.requestId?.length).toBeGreaterThan(0);
    expect(err.path).toBe('/v1.0/users/nobody@contoso.onmicrosoft.com');
    expect(err.message).not.toContain(appTokenValue);
  });

  it('gets the signed-in user with a delegated token', async () => {
    const me = await new Directory({ session: delegated, protocol }).getCurrentUser();
    expect(me.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    expect(me.fullName).toBe('Adele Vance');
  });

  it('gets the main-resource user with an app-only token, and refuses "me" without calling Graph', async () => {
    const target = 'AlexW@contoso.onmicrosoft.com';
    const alex = await new Directory({ session: app, protocol, appOnly: true, mainResource: target }).getCurrentUser();
    expect(alex.displayName).toBe('Alex Wilber');
    const viaShorthand = await new Directory({ session: app, protocol, appOnly: true, mainResource: `user:${alex.objectId}` }).getCurrentUser();
    expect(viaShorthand.objectId).toBe(alex.objectId);

    const before = emu.requests().length;
    await expect(new Directory({ session: app, protocol, appOnly: true }).getCurrentUser()).rejects.toBeInstanceOf(
      InvalidMainResourceError,
    );
    await expect(
      new Directory({ session: app, protocol, mainResource: 'group:abc' }).getCurrentUser(),
    ).rejects.toThrow(/not "me" or a user/);
    expect(emu.requests().length).toBe(before);
  });

  it('maps 401 for a bad token', async () => {
    const bad = createGraphSession({ http, graphUrl: protocol.graphUrl, getAccessToken: () => 'not-a-real-token' });
    const err = (await new Directory({ session: bad, protocol }).getCurrentUser().catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.status).toBe(401);
    expect(err.graphCode).toBe('InvalidAuthenticationToken');
    expect(err.message).not.toContain('not-a-real-token');
  });

  it('maps 403 when the token lacks the permission', async () => {
    const narrow = await appToken(http, emu, UNPRIVILEGED);
    const session = createGraphSession({ http, graphUrl: protocol.graphUrl, getAccessToken: () => narrow });
    const err = (await collect(new Directory({ session, protocol, appOnly: true }).getUsers()).catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.status).toBe(403);
    expect(err.graphCode).toBe('Authorization_RequestDenied');
    expect(typeof err.requestId).toBe('string');
  });

  it('reports a malformed Graph body as a GraphError, not a crash', async () => {
    emu.faults.add({ path: '/v1.0/me', kind: 'malformed' });
    const err = (await graphGet(delegated, 'me').catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it('retries a throttled page and carries on', async () => {
    const dir = new Directory({ session: app, protocol, appOnly: true });
    emu.faults.add({ path: '/v1.0/users', kind: 'status', status: 429, retryAfter: 0, count: 1 });
    const users = await collect(dir.getUsers({ limit: 5, batch: 5 }));
    expect(users).toHaveLength(5);
    const last = emu.requests().filter((r) => r.path === '/v1.0/users').slice(-2);
    expect(last.map((r) => r.status)).toEqual([429, 200]);
  });
});
