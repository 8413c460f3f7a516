// o365 request: an authenticated Graph call through core's session (refresh before expiry and
// once on a 401, retries of 429/5xx); the response body on stdout.
import { readFile } from 'node:fs/promises';
import { graphErrorFromResponse } from '@o365/core';
import type { Command } from 'commander';
import { openAccount, requireProfile, type Context } from '../context.js';
import { UsageError } from '../exit-codes.js';
import type { RunIo } from '../output.js';

interface RequestOptions {
  method: string;
  body?: string;
  header?: string[];
}

export function registerRequest(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('request')
    .description('call Microsoft Graph with the profile\'s token; the response body goes to stdout')
    .argument('<path>', 'Graph path (me, /v1.0/users, beta/me) or a full URL on the Graph host')
    .option('-X, --method <method>', 'HTTP method', 'GET')
    .option('--body <body>', 'request body: JSON text, @file, or - for stdin')
    .option('-H, --header <header...>', 'extra headers, "Name: value"')
    .addHelpText(
      'after',
      `
Examples:
  $ o365 request me
  $ o365 request '/v1.0/users?$top=5&$select=displayName'
  $ o365 request --method PATCH me --body '{"mobilePhone":"+1 555 0100"}'
  $ o365 request --method POST me/sendMail --body @mail.json

A non-2xx answer prints Graph's error on stderr and exits 8.`,
    )
    .action(async (path: string, opts: RequestOptions, cmd: Command) => {
      const ctx = context(cmd);
      const profile = await requireProfile(ctx);
      const account = await openAccount(ctx, profile);
      const url = graphUrl(account.protocol.graphUrl, path);
      const method = opts.method.toUpperCase();
      const headers: Record<string, string> = {};
      for (const h of opts.header ?? []) {
        const at = h.indexOf(':');
        if (at <= 0) throw new UsageError(`--header must be "Name: value"`);
        headers[h.slice(0, at).trim()] = h.slice(at + 1).trim();
      }
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = await readBody(opts.body, ctx.io);
        if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const init: Parameters<ReturnType<typeof account.connection.getSession>['fetch']>[1] = { method, headers };
      if (body !== undefined) init.body = body;
      if (ctx.io.signal) init.signal = ctx.io.signal;
      const res = await account.connection.getSession().fetch(url, init);
      if (!res.ok) throw await graphErrorFromResponse(res, method);
      const text = await res.text();
      if (text === '') return;
      const type = res.headers.get('content-type') ?? '';
      if (type.includes('json') && !ctx.out.json) {
        // Pretty-printed for people; --json leaves it exactly as Graph sent it.
        try {
          ctx.out.data(JSON.parse(text));
          return;
        } catch {
          // not JSON after all: as is
        }
      }
      ctx.out.raw(text.endsWith('\n') ? text : `${text}\n`);
    });
}

/** Resolves a path against the Graph root: `me` and `/me` under the API version, `/v1.0/...` and `beta/...` as given. */
export function graphUrl(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  const trimmed = path.replace(/^\/+/, '');
  if (/^(v1\.0|beta)(\/|$|\?)/.test(trimmed)) return new URL(trimmed, new URL('../', base)).href;
  return new URL(trimmed, base).href;
}

async function readBody(spec: string, io: RunIo): Promise<string> {
  if (spec === '-') {
    if (!io.stdin) throw new UsageError('--body - needs input on stdin');
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  }
  if (spec.startsWith('@')) {
    try {
      return await readFile(spec.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the body file ${spec.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  return spec;
}
