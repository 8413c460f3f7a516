import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { TokenBackendError } from '../errors.js';
import type { LockOptions, ReleaseLock, SaveOptions, StoredToken, TokenBackend } from './token-backend.js';

const BACKEND = 'EncryptedTokenBackend';
/**
 * Prefix of every stored value; the version after `o365enc:` selects the format and its parameters.
 *
 * @example
 * ```ts
 * const encrypted = (await fileBackend.load())?.data.startsWith(ENCRYPTED_TOKEN_PREFIX);
 * ```
 */
export const ENCRYPTED_TOKEN_PREFIX = 'o365enc:v1:';
const AAD = Buffer.from('o365enc:v1', 'utf8');
const KEY_BYTES = 32;
const IV_BYTES = 12;
const SALT_BYTES = 16;
// v1's passphrase derivation: scrypt N=2^15, r=8, p=1 (32 MiB, ~0.1 s), a random 16-byte salt stored in the envelope.
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const MAX_CACHED_KEYS = 64;

/**
 * Derived keys, shared by every instance in the process: scrypt is slow on purpose, and several
 * backends over the same store (or a re-created Account) would otherwise derive the same key again.
 * Indexed by salt and an HMAC of the passphrase: this memory already holds the passphrase and keys.
 */
const derivedKeys = new Map<string, Promise<Buffer>>();
/** The salt new writes use per passphrase when nothing was read yet, so a process derives one key, not one per instance. */
const writeSalts = new Map<string, Buffer>();
const processKey = randomBytes(32);

function passphraseId(passphrase: string): string {
  return createHmac('sha256', processKey).update(passphrase, 'utf8').digest('base64url');
}

/**
 * Options of {@link EncryptedTokenBackend}.
 *
 * @example
 * ```ts
 * new EncryptedTokenBackend({ backend: new FileSystemTokenBackend(), key: crypto.randomBytes(32) });
 * ```
 */
export interface EncryptedTokenBackendOptions {
  /** Where the encrypted cache is stored: any backend. */
  backend: TokenBackend;
  /**
   * A 32-byte key (`Buffer`/`Uint8Array`, e.g. from a KMS or `crypto.randomBytes(32)`), or a
   * passphrase (`string`) run through scrypt with a random salt stored next to the data.
   */
  key: Uint8Array | string;
}

interface Envelope {
  iv: string;
  salt?: string;
  tag: string;
  data: string;
}

