// AWSSecretsBackend against the fake Secrets Manager, through the real SDK client over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { TokenBackendError, TokenCacheConflictError } from '@o365/core';
import { AWSSecretsBackend, MAX_SECRET_BYTES, PENDING_STAGE } from '../src/index.js';
import { Harness, uniqueName } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.start({
    credentials: {
      AKIAFAKEFAKEFAKE0001: { secretAccessKey: 'fake-secret-access-key-0001', user: 'o365-tests' },
      AKIAFAKENOCASFAKE003: {
        secretAccessKey: 'fake-secret-access-key-0003',
        user: 'no-stage-update',
        allow: ['GetSecretValue', 'CreateSecret', 'PutSecretValue', 'DescribeSecret', 'DeleteSecret'],
      },
      AKIAFAKENOPUTFAKE004: {
        secretAccessKey: 'fake-secret-access-key-0004',
        user: 'reader',
        allow: ['GetSecretValue', 'DescribeSecret'],
      },
    },
  });
});

afterAll(async () => {
  await h.close();
});

beforeEach(() => {
  h.fake.beforeOperation = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** The requests the fake received since `from`, as operation names. */
function opsSince(from: number): string[] {
  return h.fake.requests.slice(from).map((r) => r.operation);
}

describe('load and save', () => {
  it('loads nothing, creates the secret on the first save, then adds versions with fresh ClientRequestTokens', async () => {
    const name = uniqueName();
    const backend = h.backend(name, { kmsKeyId: 'alias/o365-tokens', description: 'o365 token cache' });
    expect(await backend.load()).toBeUndefined();

    let mark = h.fake.requests.length;
    const first = await backend.save('{"cache":1}');
    expect(opsSince(mark)).toEqual(['CreateSecret']);
    const create = h.fake.requests.at(-1)!.input;
    expect(create).toMatchObject({ Name: name, SecretString: '{"cache":1}', KmsKeyId: 'alias/o365-tokens', Description: 'o365 token cache' });
    expect(create.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.version).toBe(create.ClientRequestToken);
    expect(await backend.load()).toEqual({ data: '{"cache":1}', version: first.version });

    mark = h.fake.requests.length;
    const second = await backend.save('{"cache":2}');
    expect(opsSince(mark)).toEqual(['PutSecretValue']);
    const put = h.fake.requests.at(-1)!.input;
    expect(put.ClientRequestToken).toBe(second.version);
    expect(second.version).not.toBe(first.version);
    expect(await backend.load()).toEqual({ data: '{"cache":2}', version: second.version });
    expect(h.fake.secret(name)!.versions[first.version!]!.stages).toEqual(['AWSPREVIOUS']);
  });

  it('round-trips unicode and a cache at the 64 KiB limit; a larger one is refused before any request', async () => {
    const backend = h.backend(uniqueName());
    const unicode = JSON.stringify({ name: 'Zoë 山田 🚀', rtl: 'مرحبا', nul: '\u0000' });
    const { version } = await backend.save(unicode);
    expect(await backend.load()).toEqual({ data: unicode, version });

    const big = 'é'.repeat(MAX_SECRET_BYTES / 2);
    await backend.save(big);
    expect((await backend.load())?.data).toBe(big);

    const mark = h.fake.requests.length;
    const err = await rejection(backend.save(`${big}x`));
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err.message).toMatch(/65537 bytes, more than the 65536 bytes/);
    expect(h.fake.requests.length).toBe(mark);
    expect((await backend.load())?.data).toBe(big);
  });

  it('accepts the secret ARN as secretName', async () => {
    const name = uniqueName();
    await h.backend(name).save('by-name');
    const arn = h.fake.secret(name)!.arn;
    const byArn = h.backend(arn);
    expect((await byArn.load())?.data).toBe('by-name');
    await byArn.save('by-arn');
    expect((await h.backend(name).load())?.data).toBe('by-arn');
  });

  it('treats a secret without a current value as empty, and fills it', async () => {
    const name = uniqueName();
    await h.client().send(new CreateSecretCommand({ Name: name }));
    const backend = h.backend(name);
    expect(await backend.load()).toBeUndefined();
    const { version } = await backend.save('first', { expectedVersion: null });
    expect(await backend.load()).toEqual({ data: 'first', version });
  });

  it('refuses a binary secret instead of handing it over as a cache', async () => {
    const name = uniqueName();
    await h.client().send(new CreateSecretCommand({ Name: name, SecretBinary: new Uint8Array([1, 2, 3]) }));
    const err = await rejection(h.backend(name).load());
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err.message).toMatch(/binary value/);
  });
});

