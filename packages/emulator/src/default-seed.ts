import { createHash } from 'node:crypto';
import type { EmulatorSeed, SeedUser } from './seed.js';

/**
 * Fixed identifiers of the default seed (the same in every run; documented in the README).
 *
 * @example
 * ```ts
 * const authority = `${emu.authorityHost}/${DEFAULT_IDS.tenantId}`;
 * ```
 */
export const DEFAULT_IDS = {
  tenantId: '5f3a2b1c-0d4e-4f60-8a7b-9c0d1e2f3a4b',
  tenantDomain: 'contoso.onmicrosoft.com',
  clientId: '11111111-2222-4333-8444-555555555555',
  clientSecret: 'emu~Secret.0123456789-abcdefghijklmnopqrstu',
  publicClientId: '66666666-7777-4888-8999-aaaaaaaaaaaa',
  username: 'AdeleV@contoso.onmicrosoft.com',
  password: 'Emulator-P@ssw0rd',
  mfaUsername: 'MeganB@contoso.onmicrosoft.com',
  /** The system-assigned managed identity (the default when a request names none). */
  systemIdentityClientId: 'a1a1a1a1-0000-4000-8000-000000000001',
  systemIdentityObjectId: 'a1a1a1a1-0000-4000-8000-0000000000a1',
  /** A user-assigned managed identity. */
  userIdentityClientId: 'b2b2b2b2-0000-4000-8000-000000000002',
  userIdentityObjectId: 'b2b2b2b2-0000-4000-8000-0000000000b2',
  userIdentityResourceId:
    '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/o365-ts-ci',
  /** A web API (confidential) exposing `api://{webApiClientId}/access_as_user`, consented for Graph: on-behalf-of. */
  webApiClientId: 'c3c3c3c3-0000-4000-8000-000000000003',
  webApiClientSecret: 'emu~WebApi.0123456789-abcdefghijklmnopqrst',
} as const;

const NAMES: Array<[given: string, surname: string, jobTitle: string, office: string, department: string]> = [
  ['Adele', 'Vance', 'Retail Manager', '18/2111', 'Retail'],
  ['Alex', 'Wilber', 'Marketing Assistant', '131/1104', 'Marketing'],
  ['Allan', 'Deyoung', 'IT Admin', '24/1106', 'IT'],
  ['Christie', 'Cline', 'Buyer', '131/2103', 'Sales'],
  ['Debra', 'Berger', 'Administrative Assistant', '18/2107', 'Executive Management'],
  ['Diego', 'Siciliani', 'HR Manager', '14/1108', 'HR'],
  ['Emily', 'Braun', 'Budget Analyst', '97/2302', 'Finance'],
  ['Enrico', 'Cattaneo', 'Attorney', '14/1102', 'Legal'],
  ['Grady', 'Archie', 'Designer', '19/2109', 'R&D'],
  ['Henrietta', 'Mueller', 'Developer', '18/1106', 'R&D'],
  ['Irvin', 'Sayers', 'Director', '20/1101', 'R&D'],
  ['Isaiah', 'Langer', 'Sales Rep', '20/1101', 'Sales'],
  ['Johanna', 'Lorenz', 'Senior Engineer', '23/2102', 'Engineering'],
  ['Joni', 'Sherman', 'Paralegal', '20/1109', 'Legal'],
  ['Lee', 'Gu', 'Director', '23/3101', 'Manufacturing'],
  ['Lidia', 'Holloway', 'Product Manager', '20/2107', 'Engineering'],
  ['Lynne', 'Robbins', 'Planner', '20/1104', 'Retail'],
  ['Megan', 'Bowen', 'Marketing Manager', '12/1110', 'Marketing'],
  ['Miriam', 'Graham', 'Director', '131/2105', 'Sales & Marketing'],
  ['Nestor', 'Wilke', 'Director', '36/2121', 'Operations'],
  ['Patti', 'Fernandez', 'President', '15/1102', 'Executive Management'],
  ['Pradeep', 'Gupta', 'Accountant', '98/2202', 'Finance'],
  ['Brian', 'Johnson', 'Support Engineer', '40/1201', 'IT'],
  ['Cameron', 'White', 'Data Analyst', '40/1202', 'Finance'],
  ['Jordan', 'Miller', 'Account Manager', '41/1101', 'Sales'],
];

