import { randomBytes } from 'node:crypto';

/** How the user authenticated: `amr` claim values. */
export type Amr = Array<'pwd' | 'mfa'>;

/** A signed-in browser session (the `ESTSAUTH` cookie). */
export interface Session {
  id: string;
  tenantId: string;
  userId: string;
  authTime: number;
  amr: Amr;
  seq: number;
}

/** An issued authorization code. */
export interface AuthorizationCode {
  tenantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
  nonce: string | undefined;
  issuedAt: number;
  authTime: number;
  amr: Amr;
  redeemed: boolean;
  seq: number;
}

/** A refresh token's server-side record. */
export interface RefreshGrant {
  tenantId: string;
  clientId: string;
  userId: string;
  /** The scopes of the original request: a refresh without `scope` reuses them. */
  scope: string;
  issuedAt: number;
  authTime: number;
  amr: Amr;
  /** Monotonic issue number, compared with revocation marks. */
  seq: number;
}

/** A device authorization. */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  tenantId: string;
  clientId: string;
  scope: string;
  issuedAt: number;
  expiresAt: number;
  interval: number;
  lastPollAt: number | undefined;
  state: 'pending' | 'approved' | 'declined' | 'redeemed';
  userId?: string;
  amr?: Amr;
  authTime?: number;
}

/** The authorize request a sign-in page belongs to. */
export interface AuthorizeRequest {
  tenantId: string;
  tenantSegment: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
  responseMode: 'query' | 'fragment' | 'form_post';
}

/** A sign-in in progress (the hidden `ctx` field of the pages). */
export interface SignInTransaction {
  id: string;
  createdAt: number;
  authorize?: AuthorizeRequest;
  deviceCode?: string;
  /** Set once the password was right and a second factor is awaited. */
  pendingUserId?: string;
}

/** Random URL-safe text. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A 9-character user code like Entra's (`F7K2MQX4P`). */
export function randomUserCode(): string {
  const bytes = randomBytes(9);
  let out = '';
  for (const b of bytes) out += USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length];
  return out;
}

/** A Map that forgets its oldest entries past `limit`, so long benchmarks stay bounded. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.limit) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return this;
  }
}

/** Everything issued and remembered by one emulator. */
export class GrantStore {
  readonly sessions = new BoundedMap<string, Session>(10_000);
  readonly codes = new BoundedMap<string, AuthorizationCode>(50_000);
  readonly refreshTokens = new BoundedMap<string, RefreshGrant>(100_000);
  readonly deviceCodes = new BoundedMap<string, DeviceAuthorization>(10_000);
  readonly userCodes = new BoundedMap<string, string>(10_000);
  readonly transactions = new BoundedMap<string, SignInTransaction>(10_000);
  /** Per user id (lower-case): grants with `seq` at or below this are revoked. */
  readonly revokedUpTo = new Map<string, { seq: number; at: number }>();
  private seq = 0;

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  isRevoked(userId: string, seq: number): { at: number } | undefined {
    const mark = this.revokedUpTo.get(userId.toLowerCase());
    return mark && seq <= mark.seq ? { at: mark.at } : undefined;
  }

  /**
   * Per user id (lower-case): the last Continuous Access Evaluation critical event. CAE-capable
   * access tokens issued before it are answered by Graph with a claims challenge.
   */
  readonly caeEvents = new Map<string, number>();

  /** When the user's last CAE critical event happened (a revocation is one), if any. */
  caeEventAt(userId: string): number | undefined {
    return this.caeEvents.get(userId.toLowerCase());
  }

  /** Records a CAE critical event that leaves refresh tokens valid (e.g. a network location change). */
  raiseCaeEvent(userId: string, now: number): void {
    this.caeEvents.set(userId.toLowerCase(), now);
  }

  revoke(userId: string, now: number): void {
    this.revokedUpTo.set(userId.toLowerCase(), { seq: this.nextSeq(), at: now });
    // Revoking a user's sessions is a CAE critical event (Microsoft: "Continuous access evaluation").
    this.raiseCaeEvent(userId, now);
    for (const [id, s] of this.sessions) if (s.userId.toLowerCase() === userId.toLowerCase()) this.sessions.delete(id);
  }
}
