import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import {
  assertSaveData,
  TokenBackendError,
  TokenCacheConflictError,
  noopLogger,
  type Logger,
  type SaveOptions,
  type StoredToken,
  type TokenBackend,
} from '@o365/core/backend';
import { adviceFor, awsErrorName as errorName, describeAwsError as describeError, redactAwsError } from './aws-errors.js';

/**
 * Options of {@link AWSSecretsBackend}.
 *
 * @example
 * ```ts
 * const options: AWSSecretsBackendOptions = {
 *   secretName: 'o365/my-app/token-cache',
 *   clientConfig: { region: 'eu-west-1', maxAttempts: 5 },
 *   kmsKeyId: 'alias/o365-tokens',
 *   forceDelete: true, // sign-out erases the tokens at once
 * };
 * ```
 */
export interface AWSSecretsBackendOptions {
  /** Name (or full ARN) of the secret holding the token cache. Created on the first save. */
  secretName: string;
  /** AWS region, when the backend builds its own client (otherwise the SDK's default chain decides). */
  region?: string;
  /** A client to use as is (region, credentials, endpoint, retries are then its own). Not destroyed by {@link AWSSecretsBackend.destroy}. */
  client?: SecretsManagerClient;
  /** Configuration of the client the backend builds when `client` is not given. */
  clientConfig?: SecretsManagerClientConfig;
  /** KMS key (id, ARN or alias) that encrypts the secret; used when the backend creates it. Default: `aws/secretsmanager`. */
  kmsKeyId?: string;
  /** Description given to the secret when the backend creates it. */
  description?: string;
  /**
   * Recovery window of {@link AWSSecretsBackend.delete}, in days: 7 to 30 (default 30), or 0 to delete
   * at once without recovery (same as `forceDelete: true`).
   */
  deleteRecoveryDays?: number;
  /** Delete without a recovery window (`ForceDeleteWithoutRecovery`). */
  forceDelete?: boolean;
  /** Where to report what the backend does (never secret values). Default: nothing is logged. */
  logger?: Logger;
}

/**
 * Staging label of a version written by a conditional save before it becomes `AWSCURRENT`. One fixed
 * label (moved by each writer) keeps the secret well under Secrets Manager's label quota.
 *
 * @example
 * ```ts
 * // Versions left by conditional saves that lost a race carry this label (see DescribeSecret).
 * const pending = Object.entries(out.VersionIdsToStages ?? {}).filter(([, s]) => s.includes(PENDING_STAGE));
 * ```
 */
export const PENDING_STAGE = 'O365_PENDING';

/**
 * Secrets Manager's documented maximum size of a `SecretString`, in UTF-8 bytes; larger caches are
 * refused before any request.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(cache, 'utf8') > MAX_SECRET_BYTES) console.warn('use one secret per user');
 * ```
 */
export const MAX_SECRET_BYTES = 65536;

const CURRENT = 'AWSCURRENT';
const BACKEND = 'AWSSecretsBackend';
const NAME_RE = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

type Operation =
  | 'GetSecretValue'
  | 'CreateSecret'
  | 'PutSecretValue'
  | 'DescribeSecret'
  | 'UpdateSecretVersionStage'
  | 'DeleteSecret'
  | 'RestoreSecret';

/** What DescribeSecret says about the secret, reduced to what the backend needs. */
interface SecretState {
  exists: boolean;
  scheduledForDeletion: boolean;
  current?: string;
}

