// The S3 lease lock at the protocol level: s3rver ignores If-None-Match and If-Match, so the
// answers only a store that enforces them gives (412 on a held lock, 412 on a lost lease) come
// from nock, intercepting the real SDK's requests to a loopback endpoint.
import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '@o365/core';
import nock from 'nock';
import { AWSS3Backend } from '../src/index.js';
import { useNockEndpoint } from './nock-endpoint.js';
import { clientConfigFor } from './s3rver-harness.js';

const LOCK_PATH = '/tokens/o365/app.json.lock';
const nockEndpoint = useNockEndpoint();
const backends: AWSS3Backend[] = [];

function backend(lock: boolean | { leaseMs?: number } = true): AWSS3Backend {
  const b = new AWSS3Backend({
    bucketName: 'tokens',
    objectKey: 'o365/app.json',
    clientConfig: clientConfigFor(nockEndpoint.url, { credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, maxAttempts: 1 }),
    lock,
  });
  backends.push(b);
  return b;
}

const precondition =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><RequestId>1</RequestId><HostId>h</HostId></Error>';
const denied = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>1</RequestId><HostId>h</HostId></Error>';
const xml = { 'content-type': 'application/xml' };

type Seen = Array<{ method: string; ifNoneMatch?: string; ifMatch?: string; body?: string }>;
function record(seen: Seen, method: string) {
  return function (this: { req: { headers: Record<string, string | undefined> } }, _uri: string, body: unknown) {
    seen.push({
      method,
      ...(this.req.headers['if-none-match'] ? { ifNoneMatch: this.req.headers['if-none-match'] } : {}),
      ...(this.req.headers['if-match'] ? { ifMatch: this.req.headers['if-match'] } : {}),
      ...(typeof body === 'string' && body !== '' ? { body } : body !== null && typeof body === 'object' ? { body: JSON.stringify(body) } : {}),
    });
  };
}

afterAll(() => {
  for (const b of backends) b.destroy();
});

describe('AWSS3Backend lock (lease on <objectKey>.lock)', () => {
  it('no lock() without the option', () => {
    expect(backend(false).lock).toBeUndefined();
    expect(() => backend({ leaseMs: -1 })).toThrow(/leaseMs/);
  });

  it('takes the lease with If-None-Match: * and releases it with If-Match on its ETag, once', async () => {
    const seen: Seen = [];
    nock(nockEndpoint.url)
      .put(LOCK_PATH).query(true).reply(function (uri, body) { record(seen, 'PUT').call(this, uri, body); return [200, '', { ETag: '"lease-1"' }]; })
      .delete(LOCK_PATH).query(true).reply(function (uri, body) { record(seen, 'DELETE').call(this, uri, body); return [204, '']; });
    const release = await backend().lock!({ timeoutMs: 1_000 });
    await release();
    await release();
    expect(seen.map((s) => [s.method, s.ifNoneMatch ?? s.ifMatch])).toEqual([['PUT', '*'], ['DELETE', '"lease-1"']]);
    const lease = JSON.parse(seen[0]!.body!) as { owner: string; expiresAt: number };
    expect(lease.owner).toMatch(/^[0-9a-f-]{36}$/);
    expect(lease.expiresAt).toBeGreaterThan(Date.now() + 25_000);
  });

  it('waits while another holder has an unexpired lease, then takes it', async () => {
    const seen: Seen = [];
    const other = JSON.stringify({ owner: 'other', expiresAt: Date.now() + 60_000 });
    nock(nockEndpoint.url)
      .put(LOCK_PATH).query(true).reply(function (uri, body) { record(seen, 'PUT').call(this, uri, body); return [412, precondition, xml]; })
      .get(LOCK_PATH).query(true).reply(200, other, { ETag: '"held"', 'content-type': 'application/json' })
      .put(LOCK_PATH).query(true).reply(function (uri, body) { record(seen, 'PUT').call(this, uri, body); return [200, '', { ETag: '"mine"' }]; });
    const release = await backend().lock!({ timeoutMs: 5_000 });
    expect(seen.map((s) => s.method)).toEqual(['PUT', 'PUT']);
    nock(nockEndpoint.url).delete(LOCK_PATH).query(true).reply(204, '');
    await release();
  });

  it("breaks an expired lease with a delete conditional on that lease's ETag, then takes it", async () => {
    const seen: Seen = [];
    const dead = JSON.stringify({ owner: 'dead', expiresAt: Date.now() - 1_000 });
    nock(nockEndpoint.url)
      .put(LOCK_PATH).query(true).reply(412, precondition, xml)
      .get(LOCK_PATH).query(true).reply(200, dead, { ETag: '"dead-lease"', 'content-type': 'application/json' })
      .delete(LOCK_PATH).query(true).reply(function (uri, body) { record(seen, 'DELETE').call(this, uri, body); return [204, '']; })
      .put(LOCK_PATH).query(true).reply(200, '', { ETag: '"mine"' });
    await backend().lock!({ timeoutMs: 5_000 });
    expect(seen).toEqual([{ method: 'DELETE', ifMatch: '"dead-lease"' }]);
  });

  it('gives up with a TokenBackendError naming the lock and the holder\u2019s expiry after timeoutMs', async () => {
    const until = Date.now() + 60_000;
    nock(nockEndpoint.url)
      .put(LOCK_PATH).query(true).times(20).reply(412, precondition, xml)
      .get(LOCK_PATH).query(true).times(20).reply(200, JSON.stringify({ owner: 'other', expiresAt: until }), { ETag: '"held"', 'content-type': 'application/json' });
    const error = await backend().lock!({ timeoutMs: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toContain('s3://tokens/o365/app.json.lock');
    expect((error as Error).message).toContain(new Date(until).toISOString());
    nock.cleanAll();
  });

  it('a release after the lease was lost (412) leaves the new holder\u2019s lock and does not throw; access denied is a typed error', async () => {
    nock(nockEndpoint.url).put(LOCK_PATH).query(true).reply(200, '', { ETag: '"mine"' }).delete(LOCK_PATH).query(true).reply(412, precondition, xml);
    const release = await backend().lock!();
    await expect(release()).resolves.toBeUndefined();
    nock(nockEndpoint.url).put(LOCK_PATH).query(true).reply(403, denied, xml);
    const error = await backend().lock!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toMatch(/access denied.*s3:PutObject, s3:GetObject and s3:DeleteObject/);
  });
});
