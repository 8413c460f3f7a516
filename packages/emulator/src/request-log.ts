/**
 * What the emulator received. Paths only (never query strings or bodies), so no secret is kept.
 *
 * @example
 * ```ts
 * const tokenCalls = emu.requests().filter((r) => r.grantType === 'refresh_token');
 * ```
 */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Status answered; 0 while the answer is pending or when a fault dropped the connection. */
  status: number;
  /** `grant_type` of a token request. */
  grantType?: string;
  /** The client id a token request or a Graph token was for. */
  clientId?: string;
  /** Emulator time (ms since the epoch) when the request arrived. */
  time: number;
  /** The kind of fault injected, when one was. */
  fault?: string;
}

/** A bounded log: the oldest entries are dropped past `limit`. */
export class RequestLog {
  private entries: RecordedRequest[] = [];
  constructor(private readonly limit = 10_000) {}

  add(entry: RecordedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(): RecordedRequest[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}
