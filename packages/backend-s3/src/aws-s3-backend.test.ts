import { inspect } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { AWSS3Backend } from './aws-s3-backend.js';

const credentials = { accessKeyId: 'AKIAUNITTESTKEY00001', secretAccessKey: 'unit-test-secret-must-not-show' };

describe('AWSS3Backend options', () => {
  it('rejects missing or empty bucketName and objectKey with a TypeError', () => {
    expect(() => new AWSS3Backend(undefined as never)).toThrow(TypeError);
    expect(() => new AWSS3Backend({ bucketName: '', objectKey: 'k' })).toThrow(/bucketName/);
    expect(() => new AWSS3Backend({ bucketName: 'b', objectKey: '' })).toThrow(/objectKey/);
    expect(() => new AWSS3Backend({ bucketName: 'b' } as never)).toThrow(/objectKey/);
  });

  it("rejects an objectKey longer than S3's 1024-byte limit (counted in UTF-8)", () => {
    expect(() => new AWSS3Backend({ bucketName: 'b', objectKey: 'é'.repeat(513), clientConfig: { region: 'us-east-1' } })).toThrow(/1024 bytes/);
    const ok = new AWSS3Backend({ bucketName: 'b', objectKey: 'é'.repeat(512), clientConfig: { region: 'us-east-1' } });
    ok.destroy();
  });

  it('refuses client and clientConfig together, and contradictory encryption settings', () => {
    const client = new S3Client({ region: 'us-east-1' });
    try {
      expect(() => new AWSS3Backend({ bucketName: 'b', objectKey: 'k', client, clientConfig: {} })).toThrow(/either client or clientConfig/);
    } finally {
      client.destroy();
    }
    expect(() => new AWSS3Backend({ bucketName: 'b', objectKey: 'k', serverSideEncryption: 'aws:kms:dsse' as never })).toThrow(
      /serverSideEncryption/,
    );
    expect(() => new AWSS3Backend({ bucketName: 'b', objectKey: 'k', serverSideEncryption: 'AES256', kmsKeyId: 'key' })).toThrow(/kmsKeyId/);
  });

  it('takes kmsKeyId to mean SSE-KMS', () => {
    const b = new AWSS3Backend({ bucketName: 'b', objectKey: 'k', kmsKeyId: 'alias/tokens', clientConfig: { region: 'us-east-1' } });
    expect(b.serverSideEncryption).toBe('aws:kms');
    b.destroy();
  });

  it('shows bucket and key, never the client or its credentials, in inspect, String and JSON', () => {
    const b = new AWSS3Backend({ bucketName: 'tokens', objectKey: 'o365/app.json', clientConfig: { region: 'us-east-1', credentials } });
    try {
      const shown = [inspect(b, { showHidden: true, depth: Infinity }), String(b), JSON.stringify(b)].join('\n');
      expect(inspect(b)).toBe("AWSS3Backend { bucketName: 'tokens', objectKey: 'o365/app.json' }");
      expect(String(b)).toBe('AWSS3Backend(s3://tokens/o365/app.json)');
      expect(b.location).toBe('s3://tokens/o365/app.json');
      expect(shown).not.toContain(credentials.secretAccessKey);
      expect(shown).not.toContain(credentials.accessKeyId);
    } finally {
      b.destroy();
    }
  });
});
