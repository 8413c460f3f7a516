// Test support (not exported): drives the emulator's sign-in and device-login pages over HTTP, as
// a browser would, without following the final redirect.
import type { HttpClient } from '../../src/http/http-client.js';

function hidden(html: string, name: string): string | undefined {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m?.[1];
}

function formAction(html: string): string {
  const m = /<form method="post" action="([^"]*)"/.exec(html);
  if (!m?.[1]) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  return m[1].replace(/&amp;/g, '&');
}

async function post(http: HttpClient, url: URL, form: Record<string, string>): Promise<Response> {
  return (await http.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  })) as unknown as Response;
}

/**
 * Opens the consent URL, submits the sign-in form and returns the URL the browser would be
 * redirected to (the `Location` of the final 302). `action: 'cancel'` presses Cancel.
 */
export async function signInThroughForm(
  http: HttpClient,
  consentUrl: string,
  user: { username: string; password: string; action?: 'signin' | 'cancel' },
): Promise<string> {
  const page = (await http.fetch(consentUrl, { redirect: 'manual' })) as unknown as Response;
  const html = await page.text();
  if (page.status >= 300 && page.status < 400) return page.headers.get('location') ?? '';
  const ctx = hidden(html, 'ctx');
  if (!ctx) throw new Error(`sign-in page without ctx (HTTP ${page.status}): ${html.slice(0, 300)}`);
  const res = await post(http, new URL(formAction(html), consentUrl), {
    ctx,
    login: user.username,
    passwd: user.password,
    action: user.action ?? 'signin',
  });
  const location = res.headers.get('location');
  if (res.status >= 300 && res.status < 400 && location) return new URL(location, consentUrl).href;
  throw new Error(`sign-in did not redirect (HTTP ${res.status}): ${(await res.text()).slice(0, 300)}`);
}

/** Completes (or cancels) the device-login page for a user code. */
export async function completeDeviceLogin(
  http: HttpClient,
  verificationUri: string,
  userCode: string,
  user: { username: string; password: string; action?: 'signin' | 'cancel' },
): Promise<void> {
  const first = (await http.fetch(verificationUri)) as unknown as Response;
  const firstHtml = await first.text();
  const codeRes = await post(http, new URL(formAction(firstHtml), verificationUri), { otc: userCode, action: 'next' });
  const signIn = await codeRes.text();
  const ctx = hidden(signIn, 'ctx');
  if (!ctx) throw new Error(`device login: no sign-in form after the code (HTTP ${codeRes.status}): ${signIn.slice(0, 300)}`);
  const done = await post(http, new URL(formAction(signIn), verificationUri), {
    ctx,
    login: user.username,
    passwd: user.password,
    action: user.action ?? 'signin',
  });
  await done.text();
  if (done.status >= 400) throw new Error(`device login failed with HTTP ${done.status}`);
}
