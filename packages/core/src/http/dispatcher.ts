import { createSecureContext, rootCertificates } from 'node:tls';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';

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
 * const dispatcher = createDispatcher(options);
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
 * and socket timeouts in one place.
 *
 * @example
 * ```ts
 * const dispatcher = createDispatcher({ tls: { ca: emu.ca }, timeoutMs: 10_000 });
 * ```
 */
export function createDispatcher(options: DispatcherOptions = {}): Dispatcher {
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
