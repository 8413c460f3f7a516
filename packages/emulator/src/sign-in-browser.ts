// A scripted browser for the emulator's sign-in pages: it opens the authorize page and the
// device-login page over HTTPS and submits their forms as a person would, so applications can
// test their own authorization-code and device-code paths end to end. node:https only: the
// emulator stays free of runtime HTTP dependencies.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What a sign-in types into the emulator's pages. */
export interface SignInCredentials {
  username: string;
  password: string;
  /** Answer to a second-factor prompt (users seeded with `mfa: true`); default `'approve'`. */
  mfa?: 'approve' | 'deny';
}

/**
 * A sign-in page did not go as a browser expects (no form, a wrong password, an error page). The
 * message carries the HTTP status and the page's error text, never the password.
 *
 * @example
 * ```ts
 * try {
 *   await browser.signIn(url, { username: 'adele@contoso.onmicrosoft.com', password: 'wrong' });
 * } catch (error) {
 *   if (error instanceof SignInPageError) console.log(error.status);
 * }
 * ```
 */
export class SignInPageError extends Error {
  override readonly name = 'SignInPageError';
  readonly code = 'EMULATOR_SIGN_IN_PAGE';
  /** HTTP status of the page that ended the sign-in. */
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

interface Page {
  status: number;
  location: string | undefined;
  body: string;
}

interface Form {
  action: string;
  fields: Record<string, string>;
}

/**
 * A scripted browser (and phone) for `@o365/emulator`'s sign-in pages: signs a user in on the
 * authorize page and returns the address the browser is sent to, or completes the device-login
 * page for a device code. It trusts the emulator's CA and nothing else.
 *
 * @example
 * ```ts
 * import { EmulatorBrowser, startEmulator } from '@o365/emulator';
 * const emu = await startEmulator();
 * const browser = new EmulatorBrowser(emu);
 * // authorization code: your code builds the URL, the browser signs in, your code redeems the redirect
 * const redirected = await browser.signIn(authorizeUrl, { username: emu.defaults.username, password: emu.defaults.password });
 * // device code: in your deviceCodeCallback
 * await browser.completeDeviceLogin(info.verificationUri, info.userCode, { username: emu.defaults.username, password: emu.defaults.password });
 * ```
 */
export class EmulatorBrowser {
  readonly #ca: string;
  readonly #origin: string;

  /** @param emulator the running emulator (its `url` and `ca`). */
  constructor(emulator: { readonly url: string; readonly ca: string }) {
    this.#ca = emulator.ca;
    this.#origin = new URL(emulator.url).origin;
  }

  /**
   * Opens an authorize URL, signs in (and answers a second-factor prompt), and resolves with the
   * redirect the browser would follow: the app's `redirect_uri` with `code` and `state` (or
   * `error`). It does not visit that address; {@link EmulatorBrowser.visit} does.
   */
  signIn(authorizeUrl: string, credentials: SignInCredentials): Promise<string> {
    return this.#onAuthorizePage(authorizeUrl, (form) => this.#completeSignIn(form, credentials));
  }

  /**
   * Opens an authorize URL and presses Cancel instead of signing in, as a person who declines
   * would. Resolves with the redirect the browser would follow: the app's `redirect_uri` with
   * `error=access_denied` (AADSTS65004) and `state`.
   *
   * @example
   * ```ts
   * const redirected = new URL(await browser.cancelSignIn(authorizeUrl));
   * redirected.searchParams.get('error'); // 'access_denied'
   * ```
   */
  cancelSignIn(authorizeUrl: string): Promise<string> {
    return this.#onAuthorizePage(authorizeUrl, (form) => this.#cancel(form));
  }

  /**
   * Completes the device-login page as the person on their phone would: enters `userCode`, then
   * signs in. Resolves when the page confirms; the polling application then gets its tokens.
   */
  async completeDeviceLogin(verificationUri: string, userCode: string, credentials: SignInCredentials): Promise<void> {
    const answer = await this.#completeSignIn(await this.#enterDeviceCode(verificationUri, userCode), credentials);
    if (answer.status !== 200 || pageError(answer.body) !== undefined) throw this.#failure(answer, 'the device login was not completed');
  }

  /**
   * Enters `userCode` on the device-login page and presses Cancel on the sign-in form that
   * follows, as a person who declines on their phone would. Resolves when the page confirms; the
   * polling application then gets `authorization_declined`.
   *
   * @example
   * ```ts
   * // in your deviceCodeCallback
   * await browser.declineDeviceLogin(info.verificationUri, info.userCode);
   * ```
   */
  async declineDeviceLogin(verificationUri: string, userCode: string): Promise<void> {
    const answer = await this.#cancel(await this.#enterDeviceCode(verificationUri, userCode));
    if (answer.status !== 200 || pageError(answer.body) !== undefined) throw this.#failure(answer, 'the device login was not declined');
  }

