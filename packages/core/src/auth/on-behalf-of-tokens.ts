import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import type { FoundAccessToken } from './cache-format.js';

const MAX_REMEMBERED = 10_000;

/** Gets a token from the identity platform (or msal-node's cache when `force` is false). */
export type OnBehalfOfAcquire = (assertion: string, scopes: string[], force: boolean) => Promise<FoundAccessToken>;

/**
 * The on-behalf-of tokens of one web API, in memory by the hash of the caller's token and the
 * scopes (the caller's token itself is never a key): a valid one is served with no I/O,
 * concurrent requests for the same caller share one token request, a refused one is replaced.
 * At most 10,000 are remembered (the oldest dropped); msal-node's cache, saved through the
 * backend, keeps them too.
 */
export class OnBehalfOfTokens {
  readonly #memory = new Map<string, FoundAccessToken>();
  readonly #inflight = new Map<string, Promise<FoundAccessToken>>();

  constructor(
    readonly acquire: OnBehalfOfAcquire,
    readonly now: () => number,
  ) {}

  async token(assertion: unknown, scopes: string[], refused?: string): Promise<FoundAccessToken> {
    if (typeof assertion !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(assertion.trim())) {
      throw new InvalidArgumentError("userAssertion must be the caller's access token (a JWT, without 'Bearer ')", { parameter: 'userAssertion' });
    }
    const jwt = assertion.trim();
    const key = `${createHash('sha256').update(jwt).digest('base64url')}|${[...scopes].sort().join(' ')}`;
    const known = this.#memory.get(key);
    if (known && (refused === undefined ? known.refreshAt > this.now() : known.token !== refused && known.expiresOn > this.now())) return known;
    const force = refused !== undefined || known !== undefined;
    let flight = this.#inflight.get(key);
    if (flight === undefined) {
      flight = this.acquire(jwt, scopes, force)
        .then((token) => {
          this.#remember(key, token);
          return token;
        })
        .finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, flight);
    }
    return flight;
  }

  #remember(key: string, token: FoundAccessToken): void {
    this.#memory.delete(key);
    this.#memory.set(key, token);
    if (this.#memory.size > MAX_REMEMBERED) this.#memory.delete(this.#memory.keys().next().value as string);
  }
}
