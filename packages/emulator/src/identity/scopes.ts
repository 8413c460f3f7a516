import { AadFailure } from './aad-errors.js';

/** Graph's resource URI and application id: both forms are accepted in scopes and `aud`. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The OpenID Connect scopes, which belong to no resource. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** Graph permissions the emulator knows (delegated and application), in Microsoft's spelling. */
export const GRAPH_PERMISSIONS = [
  'User.Read',
  'User.ReadWrite',
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Directory.AccessAsUser.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'GroupMember.Read.All',
  'Mail.Read',
  'Mail.ReadBasic',
  'Mail.ReadWrite',
  'Mail.Read.Shared',
  'Mail.ReadWrite.Shared',
  'Mail.Send',
  'Mail.Send.Shared',
  'MailboxSettings.Read',
  'MailboxSettings.ReadWrite',
  'Calendars.Read',
  'Calendars.Read.Shared',
  'Calendars.ReadWrite',
  'Calendars.ReadWrite.Shared',
  'Contacts.Read',
  'Contacts.Read.Shared',
  'Contacts.ReadWrite',
  'Contacts.ReadWrite.Shared',
  'Files.Read',
  'Files.Read.All',
  'Files.ReadWrite',
  'Files.ReadWrite.All',
  'Sites.Read.All',
  'Sites.ReadWrite.All',
  'Sites.Manage.All',
  'Tasks.Read',
  'Tasks.ReadWrite',
  'Notes.Read',
  'Notes.ReadWrite',
  'Notes.Read.All',
  'Presence.Read',
  'Presence.Read.All',
  'Chat.Read',
  'Chat.ReadWrite',
  'ChannelMessage.Send',
  'Team.ReadBasic.All',
  'People.Read',
  'Application.Read.All',
] as const;

const PERMISSION_BY_LOWER = new Map<string, string>(GRAPH_PERMISSIONS.map((p) => [p.toLowerCase(), p]));

/** The canonical spelling of a Graph permission, or undefined if unknown. */
export function canonicalPermission(name: string): string | undefined {
  return PERMISSION_BY_LOWER.get(name.toLowerCase());
}

/** A web API an app of the directory exposes (see `SeedApi`). */
export interface ApiResource {
  identifierUri: string;
  clientId: string;
  scopes: string[];
}

/** Finds the web API a scope prefix names. */
export interface ApiLookup {
  apiResource(prefix: string): ApiResource | undefined;
}

/** A `scope` parameter, classified. */
export interface ParsedScopes {
  /** OIDC scopes requested, lower-case. */
  oidc: Set<string>;
  /** Graph permissions requested (canonical spelling), empty for `.default`. */
  permissions: string[];
  /** `https://graph.microsoft.com/.default` (or the GUID form) was requested. */
  isDefault: boolean;
  /** Whether any Graph scope was written with a resource prefix, and which one. */
  resourcePrefix: string | undefined;
  /** The token's `aud`: the URI form when the request named Graph by URI, else Graph's app id; a web API's identifier URI. */
  audience: string;
  /** Set when the scopes are for a web API of the directory instead of Graph: its scopes requested. */
  api?: { resource: ApiResource; scopes: string[] };
}

function resourceOf(prefix: string): string | undefined {
  const p = prefix.toLowerCase().replace(/\/+$/, '');
  if (p === GRAPH_RESOURCE || p === 'https://graph.microsoft.com/v1.0') return GRAPH_RESOURCE;
  if (p === GRAPH_APP_ID) return GRAPH_APP_ID;
  return undefined;
}

/**
 * Classifies a `scope` parameter. Throws the platform's errors: AADSTS70011 for unknown
 * permissions, AADSTS500011 for resources other than Graph.
 */
export function parseScopes(raw: string, tenantLabel: string, apis?: ApiLookup): ParsedScopes {
  const tokens = raw.split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new AadFailure(900144, { param: 'scope' });
  const result: ParsedScopes = {
    oidc: new Set(),
    permissions: [],
    isDefault: false,
    resourcePrefix: undefined,
    audience: GRAPH_APP_ID,
  };
  // One token is for one resource: scopes of several resources are AADSTS700022
  // (InvalidMultipleResourcesScope), before any of them is looked up.
  const resources = new Set<string>();
  for (const token of tokens) {
    if ((OIDC_SCOPES as readonly string[]).includes(token.toLowerCase())) continue;
    const slash = token.lastIndexOf('/');
    const prefix = slash >= 0 ? token.slice(0, slash) : GRAPH_RESOURCE;
    resources.add(resourceOf(prefix) ? GRAPH_RESOURCE : prefix.toLowerCase().replace(/\/+$/, ''));
  }
  if (resources.size > 1) throw new AadFailure(700022, { scope: raw });
  for (const token of tokens) {
    const lower = token.toLowerCase();
    if ((OIDC_SCOPES as readonly string[]).includes(lower)) {
      result.oidc.add(lower);
      continue;
    }
    const slash = token.lastIndexOf('/');
    let permission = token;
    if (slash >= 0) {
      const prefix = token.slice(0, slash);
      const resource = resourceOf(prefix);
      const api = resource ? undefined : apis?.apiResource(prefix);
      if (api) {
        const name = token.slice(slash + 1);
        result.audience = api.identifierUri;
        result.resourcePrefix = prefix;
        result.api ??= { resource: api, scopes: [] };
        if (name === '.default') {
          result.isDefault = true;
          continue;
        }
        const known = api.scopes.find((sc) => sc.toLowerCase() === name.toLowerCase());
        if (!known) throw new AadFailure(70011, { scope: token });
        if (!result.api.scopes.includes(known)) result.api.scopes.push(known);
        continue;
      }
      if (!resource) throw new AadFailure(500011, { resource: prefix, tenant: tenantLabel });
      result.resourcePrefix = resource;
      if (resource === GRAPH_RESOURCE) result.audience = GRAPH_RESOURCE;
      permission = token.slice(slash + 1);
      if (permission === '.default') {
        result.isDefault = true;
        continue;
      }
    }
    const canonical = canonicalPermission(permission);
    if (!canonical) throw new AadFailure(70011, { scope: token });
    if (!result.permissions.includes(canonical)) result.permissions.push(canonical);
  }
  if (result.isDefault && (result.permissions.length > 0 || (result.api?.scopes.length ?? 0) > 0)) {
    throw new AadFailure(70011, {
      scope: raw,
      reason: "The '.default' scope cannot be combined with resource-specific scopes.",
    });
  }
  return result;
}

/** Writes permissions the way the request wrote them (with or without the resource prefix). */
export function formatPermissions(permissions: Iterable<string>, prefix: string | undefined): string[] {
  return [...permissions].map((p) => (prefix ? `${prefix}/${p}` : p));
}
