import { inspect } from 'node:util';
import { USERS_RESOURCE } from '../main-resource.js';

/**
 * A Graph `user` resource as JSON (the properties Graph returns, camelCase).
 *
 * @example
 * ```ts
 * const json: GraphUserJson = { id: '0a1b', displayName: 'Adele Vance' };
 * new User(json).displayName; // 'Adele Vance'
 * ```
 */
export type GraphUserJson = Readonly<Record<string, unknown>>;

/**
 * An Entra ID (Azure AD) user, python-o365's `User` with its fields in camelCase
 * (`display_name` -> `displayName`, `object_id` -> `objectId`). Graph returns the first block of
 * fields by default; the others only when asked for with `select`. Missing values are `undefined`.
 *
 * @example
 * ```ts
 * const me = await account.getCurrentUser();
 * console.log(`${me}`, me.mail, me.jobTitle); // toString() is the display name
 * const u = new User({ id: '1', displayName: 'Adele Vance', givenName: 'Adele', surname: 'Vance' });
 * u.fullName; // 'Adele Vance'
 * ```
 */
export class User {
  /** Graph `id`. */
  readonly objectId: string | undefined;
  readonly displayName: string | undefined;
  readonly givenName: string;
  readonly surname: string;
  readonly mail: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly businessPhones: readonly string[];
  readonly jobTitle: string | undefined;
  readonly mobilePhone: string | undefined;
  readonly officeLocation: string | undefined;
  readonly preferredLanguage: string | undefined;
  // Beyond Graph's default properties: present only when selected.
  readonly aboutMe: string | undefined;
  readonly accountEnabled: boolean | undefined;
  readonly ageGroup: string | undefined;
  readonly assignedLicenses: readonly unknown[] | undefined;
  readonly assignedPlans: readonly unknown[] | undefined;
  readonly birthday: Date | undefined;
  readonly city: string | undefined;
  readonly companyName: string | undefined;
  readonly consentProvidedForMinor: string | undefined;
  readonly country: string | undefined;
  /** Graph `createdDateTime`. */
  readonly created: Date | undefined;
  readonly department: string | undefined;
  readonly employeeId: string | undefined;
  readonly faxNumber: string | undefined;
  readonly hireDate: Date | undefined;
  readonly imAddresses: readonly string[] | undefined;
  readonly interests: readonly string[] | undefined;
  readonly isResourceAccount: boolean | undefined;
  /** Graph `lastPasswordChangeDateTime`. */
  readonly lastPasswordChange: Date | undefined;
  readonly legalAgeGroupClassification: string | undefined;
  readonly licenseAssignmentStates: readonly unknown[] | undefined;
  readonly mailboxSettings: Readonly<Record<string, unknown>> | undefined;
  readonly mailNickname: string | undefined;
  readonly mySite: string | undefined;
  readonly otherMails: readonly string[] | undefined;
  readonly passwordPolicies: string | undefined;
  readonly pastProjects: readonly string[] | undefined;
  readonly postalCode: string | undefined;
  readonly preferredDataLocation: string | undefined;
  readonly preferredName: string | undefined;
  readonly provisionedPlans: readonly unknown[] | undefined;
  readonly proxyAddresses: readonly string[] | undefined;
  readonly responsibilities: readonly string[] | undefined;
  readonly schools: readonly string[] | undefined;
  /** `true` unless Graph says otherwise, as in python-o365. */
  readonly showInAddressList: boolean;
  readonly skills: readonly string[] | undefined;
  /** Graph `signInSessionsValidFromDateTime`. */
  readonly signInSessionsValidFrom: Date | undefined;
  readonly state: string | undefined;
  readonly streetAddress: string | undefined;
  readonly usageLocation: string | undefined;
  readonly userType: string | undefined;

  /** The JSON this user was built from (`passwordProfile` removed). */
  readonly #raw: GraphUserJson;

