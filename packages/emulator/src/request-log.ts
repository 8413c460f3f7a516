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

/**
 * Log fields come from client input (a 1 MB client_id is a valid body): clip them so that the log
 * is bounded in bytes, not only in entries. The copy goes through a Buffer so that the kept text
 * is a fresh string, not a slice that keeps the whole input alive.
 */
export function logText(text: string, max = 256): string {
  if (text.length <= max) return text;
  return `${Buffer.from(text.slice(0, max), 'utf8').toString('utf8')}…`;
}
