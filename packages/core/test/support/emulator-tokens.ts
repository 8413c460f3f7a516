// Test support (not exported from the package): tokens straight from the emulator's token endpoint,
// through our own HTTP client, so Graph tests do not depend on Connection/Account.
import type { HttpClient } from '../../src/http/http-client.js';

/** The parts of a running emulator these helpers use. */
export interface EmulatorLike {
  authorityHost: string;
  defaults: { tenantId: string; clientId: string; clientSecret: string; publicClientId: string; username: string; password: string };
}

async function tokenRequest(http: HttpClient, emu: EmulatorLike, form: Record<string, string>): Promise<string> {
  const url = `${emu.authorityHost.replace(/\/+$/, '')}/${emu.defaults.tenantId}/oauth2/v2.0/token`;
  const res = await http.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    idempotent: true,
  });
  const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new Error(`token request failed: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  }
  return body.access_token;
}

/** An app-only token (client credentials; the default confidential client unless another is given). */
export function appToken(
  http: HttpClient,
  emu: EmulatorLike,
  client: { clientId: string; clientSecret: string } = emu.defaults,
): Promise<string> {
  return tokenRequest(http, emu, {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    scope: 'https://graph.microsoft.com/.default',
  });
}

/** A delegated token for the default user (ROPC with the public client). */
export function userToken(http: HttpClient, emu: EmulatorLike, scopes: readonly string[]): Promise<string> {
  return tokenRequest(http, emu, {
    grant_type: 'password',
    client_id: emu.defaults.publicClientId,
    username: emu.defaults.username,
    password: emu.defaults.password,
    scope: scopes.join(' '),
  });
}
