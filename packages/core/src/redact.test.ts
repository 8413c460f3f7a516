import { describe, expect, it } from '@jest/globals';
import { REDACTED, redactData, redactText, registerSecret } from './redact.js';

describe('redaction', () => {
  it('removes secrets from URLs, form bodies, JSON, bearer headers, JWTs and PEM keys', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const text = [
      'https://app/cb?code=0.AbCdEf&state=s1',
      'grant_type=refresh_token&refresh_token=1.AQAB-xyz&client_secret=shh',
      '{"access_token":"abc.def","refresh_token":"r1","expires_in":3599}',
      `Authorization: Bearer ${jwt}`,
      `id ${jwt}`,
      '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
    ].join('\n');
    const out = redactText(text);
    for (const secret of ['0.AbCdEf', '1.AQAB-xyz', 'shh', 'abc.def', '"r1"', jwt, 'MIIE']) expect(out).not.toContain(secret);
    expect(out).toContain('state=s1');
    expect(out).toContain('"expires_in":3599');
    expect(out).toContain(REDACTED);
  });

  it('redacts registered secret values anywhere', () => {
    registerSecret('Very-Secret-Value-42');
    expect(redactText('the value Very-Secret-Value-42 leaked')).toBe(`the value ${REDACTED} leaked`);
  });

  it('redacts secret-bearing keys in log data, deeply and boundedly', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic['self'] = cyclic;
    const out = redactData({ password: 'p', nested: { accessToken: 't', ok: 1 }, list: ['code=abc'], cyclic }) as Record<string, unknown>;
    expect(out['password']).toBe(REDACTED);
    expect(out['nested']).toEqual({ accessToken: REDACTED, ok: 1 });
    expect(out['list']).toEqual([`code=${REDACTED}`]);
  });
});
