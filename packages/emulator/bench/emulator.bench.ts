// Throughput of the emulator on loopback: token requests/s and /v1.0/me requests/s, against a
// baseline measured in the same run (a bare HTTPS server answering a static JSON document with
// the same TLS certificate). Load generator and servers share this process, so the ratio is
// what to compare across machines, not the absolute numbers.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { getCryptoMaterial } from '../src/crypto-material.js';
import { startEmulator } from '../src/index.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);

interface Result {
  name: string;
  requests: number;
  errors: number;
  perSecond: number;
}

async function measure(name: string, agent: Agent, send: () => Promise<number>): Promise<Result> {
  // Short warm-up so TLS sessions and JIT are settled.
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) await send();
  let requests = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const status = await send();
        requests++;
        if (status !== 200) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  void agent;
  return { name, requests, errors, perSecond: requests / elapsed };
}

async function main(): Promise<void> {
  const material = await getCryptoMaterial();
  const staticBody = JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'x'.repeat(1200) });
  const baseline = createServer({ key: material.tls.privateKey, cert: material.tls.certificate }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(staticBody) });
      res.end(staticBody);
    });
  });
  await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', r));
  const baselineUrl = `https://127.0.0.1:${(baseline.address() as AddressInfo).port}/`;

  const emu = await startEmulator({ port: 0 });
  const agent = new Agent({ connect: { ca: emu.ca }, connections: CONCURRENCY, keepAliveTimeout: 10_000 });
  const d = emu.defaults;
  const tokenUrl = `${emu.authorityHost}/${d.tenantId}/oauth2/v2.0/token`;
  const ccBody = new URLSearchParams({ grant_type: 'client_credentials', client_id: d.clientId, client_secret: d.clientSecret, scope: 'https://graph.microsoft.com/.default' }).toString();
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const userToken = (await (
    await request(tokenUrl, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ grant_type: 'password', client_id: d.publicClientId, username: d.username, password: d.password, scope: 'User.Read' }).toString(),
      dispatcher: agent,
    })
  ).body.json()) as { access_token: string };

  const drain = async (p: ReturnType<typeof request>) => {
    const res = await p;
    await res.body.dump();
    return res.statusCode;
  };

  process.stdout.write(`o365-emulator bench: ${SECONDS}s per scenario, ${CONCURRENCY} concurrent requests, Node ${process.version}\n`);
  const results: Result[] = [];
  results.push(await measure('baseline: static JSON over HTTPS (POST)', agent, () => drain(request(baselineUrl, { method: 'POST', headers: form, body: ccBody, dispatcher: agent }))));
  results.push(await measure('baseline: static JSON over HTTPS (GET)', agent, () => drain(request(baselineUrl, { dispatcher: agent }))));
  results.push(await measure('token: client_credentials (secret)', agent, () => drain(request(tokenUrl, { method: 'POST', headers: form, body: ccBody, dispatcher: agent }))));
  results.push(await measure('graph: GET /v1.0/me', agent, () => drain(request(`${emu.graphUrl}v1.0/me`, { headers: { authorization: `Bearer ${userToken.access_token}` }, dispatcher: agent }))));

  const [postBase, getBase, token, me] = results as [Result, Result, Result, Result];
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(44)} ${r.perSecond.toFixed(0).padStart(8)} req/s  (${r.requests} requests, ${r.errors} non-200)\n`);
  }
  process.stdout.write(`token requests/s: ${token.perSecond.toFixed(0)} = ${((token.perSecond / postBase.perSecond) * 100).toFixed(1)}% of the POST baseline\n`);
  process.stdout.write(`/v1.0/me requests/s: ${me.perSecond.toFixed(0)} = ${((me.perSecond / getBase.perSecond) * 100).toFixed(1)}% of the GET baseline\n`);

  await agent.close();
  await emu.stop();
  await new Promise<void>((r) => baseline.close(() => r()));
  baseline.closeAllConnections();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
