/**
 * `getToken` scopes resolved once per text: the Graph SDK and the Azure SDKs ask for the same
 * scopes before every request, and resolving them (helpers, prefix, a frozen array whose memory
 * key is kept) is most of a call's cost otherwise.
 */
export class CredentialScopes {
  readonly #resolve: (scopes: string[]) => string[];
  readonly #known = new Map<string, readonly string[] | undefined>();

  constructor(resolve: (scopes: string[]) => string[]) {
    this.#resolve = resolve;
  }

  /** The resolved scopes (frozen), or `undefined` for none (the connection's default scopes). */
  resolve(scopes: string | string[]): readonly string[] | undefined {
    const text =
      typeof scopes === 'string'
        ? scopes
        : Array.isArray(scopes) && scopes.every((x) => typeof x === 'string')
          ? scopes.join('\n')
          : undefined;
    if (text !== undefined) {
      const known = this.#known.get(text);
      if (known !== undefined || this.#known.has(text)) return known;
    }
    const list = (Array.isArray(scopes) ? scopes : [scopes]).filter((x) => typeof x === 'string' && x.trim() !== '');
    const resolved = list.length === 0 ? undefined : Object.freeze(this.#resolve(list));
    if (text !== undefined) {
      // Bounded: a caller building scope strings per request must not grow it without end.
      if (this.#known.size >= 256) this.#known.clear();
      this.#known.set(text, resolved);
    }
    return resolved;
  }
}
