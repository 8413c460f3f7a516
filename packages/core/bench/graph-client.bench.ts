// Microsoft's Graph SDK (@microsoft/microsoft-graph-client 3) as a peer: the same sequential
// app-only Graph GET through the SDK with @azure/identity's ClientSecretCredential, through the SDK
// with an o365-ts Account as its TokenCredential, through core's own Graph session, and through
// raw undici.fetch with a static token (the floor, the baseline of the ratios). Then the SDK's
// auth-provider hot path: what getting the token costs on every request. All subjects run in this
// process against one emulator, rounds interleaved (the first subject rotates each round).
import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { startEmulator } from '@o365/emulator';
import { fetch as undiciFetch, type Agent } from 'undici';
import { Account, MemoryTokenBackend } from '../src/index.js';
import {
  accountOptions,
  APP_SCOPES,
  countRequests,
  fmtInt,
  fmtRatio,
  median,
  sequentialRate,
  table,
  trustingAgent,
  withTimeout,
  type SectionResult,
} from './harness.js';

export interface GraphClientOptions {
  /** Length of one measured round per subject, ms. */
  roundMs: number;
  /** Rounds per subject (interleaved); the median rate is reported. */
  rounds: number;
  /** Rounds of the auth-provider hot path (shorter calls: a shorter round is enough). */
  providerRoundMs: number;
}

interface Subject {
  label: string;
  call: () => Promise<unknown>;
  rates: number[];
  calls: number;
  /** Token endpoint requests during the measured rounds. */
  tokenRequests: number;
  /** Graph requests the emulator received during the measured rounds. */
  graphRequests: number;
  /** Distinct values returned (tokens, or user ids for a GET). */
  seen: Set<string>;
}

function subject(label: string, call: () => Promise<unknown>): Subject {
  return { label, call, rates: [], calls: 0, tokenRequests: 0, graphRequests: 0, seen: new Set() };
}

/** Interleaved rounds: each round runs every subject once, starting one further each round. */
async function measure(emu: Awaited<ReturnType<typeof startEmulator>>, subjects: Subject[], rounds: number, roundMs: number, warmup: number): Promise<void> {
  for (const s of subjects) for (let i = 0; i < warmup; i++) await s.call();
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < subjects.length; k++) {
      const s = subjects[(round + k) % subjects.length]!;
      emu.clearRequests();
      const { calls, ms } = await sequentialRate(async () => s.seen.add(String(await s.call())), roundMs);
      const counts = countRequests(emu.requests());
      s.rates.push((calls / ms) * 1000);
      s.calls += calls;
      s.tokenRequests += counts.token;
      s.graphRequests += counts.other;
    }
  }
}

