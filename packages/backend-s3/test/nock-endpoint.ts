import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import nock from 'nock';
import { closedPort } from './s3rver-harness.js';

/**
 * The loopback endpoint of a protocol-level test: nock answers the real SDK's requests to it
 * (nothing leaves the machine, net connect is off), and every test must use all its intercepts.
 */
export function useNockEndpoint(): { readonly url: string } {
  const endpoint = { url: '' };
  beforeAll(async () => {
    endpoint.url = `http://127.0.0.1:${await closedPort()}`;
    nock.disableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
  return endpoint;
}
