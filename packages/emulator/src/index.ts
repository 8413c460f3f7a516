// Public API of @o365/emulator.
export { startEmulator, emulatorAppCertificate } from './emulator.js';
export { EmulatorBrowser, SignInPageError, type SignInCredentials } from './sign-in-browser.js';
export { startOidcIssuer, type OidcIssuer, type OidcIssuerOptions, type OidcIssuerTokenClaims } from './oidc-issuer.js';
export type { Emulator, EmulatorDefaults, StartEmulatorOptions } from './emulator.js';
export { defaultSeed, DEFAULT_IDS, DEFAULT_DELEGATED_SCOPES } from './default-seed.js';
export { SeedError, validateSeed } from './seed.js';
export type { EmulatorSeed, SeedApp, SeedTenant, SeedUser, SeedDelegatedConsent, SeedManagedIdentity, SeedFederatedIdentityCredential } from './seed.js';
export { ClockError } from './clock.js';
export type { EmulatorClock } from './clock.js';
export { FaultSpecError } from './faults.js';
export type { FaultSpec, FaultStatus, ActiveFault } from './faults.js';
export type { RecordedRequest } from './request-log.js';
export { DeviceCodeError } from './identity/device-code.js';
export type { EmulatorLogger } from './server.js';
export type { GeneratedCertificate } from './crypto-material.js';
export { AAD_ERRORS } from './identity/aad-errors.js';
export type { AadCode, AadErrorBody } from './identity/aad-errors.js';