/** A stable GUID derived from a name, so default ids never change between runs. */
export function stableGuid(name: string): string {
  const h = createHash('sha256').update(`o365-emulator:${name}`).digest('hex');
  // Shape it as a version-4, RFC 4122 variant GUID like the ones Entra hands out.
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function defaultUsers(): SeedUser[] {
  return NAMES.map(([given, surname, jobTitle, office, department], i) => {
    const upn = `${given}${surname[0]}@${DEFAULT_IDS.tenantDomain}`;
    return {
      id: stableGuid(`user:${upn.toLowerCase()}`),
      userPrincipalName: upn,
      password: DEFAULT_IDS.password,
      mfaRequired: upn === DEFAULT_IDS.mfaUsername,
      displayName: `${given} ${surname}`,
      givenName: given,
      surname,
      mail: upn,
      jobTitle,
      officeLocation: office,
      department,
      mobilePhone: null,
      businessPhones: [`+1 425 555 01${String(i).padStart(2, '0')}`],
      preferredLanguage: 'en-US',
    };
  });
}

/**
 * Delegated permissions consented for every default user on both default apps.
 *
 * @example
 * ```ts
 * DEFAULT_DELEGATED_SCOPES.includes('User.ReadBasic.All'); // true
 * ```
 */
export const DEFAULT_DELEGATED_SCOPES = [
  'User.Read',
  'User.ReadBasic.All',
  'offline_access',
  'openid',
  'profile',
  'email',
  // Every permission behind python-o365's scope helpers (`basic`, `mailbox`, `message_all`,
  // `calendar`, `onedrive`, ...), so its documented examples run against the default tenant
  // unchanged, as they do against a tenant whose administrator consented to them.
  'Mail.Read',
  'Mail.Read.Shared',
  'Mail.ReadWrite',
  'Mail.ReadWrite.Shared',
  'Mail.Send',
  'Mail.Send.Shared',
  'MailboxSettings.ReadWrite',
  'Contacts.Read',
  'Contacts.Read.Shared',
  'Contacts.ReadWrite',
  'Contacts.ReadWrite.Shared',
  'Calendars.Read',
  'Calendars.Read.Shared',
  'Calendars.ReadWrite',
  'Calendars.ReadWrite.Shared',
  'Files.Read',
  'Files.Read.All',
  'Files.ReadWrite',
  'Files.ReadWrite.All',
  'Sites.Read.All',
  'Sites.ReadWrite.All',
  'Tasks.Read',
  'Tasks.ReadWrite',
  'Presence.Read',
] as const;

const DEFAULT_REDIRECT_URIS = [
  'http://localhost',
  'http://127.0.0.1',
  'https://login.microsoftonline.com/common/oauth2/nativeclient',
];

/**
 * The default seed: one tenant (`contoso.onmicrosoft.com`), a confidential app (secret +
 * `appCertificatePem`, application permission `User.Read.All`), a public app, 25 users; the
 * default user has no MFA, `MeganB` requires MFA.
 *
 * @param appCertificatePem the certificate registered on the confidential app (generated at start)
 * @example
 * ```ts
 * const seed = defaultSeed(cert.certificate);
 * seed.tenants[0]!.users.push(myUser);
 * ```
 */
export function defaultSeed(appCertificatePem?: string): EmulatorSeed {
  const consents = [{ scopes: [...DEFAULT_DELEGATED_SCOPES], users: '*' as const }];
  return {
    tenants: [
      {
        id: DEFAULT_IDS.tenantId,
        domain: DEFAULT_IDS.tenantDomain,
        displayName: 'Contoso (emulated)',
        users: defaultUsers(),
        apps: [
          {
            clientId: DEFAULT_IDS.clientId,
            displayName: 'o365-ts confidential app',
            secrets: [DEFAULT_IDS.clientSecret],
            certificates: appCertificatePem ? [appCertificatePem] : [],
            redirectUris: [...DEFAULT_REDIRECT_URIS],
            applicationPermissions: ['User.Read.All'],
            delegatedConsents: consents,
          },
          {
            clientId: DEFAULT_IDS.publicClientId,
            displayName: 'o365-ts public app',
            publicClient: true,
            redirectUris: [...DEFAULT_REDIRECT_URIS],
            // Both public and confidential app may call the web API as the user.
            delegatedConsents: [...consents, { scopes: [`api://${DEFAULT_IDS.webApiClientId}/access_as_user`], users: '*' }],
          },
          {
            clientId: DEFAULT_IDS.webApiClientId,
            displayName: 'o365-ts web API',
            secrets: [DEFAULT_IDS.webApiClientSecret],
            api: { scopes: ['access_as_user'] },
            delegatedConsents: consents,
          },
        ],
        managedIdentities: [
          {
            clientId: DEFAULT_IDS.systemIdentityClientId,
            objectId: DEFAULT_IDS.systemIdentityObjectId,
            systemAssigned: true,
            displayName: 'o365-ts host (system-assigned)',
            applicationPermissions: ['User.Read.All'],
          },
          {
            clientId: DEFAULT_IDS.userIdentityClientId,
            objectId: DEFAULT_IDS.userIdentityObjectId,
            resourceId: DEFAULT_IDS.userIdentityResourceId,
            displayName: 'o365-ts-ci',
            applicationPermissions: ['User.Read.All'],
          },
        ],
      },
    ],
  };
}
