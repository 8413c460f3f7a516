#!/usr/bin/env node
// `o365-emulator [--port N] [--host H] [--seed file.json] [--out-dir DIR]`: starts the emulator,
// prints its facts as JSON on stdout, runs until SIGINT/SIGTERM.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from './emulator.js';
import type { EmulatorSeed } from './seed.js';

const USAGE = `Usage: o365-emulator [options]

Starts a local Microsoft identity platform (v2.0) + Microsoft Graph emulator on HTTPS and prints
its URLs, default credentials and the path of its CA certificate as JSON. Stops on Ctrl+C.

Options:
  --port N                   port to listen on (default 0: a free port)
  --host H                   address to bind (default 127.0.0.1)
  --seed FILE                JSON seed (tenants, apps, users); default: the built-in seed
  --out-dir DIR              where to write the CA and the app certificate (default: a temp dir)
  --device-code-interval N   polling interval of device codes, seconds (default 5)
  -h, --help                 show this help
`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        seed: { type: 'string' },
        'out-dir': { type: 'string' },
        'device-code-interval': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`o365-emulator: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`o365-emulator: --port must be an integer between 0 and 65535\n`);
    return 2;
  }
  const interval = values['device-code-interval'] === undefined ? undefined : Number(values['device-code-interval']);
  if (interval !== undefined && (!Number.isInteger(interval) || interval < 1)) {
    process.stderr.write(`o365-emulator: --device-code-interval must be a positive integer\n`);
    return 2;
  }
  let seed: EmulatorSeed | undefined;
  if (values.seed) {
    try {
      seed = JSON.parse(await readFile(values.seed, 'utf8')) as EmulatorSeed;
    } catch (err) {
      process.stderr.write(`o365-emulator: cannot read seed ${values.seed}: ${(err as Error).message}\n`);
      return 2;
    }
  }
  let emu;
  try {
    emu = await startEmulator({
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(seed ? { seed } : {}),
      ...(interval ? { deviceCodeInterval: interval } : {}),
      logger: {
        warn: (m) => process.stderr.write(`o365-emulator: ${m}\n`),
        error: (m, meta) => process.stderr.write(`o365-emulator: ${m} ${JSON.stringify(meta ?? {})}\n`),
      },
    });
  } catch (err) {
    process.stderr.write(`o365-emulator: ${(err as Error).message}\n`);
    return 2;
  }
  const createdDir = values['out-dir'] === undefined;
  const outDir = createdDir ? await mkdtemp(join(tmpdir(), 'o365-emulator-')) : resolve(values['out-dir']!);
  await mkdir(outDir, { recursive: true });
  const caFile = join(outDir, 'emulator-ca.pem');
  const certificateFile = join(outDir, 'app-certificate.pem');
  const privateKeyFile = join(outDir, 'app-private-key.pem');
  await writeFile(caFile, emu.ca);
  await writeFile(certificateFile, emu.defaults.certificate.certificate);
  await writeFile(privateKeyFile, emu.defaults.certificate.privateKey, { mode: 0o600 });
  const facts = {
    url: emu.url,
    authorityHost: emu.authorityHost,
    graphUrl: emu.graphUrl,
    caFile,
    tenantId: emu.defaults.tenantId,
    clientId: emu.defaults.clientId,
    clientSecret: emu.defaults.clientSecret,
    publicClientId: emu.defaults.publicClientId,
    username: emu.defaults.username,
    password: emu.defaults.password,
    mfaUsername: emu.defaults.mfaUsername,
    certificate: {
      thumbprint: emu.defaults.certificate.thumbprint,
      thumbprintSha256: emu.defaults.certificate.thumbprintSha256,
      certificateFile,
      privateKeyFile,
    },
    openIdConfiguration: `${emu.authorityHost}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`,
    deviceLogin: `${emu.url}/devicelogin`,
    admin: { faults: `${emu.url}/_emulator/faults`, requests: `${emu.url}/_emulator/requests`, clock: `${emu.url}/_emulator/clock` },
    hint: `NODE_EXTRA_CA_CERTS=${caFile} makes Node trust the emulator`,
  };
  // Handlers go in before the facts are printed: a caller may signal as soon as it reads them.
  const stopped = new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
  await stopped;
  await emu.stop();
  if (createdDir) await rm(outDir, { recursive: true, force: true });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`o365-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
