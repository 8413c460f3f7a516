import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { startLoopbackRedirect, type LoopbackRedirect } from './loopback-server.js';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('startLoopbackRedirect over real HTTP', () => {
  let loopback: LoopbackRedirect | undefined;
  afterEach(async () => {
    await loopback?.close();
    loopback = undefined;
  });

  it('ends the sign-in only for the request carrying the expected state; forged ?code= requests are refused', async () => {
    loopback = await startLoopbackRedirect('http://localhost/cb', { expectedState: 'state-123' });
    let settled: string | undefined;
    void loopback.redirected.then((url) => (settled = url));

    expect(await get(`${loopback.redirectUri}?code=x`)).toBe(400);
    expect(await get(`${loopback.redirectUri}?code=x&state=wrong`)).toBe(400);
    expect(await get(`${loopback.redirectUri}?error=access_denied&state=other`)).toBe(400);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBeUndefined();

    expect(await get(`${loopback.redirectUri}?code=real&state=state-123`)).toBe(200);
    expect(await loopback.redirected).toBe(`${loopback.redirectUri}?code=real&state=state-123`);
  });

  it('an error redirect with the expected state ends the sign-in (the caller maps the error)', async () => {
    loopback = await startLoopbackRedirect('http://127.0.0.1', { expectedState: 's' });
    expect(await get(`${loopback.redirectUri}/?error=access_denied&state=s`)).toBe(400);
    expect(await loopback.redirected).toContain('error=access_denied');
  });
});
