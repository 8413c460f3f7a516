import { InvalidArgumentError } from './errors.js';
import { ME_RESOURCE } from './main-resource.js';
import { OIDC_SCOPES, SCOPE_HELPERS } from './scopes.js';

/**
 * The Microsoft Graph deployments ("national clouds") a {@link MSGraphProtocol} can target.
 *
 * @example
 * ```ts
 * const cloud: GraphCloud = 'usgov';
 * new MSGraphProtocol({ cloud }).graphUrl; // 'https://graph.microsoft.us/v1.0/'
 * ```
 */
export type GraphCloud = 'global' | 'usgov' | 'usgov-dod' | 'china';

/**
 * Hosts of one national cloud.
 *
 * @example
 * ```ts
 * const { authorityHost, graphRoot }: CloudEndpoints = CLOUD_ENDPOINTS.china;
 * ```
 */
export interface CloudEndpoints {
  /** Graph root, with a trailing slash. Also the resource URI that prefixes scopes. */
  readonly graphRoot: string;
  /** Identity platform host (no trailing slash), as msal-node's `authority` base. */
  readonly authorityHost: string;
}

/**
 * Graph and sign-in hosts per national cloud, from Microsoft's "National cloud deployments"
 * documentation.
 *
 * @example
 * ```ts
 * CLOUD_ENDPOINTS.china.graphRoot; // 'https://microsoftgraph.chinacloudapi.cn/'
 * ```
 */
export const CLOUD_ENDPOINTS: Readonly<Record<GraphCloud, CloudEndpoints>> = Object.freeze({
  global: { graphRoot: 'https://graph.microsoft.com/', authorityHost: 'https://login.microsoftonline.com' },
  usgov: { graphRoot: 'https://graph.microsoft.us/', authorityHost: 'https://login.microsoftonline.us' },
  'usgov-dod': { graphRoot: 'https://dod-graph.microsoft.us/', authorityHost: 'https://login.microsoftonline.us' },
  china: { graphRoot: 'https://microsoftgraph.chinacloudapi.cn/', authorityHost: 'https://login.chinacloudapi.cn' },
});

/**
 * Options of the {@link Protocol} base class.
 *
 * @example
 * ```ts
 * class MyProtocol extends Protocol {
 *   constructor() {
 *     super({ protocolUrl: 'https://graph.example/', apiVersion: 'v1.0', defaultResource: 'me', scopePrefix: 'https://graph.example/' } satisfies ProtocolOptions);
 *   }
 * }
 * ```
 */
export interface ProtocolOptions {
  /** Service root with a trailing slash, e.g. `https://graph.microsoft.com/`. */
  protocolUrl: string;
  /** API version segment, e.g. `v1.0`. */
  apiVersion: string;
  /** Resource URI + `/` put in front of bare scope names; `''` for none. */
  scopePrefix?: string;
  /** Scope helpers this protocol expands (python-o365's `_oauth_scopes`). */
  scopeHelpers?: Readonly<Record<string, readonly string[]>>;
  /** Resource used when nothing else is given (python-o365's `default_resource`, `me` by default). */
  defaultResource?: string;
  /** Identity platform host for this service. */
  authorityHost?: string;
  /** Largest `$top` the service accepts. */
  maxTopValue?: number;
}

/**
 * Base of every protocol: where the service lives, which API version, and how scopes are named.
 * Subclass it for another service; use {@link MSGraphProtocol} for Microsoft Graph.
 *
 * @example
 * ```ts
 * const p = new Protocol({ protocolUrl: 'https://api.contoso.com/', apiVersion: 'v2', scopePrefix: 'api://contoso/' });
 * p.getScopesFor('Things.Read'); // ['api://contoso/Things.Read']
 * ```
 */
export class Protocol {
  /** Service root, with a trailing slash (python-o365's `protocol_url`). */
  readonly serviceUrl: string;
  readonly apiVersion: string;
  /** Resource URI + `/` for scopes, e.g. `https://graph.microsoft.com/`. */
  readonly scopePrefix: string;
  readonly defaultResource: string;
  readonly authorityHost: string;
  readonly maxTopValue: number;
  private readonly scopeHelpers: Readonly<Record<string, readonly string[]>>;