describe('expectedVersion', () => {
  it('saves when the expected version is still AWSCURRENT, committing through UpdateSecretVersionStage', async () => {
    const name = uniqueName();
    const backend = h.backend(name);
    const { version: v1 } = await backend.save('one');
    const mark = h.fake.requests.length;
    const { version: v2 } = await backend.save('two', { expectedVersion: v1 });
    expect(opsSince(mark)).toEqual(['DescribeSecret', 'PutSecretValue', 'UpdateSecretVersionStage']);
    const [, put, stage] = h.fake.requests.slice(mark);
    expect(put!.input).toMatchObject({ VersionStages: [PENDING_STAGE], ClientRequestToken: v2 });
    expect(stage!.input).toEqual({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2, RemoveFromVersionId: v1 });
    expect(await backend.load()).toEqual({ data: 'two', version: v2 });
    expect(h.fake.secret(name)!.versions[v1!]!.stages).toEqual(['AWSPREVIOUS']);
  });

  it('rejects a stale version with TokenCacheConflictError and leaves the stored copy alone', async () => {
    const backend = h.backend(uniqueName());
    const { version: v1 } = await backend.save('one');
    const { version: v2 } = await backend.save('two');
    const mark = h.fake.requests.length;
    const err = (await rejection(backend.save('stale', { expectedVersion: v1 }))) as TokenCacheConflictError;
    expect(err).toBeInstanceOf(TokenCacheConflictError);
    expect(err.code).toBe('TOKEN_CACHE_CONFLICT');
    expect(err.expectedVersion).toBe(v1);
    expect(err.actualVersion).toBe(v2);
    expect(err.location).toBe(backend.secretName);
    expect(opsSince(mark)).toEqual(['DescribeSecret']);
    expect(await backend.load()).toEqual({ data: 'two', version: v2 });
  });

  it('rejects an expected version when nothing is stored', async () => {
    const err = await rejection(h.backend(uniqueName()).save('x', { expectedVersion: 'a'.repeat(36) }));
    expect(err).toBeInstanceOf(TokenCacheConflictError);
  });

  it('expectedVersion null creates only: a second create-only save conflicts', async () => {
    const backend = h.backend(uniqueName());
    const { version } = await backend.save('first', { expectedVersion: null });
    const err = (await rejection(backend.save('second', { expectedVersion: null }))) as TokenCacheConflictError;
    expect(err).toBeInstanceOf(TokenCacheConflictError);
    expect(err.expectedVersion).toBeNull();
    expect(await backend.load()).toEqual({ data: 'first', version });
  });

  it('closes the check-then-write window: a writer that passed the check but commits second loses', async () => {
    const name = uniqueName();
    const a = h.backend(name);
    const b = h.backend(name);
    const { version: base } = await a.save('base');

    // Hold A's commit (UpdateSecretVersionStage) until B has completed a whole conditional save
    // against the same base: both pass the DescribeSecret check, both write a version.
    let releaseA!: () => void;
    const aHeld = new Promise<void>((resolve) => (releaseA = resolve));
    let aReachedCommit!: () => void;
    const aAtCommit = new Promise<void>((resolve) => (aReachedCommit = resolve));
    let held = false;
    h.fake.beforeOperation = async (operation) => {
      if (operation === 'UpdateSecretVersionStage' && !held) {
        held = true;
        aReachedCommit();
        await aHeld;
      }
    };
    const aSave = a.save('from A', { expectedVersion: base });
    await aAtCommit;
    const { version: bVersion } = await b.save('from B', { expectedVersion: base });
    releaseA();
    const err = (await rejection(aSave)) as TokenCacheConflictError;
    expect(err).toBeInstanceOf(TokenCacheConflictError);
    expect(err.actualVersion).toBe(bVersion);
    expect(await a.load()).toEqual({ data: 'from B', version: bVersion });
  });

  it('lets exactly one of two concurrent create-only saves win', async () => {
    const name = uniqueName();
    const results = await Promise.allSettled([
      h.backend(name).save('A', { expectedVersion: null }),
      h.backend(name).save('B', { expectedVersion: null }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(TokenCacheConflictError);
  });

  it('loses no write among 20 concurrent read-modify-write writers', async () => {
    const name = uniqueName();
    await h.backend(name).save(JSON.stringify([]), { expectedVersion: null });
    let conflicts = 0;
    const writer = async (i: number): Promise<void> => {
      const backend = h.backend(name);
      for (let attempt = 0; attempt < 200; attempt++) {
        const current = (await backend.load())!;
        const items = JSON.parse(current.data) as number[];
        try {
          await backend.save(JSON.stringify([...items, i]), { expectedVersion: current.version! });
          return;
        } catch (err) {
          if (!(err instanceof TokenCacheConflictError)) throw err;
          conflicts += 1;
        }
      }
      throw new Error(`writer ${i} never won`);
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer(i)));
    const final = JSON.parse((await h.backend(name).load())!.data) as number[];
    expect([...final].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe('delete', () => {
  it('schedules deletion with a 30-day recovery window by default; load is then empty and delete idempotent', async () => {
    const name = uniqueName();
    const backend = h.backend(name);
    const { version } = await backend.save('cache');
    const mark = h.fake.requests.length;
    await backend.delete();
    expect(h.fake.requests[mark]!.input).toEqual({ SecretId: name, RecoveryWindowInDays: 30 });
    expect(h.fake.secret(name)!.deleted).toBe(true);
    expect(await backend.load()).toBeUndefined();
    await backend.delete();
    await h.backend(uniqueName()).delete();
    // A version loaded before the delete no longer matches anything.
    expect(await rejection(backend.save('x', { expectedVersion: version! }))).toBeInstanceOf(TokenCacheConflictError);
  });

  it('restores a secret scheduled for deletion when a new cache is saved', async () => {
    const name = uniqueName();
    const logged: string[] = [];
    const record = (message: string, data?: Record<string, unknown>) => logged.push(`${message} ${JSON.stringify(data)}`);
    const logger = { debug: record, info: record, warn: record, error: record };
    const backend = h.backend(name, { deleteRecoveryDays: 7, logger });
    await backend.save('LOGMARK-old');
    await backend.delete();
    expect(h.fake.requests.at(-1)!.input).toEqual({ SecretId: name, RecoveryWindowInDays: 7 });
    const { version } = await backend.save('LOGMARK-new', { expectedVersion: null });
    expect(await backend.load()).toEqual({ data: 'LOGMARK-new', version });
    await backend.delete();
    const again = await h.backend(name).save('unconditional');
    expect(await backend.load()).toEqual({ data: 'unconditional', version: again.version });
    expect(h.fake.operations()).toContain('RestoreSecret');
    expect(logged.some((line) => line.includes('restored a secret scheduled for deletion') && line.includes(name))).toBe(true);
    expect(logged.join('\n')).not.toContain('LOGMARK');
  });

  it('lets exactly one of two concurrent create-only saves win over a secret scheduled for deletion', async () => {
    const name = uniqueName();
    await h.backend(name).save('deleted cache');
    await h.backend(name).delete();
    const results = await Promise.allSettled([
      h.backend(name).save('A', { expectedVersion: null }),
      h.backend(name).save('B', { expectedVersion: null }),
    ]);
    const won = results.filter((r): r is PromiseFulfilledResult<{ version?: string }> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(TokenCacheConflictError);
    const stored = await h.backend(name).load();
    expect(stored?.version).toBe(won[0]!.value.version);
    expect(['A', 'B']).toContain(stored?.data);
  });

  it('deletes without recovery with forceDelete or deleteRecoveryDays: 0', async () => {
    for (const options of [{ forceDelete: true }, { deleteRecoveryDays: 0 }]) {
      const name = uniqueName();
      const backend = h.backend(name, options);
      await backend.save('cache');
      await backend.delete();
      expect(h.fake.requests.at(-1)!.input).toEqual({ SecretId: name, ForceDeleteWithoutRecovery: true });
      expect(h.fake.secret(name)).toBeUndefined();
      expect(await backend.load()).toBeUndefined();
      await backend.delete();
      const { version } = await backend.save('fresh', { expectedVersion: null });
      expect(await backend.load()).toEqual({ data: 'fresh', version });
    }
  });
});

describe('options', () => {
  it('rejects a bad secret name or recovery window with a typed error', () => {
    expect(() => new AWSSecretsBackend({ secretName: '' })).toThrow(TokenBackendError);
    expect(() => new AWSSecretsBackend({ secretName: 'has space' })).toThrow(/secretName/);
    expect(() => new AWSSecretsBackend({ secretName: 'ok', deleteRecoveryDays: 5 })).toThrow(/from 7 to 30/);
    expect(() => new AWSSecretsBackend({ secretName: 'ok', deleteRecoveryDays: 31 })).toThrow(TokenBackendError);
  });

  it('uses a client passed in and leaves it open on destroy()', async () => {
    const client = h.client();
    const name = uniqueName();
    const backend = new AWSSecretsBackend({ secretName: name, client });
    await backend.save('via client');
    backend.destroy();
    expect((await new AWSSecretsBackend({ secretName: name, client }).load())?.data).toBe('via client');
  });
});

describe('service errors', () => {
  const withKey = (accessKeyId: string, secretAccessKey: string, name = uniqueName()): AWSSecretsBackend =>
    h.backend(name, { clientConfig: h.config({ credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 }) });

  it('wraps AccessDeniedException in TokenBackendError with the secret name, cause and the permission to grant', async () => {
    const name = uniqueName();
    await h.backend(name).save('SECRET-MARKER-do-not-leak');
    const reader = withKey('AKIAFAKENOPUTFAKE004', 'fake-secret-access-key-0004', name);
    const err = (await rejection(reader.save('SECRET-MARKER-second-value'))) as TokenBackendError;
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err).not.toBeInstanceOf(TokenCacheConflictError);
    expect(err.backend).toBe('AWSSecretsBackend');
    expect(err.location).toBe(name);
    expect(err.message).toContain(`"${name}"`);
    expect(err.message).toMatch(/AccessDeniedException \(HTTP 400\).*grant secretsmanager:PutSecretValue/);
    expect((err.cause as Error).name).toBe('AccessDeniedException');
    const dump = inspect(err, { depth: 20, showHidden: true });
    expect(dump).not.toContain('SECRET-MARKER');
    expect(dump).not.toContain('fake-secret-access-key');
    expect(dump).not.toMatch(/Signature=[0-9a-f]{64}/);
    expect((await h.backend(name).load())?.data).toBe('SECRET-MARKER-do-not-leak');
  });

  it('fails a conditional save cleanly when UpdateSecretVersionStage is not allowed, AWSCURRENT untouched', async () => {
    const name = uniqueName();
    const { version } = await h.backend(name).save('kept');
    const limited = withKey('AKIAFAKENOCASFAKE003', 'fake-secret-access-key-0003', name);
    const err = await rejection(limited.save('new', { expectedVersion: version! }));
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err).not.toBeInstanceOf(TokenCacheConflictError);
    expect(err.message).toMatch(/UpdateSecretVersionStage.*grant secretsmanager:UpdateSecretVersionStage/);
    expect(await h.backend(name).load()).toEqual({ data: 'kept', version });
  });

  it('wraps an unreachable endpoint in TokenBackendError with the cause', async () => {
    const port = await closedPort();
    const backend = h.backend(uniqueName(), {
      clientConfig: h.config({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1, requestHandler: { connectionTimeout: 1000, requestTimeout: 1000 } }),
    });
    for (const call of [() => backend.load(), () => backend.save('SECRET-MARKER'), () => backend.delete()]) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(TokenBackendError);
      expect(err.message).toMatch(/ECONNREFUSED/);
      expect(err.cause).toBeDefined();
      expect(inspect(err, { depth: 20, showHidden: true })).not.toContain('SECRET-MARKER');
    }
  });

  it('surfaces throttling that outlasts the SDK retries, and rides out a short one', async () => {
    const name = uniqueName();
    const backend = h.backend(name, { clientConfig: h.config({ maxAttempts: 2 }) });
    await backend.save('one');
    h.fake.addFault({ operation: 'PutSecretValue', count: 2, kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const err = await rejection(backend.save('two'));
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err.message).toMatch(/ThrottlingException.*Rate exceeded.*kept throttling/);
    expect((await backend.load())?.data).toBe('one');

    h.fake.addFault({ operation: 'PutSecretValue', count: 1, kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const { version } = await backend.save('three');
    expect(await backend.load()).toEqual({ data: 'three', version });
  });

  it('a PutSecretValue resent after a dropped connection creates one version (same ClientRequestToken)', async () => {
    const name = uniqueName();
    const backend = h.backend(name, { clientConfig: h.config({ maxAttempts: 3 }) });
    await backend.save('one');
    // The first attempt is applied, then the connection drops before the answer: the SDK resends.
    h.fake.addFault({ operation: 'PutSecretValue', kind: 'drop-response' });
    const mark = h.fake.requests.length;
    const { version } = await backend.save('two');
    const puts = h.fake.requests.slice(mark).filter((r) => r.operation === 'PutSecretValue');
    expect(puts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(puts.map((r) => r.input.ClientRequestToken)).size).toBe(1);
    expect(Object.keys(h.fake.secret(name)!.versions)).toHaveLength(2);
    expect(await backend.load()).toEqual({ data: 'two', version });
  });

  it('keeps credentials and values out of util.inspect of the backend', () => {
    const backend = h.backend(uniqueName());
    const text = inspect(backend, { depth: 20, showHidden: true });
    expect(text).toMatch(/^AWSSecretsBackend \{ secretName: "o365\/test-/);
    expect(text).not.toContain('fake-secret-access-key');
    expect(JSON.stringify(backend)).not.toContain('fake-secret-access-key');
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
