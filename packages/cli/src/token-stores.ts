// `--token-store`: where a profile's token cache lives. `file` (the default: the profile's file in
// the config directory), `redis[://host:port[/db]]` (@o365/backend-redis) or `s3://bucket[/prefix]`
// (@o365/backend-s3). A backend package is loaded only when a profile names it, so the CLI needs
// only the one you use installed beside it. The spec is stored in the profile: never a secret
// (a Redis password comes from REDIS_URL, AWS credentials from the SDK's usual chain).
import type { TokenBackend } from '@o365/core';
import { CliError, EXIT_CODES, UsageError } from './exit-codes.js';

/** A token backend and how to let go of its connections when the command ends. */
export interface OpenedTokenStore {
  backend: TokenBackend;
  close(): Promise<void>;
}

/** Checks a `--token-store` value; returns it normalized (`file` for the default). */
export function checkTokenStore(spec: string): string {
  const value = spec.trim();
  if (value === '' || value === 'file') return 'file';
  if (value === 'redis') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--token-store "${value.slice(0, 80)}" is not one of file, redis, redis://host:port, s3://bucket/prefix`);
  }
  if (url.username || url.password) {
    throw new UsageError('--token-store must not hold credentials (profiles never store a secret): put the Redis password in REDIS_URL and pass --token-store redis');
  }
  if (!['redis:', 'rediss:', 's3:'].includes(url.protocol)) {
    throw new UsageError(`--token-store ${url.protocol}// is not supported: use file, redis, redis://host:port or s3://bucket/prefix`);
  }
  if (url.protocol === 's3:' && url.hostname === '') throw new UsageError('--token-store s3:// needs a bucket: s3://bucket/prefix');
  return value;
}

async function load<T>(pkg: string, spec: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError(`the token store ${spec} needs ${pkg}, which is not installed`, {
        exitCode: EXIT_CODES.backend,
        code: 'CLI_TOKEN_STORE_MISSING',
        advice: `install it next to @o365/cli: npm i ${pkg}`,
        cause,
      });
    }
    throw cause;
  }
}

interface RedisModule {
  RedisTokenBackend: new (options: { url?: string; key: string; keyPrefix?: string }) => TokenBackend & { close(): Promise<void> };
}
interface S3Module {
  AWSS3Backend: new (options: { bucketName: string; objectKey: string }) => TokenBackend & { destroy(): void };
}

/** Opens the store a profile names; `file` is handled by the caller (the config directory). */
export async function openTokenStore(spec: string, profile: string): Promise<OpenedTokenStore> {
  if (spec === 'redis' || spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    const { RedisTokenBackend } = await load<RedisModule>('@o365/backend-redis', spec);
    const backend = new RedisTokenBackend({ ...(spec === 'redis' ? {} : { url: spec }), keyPrefix: 'o365:cli:', key: profile });
    return { backend, close: () => backend.close() };
  }
  const url = new URL(spec);
  const prefix = url.pathname.replace(/^\/+|\/+$/g, '');
  const { AWSS3Backend } = await load<S3Module>('@o365/backend-s3', spec);
  const backend = new AWSS3Backend({ bucketName: url.hostname, objectKey: `${prefix ? `${prefix}/` : ''}${profile}.json` });
  return {
    backend,
    close: async () => {
      backend.destroy();
    },
  };
}