  constructor(options: ProtocolOptions) {
    if (typeof options.apiVersion !== 'string' || options.apiVersion.trim() === '') {
      throw new TypeError('Protocol needs an apiVersion such as "v1.0"');
    }
    this.serviceUrl = normalizeRoot(options.protocolUrl, 'protocolUrl');
    this.apiVersion = options.apiVersion.trim().replace(/^\/+|\/+$/g, '');
    this.scopePrefix = options.scopePrefix ?? '';
    this.scopeHelpers = options.scopeHelpers ?? {};
    this.defaultResource = options.defaultResource ?? ME_RESOURCE;
    this.authorityHost = (options.authorityHost ?? CLOUD_ENDPOINTS.global.authorityHost).replace(/\/+$/, '');
    this.maxTopValue = options.maxTopValue ?? 500;
  }

  /** `${serviceUrl}${apiVersion}/`, the base every request path is resolved against. */
  get graphUrl(): string {
    return `${this.serviceUrl}${this.apiVersion}/`;
  }

  /**
   * Expands scope helpers (`basic`, `message_all`, ... see `SCOPE_HELPERS`) and prefixes bare
   * permission names with {@link scopePrefix}. `openid`, `profile`, `offline_access` and `email`
   * are left alone, as are scopes that already carry a resource (`https://...`, `api://...`).
   * Duplicates are dropped; order is kept. With no argument, returns every helper's scopes, as
   * python-o365 does.
   *
   * @example
   * ```ts
   * new MSGraphProtocol().getScopesFor(['basic', 'offline_access', 'Mail.Read']);
   * // ['https://graph.microsoft.com/User.Read', 'offline_access', 'https://graph.microsoft.com/Mail.Read']
   * ```
   */
  getScopesFor(scopes?: string | readonly string[], parameter = 'scopes'): string[] {
    const requested = scopes === undefined ? Object.keys(this.scopeHelpers) : scopeList(scopes, parameter);
    const out = new Set<string>();
    for (const raw of requested) {
      // A space-separated string is how OAuth writes several scopes; accept it.
      for (const name of raw.split(/\s+/)) {
        if (name === '') continue;
        const helper = Object.prototype.hasOwnProperty.call(this.scopeHelpers, name) ? this.scopeHelpers[name] : undefined;
        for (const scope of helper ?? [name]) out.add(this.prefixScope(scope));
      }
    }
    return [...out];
  }

  /**
   * Puts {@link scopePrefix} in front of a bare permission name.
   *
   * @example
   * ```ts
   * new MSGraphProtocol().prefixScope('Mail.Read'); // 'https://graph.microsoft.com/Mail.Read'
   * new MSGraphProtocol().prefixScope('openid');    // 'openid'
   * ```
   */
  prefixScope(scope: string): string {
    if (this.scopePrefix === '') return scope;
    if (OIDC_SCOPES.has(scope.toLowerCase())) return scope;
    if (scope.toLowerCase().startsWith(this.scopePrefix.toLowerCase())) return scope;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(scope)) return scope;
    return `${this.scopePrefix}${scope}`;
  }
}

/**
 * Options of {@link MSGraphProtocol}.
 *
 * @example
 * ```ts
 * const options: MSGraphProtocolOptions = { apiVersion: 'beta', cloud: 'global' };
 * new MSGraphProtocol(options);
 * ```
 */
export interface MSGraphProtocolOptions {
  /** Default `v1.0`. */
  apiVersion?: 'v1.0' | 'beta';
  /** National cloud; picks the Graph host, the sign-in host and the scope prefix. Default `global`. */
  cloud?: GraphCloud;
  /**
   * Graph root override (an emulator, a private deployment behind a gateway), e.g. `emu.graphUrl`.
   * The scope prefix stays the cloud's Graph resource URI, which is what tokens are issued for.
   */
  graphUrl?: string;
  /** Resource used when none is given. Default `me`. */
  defaultResource?: string;
}

/**
 * Microsoft Graph, in any national cloud.
 *
 * @example
 * ```ts
 * new MSGraphProtocol().graphUrl;                                   // 'https://graph.microsoft.com/v1.0/'
 * new MSGraphProtocol({ apiVersion: 'beta', cloud: 'usgov' }).graphUrl; // 'https://graph.microsoft.us/beta/'
 * new MSGraphProtocol({ graphUrl: emu.graphUrl });                  // talk to the emulator
 * ```
 */