  constructor(data: GraphUserJson = {}) {
    const { passwordProfile: _dropped, ...raw } = data;
    this.#raw = Object.freeze(raw);
    this.objectId = str(data.id);
    this.displayName = str(data.displayName);
    this.givenName = str(data.givenName) ?? '';
    this.surname = str(data.surname) ?? '';
    this.mail = str(data.mail);
    this.userPrincipalName = str(data.userPrincipalName);
    this.businessPhones = strings(data.businessPhones) ?? [];
    this.jobTitle = str(data.jobTitle);
    this.mobilePhone = str(data.mobilePhone);
    this.officeLocation = str(data.officeLocation);
    this.preferredLanguage = str(data.preferredLanguage);
    this.aboutMe = str(data.aboutMe);
    this.accountEnabled = bool(data.accountEnabled);
    this.ageGroup = str(data.ageGroup);
    this.assignedLicenses = list(data.assignedLicenses);
    this.assignedPlans = list(data.assignedPlans);
    this.birthday = date(data.birthday);
    this.city = str(data.city);
    this.companyName = str(data.companyName);
    this.consentProvidedForMinor = str(data.consentProvidedForMinor);
    this.country = str(data.country);
    this.created = date(data.createdDateTime);
    this.department = str(data.department);
    this.employeeId = str(data.employeeId);
    this.faxNumber = str(data.faxNumber);
    this.hireDate = date(data.hireDate);
    this.imAddresses = strings(data.imAddresses);
    this.interests = strings(data.interests);
    this.isResourceAccount = bool(data.isResourceAccount);
    this.lastPasswordChange = date(data.lastPasswordChangeDateTime);
    this.legalAgeGroupClassification = str(data.legalAgeGroupClassification);
    this.licenseAssignmentStates = list(data.licenseAssignmentStates);
    this.mailboxSettings = record(data.mailboxSettings);
    this.mailNickname = str(data.mailNickname);
    this.mySite = str(data.mySite);
    this.otherMails = strings(data.otherMails);
    this.passwordPolicies = str(data.passwordPolicies);
    this.pastProjects = strings(data.pastProjects);
    this.postalCode = str(data.postalCode);
    this.preferredDataLocation = str(data.preferredDataLocation);
    this.preferredName = str(data.preferredName);
    this.provisionedPlans = list(data.provisionedPlans);
    this.proxyAddresses = strings(data.proxyAddresses);
    this.responsibilities = strings(data.responsibilities);
    this.schools = strings(data.schools);
    this.showInAddressList = bool(data.showInAddressList) ?? true;
    this.skills = strings(data.skills);
    this.signInSessionsValidFrom = date(data.signInSessionsValidFromDateTime);
    this.state = str(data.state);
    this.streetAddress = str(data.streetAddress);
    this.usageLocation = str(data.usageLocation);
    this.userType = str(data.userType);
  }

  /**
   * A user known only by id or user principal name, not loaded from Graph (python-o365's
   * `account.new_user`). Load it with `directory.getUser(user.mainResource...)` when you need its fields.
   *
   * @example
   * ```ts
   * User.reference('adele@contoso.com').mainResource; // 'users/adele@contoso.com'
   * ```
   */
  static reference(idOrUpn: string): User {
    const value = typeof idOrUpn === 'string' ? idOrUpn.trim() : '';
    if (value === '') throw new TypeError('A user id or user principal name is required');
    return new User(value.includes('@') ? { userPrincipalName: value } : { id: value });
  }

  /** `givenName surname`, trimmed. */
  get fullName(): string {
    return `${this.givenName} ${this.surname}`.trim();
  }

  /** Graph path of this user, `users/{id}` (or `users/{upn}` when the id is unknown). */
  get mainResource(): string | undefined {
    const key = this.objectId ?? this.userPrincipalName;
    return key === undefined ? undefined : `${USERS_RESOURCE}/${key}`;
  }

  /** Graph's JSON for this user, as received (minus `passwordProfile`). */
  toJSON(): GraphUserJson {
    return this.#raw;
  }

  /** The display name, else the full name, else the UPN, as python-o365's `str(user)`. */
  toString(): string {
    return this.displayName || this.fullName || this.userPrincipalName || 'Unknown Name';
  }

  [inspect.custom](): string {
    const shown: Record<string, unknown> = {};
    for (const key of ['displayName', 'userPrincipalName', 'objectId', 'mail', 'jobTitle'] as const) {
      if (this[key] !== undefined) shown[key] = this[key];
    }
    return `User ${inspect(shown, { breakLength: Number.POSITIVE_INFINITY })}`;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}
function list(v: unknown): readonly unknown[] | undefined {
  return Array.isArray(v) ? Object.freeze([...v]) : undefined;
}
function strings(v: unknown): readonly string[] | undefined {
  return Array.isArray(v) ? Object.freeze(v.filter((x): x is string => typeof x === 'string')) : undefined;
}
function record(v: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
function date(v: unknown): Date | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
