// The fake's faithfulness, checked with the real SDK client over real HTTP: if the fake drifted
// from the protocol (framing, signing, error shapes), these fail before any backend test could
// pass for the wrong reason. Expected values come from the Secrets Manager API reference.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  SecretsManagerClient} from '@aws-sdk/client-secrets-manager';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { Harness, uniqueName } from './harness.js';

let h: Harness;
let client: SecretsManagerClient;

beforeAll(async () => {
  h = await Harness.start({
    credentials: {
      AKIAFAKEFAKEFAKE0001: { secretAccessKey: 'fake-secret-access-key-0001', user: 'o365-tests' },
      AKIAFAKEREADONLY0002: { secretAccessKey: 'fake-secret-access-key-0002', user: 'reader', allow: ['GetSecretValue'] },
    },
  });
  client = h.client({ maxAttempts: 1 });
});

afterAll(async () => {
  await h.close();
});

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const TOKEN_1 = 'EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE';
const TOKEN_2 = 'EXAMPLE2-90ab-cdef-fedc-ba987EXAMPLE';
const TOKEN_3 = 'EXAMPLE3-90ab-cdef-fedc-ba987EXAMPLE';

describe('wire protocol', () => {
  it('answers the API reference PutSecretValue example with the documented response shape', async () => {
    // API reference, PutSecretValue "Example": the token becomes the VersionId, staged AWSCURRENT.
    const name = uniqueName('MyTestDatabaseSecret');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: '{"username":"david","password":"EXAMPLE-PASSWORD"}', ClientRequestToken: TOKEN_1 }));
    const out = await client.send(
      new PutSecretValueCommand({
        ClientRequestToken: TOKEN_2,
        SecretId: name,
        SecretString: '{"username":"david","password":"EXAMPLE-PASSWORD"}',
      }),
    );
    expect(out.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-[a-z0-9]{6}$`));
    expect(out.Name).toBe(name);
    expect(out.VersionId).toBe(TOKEN_2);
    expect(out.VersionStages).toEqual(['AWSCURRENT']);
  });

  it('is reached over JSON 1.1 with the operation in X-Amz-Target and a SigV4 signature', async () => {
    const seen: Record<string, string | undefined> = {};
    const { createServer } = await import('node:http');
    // A second listener that records the raw request the SDK sends, then proxies nothing: proves the
    // SDK's framing is what the fake checks for.
    const raw = createServer((req, res) => {
      seen.method = req.method;
      seen.url = req.url;
      seen.contentType = req.headers['content-type'];
      seen.target = req.headers['x-amz-target'] as string | undefined;
      seen.authorization = req.headers.authorization;
      seen.date = req.headers['x-amz-date'] as string | undefined;
      res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'ResourceNotFoundException', Message: 'nope' }));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as { port: number }).port;
    const rawClient = h.client({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    await caught(rawClient.send(new GetSecretValueCommand({ SecretId: 'x' })));
    await new Promise<void>((resolve) => raw.close(() => resolve()));
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/');
    expect(seen.contentType).toBe('application/x-amz-json-1.1');
    expect(seen.target).toBe('secretsmanager.GetSecretValue');
    expect(seen.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0001\/\d{8}\/us-east-1\/secretsmanager\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
    expect(seen.date).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('rejects a request signed with the wrong secret key, an unknown key, or no signature', async () => {
    const wrongKey = h.client({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAFAKEFAKEFAKE0001', secretAccessKey: 'not-the-right-one' },
    });
    const e1 = await caught(wrongKey.send(new GetSecretValueCommand({ SecretId: 'x' })));
    expect(e1.name).toBe('InvalidSignatureException');
    expect(e1.message).toMatch(/signature we calculated does not match/);

    const unknown = h.client({ maxAttempts: 1, credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' } });
    const e2 = await caught(unknown.send(new GetSecretValueCommand({ SecretId: 'x' })));
    expect(e2.name).toBe('UnrecognizedClientException');

    const res = await fetch(h.fake.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException:/);
    expect(await res.json()).toEqual({ __type: 'MissingAuthenticationTokenException', Message: 'Missing Authentication Token' });
  });

  it('sends errors as AWS does and the client parses them into the typed exceptions', async () => {
    const err = await caught(client.send(new GetSecretValueCommand({ SecretId: uniqueName() })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err).toBeInstanceOf(SecretsManagerServiceException);
    expect(err.message).toBe("Secrets Manager can't find the specified secret.");
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(400);
    expect((err as ResourceNotFoundException).$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('denies operations the principal is not allowed, with AWS wording', async () => {
    const reader = h.client({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAFAKEREADONLY0002', secretAccessKey: 'fake-secret-access-key-0002' },
    });
    const err = await caught(reader.send(new PutSecretValueCommand({ SecretId: 'tokens', SecretString: 'x' })));
    expect(err.name).toBe('AccessDeniedException');
    expect(err).toBeInstanceOf(SecretsManagerServiceException);
    expect(err.message).toBe(
      'User: arn:aws:iam::123456789012:user/reader is not authorized to perform: secretsmanager:PutSecretValue on resource: tokens because no identity-based policy allows the secretsmanager:PutSecretValue action',
    );
  });
});

describe('versions and staging labels', () => {
  it('moves AWSCURRENT to each new version, AWSPREVIOUS to the one before, and deprecates older ones', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: TOKEN_2 }));
    let d = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(d.VersionIdsToStages).toEqual({ [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['AWSCURRENT'] });

    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3', ClientRequestToken: TOKEN_3 }));
    d = await client.send(new DescribeSecretCommand({ SecretId: name }));
    // v1 has no label left: deprecated, no longer listed.
    expect(d.VersionIdsToStages).toEqual({ [TOKEN_2]: ['AWSPREVIOUS'], [TOKEN_3]: ['AWSCURRENT'] });

    const current = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect([current.SecretString, current.VersionId, current.VersionStages]).toEqual(['v3', TOKEN_3, ['AWSCURRENT']]);
    expect(current.CreatedDate).toBeInstanceOf(Date);
    const previous = await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }));
    expect(previous.SecretString).toBe('v2');
    const byId = await client.send(new GetSecretValueCommand({ SecretId: name, VersionId: TOKEN_1 }));
    expect(byId.SecretString).toBe('v1');
    const mismatch = await caught(client.send(new GetSecretValueCommand({ SecretId: name, VersionId: TOKEN_1, VersionStage: 'AWSCURRENT' })));
    expect(mismatch).toBeInstanceOf(InvalidRequestException);
    const noStage = await caught(client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'NOPE' })));
    expect(noStage).toBeInstanceOf(ResourceNotFoundException);
    expect(noStage.message).toBe("Secrets Manager can't find the specified secret value for staging label: NOPE");
  });

  it('treats a resent ClientRequestToken as the same request, and refuses it with another value', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    const first = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: TOKEN_2 }));
    const again = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: TOKEN_2 }));
    expect(again.VersionId).toBe(first.VersionId);
    expect(Object.keys(h.fake.secret(name)!.versions)).toHaveLength(2);
    const changed = await caught(client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'other', ClientRequestToken: TOKEN_2 })));
    expect(changed).toBeInstanceOf(ResourceExistsException);
    expect(h.fake.secret(name)!.versions[TOKEN_2]!.value).toBe('v2');
    // CreateSecret resent with its token and value is ignored too; any other CreateSecret fails.
    const resent = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    expect(resent.VersionId).toBe(TOKEN_1);
    const dup = await caught(client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: TOKEN_3 })));
    expect(dup).toBeInstanceOf(ResourceExistsException);
    expect(dup.message).toBe(`The operation failed because the secret ${name} already exists.`);
  });

  it('fills ClientRequestToken in when the caller leaves it out (the SDK idempotency token)', async () => {
    const name = uniqueName();
    const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stages a PutSecretValue under a custom label without touching AWSCURRENT, and moves that label', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: TOKEN_2, VersionStages: ['PENDING'] }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3', ClientRequestToken: TOKEN_3, VersionStages: ['PENDING'] }));
    const d = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(d.VersionIdsToStages).toEqual({ [TOKEN_1]: ['AWSCURRENT'], [TOKEN_3]: ['PENDING'] });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
  });

  it('gives the first version of a secret AWSCURRENT even when VersionStages names another label', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name }));
    const out = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v1', ClientRequestToken: TOKEN_1, VersionStages: ['PENDING'] }));
    expect(out.VersionStages).toEqual(['PENDING', 'AWSCURRENT']);
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).VersionId).toBe(TOKEN_1);
  });

  it('UpdateSecretVersionStage moves AWSCURRENT only from the version named in RemoveFromVersionId', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: TOKEN_2, VersionStages: ['PENDING'] }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3', ClientRequestToken: TOKEN_3, VersionStages: ['OTHER'] }));

    const missing = await caught(client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_2 })));
    expect(missing).toBeInstanceOf(InvalidParameterException);
    expect(missing.message).toMatch(/RemoveFromVersionId can't be empty/);
    const wrong = await caught(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_2, RemoveFromVersionId: TOKEN_3 })),
    );
    expect(wrong).toBeInstanceOf(InvalidParameterException);
    expect(h.fake.secret(name)!.current).toBe(TOKEN_1);

    await client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_2, RemoveFromVersionId: TOKEN_1 }));
    const d = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(d.VersionIdsToStages).toEqual({ [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['PENDING', 'AWSCURRENT'], [TOKEN_3]: ['OTHER'] });
    // The second writer that also expected TOKEN_1 now loses: this is the compare-and-swap.
    const late = await caught(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN_3, RemoveFromVersionId: TOKEN_1 })),
    );
    expect(late).toBeInstanceOf(InvalidParameterException);
    expect(h.fake.secret(name)!.current).toBe(TOKEN_2);
  });

  it('caps SecretString at 65536 bytes', async () => {
    const err = await caught(client.send(new CreateSecretCommand({ Name: uniqueName(), SecretString: 'x'.repeat(65537) })));
    expect(err.name).toBe('ValidationException');
  });
});

describe('deletion', () => {
  it('schedules deletion with a recovery window: reads fail with InvalidRequestException until RestoreSecret', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    const del = await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    expect(del.DeletionDate).toBeInstanceOf(Date);
    expect(del.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86400_000);

    const read = await caught(client.send(new GetSecretValueCommand({ SecretId: name })));
    expect(read).toBeInstanceOf(InvalidRequestException);
    expect(read.message).toMatch(/marked for deletion/);
    const put = await caught(client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' })));
    expect(put).toBeInstanceOf(InvalidRequestException);
    const create = await caught(client.send(new CreateSecretCommand({ Name: name, SecretString: 'v2' })));
    expect(create).toBeInstanceOf(InvalidRequestException);
    expect(create.message).toMatch(/already scheduled for deletion/);
    const again = await caught(client.send(new DeleteSecretCommand({ SecretId: name })));
    expect(again).toBeInstanceOf(InvalidRequestException);
    const d = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(d.DeletedDate).toBeInstanceOf(Date);

    await client.send(new RestoreSecretCommand({ SecretId: name }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
  });

  it('deletes at once with ForceDeleteWithoutRecovery, which does not fail for a missing secret', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    await client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    expect(await caught(client.send(new GetSecretValueCommand({ SecretId: name })))).toBeInstanceOf(ResourceNotFoundException);
    await client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    expect(await caught(client.send(new DeleteSecretCommand({ SecretId: name })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('validates the recovery window', async () => {
    const name = uniqueName();
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    const short = await caught(client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 6 })));
    expect(short).toBeInstanceOf(InvalidParameterException);
    const both = await caught(client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })));
    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(h.fake.secret(name)!.deleted).toBe(false);
  });
});