/**
 * A {@link TokenBackend} that keeps the token cache in one AWS Secrets Manager secret (the store
 * python-o365's `AWSSecretsBackend` uses). The secret is created on the first save; later saves add
 * a version (`PutSecretValue` with a fresh `ClientRequestToken`), and the version is the
 * `VersionId`.
 *
 * Conditional saves (`expectedVersion`) are checked against the `AWSCURRENT` version and committed
 * with `UpdateSecretVersionStage(AWSCURRENT, MoveToVersionId, RemoveFromVersionId = expected)`, which
 * Secrets Manager refuses when `AWSCURRENT` has moved: two writers that loaded the same version
 * cannot both win (see the README for the exact guarantee). There is no `lock()`: Secrets Manager
 * has no lock primitive.
 *
 * @example
 * ```ts
 * import { Account } from '@o365/core';
 * import { AWSSecretsBackend } from '@o365/backend-secrets-manager';
 *
 * const tokenBackend = new AWSSecretsBackend({ secretName: 'o365/my-app/token-cache', region: 'eu-west-1' });
 * const account = new Account(['client-id', 'client-secret'], { tokenBackend });
 * ```
 */
export class AWSSecretsBackend implements TokenBackend {
  /** The secret name (or ARN) this backend reads and writes. */
  readonly secretName: string;
  readonly #client: SecretsManagerClient;
  readonly #ownsClient: boolean;
  readonly #kmsKeyId?: string;
  readonly #description?: string;
  readonly #recoveryDays: number | undefined;
  readonly #logger: Logger;
  /** What the last call learnt: lets the first save go straight to CreateSecret. */
  #exists: boolean | undefined;

