// Spawned by multi-process.emulator.test.ts: one process of several sharing one token file.
// Reads its settings from the environment, makes one Graph call, prints one JSON line.
import { readFileSync } from 'node:fs';
import { Account, FileSystemTokenBackend, MSGraphProtocol } from '../../src/index.js';

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`missing ${name}`);
    return value;
  };
  const offset = Number(env('CHILD_CLOCK_OFFSET_MS'));
  const account = new Account([env('CHILD_CLIENT_ID')], {
    authFlowType: 'password',
    username: env('CHILD_USERNAME'),
    tenantId: env('CHILD_TENANT_ID'),
    authorityHost: env('CHILD_AUTHORITY_HOST'),
    protocol: new MSGraphProtocol({ graphUrl: env('CHILD_GRAPH_URL') }),
    tls: { ca: readFileSync(env('CHILD_CA_FILE'), 'utf8') },
    tokenBackend: new FileSystemTokenBackend({ tokenPath: env('CHILD_TOKEN_DIR') }),
    clock: { now: () => Date.now() + offset },
  });
  try {
    const me = await account.getCurrentUser();
    process.stdout.write(`${JSON.stringify({ ok: true, upn: me.userPrincipalName })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })}\n`);
    process.exitCode = 1;
  } finally {
    await account.close();
  }
}

void main();
