import { createSecureContext, rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { loadUndici } from './load-undici.js';

/**
 * TLS trust for outgoing HTTPS connections.
 *
 * @example
 * ```ts
 * const tls: TlsOptions = { ca: readFileSync('corporate-ca.pem', 'utf8') };
 * new Account(['client-id'], { tls });
 * ```
 */
export interface TlsOptions {
  /**
   * PEM certificate(s) to trust in addition to Node's bundled roots: a corporate TLS-inspection
   * CA, a private deployment, or the emulator's `emu.ca`.
   */
  ca?: string | string[];
  /** Defaults to `true`. Turning it off disables certificate checks; never do it in production. */
  rejectUnauthorized?: boolean;
}

/**
 * Options of {@link createDispatcher}.
 *
 * @example
 * ```ts
 * const options: DispatcherOptions = { tls: { ca: emu.ca }, proxy: 'http://proxy.corp:8080', timeoutMs: 10_000 };
 * const dispatcher = await createDispatcher(options);
 * ```
 */
export interface DispatcherOptions {
  tls?: TlsOptions;
  /** Proxy URL, e.g. `http://proxy.corp:8080` (credentials in the URL are sent as Proxy-Authorization). */
  proxy?: string;
  /** Connect, headers and body-idle timeout. */
  timeoutMs?: number;
}

/**
 * Builds the single undici dispatcher used for Graph calls and token requests: TLS trust, proxy
 * and socket timeouts in one place. Asynchronous because it loads undici on first use (importing
 * `@o365/core` does not load it); an {@link HttpClient} calls it on its first request, and
 * `http.getDispatcher()` hands out that one instead of building another.
 *
 * @example
 * ```ts
 * import { fetch } from 'undici';
 * const dispatcher = await createDispatcher({ tls: { ca: emu.ca }, timeoutMs: 10_000 });
 * const res = await fetch(`${emu.graphUrl}v1.0/me`, { dispatcher, headers: { authorization: `Bearer ${token}` } });
 * await dispatcher.close();
 * ```
 */
export async function createDispatcher(options: DispatcherOptions = {}): Promise<Dispatcher> {
  checkProxy(options.proxy);
  const { Agent, ProxyAgent } = await loadUndici();
  const ca = options.tls?.ca;
  const caList = ca === undefined ? undefined : Array.isArray(ca) ? ca : [ca];
  // Node replaces its bundled roots when `ca` is given; keep them so adding one CA does not
  // break every public endpoint.
  // The trust store is built once here: passing `ca` to every connection makes Node parse the
  // ~145 bundled roots again per handshake (measured by core's tls-connect bench: 37-45 ms of CPU
  // per new connection, against ~5 ms with one shared secure context).
  const secureContext =
    caList === undefined ? undefined : createSecureContext({ ca: [...caList, ...rootCertificates] });
  const tls = {
    ...(secureContext === undefined ? {} : { secureContext }),
    ...(options.tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.tls.rejectUnauthorized }),
  };
  const timeouts =
    options.timeoutMs === undefined
      ? {}
      : { headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs };
  const connectTimeout = options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs };

  if (options.proxy !== undefined && options.proxy !== '') {
    return new ProxyAgent({
      uri: options.proxy,
      requestTls: { ...tls, ...connectTimeout },
      proxyTls: { ...tls, ...connectTimeout },
      ...timeouts,
    });
  }
  return new Agent({ connect: { ...tls, ...connectTimeout }, ...timeouts });
}

/**
 * Rejects a proxy URL undici could not use. Run where the options are given (`createHttpClient`),
 * so a typo fails there and not on the first request, now that the dispatcher is built lazily.
 */
export function checkProxy(proxy: string | undefined): void {
  if (proxy === undefined || proxy === '') return;
  // No cause and no echo of the value: a proxy URL may carry credentials (Node's URL error keeps
  // the input on the error).
  if (!URL.canParse(proxy)) throw new TypeError('proxy must be a URL such as http://proxy.corp:8080');
}
