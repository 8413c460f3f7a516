import type { KeyObject } from 'node:crypto';
import { certificateThumbprints } from './crypto-material.js';
import { certificatePublicKey } from './jwt.js';
import { canonicalPermission, type ApiResource } from './identity/scopes.js';
import type { EmulatorSeed, SeedApp, SeedTenant, SeedUser } from './seed.js';

/** A registered certificate, indexed by its thumbprints. */
export interface AppCertificate {
  sha1: string;
  sha256: string;
  publicKey: KeyObject;
}

/** An app registration with lookups prepared. */
export interface AppModel {
  seed: SeedApp;
  tenant: TenantModel;
  certificates: AppCertificate[];
  applicationPermissions: string[];
  isPublic: boolean;
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  /** Service principal object id (the `oid` of app-only tokens). */
  servicePrincipalId: string;
  /** The web API it exposes, with its identifier URI resolved. */
  api?: ApiResource;
}

/** A tenant with lookups prepared. */
export interface TenantModel {
  seed: SeedTenant;
  id: string;
  users: SeedUser[];
  usersByKey: Map<string, SeedUser>;
  apps: Map<string, AppModel>;
}

/** Pseudo-tenants that resolve to the tenant of the app or user. */
export const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations', 'consumers']);

/** The seeded directory: tenants, apps, users, consents. */
export class Directory {
  readonly tenants: TenantModel[] = [];
  private readonly tenantByKey = new Map<string, TenantModel>();
  private readonly appById = new Map<string, AppModel>();
  private readonly apiByKey = new Map<string, ApiResource>();

  constructor(seed: EmulatorSeed, servicePrincipalId: (clientId: string) => string) {
    for (const t of seed.tenants) {
      const tenant: TenantModel = { seed: t, id: t.id.toLowerCase(), users: t.users, usersByKey: new Map(), apps: new Map() };
      for (const u of t.users) {
        tenant.usersByKey.set(u.id.toLowerCase(), u);
        tenant.usersByKey.set(u.userPrincipalName.toLowerCase(), u);
      }
      for (const a of t.apps) {
        const app: AppModel = {
          seed: a,
          tenant,
          certificates: (a.certificates ?? []).map((pem) => {
            const { sha1, sha256 } = certificateThumbprints(pem);
            return { sha1, sha256, publicKey: certificatePublicKey(pem) };
          }),
          applicationPermissions: (a.applicationPermissions ?? []).map((p) => canonicalPermission(p) ?? p),
          isPublic: a.publicClient === true,
          accessTokenLifetime: a.accessTokenLifetimeSeconds ?? 3599,
          refreshTokenLifetime: a.refreshTokenLifetimeSeconds ?? 90 * 24 * 3600,
          servicePrincipalId: servicePrincipalId(a.clientId),
        };
        if (a.api) {
          const identifierUri = (a.api.identifierUri ?? `api://${a.clientId}`).replace(/\/+$/, '');
          app.api = { identifierUri, clientId: a.clientId, scopes: a.api.scopes };
          this.apiByKey.set(identifierUri.toLowerCase(), app.api);
          this.apiByKey.set(a.clientId.toLowerCase(), app.api);
          this.apiByKey.set(`api://${a.clientId.toLowerCase()}`, app.api);
        }
        tenant.apps.set(a.clientId.toLowerCase(), app);
        this.appById.set(a.clientId.toLowerCase(), app);
      }
      this.tenants.push(tenant);
      this.tenantByKey.set(tenant.id, tenant);
      if (t.domain) this.tenantByKey.set(t.domain.toLowerCase(), tenant);
    }
  }

  /** A tenant by id or domain (not the multi-tenant segments). */
  tenant(key: string): TenantModel | undefined {
    return this.tenantByKey.get(key.toLowerCase());
  }

  /** The web API named by a scope prefix (its identifier URI, `api://{clientId}` or its client id). */
  apiResource(prefix: string): ApiResource | undefined {
    return this.apiByKey.get(prefix.toLowerCase().replace(/\/+$/, ''));
  }

  /** An app by client id, in any tenant. */
  app(clientId: string): AppModel | undefined {
    return this.appById.get(clientId.toLowerCase());
  }

  /** A user of `tenant` by object id or user principal name. */
  user(tenant: TenantModel, key: string): SeedUser | undefined {
    return tenant.usersByKey.get(key.toLowerCase());
  }

  /** Delegated permissions (canonical spelling) consented for `user` on `app`. */
  consentedScopes(app: AppModel, user: SeedUser): Set<string> {
    const out = new Set<string>();
    for (const consent of app.seed.delegatedConsents ?? []) {
      const applies =
        consent.users === '*' ||
        consent.users.some(
          (u) => u.toLowerCase() === user.id.toLowerCase() || u.toLowerCase() === user.userPrincipalName.toLowerCase(),
        );
      if (!applies) continue;
      for (const s of consent.scopes) out.add(canonicalPermission(s) ?? s.toLowerCase());
    }
    return out;
  }
}
