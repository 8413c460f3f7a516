// Spawned by lazy-undici.emulator.test.ts: imports @o365/core in a fresh process and says whether
// undici got loaded, after the import, after a token served from the store, after a request.
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Every module loaded through Node's CommonJS loader, including undici when `import()`ed from ESM,
// is in this cache; there is no other way for core to load it.
const moduleCache = createRequire(import.meta.url).cache;
const undiciLoaded = (): boolean => Object.keys(moduleCache).some((file) => /[\\/]node_modules[\\/]undici[\\/]/.test(file));

async function main(): Promise<void> {
  const steps: Record<string, boolean> = {};
  const core = await import('../../src/index.js');
  steps.afterImport = undiciLoaded();
  const mode = process.env.CHILD_MODE ?? 'import';
  if (mode !== 'import') {
    const env = (name: string): string => {
      const value = process.env[name];
      if (!value) throw new Error(`missing ${name}`);
      return value;
    };
    const account = new core.Account([env('CHILD_CLIENT_ID')], {
      authFlowType: 'password',
      username: env('CHILD_USERNAME'),
      tenantId: env('CHILD_TENANT_ID'),
      authorityHost: env('CHILD_AUTHORITY_HOST'),
      protocol: new core.MSGraphProtocol({ graphUrl: env('CHILD_GRAPH_URL') }),
      tls: { ca: readFileSync(env('CHILD_CA_FILE'), 'utf8') },
      tokenBackend: new core.FileSystemTokenBackend({ tokenPath: env('CHILD_TOKEN_DIR') }),
    });
    try {
      steps.gotToken = (await account.connection.getAccessToken()) !== '';
      steps.afterStoredToken = undiciLoaded();
      if (mode === 'request') {
        steps.gotUser = (await account.getCurrentUser()).userPrincipalName !== undefined;
        steps.afterRequest = undiciLoaded();
      }
    } finally {
      await account.close();
    }
    steps.afterClose = undiciLoaded();
  }
  process.stdout.write(`${JSON.stringify({ ok: true, steps })}\n`);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })}\n`);
  process.exitCode = 1;
});
