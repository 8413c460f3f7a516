// A pretend browser (and phone) for the demo: it opens the emulator's sign-in pages over HTTPS and
// fills them in, the way a person would. Real applications never need this.
import { createHttpClient, type HttpClient } from '@o365/core';

function field(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

function action(html: string, base: string): URL {
  const m = /<form method="post" action="([^"]*)"/.exec(html);
  if (!m?.[1]) throw new Error('the page has no form');
  return new URL(m[1].replace(/&amp;/g, '&'), base);
}

export class DemoBrowser {
  readonly #http: HttpClient;

  constructor(ca: string) {
    this.#http = createHttpClient({ tls: { ca }, retry: { maxRetries: 0 } });
  }

  async #post(url: URL, form: Record<string, string>): Promise<Response> {
    return (await this.#http.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    })) as unknown as Response;
  }

  /** Opens the sign-in URL, types the user name and password, and returns where the browser is sent. */
  async signIn(url: string, username: string, password: string): Promise<string> {
    const page = (await this.#http.fetch(url, { redirect: 'manual' })) as unknown as Response;
    const html = await page.text();
    const ctx = field(html, 'ctx');
    if (!ctx) throw new Error(`no sign-in form (HTTP ${page.status})`);
    const res = await this.#post(action(html, url), { ctx, login: username, passwd: password, action: 'signin' });
    await res.text();
    const location = res.headers.get('location');
    if (!location) throw new Error(`the sign-in did not redirect (HTTP ${res.status})`);
    return new URL(location, url).href;
  }

  /** Follows a redirect to a local address (what the browser does after sign-in). */
  async visit(url: string): Promise<number> {
    const target = new URL(url);
    if (target.hostname === 'localhost') target.hostname = '127.0.0.1';
    const res = await fetch(target);
    await res.text();
    return res.status;
  }

  /** The phone: opens the device-login page, enters the code, signs in. */
  async enterDeviceCode(verificationUri: string, userCode: string, username: string, password: string): Promise<void> {
    const first = (await this.#http.fetch(verificationUri)) as unknown as Response;
    const codePage = await first.text();
    const afterCode = await this.#post(action(codePage, verificationUri), { otc: userCode, action: 'next' });
    const signInPage = await afterCode.text();
    const ctx = field(signInPage, 'ctx');
    if (!ctx) throw new Error('the code was not accepted');
    const done = await this.#post(action(signInPage, verificationUri), { ctx, login: username, passwd: password, action: 'signin' });
    await done.text();
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}
