/**
 * The client capabilities a token request declares. msal clients configured with
 * `clientCapabilities: ['cp1']` merge them into the `claims` parameter as
 * `{"access_token":{"xms_cc":{"values":["cp1"]}}}`; `cp1` says the client handles CAE claims
 * challenges. A `claims` value that is not such JSON declares nothing (Entra documents no error).
 */
export function clientCapabilitiesOf(claims: string | undefined): string[] {
  if (claims === undefined || claims === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return [];
  }
  const values = (parsed as { access_token?: { xms_cc?: { values?: unknown } } } | null)?.access_token?.xms_cc?.values;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
}

/** Whether an access token's claims mark it CAE-capable (`xms_cc` holds `cp1`). */
export function isCaeCapable(payload: Record<string, unknown>): boolean {
  const caps = payload['xms_cc'];
  return Array.isArray(caps) && caps.includes('cp1');
}
