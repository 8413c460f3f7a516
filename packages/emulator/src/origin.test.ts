import { describe, expect, it } from '@jest/globals';
import { httpsOrigin } from './origin.js';

describe('httpsOrigin', () => {
  it('leaves the default HTTPS port out, as Microsoft hosts do', () => {
    expect(httpsOrigin('127.0.0.1', 443)).toBe('https://127.0.0.1');
  });
  it('keeps any other port, brackets IPv6 and maps the wildcard address to loopback', () => {
    expect(httpsOrigin('127.0.0.1', 8443)).toBe('https://127.0.0.1:8443');
    expect(httpsOrigin('::1', 8443)).toBe('https://[::1]:8443');
    expect(httpsOrigin('0.0.0.0', 443)).toBe('https://127.0.0.1');
  });
});