function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, KEY_BYTES, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    if (typeof v.iv !== 'string' || typeof v.tag !== 'string' || typeof v.data !== 'string') return undefined;
    if (v.salt !== undefined && typeof v.salt !== 'string') return undefined;
    return { iv: v.iv, tag: v.tag, data: v.data, ...(typeof v.salt === 'string' ? { salt: v.salt } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Encrypts the token cache at rest (AES-256-GCM, a random 12-byte IV per write) before handing it
 * to another backend, so the same encryption serves files, S3, databases... The stored value is
 * `o365enc:v1:` followed by base64url JSON `{ iv, salt?, tag, data }`. A wrong key or modified data
 * fails with `TokenBackendError` (GCM authenticates the data): garbage is never returned. Versions,
 * `expectedVersion` and `lock()` are those of the wrapped backend.
 *
 * @example
 * ```ts
 * import { Account, EncryptedTokenBackend, FileSystemTokenBackend } from '@o365/core';
 * const tokenBackend = new EncryptedTokenBackend({
 *   backend: new FileSystemTokenBackend({ tokenPath: '/var/lib/myapp' }),
 *   key: process.env.O365_TOKEN_KEY!, // a passphrase, or a 32-byte Buffer
 * });
 * const account = new Account(['client-id'], { tokenBackend });
 * ```
 */
export class EncryptedTokenBackend implements TokenBackend {
  /** The wrapped backend's lock, when it has one. */
  readonly lock?: (options?: LockOptions) => Promise<ReleaseLock>;
  readonly #inner: TokenBackend;
  readonly #rawKey: Buffer | undefined;
  readonly #passphrase: string | undefined;
  /** The salt new writes use: the one last read (so readers and writers share a derived key), else a fresh one. */
  #writeSalt: Buffer | undefined;

  constructor(options: EncryptedTokenBackendOptions) {
    const { backend, key } = options;
    if (!backend || typeof backend.load !== 'function' || typeof backend.save !== 'function') {
      throw new TokenBackendError(`${BACKEND}: options.backend must be a TokenBackend`, { backend: BACKEND });
    }
    this.#inner = backend;
    if (typeof key === 'string') {
      if (key.length === 0) throw new TokenBackendError(`${BACKEND}: the passphrase is empty`, { backend: BACKEND });
      this.#passphrase = key;
    } else if (key instanceof Uint8Array) {
      if (key.byteLength !== KEY_BYTES) {
        throw new TokenBackendError(`${BACKEND}: the key must be ${KEY_BYTES} bytes, got ${key.byteLength}`, { backend: BACKEND });
      }
      this.#rawKey = Buffer.from(key);
    } else {
      throw new TokenBackendError(`${BACKEND}: key must be a 32-byte Buffer or a passphrase string`, { backend: BACKEND });
    }
    const innerLock = backend.lock;
    if (typeof innerLock === 'function') this.lock = (lockOptions) => innerLock.call(backend, lockOptions);
  }

  /** Where the wrapped backend keeps the cache, when it says (e.g. a file path). */
  get location(): string | undefined {
    const location = (this.#inner as { location?: unknown }).location;
    return typeof location === 'string' ? location : undefined;
  }

  async load(): Promise<StoredToken | undefined> {
    const stored = await this.#inner.load();
    if (stored === undefined) return undefined;
    const data = await this.#decrypt(stored.data);
    return stored.version === undefined ? { data } : { data, version: stored.version };
  }

  async save(data: string, options?: SaveOptions): Promise<{ version?: string }> {
    if (typeof data !== 'string') throw new TokenBackendError(`${BACKEND}: data must be a string`, { backend: BACKEND });
    return this.#inner.save(await this.#encrypt(data), options);
  }

  delete(): Promise<void> {
    return this.#inner.delete();
  }

  async #encrypt(plaintext: string): Promise<string> {
    const iv = randomBytes(IV_BYTES);
    let key: Buffer;
    let salt: Buffer | undefined;
    if (this.#rawKey) {
      key = this.#rawKey;
    } else {
      salt = this.#writeSalt ??= this.#processWriteSalt();
      key = await this.#keyFor(salt);
    }
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(AAD);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      iv: iv.toString('base64url'),
      ...(salt ? { salt: salt.toString('base64url') } : {}),
      tag: cipher.getAuthTag().toString('base64url'),
      data: data.toString('base64url'),
    };
    return ENCRYPTED_TOKEN_PREFIX + Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64url');
  }

  async #decrypt(stored: string): Promise<string> {
    if (!stored.startsWith(ENCRYPTED_TOKEN_PREFIX)) {
      throw new TokenBackendError(
        `${BACKEND}: the stored token cache is not encrypted (no ${ENCRYPTED_TOKEN_PREFIX} prefix); it was left in place: remove it and sign in again, or read it without EncryptedTokenBackend`,
        this.#errorOptions(),
      );
    }
    const envelope = parseEnvelope(stored.slice(ENCRYPTED_TOKEN_PREFIX.length));
    if (!envelope) throw this.#cannotDecrypt(new Error('malformed envelope'));
    let key: Buffer;
    if (envelope.salt !== undefined) {
      if (this.#passphrase === undefined) throw this.#cannotDecrypt(new Error('the data was encrypted with a passphrase, a raw key was given'));
      const salt = Buffer.from(envelope.salt, 'base64url');
      if (salt.length !== SALT_BYTES) throw this.#cannotDecrypt(new Error('bad salt length'));
      key = await this.#keyFor(salt);
      this.#writeSalt = salt;
    } else {
      if (!this.#rawKey) throw this.#cannotDecrypt(new Error('the data was encrypted with a raw key, a passphrase was given'));
      key = this.#rawKey;
    }
    try {
      const iv = Buffer.from(envelope.iv, 'base64url');
      const tag = Buffer.from(envelope.tag, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== 16) throw new Error('bad iv or tag length');
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(AAD);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64url')), decipher.final()]);
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch (cause) {
      throw this.#cannotDecrypt(cause);
    }
  }

  #processWriteSalt(): Buffer {
    const id = passphraseId(this.#passphrase ?? '');
    let salt = writeSalts.get(id);
    if (!salt) {
      salt = randomBytes(SALT_BYTES);
      if (writeSalts.size >= MAX_CACHED_KEYS) writeSalts.clear();
      writeSalts.set(id, salt);
    }
    return salt;
  }

  #keyFor(salt: Buffer): Promise<Buffer> {
    const passphrase = this.#passphrase ?? '';
    const id = `${salt.toString('base64url')}:${createHmac('sha256', salt).update(passphrase, 'utf8').digest('base64url')}`;
    let key = derivedKeys.get(id);
    if (key) {
      // Most recently used last, so the oldest entry is evicted first.
      derivedKeys.delete(id);
    } else {
      key = deriveKey(passphrase, salt);
      key.catch(() => derivedKeys.delete(id));
    }
    derivedKeys.set(id, key);
    if (derivedKeys.size > MAX_CACHED_KEYS) {
      const oldest = derivedKeys.keys().next().value;
      if (oldest !== undefined) derivedKeys.delete(oldest);
    }
    return key;
  }

  #cannotDecrypt(cause: unknown): TokenBackendError {
    return new TokenBackendError(
      `${BACKEND}: cannot decrypt the stored token cache${this.location ? ` in ${this.location}` : ''}: wrong key or tampered data; it was left in place`,
      this.#errorOptions(cause),
    );
  }

  #errorOptions(cause?: unknown): { backend: string; location?: string; cause?: unknown } {
    const location = this.location;
    return { backend: BACKEND, ...(location !== undefined ? { location } : {}), ...(cause !== undefined ? { cause } : {}) };
  }
}