export async function graphClient(options: GraphClientOptions): Promise<SectionResult> {
  const emu = await startEmulator({ port: 0 });
  const agents: Agent[] = [];
  const agent = () => {
    const a = trustingAgent(emu, 1);
    agents.push(a);
    return a;
  };
  const { tenantId, clientId, clientSecret, username } = emu.defaults;
  const account = new Account([clientId, clientSecret], { ...accountOptions(emu, new MemoryTokenBackend()), authFlowType: 'credentials' });
  try {
    const scopes = [APP_SCOPES[0]!];
    const path = `users/${username}`;
    const url = `${emu.graphUrl}v1.0/${path}`;

    // Each credential's first token, counted on its own: one token request each, whatever follows.
    emu.clearRequests();
    const identity = new ClientSecretCredential(tenantId, clientId, clientSecret, {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.ca },
    });
    const staticToken = (await withTimeout(identity.getToken(scopes), 15_000, '@azure/identity token')).token;
    const identityFirst = countRequests(emu.requests());
    emu.clearRequests();
    await withTimeout(account.authenticate(), 15_000, 'core sign-in');
    await account.getToken(scopes);
    const coreFirst = countRequests(emu.requests());

    const sdkClient = (credential: ConstructorParameters<typeof TokenCredentialAuthenticationProvider>[0]) =>
      Client.initWithMiddleware({
        authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes }),
        baseUrl: emu.graphUrl.replace(/\/$/, ''),
        customHosts: new Set([new URL(emu.graphUrl).hostname]),
        // Node's fetch (which the SDK calls) takes an undici dispatcher: where the emulator's CA is trusted.
        fetchOptions: { dispatcher: agent() } as unknown as RequestInit,
      });
    const sdkIdentity = sdkClient(identity);
    const sdkCore = sdkClient(account);
    const session = account.connection.getSession();
    const rawAgent = agent();
    const nodeAgent = agent();
    const headers = { authorization: `Bearer ${staticToken}`, accept: 'application/json' };
    const idOf = (body: unknown) => (body as { id?: string }).id;

    // Sequential GET of one user, JSON parsed by every subject (the SDK's .get() parses it).
    const gets = [
      subject('raw undici.fetch, static token  (baseline, the floor)', async () => {
        const res = await undiciFetch(url, { headers, dispatcher: rawAgent });
        return idOf(await res.json());
      }),
      subject("Node's global fetch, static token  (the fetch the SDK calls)", async () => {
        const res = await fetch(url, { headers, dispatcher: nodeAgent } as unknown as RequestInit);
        return idOf(await res.json());
      }),
      subject(`core  getSession().fetch('${path.replace(username, '{upn}')}')`, async () => {
        const res = await session.fetch(path);
        return idOf(await res.json());
      }),
      subject('graph-client + TokenCredentialAuthenticationProvider(Account)', async () => idOf(await sdkCore.api(`/${path}`).get())),
      subject('graph-client + TokenCredentialAuthenticationProvider(ClientSecretCredential)', async () =>
        idOf(await sdkIdentity.api(`/${path}`).get()),
      ),
    ];
    await measure(emu, gets, options.rounds, options.roundMs, 200);

    // The auth provider's hot path: the SDK calls getAccessToken() before every request.
    const providerIdentity = new TokenCredentialAuthenticationProvider(identity, { scopes });
    const providerCore = new TokenCredentialAuthenticationProvider(account, { scopes });
    const providers = [
      subject('provider(ClientSecretCredential).getAccessToken()  (baseline)', () => providerIdentity.getAccessToken()),
      subject('provider(Account).getAccessToken()', () => providerCore.getAccessToken()),
      subject('ClientSecretCredential.getToken(.default)', async () => (await identity.getToken(scopes)).token),
      subject('core  account.getToken(.default)', async () => (await account.getToken(scopes)).token),
    ];
    await measure(emu, providers, options.rounds, options.providerRoundMs, 1_000);

    const floor = median(gets[0]!.rates);
    const sdkPeer = median(gets[4]!.rates);
    const getTable = table(
      ['Graph GET', 'requests/s', 'cost vs floor', 'cost vs SDK + identity', 'calls', 'Graph reqs', 'token reqs'],
      gets.map((s) => {
        const rate = median(s.rates);
        return [s.label, fmtInt(rate), fmtRatio(floor / rate), fmtRatio(sdkPeer / rate), fmtInt(s.calls), fmtInt(s.graphRequests), fmtInt(s.tokenRequests)];
      }),
    );
    const providerBase = median(providers[0]!.rates);
    const providerTable = table(
      ['auth provider hot path', 'calls/s', 'vs baseline', 'calls', 'token reqs', 'tokens seen'],
      providers.map((s) => {
        const rate = median(s.rates);
        return [s.label, fmtInt(rate), fmtRatio(rate / providerBase), fmtInt(s.calls), fmtInt(s.tokenRequests), String(s.seen.size)];
      }),
    );
    const allGets = gets.reduce((n, s) => n + s.calls, 0);
    const tokenDuring = [...gets, ...providers].reduce((n, s) => n + s.tokenRequests, 0);
    const only = (s: Subject) => (s.seen.size === 1 ? [...s.seen][0] : undefined);
    const identityToken = only(providers[0]!);
    const coreToken = only(providers[1]!);

    return {
      title:
        `Graph SDK as a peer: app-only GET /v1.0/users/{upn}, sequential, one keep-alive connection each ` +
        `(median of ${options.rounds} rounds x ${options.roundMs} ms, interleaved), then the auth provider's hot path (${options.providerRoundMs} ms rounds)`,
      table: `${getTable}\n\n${providerTable}`,
      notes: [
        'Graph GET: cost = the floor\u2019s (or the SDK + ClientSecretCredential\u2019s) requests/s divided by the subject\u2019s, 1.00x = adds nothing measurable; auth provider: calls/s as a multiple of provider(ClientSecretCredential)\u2019s',
        'the emulator answers in the same process: its time is in every GET row, so the ratios understate what a client adds against a remote Graph only by the emulator\u2019s share',
        `token requests before measuring: @azure/identity ${identityFirst.token} (and ${identityFirst.metadata} metadata), core ${coreFirst.token} (and ${coreFirst.metadata} metadata); every subject reuses that one token afterwards`,
      ],
      checks: [
        {
          claim: 'one token request per credential before measuring',
          ok: identityFirst.token === 1 && coreFirst.token === 1,
          detail: `@azure/identity ${identityFirst.token}, core Account ${coreFirst.token}`,
        },
        {
          claim: 'no token request across the measured Graph GETs and provider calls',
          ok: tokenDuring === 0,
          detail: `${tokenDuring} token requests in ${fmtInt(allGets)} GETs and ${fmtInt(providers.reduce((n, s) => n + s.calls, 0))} provider calls`,
        },
        {
          claim: 'every GET is one Graph request (no retry, no redirect)',
          ok: gets.every((s) => s.graphRequests === s.calls),
          detail: gets.map((s) => `${fmtInt(s.graphRequests)}/${fmtInt(s.calls)}`).join(', '),
        },
        {
          claim: 'every GET returned the same user',
          ok: gets.every((s) => s.seen.size === 1 && !s.seen.has('undefined')),
          detail: gets.map((s) => String(s.seen.size)).join(', ') + ' distinct ids',
        },
        {
          claim: 'each credential returns its one token on every call, through the provider or not',
          ok:
            identityToken !== undefined &&
            coreToken !== undefined &&
            identityToken === staticToken &&
            only(providers[2]!) === identityToken &&
            only(providers[3]!) === coreToken,
          detail: providers.map((s) => `${s.seen.size}`).join(', ') + ' distinct tokens per subject',
        },
      ],
    };
  } finally {
    await account.close();
    await Promise.all(agents.map((a) => a.close()));
    await emu.stop();
  }
}
