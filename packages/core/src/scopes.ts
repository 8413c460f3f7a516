/**
 * python-o365's scope helpers: short names that expand to Microsoft Graph permissions.
 * `Protocol.getScopesFor` expands them and adds the resource prefix.
 *
 * The lists are python-o365 2.1's `DEFAULT_SCOPES` (`basic` no longer carries `offline_access`:
 * MSAL adds it by itself), plus the older `sharepoint_dl` alias that 2.x still accepted in examples.
 *
 * @example
 * ```ts
 * SCOPE_HELPERS.message_all; // ['Mail.ReadWrite', 'Mail.Send']
 * new MSGraphProtocol().getScopesFor(['basic', 'users']);
 * // ['https://graph.microsoft.com/User.Read', 'https://graph.microsoft.com/User.ReadBasic.All']
 * ```
 */
export const SCOPE_HELPERS = Object.freeze({
  basic: ['User.Read'],
  mailbox: ['Mail.Read'],
  mailbox_shared: ['Mail.Read.Shared'],
  mailbox_settings: ['MailboxSettings.ReadWrite'],
  message_send: ['Mail.Send'],
  message_send_shared: ['Mail.Send.Shared'],
  message_all: ['Mail.ReadWrite', 'Mail.Send'],
  message_all_shared: ['Mail.ReadWrite.Shared', 'Mail.Send.Shared'],
  address_book: ['Contacts.Read'],
  address_book_shared: ['Contacts.Read.Shared'],
  address_book_all: ['Contacts.ReadWrite'],
  address_book_all_shared: ['Contacts.ReadWrite.Shared'],
  calendar: ['Calendars.Read'],
  calendar_shared: ['Calendars.Read.Shared'],
  calendar_all: ['Calendars.ReadWrite'],
  calendar_shared_all: ['Calendars.ReadWrite.Shared'],
  users: ['User.ReadBasic.All'],
  onedrive: ['Files.Read.All'],
  onedrive_all: ['Files.ReadWrite.All'],
  sharepoint: ['Sites.Read.All'],
  sharepoint_all: ['Sites.ReadWrite.All'],
  sharepoint_dl: ['Sites.ReadWrite.All'],
  settings_all: ['MailboxSettings.ReadWrite'],
  tasks: ['Tasks.Read'],
  tasks_all: ['Tasks.ReadWrite'],
  presence: ['Presence.Read'],
} as const satisfies Record<string, readonly string[]>);

/**
 * Name of a python-o365 scope helper, e.g. `'basic'` or `'message_all'`.
 *
 * @example
 * ```ts
 * const helper: ScopeHelperName = 'message_all';
 * SCOPE_HELPERS[helper]; // ['Mail.ReadWrite', 'Mail.Send']
 * ```
 */
export type ScopeHelperName = keyof typeof SCOPE_HELPERS;

/**
 * OpenID Connect scopes. They belong to the identity platform, not to a resource, so they are
 * never prefixed with a resource URI.
 *
 * @example
 * ```ts
 * OIDC_SCOPES.has('offline_access'); // true
 * ```
 */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * Whether `name` is one of python-o365's scope helpers.
 *
 * @example
 * ```ts
 * isScopeHelper('basic'); // true
 * isScopeHelper('Mail.Read'); // false
 * ```
 */
export function isScopeHelper(name: string): name is ScopeHelperName {
  return Object.prototype.hasOwnProperty.call(SCOPE_HELPERS, name);
}