export class MSGraphProtocol extends Protocol {
  readonly cloud: GraphCloud;

  constructor(options: MSGraphProtocolOptions = {}) {
    const cloud = options.cloud ?? 'global';
    if (!Object.prototype.hasOwnProperty.call(CLOUD_ENDPOINTS, cloud)) {
      throw new TypeError(`Unknown cloud "${String(cloud)}"; use one of ${Object.keys(CLOUD_ENDPOINTS).join(', ')}`);
    }
    const apiVersion = options.apiVersion ?? 'v1.0';
    if (apiVersion !== 'v1.0' && apiVersion !== 'beta') {
      throw new TypeError(`Unknown Graph apiVersion "${String(apiVersion)}"; use "v1.0" or "beta"`);
    }
    const endpoints = CLOUD_ENDPOINTS[cloud];
    super({
      protocolUrl: options.graphUrl ?? endpoints.graphRoot,
      apiVersion,
      scopePrefix: endpoints.graphRoot,
      scopeHelpers: SCOPE_HELPERS,
      authorityHost: endpoints.authorityHost,
      maxTopValue: 999,
      ...(options.defaultResource === undefined ? {} : { defaultResource: options.defaultResource }),
    });
    this.cloud = cloud;
  }
}

function normalizeRoot(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new TypeError(`${name} must be an absolute URL, got "${String(value)}"`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${name} must be an http(s) URL, got "${url.protocol}"`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`${name} must not carry a query string or fragment`);
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** Longest list and longest single scope string accepted (a real request has a handful of short scopes). */
const MAX_SCOPES = 1000;
const MAX_SCOPE_LENGTH = 8192;
// Control characters other than the whitespace that separates scopes: never part of a scope (RFC 6749 3.3).
const SCOPE_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f]/;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Checks a scope argument as a JavaScript caller may pass it (any value): a string or a dense
 * array of strings. Every fault names the parameter and index (`scopes[2] must be a string, got
 * null`); a sparse array, an array-like object, a `Set` or a `Symbol` is refused the same way,
 * never with an internal `TypeError`.
 */
function scopeList(scopes: unknown, parameter: string): readonly string[] {
  const check = (value: unknown, name: string): string => {
    if (typeof value !== 'string') throw new InvalidArgumentError(`${name} must be a string, got ${kindOf(value)}`, { parameter: name });
    if (value.length > MAX_SCOPE_LENGTH) throw new InvalidArgumentError(`${name} is longer than ${MAX_SCOPE_LENGTH} characters`, { parameter: name });
    if (SCOPE_CONTROL.test(value)) throw new InvalidArgumentError(`${name} contains a control character`, { parameter: name });
    return value;
  };
  if (typeof scopes === 'string') return [check(scopes, parameter)];
  let isArray: boolean;
  let length = 0;
  try {
    // A revoked Proxy throws from Array.isArray itself; a Proxy may throw from `length`.
    isArray = Array.isArray(scopes);
    if (isArray) length = (scopes as unknown[]).length;
  } catch (cause) {
    throw new InvalidArgumentError(`${parameter} could not be read`, { parameter, cause });
  }
  if (!isArray) {
    throw new InvalidArgumentError(`${parameter} must be a string or an array of strings, got ${kindOf(scopes)}`, { parameter });
  }
  const list = scopes as unknown[];
  if (length > MAX_SCOPES) throw new InvalidArgumentError(`${parameter} has more than ${MAX_SCOPES} entries`, { parameter });
  const out: string[] = [];
  for (let i = 0; i < length; i++) {
    const name = `${parameter}[${i}]`;
    let present: boolean;
    try {
      present = Object.prototype.hasOwnProperty.call(list, i);
    } catch (cause) {
      throw new InvalidArgumentError(`${name} could not be read`, { parameter: name, cause });
    }
    if (!present) throw new InvalidArgumentError(`${name} is missing (a sparse array)`, { parameter: name });
    let value: unknown;
    try {
      value = list[i];
    } catch (cause) {
      throw new InvalidArgumentError(`${name} could not be read`, { parameter: name, cause });
    }
    out.push(check(value, name));
  }
  return out;
}
