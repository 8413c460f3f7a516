/**
 * Keeps a minimum gap between the starts of Graph requests (python-o365's `requests_delay`):
 * each request takes the next free slot, so concurrent requests are spaced too, in the order they
 * asked. One pacer is shared by every session of a connection.
 *
 * @example
 * ```ts
 * const pacer = new RequestPacer(200);
 * await pacer.wait(); // resolves at once, then 200 ms after the previous start
 * ```
 */
export class RequestPacer {
  #next = 0;

  constructor(
    readonly delayMs: number,
    readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    readonly now: () => number = Date.now,
  ) {
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new TypeError(`requestsDelay must be a number of milliseconds >= 0, got ${String(delayMs)}`);
  }

  /** Waits for this request's slot. */
  async wait(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.#next);
    this.#next = slot + this.delayMs;
    if (slot > now) await this.sleep(slot - now);
  }
}

/**
 * Headers sent with every Graph request (python-o365's default headers): a request's own header
 * wins, except `Prefer`, whose values are joined (`odata.maxpagesize=50, outlook.timezone="UTC"`).
 *
 * @example
 * ```ts
 * mergeDefaultHeaders(headers, { Prefer: 'outlook.timezone="UTC"' });
 * ```
 */
export function mergeDefaultHeaders(headers: { get(name: string): string | null; set(name: string, value: string): void; has(name: string): boolean }, defaults: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(defaults)) {
    if (name.toLowerCase() === 'prefer' && headers.has('prefer')) {
      const own = headers.get('prefer')!.split(',').map((v) => v.trim()).filter(Boolean);
      const ownNames = new Set(own.map((v) => v.split('=')[0]!.toLowerCase()));
      const added = value.split(',').map((v) => v.trim()).filter((v) => v !== '' && !ownNames.has(v.split('=')[0]!.toLowerCase()));
      headers.set('prefer', [...own, ...added].join(', '));
    } else if (!headers.has(name)) {
      headers.set(name, value);
    }
  }
}

/** Checks `defaultHeaders` once: strings only, and never the credential the session sets itself. */
export function checkDefaultHeaders(value: unknown): Readonly<Record<string, string>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('defaultHeaders must be an object of header names to strings');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new TypeError(`defaultHeaders['${name}'] must be a string`);
    if (name.toLowerCase() === 'authorization') throw new TypeError('defaultHeaders cannot set Authorization: the session sends the access token itself');
    out[name] = v;
  }
  return Object.freeze(out);
}