  constructor(options: AWSSecretsBackendOptions) {
    const { secretName } = options;
    if (typeof secretName !== 'string' || !(NAME_RE.test(secretName) || ARN_RE.test(secretName))) {
      throw new TokenBackendError(
        'AWSSecretsBackend: secretName must be 1-512 characters of letters, digits and /_+=.@- (or a secret ARN).',
        { backend: BACKEND, location: typeof secretName === 'string' ? secretName : undefined },
      );
    }
    const days = options.forceDelete ? 0 : (options.deleteRecoveryDays ?? 30);
    if (!Number.isInteger(days) || (days !== 0 && (days < 7 || days > 30))) {
      throw new TokenBackendError(
        `AWSSecretsBackend: deleteRecoveryDays must be 0 (delete without recovery) or an integer from 7 to 30, got ${String(options.deleteRecoveryDays)}.`,
        { backend: BACKEND, location: secretName },
      );
    }
    this.secretName = secretName;
    this.#recoveryDays = days === 0 ? undefined : days;
    this.#kmsKeyId = options.kmsKeyId;
    this.#description = options.description;
    this.#logger = options.logger ?? noopLogger;
    if (options.client) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      const config: SecretsManagerClientConfig = { ...options.clientConfig };
      if (options.region !== undefined) config.region = options.region;
      this.#client = new SecretsManagerClient(config);
      this.#ownsClient = true;
    }
  }

  /** The stored cache (`AWSCURRENT` version) and its `VersionId`; `undefined` when there is no secret, no value, or the secret is scheduled for deletion. */
  async load(): Promise<StoredToken | undefined> {
    let out;
    try {
      out = await this.#client.send(new GetSecretValueCommand({ SecretId: this.secretName }));
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') {
        // Either no secret, or a secret without an AWSCURRENT value: nothing stored in both cases.
        // The next save tries CreateSecret first and falls back to PutSecretValue if the secret exists.
        this.#exists = false;
        return undefined;
      }
      if (errorName(err) === 'InvalidRequestException') {
        // A secret scheduled for deletion was deleted by us (or an operator): nothing is stored.
        const state = await this.#describe('GetSecretValue', err);
        if (state.scheduledForDeletion) {
          this.#exists = true;
          return undefined;
        }
      }
      throw this.#wrap('GetSecretValue', err);
    }
    this.#exists = true;
    if (typeof out.SecretString !== 'string') {
      throw new TokenBackendError(
        `AWSSecretsBackend: secret "${this.secretName}" holds a binary value, not a token cache; refusing to use it.`,
        { backend: BACKEND, location: this.secretName },
      );
    }
    return { data: out.SecretString, version: out.VersionId };
  }

  /**
   * Store `data` as a new version. Without `expectedVersion` the new version simply becomes
   * `AWSCURRENT` (the last writer wins). With a version string, the save succeeds only if that
   * version is still `AWSCURRENT` when the new version is committed; with `null`, only if nothing
   * is stored. A lost condition rejects with `TokenCacheConflictError` and `AWSCURRENT` is not moved.
   */
  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    assertSaveData(data, { backend: BACKEND, location: this.secretName });
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes > MAX_SECRET_BYTES) {
      throw new TokenBackendError(
        `AWSSecretsBackend: the token cache is ${bytes} bytes, more than the ${MAX_SECRET_BYTES} bytes a Secrets Manager secret can hold; nothing was written.`,
        { backend: BACKEND, location: this.secretName },
      );
    }
    const { expectedVersion } = options;
    if (expectedVersion === undefined) return { version: await this.#saveUnconditionally(data) };
    if (expectedVersion === null) return { version: await this.#create(data) };
    return { version: await this.#saveIfCurrent(data, expectedVersion) };
  }

  /**
   * Delete the secret: scheduled for deletion with the recovery window (default 30 days; restorable
   * with `RestoreSecret` until then), or at once when `forceDelete` / `deleteRecoveryDays: 0`. No
   * error when there is no secret or it is already scheduled for deletion.
   */
  async delete(): Promise<void> {
    const input = this.#recoveryDays === undefined
      ? { SecretId: this.secretName, ForceDeleteWithoutRecovery: true }
      : { SecretId: this.secretName, RecoveryWindowInDays: this.#recoveryDays };
    try {
      await this.#client.send(new DeleteSecretCommand(input));
      this.#exists = this.#recoveryDays !== undefined;
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') {
        this.#exists = false;
        return;
      }
      if (errorName(err) === 'InvalidRequestException') {
        const state = await this.#describe('DeleteSecret', err);
        if (!state.exists) return;
        if (state.scheduledForDeletion) {
          // Already deleted with a recovery window; a forced delete would have succeeded above.
          return;
        }
      }
      throw this.#wrap('DeleteSecret', err);
    }
  }

  /** Destroy the client the backend built (keep-alive sockets); a client passed in is left alone. */
  destroy(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  /** Keeps the client (and any credentials in its configuration) out of logs. */
  [inspect.custom](): string {
    return `AWSSecretsBackend { secretName: ${JSON.stringify(this.secretName)} }`;
  }

  toJSON(): Record<string, unknown> {
    return { backend: BACKEND, secretName: this.secretName };
  }

  // ------------------------------------------------------------------ save paths

  async #saveUnconditionally(data: string): Promise<string> {
    if (this.#exists === false) {
      try {
        return await this.#createSecret(data);
      } catch (err) {
        if (!(err instanceof ResourceExists)) throw err;
      }
    }
    try {
      return await this.#put(data, [CURRENT]);
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') {
        try {
          return await this.#createSecret(data);
        } catch (createErr) {
          // Someone created it between our two calls: our write goes on top, as an unconditional save does.
          if (createErr instanceof ResourceExists && createErr.taken) return this.#putOrThrow(data, [CURRENT]);
          if (createErr instanceof ResourceExists) throw this.#wrap('CreateSecret', createErr.cause);
          throw createErr;
        }
      }
      if (errorName(err) === 'InvalidRequestException') {
        const state = await this.#describe('PutSecretValue', err);
        if (state.scheduledForDeletion) return this.#restoreAndWrite(data, state, undefined);
      }
      throw this.#wrap('PutSecretValue', err);
    }
  }

  /** Create-only save (`expectedVersion: null`). */
  async #create(data: string): Promise<string> {
    try {
      return await this.#createSecret(data);
    } catch (err) {
      if (!(err instanceof ResourceExists)) throw err;
      // The secret exists; it still counts as "nothing stored" if it has no current value or is scheduled for deletion.
      const state = await this.#describe('CreateSecret', err.cause);
      if (!state.exists) throw this.#wrap('CreateSecret', err.cause);
      if (state.scheduledForDeletion) return this.#restoreAndWrite(data, state, null);
      if (state.exists && state.current === undefined) return this.#commit(data, undefined, null);
      throw this.#conflict(null, state.current, 'a token cache is already stored');
    }
  }

  /** Conditional save: `expected` must still be AWSCURRENT when the new version is committed. */
  async #saveIfCurrent(data: string, expected: string): Promise<string> {
    const state = await this.#describe('DescribeSecret');
    if (!state.exists || state.scheduledForDeletion) {
      throw this.#conflict(expected, undefined, 'nothing is stored any more');
    }
    if (state.current !== expected) {
      throw this.#conflict(expected, state.current, 'another writer saved a newer version');
    }
    return this.#commit(data, expected, expected);
  }

  /**
   * Write a pending version, then move AWSCURRENT onto it only if it is still on `from` (the
   * compare-and-swap Secrets Manager offers through `RemoveFromVersionId`). `from` undefined: no
   * version is current yet.
   */
  async #commit(data: string, from: string | undefined, expected: string | null): Promise<string> {
    let versionId: string;
    try {
      versionId = await this.#put(data, [PENDING_STAGE]);
    } catch (err) {
      const name = errorName(err);
      if (name === 'ResourceNotFoundException' || name === 'InvalidRequestException') {
        const state = await this.#describe('PutSecretValue', err);
        if (!state.exists || state.scheduledForDeletion) throw this.#conflict(expected, undefined, 'the secret was deleted meanwhile');
      }
      throw this.#wrap('PutSecretValue', err);
    }
    try {
      await this.#client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: this.secretName,
          VersionStage: CURRENT,
          MoveToVersionId: versionId,
          ...(from === undefined ? {} : { RemoveFromVersionId: from }),
        }),
      );
      return versionId;
    } catch (err) {
      // Whatever failed, the state decides: our version current (a retried call that had already
      // applied), AWSCURRENT moved by someone else (lost race), or unchanged (a real failure).
      let state: SecretState;
      try {
        state = await this.#describe('UpdateSecretVersionStage', err);
      } catch {
        throw this.#wrap('UpdateSecretVersionStage', err);
      }
      if (state.current === versionId) return versionId;
      if (state.current !== from || !state.exists || state.scheduledForDeletion) {
        this.#logger.debug('AWSSecretsBackend: conditional save lost the race', { secretName: this.secretName });
        throw this.#conflict(expected, state.scheduledForDeletion ? undefined : state.current, 'another writer saved first');
      }
      throw this.#wrap('UpdateSecretVersionStage', err);
    }
  }

  /**
   * The secret is scheduled for deletion (logically empty). Restore it and write `data` as the new
   * current version; the version that was current at deletion is the compare-and-swap base, so two
   * processes re-creating the cache cannot both win a create-only save.
   */
  async #restoreAndWrite(data: string, state: SecretState, expected: null | undefined): Promise<string> {
    try {
      await this.#client.send(new RestoreSecretCommand({ SecretId: this.secretName }));
    } catch (err) {
      throw this.#wrap('RestoreSecret', err, 'the secret is scheduled for deletion and could not be restored (AWS deletes forcibly deleted secrets asynchronously: retry shortly)');
    }
    this.#logger.info('AWSSecretsBackend: restored a secret scheduled for deletion to save a new token cache', {
      secretName: this.secretName,
    });
    this.#exists = true;
    if (expected === undefined) return this.#putOrThrow(data, [CURRENT]);
    return this.#commit(data, state.current, expected);
  }

  async #createSecret(data: string): Promise<string> {
    try {
      const out = await this.#client.send(
        new CreateSecretCommand({
          Name: this.secretName,
          SecretString: data,
          ClientRequestToken: randomUUID(),
          ...(this.#kmsKeyId === undefined ? {} : { KmsKeyId: this.#kmsKeyId }),
          ...(this.#description === undefined ? {} : { Description: this.#description }),
        }),
      );
      this.#exists = true;
      return requireVersion(out.VersionId, this.secretName);
    } catch (err) {
      if (errorName(err) === 'ResourceExistsException') {
        this.#exists = true;
        throw new ResourceExists(err, true);
      }
      if (errorName(err) === 'InvalidRequestException') {
        // Usually "already scheduled for deletion" (the name is held by a deleted secret); callers
        // confirm with DescribeSecret before acting on it.
        throw new ResourceExists(err, false);
      }
      throw this.#wrap('CreateSecret', err);
    }
  }

  async #put(data: string, stages: string[]): Promise<string> {
    // A fresh token per logical save; the SDK resends the same token on retries, which Secrets
    // Manager treats as the same request (idempotent), so a retry never creates a second version.
    const out = await this.#client.send(
      new PutSecretValueCommand({
        SecretId: this.secretName,
        SecretString: data,
        ClientRequestToken: randomUUID(),
        VersionStages: stages,
      }),
    );
    this.#exists = true;
    return requireVersion(out.VersionId, this.secretName);
  }

  async #putOrThrow(data: string, stages: string[]): Promise<string> {
    try {
      return await this.#put(data, stages);
    } catch (err) {
      throw this.#wrap('PutSecretValue', err);
    }
  }

  /** DescribeSecret reduced to existence, deletion and the AWSCURRENT version. `original` is the error being explained, if any. */
  async #describe(during: Operation, original?: unknown): Promise<SecretState> {
    let out: DescribeSecretCommandOutput;
    try {
      out = await this.#client.send(new DescribeSecretCommand({ SecretId: this.secretName }));
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return { exists: false, scheduledForDeletion: false };
      throw this.#wrap(during, original ?? err);
    }
    let current: string | undefined;
    for (const [id, stages] of Object.entries(out.VersionIdsToStages ?? {})) {
      if (stages.includes(CURRENT)) current = id;
    }
    return { exists: true, scheduledForDeletion: out.DeletedDate !== undefined, current };
  }

  #conflict(expected: string | null, actual: string | undefined, why: string): TokenCacheConflictError {
    const wanted = expected === null ? 'nothing stored' : `version ${expected}`;
    return new TokenCacheConflictError(
      `AWSSecretsBackend: conditional save to secret "${this.secretName}" rejected: expected ${wanted}, but ${why}${actual ? ` (current version ${actual})` : ''}. Reload and retry.`,
      {
        backend: BACKEND,
        location: this.secretName,
        expectedVersion: expected,
        ...(actual === undefined ? {} : { actualVersion: actual }),
      },
    );
  }

  #wrap(operation: Operation, err: unknown, hint?: string): TokenBackendError {
    if (err instanceof TokenBackendError) return err;
    return new TokenBackendError(
      `AWSSecretsBackend: ${operation} on secret "${this.secretName}" failed: ${describeError(err)}${hint ? `; ${hint}` : adviceFor(err, operation)}`,
      { backend: BACKEND, location: this.secretName, cause: redactAwsError(err) },
    );
  }
}

/** Internal marker: CreateSecret found the name taken (existing or scheduled for deletion). */
class ResourceExists extends Error {
  /** `taken`: ResourceExistsException (a live secret); otherwise InvalidRequestException, to be confirmed. */
  constructor(
    cause: unknown,
    readonly taken: boolean,
  ) {
    super('secret exists', { cause });
  }
}

function requireVersion(versionId: string | undefined, secretName: string): string {
  if (!versionId) {
    throw new TokenBackendError(`AWSSecretsBackend: Secrets Manager returned no VersionId for secret "${secretName}".`, {
      backend: BACKEND,
      location: secretName,
    });
  }
  return versionId;
}