  /**
   * Follows a redirect to a loopback address (what the browser does after sign-in when the app
   * listens on `http://localhost`) and resolves with the HTTP status the app answered.
   */
  async visit(url: string): Promise<number> {
    const target = new URL(url);
    if (target.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(target.hostname)) {
      throw new SignInPageError(`visit() only follows loopback http redirects, not ${target.origin}`, 0);
    }
    if (target.hostname === 'localhost') target.hostname = '127.0.0.1';
    return (await this.#send(target, 'GET')).status;
  }

  /** Opens the authorize page and answers its form with `answer`; resolves with the redirect. */
  async #onAuthorizePage(authorizeUrl: string, answerForm: (form: Form) => Promise<Page>): Promise<string> {
    const page = await this.#get(authorizeUrl);
    // An existing session or prompt=none answers with the redirect straight away.
    if (page.location !== undefined) return new URL(page.location, authorizeUrl).href;
    const answer = await answerForm(this.#form(page, 'sign-in'));
    if (answer.location === undefined) throw this.#failure(answer, 'the sign-in did not redirect');
    return new URL(answer.location, authorizeUrl).href;
  }

  /** Enters the user code on the device-login page; resolves with the sign-in form that follows. */
  async #enterDeviceCode(verificationUri: string, userCode: string): Promise<Form> {
    const codeForm = this.#form(await this.#get(verificationUri), 'device-login');
    const signInPage = await this.#post(codeForm.action, { ...codeForm.fields, otc: userCode, action: 'next' });
    if (pageError(signInPage.body) !== undefined) throw this.#failure(signInPage, 'the device code was not accepted');
    return this.#form(signInPage, 'device-login sign-in');
  }

  #cancel(form: Form): Promise<Page> {
    return this.#post(form.action, { ...form.fields, action: 'cancel' });
  }

  async #completeSignIn(form: Form, credentials: SignInCredentials): Promise<Page> {
    let answer = await this.#post(form.action, { ...form.fields, login: credentials.username, passwd: credentials.password, action: 'signin' });
    if (answer.status === 200 && answer.body.includes('name="mfa"')) {
      const mfa = this.#form(answer, 'second factor');
      answer = await this.#post(mfa.action, { ...mfa.fields, mfa: credentials.mfa ?? 'approve' });
    }
    return answer;
  }

  #form(page: Page, what: string): Form {
    const form = parseForm(page.body);
    if (form === undefined) throw this.#failure(page, `the ${what} page has no form`);
    return form;
  }

  #failure(page: Page, what: string): SignInPageError {
    const detail = pageError(page.body);
    return new SignInPageError(`${what} (HTTP ${page.status}${detail ? `: ${detail}` : ''})`, page.status);
  }

  #get(url: string): Promise<Page> {
    return this.#send(this.#onEmulator(url), 'GET');
  }

  #post(action: string, fields: Record<string, string>): Promise<Page> {
    return this.#send(this.#onEmulator(action), 'POST', new URLSearchParams(fields).toString());
  }

  #onEmulator(url: string): URL {
    const target = new URL(url, this.#origin);
    if (target.origin !== this.#origin) throw new SignInPageError(`${target.origin} is not the emulator (${this.#origin})`, 0);
    return target;
  }

  #send(url: URL, method: 'GET' | 'POST', body?: string): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Page>((resolve, reject) => {
      const req = request(url, { method, headers, ca: this.#ca, agent: false, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const location = res.headers.location;
          resolve({ status: res.statusCode ?? 0, location: typeof location === 'string' ? location : undefined, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new SignInPageError(`no answer from ${url.origin} within 30 s`, 0)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** Inputs (hidden and text) and the action of the first form of a page. */
function parseForm(html: string): Form | undefined {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input([^>]*)>/gi)) {
    const attrs = m[1]!;
    const name = /name="([^"]*)"/.exec(attrs)?.[1];
    const value = /value="([^"]*)"/.exec(attrs)?.[1] ?? '';
    if (name && !/type="submit"/i.test(attrs)) fields[name] = unescapeHtml(value);
  }
  return { action: unescapeHtml(form[1]!), fields };
}

/** The error text a page shows (the emulator marks it with class="error"), if any. */
function pageError(html: string): string | undefined {
  const m = /class="error"[^>]*>([^<]*)</i.exec(html);
  return m?.[1] ? unescapeHtml(m[1]).trim().slice(0, 300) : undefined;
}

function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
