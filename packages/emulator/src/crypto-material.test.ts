import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadOrCreateMaterial } from './crypto-material.js';

describe('key cache', () => {
  it('writes the keys once and reads them back; replaces a corrupt cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-keys-'));
    const first = await loadOrCreateMaterial(dir);
    const file = join(dir, 'o365-emulator-keys-v1.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateMaterial(dir);
    expect(second.tls.thumbprint).toBe(first.tls.thumbprint);
    expect(second.signing.kid).toBe(first.signing.kid);
    expect(second.signing.privateKey.export({ format: 'pem', type: 'pkcs8' })).toBe(first.signing.privateKeyPem);
    writeFileSync(file, '{"tls": 1');
    const third = await loadOrCreateMaterial(dir);
    expect(third.tls.thumbprint).not.toBe(first.tls.thumbprint);
    expect(JSON.parse(readFileSync(file, 'utf8')).tls.thumbprint).toBe(third.tls.thumbprint);
  });

  it('the TLS certificate names 127.0.0.1 and localhost', async () => {
    const material = await loadOrCreateMaterial(mkdtempSync(join(tmpdir(), 'emu-keys-')));
    const cert = new X509Certificate(material.tls.certificate);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });
});
