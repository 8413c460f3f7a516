import { InvalidMainResourceError } from './errors.js';

/**
 * The signed-in user's resource, python-o365's `ME_RESOURCE`.
 *
 * @example
 * ```ts
 * resolveMainResource(ME_RESOURCE, { appOnly: false }); // 'me'
 * ```
 */
export const ME_RESOURCE = 'me';
/**
 * python-o365's `USERS_RESOURCE`.
 *
 * @example
 * ```ts
 * `${USERS_RESOURCE}/adele@contoso.com`; // 'users/adele@contoso.com'
 * ```
 */
export const USERS_RESOURCE = 'users';
/**
 * python-o365's `GROUPS_RESOURCE`.
 *
 * @example
 * ```ts
 * `${GROUPS_RESOURCE}/0a1b`; // 'groups/0a1b'
 * ```
 */
export const GROUPS_RESOURCE = 'groups';
/**
 * python-o365's `SITES_RESOURCE`.
 *
 * @example
 * ```ts
 * `${SITES_RESOURCE}/root`; // 'sites/root'
 * ```
 */
export const SITES_RESOURCE = 'sites';

/**
 * Options of {@link resolveMainResource}.
 *
 * @example
 * ```ts
 * const options: ResolveMainResourceOptions = { appOnly: true };
 * resolveMainResource('user:0a1b', options); // 'users/0a1b'
 * ```
 */
export interface ResolveMainResourceOptions {
  /** `true` for the client credentials flow: there is no signed-in user, so `me` is meaningless. */
  appOnly: boolean;
}

const SHORTHANDS: readonly (readonly [prefix: string, collection: string])[] = [
  ['user:', USERS_RESOURCE],
  ['group:', GROUPS_RESOURCE],
  ['site:', SITES_RESOURCE],
];

/**
 * Turns a python-o365 style `main_resource` into the Graph path it stands for:
 * nothing -> `me`; `users/{id}` and other paths as given; an e-mail address -> `users/{email}`;
 * `user:x` -> `users/x`, `group:x` -> `groups/x`, `site:x` -> `sites/x`.
 *
 * With `appOnly` (client credentials) there is no `me`: a missing resource or `me` throws
 * {@link InvalidMainResourceError} that says to pass the user to act on.
 *
 * @example
 * ```ts
 * resolveMainResource(undefined, { appOnly: false });            // 'me'
 * resolveMainResource('adele@contoso.com', { appOnly: true });   // 'users/adele@contoso.com'
 * resolveMainResource('group:0a1b', { appOnly: true });          // 'groups/0a1b'
 * ```
 */
export function resolveMainResource(resource: string | undefined, options: ResolveMainResourceOptions): string {
  const trimmed = resource?.trim().replace(/^\/+|\/+$/g, '') ?? '';
  if (trimmed === '') {
    if (options.appOnly) throw noMeError(resource);
    return ME_RESOURCE;
  }

  const first = trimmed.split('/')[0] ?? '';
  if (first.toLowerCase() === ME_RESOURCE) {
    if (options.appOnly) throw noMeError(resource);
    return trimmed;
  }
  if (!first.includes(':') && !first.includes('@')) return trimmed;
  // An e-mail address is the usual way to name a shared mailbox or a user in app-only mode.
  if (first.includes('@') && !first.includes(':')) return `${USERS_RESOURCE}/${trimmed}`;

  for (const [prefix, collection] of SHORTHANDS) {
    if (trimmed.toLowerCase().startsWith(prefix)) {
      const id = trimmed.slice(prefix.length).trim();
      if (id === '' || id.startsWith('/')) {
        throw new InvalidMainResourceError(
          `mainResource "${trimmed}" names no ${collection.slice(0, -1)}: write it as "${prefix}<id>"`,
          resource,
        );
      }
      return `${collection}/${id}`;
    }
  }
  return trimmed;
}

function noMeError(resource: string | undefined): InvalidMainResourceError {
  return new InvalidMainResourceError(
    'The client credentials flow signs in as the application, so there is no "me": pass the user to act on as ' +
      'mainResource, e.g. mainResource: "user@contoso.com", "users/{id}" or "user:{id}"',
    resource,
  );
}
