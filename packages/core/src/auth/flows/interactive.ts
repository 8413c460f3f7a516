import { randomUUID } from 'node:crypto';
import { untilAborted } from '../../abort.js';
import type { Connection } from '../../connection.js';
import { AuthenticationError } from '../../errors.js';
import type { AbortSignalLike } from '../../token-credential.js';
import { isLoopbackRedirectUri, startLoopbackRedirect } from '../loopback-server.js';

/**
 * Receives the consent URL of the authorization flow and resolves with the URL the browser was
 * redirected to (`''` to abort). Replaces python-o365's console prompt: a CLI can open a browser,
 * a test can submit the sign-in form itself.
 *
 * @example
 * ```ts
 * const handleConsent: ConsentHandler = async (url) => {
 *   await open(url); // a browser
 *   return await prompt('Paste the address you ended on: ');
 * };
 * await account.authenticate({ handleConsent });
 * ```
 */
export type ConsentHandler = (url: string) => Promise<string> | string;

/** How an interactive sign-in reaches the person. */
export interface InteractiveSignIn {
  redirectUri: string;
  handleConsent?: ConsentHandler;
  loginHint?: string;
  /** How long the loopback server waits for the browser. */
  loopbackTimeoutMs: number;
  write(text: string): void;
  input(question: string): Promise<string>;
  signal?: AbortSignalLike;
}

/**
 * The authorization code flow run for a person at a console or with a consent handler: with a
 * loopback redirect URI, a local server receives the redirect; otherwise the person (or the
 * handler) pastes the URL they ended on. Resolves `false` when they gave nothing.
 */
export async function signInInteractively(
  connection: Pick<Connection, 'getAuthorizationUrl' | 'requestToken'>,
  scopes: readonly string[] | undefined,
  options: InteractiveSignIn,
): Promise<boolean> {
  const { redirectUri, handleConsent } = options;
  const urlOptions = { ...(options.loginHint ? { loginHint: options.loginHint } : {}) };

  if (isLoopbackRedirectUri(redirectUri)) {
    // The state is chosen first so the loopback server ends the sign-in only for its own redirect.
    const state = randomUUID();
    const loopback = await startLoopbackRedirect(redirectUri, { expectedState: state });
    let timer: NodeJS.Timeout | undefined;
    try {
      const { url, flow } = await connection.getAuthorizationUrl(scopes, { redirectUri: loopback.redirectUri, state, ...urlOptions });
      const timeoutMs = options.loopbackTimeoutMs;
      const timedOut = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(''), timeoutMs);
      });
      let fromHandler: Promise<string>;
      if (handleConsent) {
        // The handler may return the redirected URL itself, or '' and let the browser hit the loopback server.
        fromHandler = callConsentHandler(handleConsent, url).then((pasted) => (pasted && pasted.trim() ? pasted : loopback.redirected));
      } else {
        options.write(`Open this URL in a browser to sign in:\n${url}`);
        fromHandler = loopback.redirected;
      }
      const redirected = await untilAborted(Promise.race([loopback.redirected, fromHandler, timedOut]), options.signal);
      if (!redirected) return false;
      return await connection.requestToken(redirected, { flow });
    } finally {
      if (timer) clearTimeout(timer);
      await loopback.close();
    }
  }

  const { url, flow } = await connection.getAuthorizationUrl(scopes, { redirectUri, ...urlOptions });
  let pasted: string;
  if (handleConsent) {
    pasted = await untilAborted(callConsentHandler(handleConsent, url), options.signal);
  } else {
    options.write(`Visit the following url to give consent:\n${url}`);
    pasted = await untilAborted(options.input('Paste the authenticated url here:\n'), options.signal);
  }
  if (typeof pasted !== 'string' || pasted.trim() === '') return false;
  return connection.requestToken(pasted, { flow });
}

/** Runs the caller's consent handler; its failure becomes a typed error (as the device code callback's does). */
async function callConsentHandler(handleConsent: ConsentHandler, url: string): Promise<string> {
  try {
    return await handleConsent(url);
  } catch (error) {
    throw new AuthenticationError('The consent handler failed; sign-in cancelled', { cause: error });
  }
}
