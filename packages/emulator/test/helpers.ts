// Test helpers: an undici dispatcher that trusts the emulator's CA, msal-node's network client
// over it, and a tiny "browser" that fills the emulator's HTML forms over HTTP.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { Agent, fetch, type Dispatcher, type Response } from 'undici';
import type { Emulator } from '../src/index.js';

/** A dispatcher that trusts `ca`. */
export function trustingAgent(ca: string): Agent {
  return new Agent({ connect: { ca }, keepAliveTimeout: 1000 });
}

/** msal-node's `system.networkClient`: Microsoft's fetch-based client, but trusting `ca`. */
export function msalNetworkClient(dispatcher: Dispatcher): INetworkModule {
  async function send<T>(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const res = await fetch(url, { method, headers: options?.headers, body: options?.body, dispatcher });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const text = await res.text();
    return { headers, body: (text ? JSON.parse(text) : {}) as T, status: res.status };
  }
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}

/** The msal-node configuration an app needs to talk to the emulator (besides its credentials). */
export function msalAuthConfig(emu: Emulator, tenant = emu.defaults.tenantId) {
  return {
    authority: `${emu.authorityHost}/${tenant}`,
    knownAuthorities: [new URL(emu.url).host],
  };
}

/** Hidden and text inputs plus the action of the first form in `html`. */
export function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form in page: ${html.slice(0, 200)}`);
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input([^>]*)>/gi)) {
    const attrs = m[1]!;
    const name = /name="([^"]*)"/.exec(attrs)?.[1];
    const value = /value="([^"]*)"/.exec(attrs)?.[1] ?? '';
    if (name) fields[name] = unescapeHtml(value);
  }
  return { action: unescapeHtml(form[1]!), fields };
}

function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** POSTs a form like a browser (urlencoded, no redirect following). */
export async function submitForm(
  emu: Emulator,
  dispatcher: Dispatcher,
  action: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(new URL(action, emu.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
    dispatcher,
  });
}

/**
 * Signs in through the authorize page as a browser would: GET the page, POST the credentials
 * (and approve the second factor when asked). Returns the final answer (normally the 302).
 */
export async function browserSignIn(
  emu: Emulator,
  dispatcher: Dispatcher,
  authorizeUrl: string,
  credentials: { username: string; password: string },
): Promise<Response> {
  const page = await fetch(authorizeUrl, { dispatcher, redirect: 'manual' });
  if (page.status !== 200) return page;
  const form = parseForm(await page.text());
  let res = await submitForm(emu, dispatcher, form.action, {
    ...form.fields,
    login: credentials.username,
    passwd: credentials.password,
    action: 'signin',
  });
  if (res.status === 200) {
    const html = await res.text();
    if (html.includes('name="mfa"')) {
      const mfa = parseForm(html);
      res = await submitForm(emu, dispatcher, mfa.action, { ...mfa.fields, mfa: 'approve' });
    } else {
      throw new Error(`sign-in page answered 200: ${html.slice(0, 300)}`);
    }
  }
  return res;
}

/** Completes the device-login page: enter the code, then sign in. */
export async function completeDeviceLogin(
  emu: Emulator,
  dispatcher: Dispatcher,
  verificationUri: string,
  userCode: string,
  credentials: { username: string; password: string } | 'decline',
): Promise<string> {
  const page = await fetch(verificationUri, { dispatcher });
  const codeForm = parseForm(await page.text());
  const signIn = await submitForm(emu, dispatcher, codeForm.action, { ...codeForm.fields, otc: userCode });
  const signInForm = parseForm(await signIn.text());
  if (credentials === 'decline') {
    const res = await submitForm(emu, dispatcher, signInForm.action, { ...signInForm.fields, action: 'cancel' });
    return res.text();
  }
  let res = await submitForm(emu, dispatcher, signInForm.action, {
    ...signInForm.fields,
    login: credentials.username,
    passwd: credentials.password,
    action: 'signin',
  });
  let html = await res.text();
  if (html.includes('name="mfa"')) {
    const mfa = parseForm(html);
    res = await submitForm(emu, dispatcher, mfa.action, { ...mfa.fields, mfa: 'approve' });
    html = await res.text();
  }
  return html;
}

/** Decodes a JWT payload without verifying it (tests check claims). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** POSTs a form to the token endpoint of `tenant` and returns status + JSON. */
export async function tokenRequest(
  emu: Emulator,
  dispatcher: Dispatcher,
  params: Record<string, string>,
  tenant = emu.defaults.tenantId,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${emu.authorityHost}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
    dispatcher,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers as unknown as Headers };
}

/** GETs a Graph path with a bearer token. */
export async function graphGet(
  emu: Emulator,
  dispatcher: Dispatcher,
  path: string,
  token: string | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(path.startsWith('https://') ? path : `${emu.graphUrl}${path}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    dispatcher,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers as unknown as Headers };
}
