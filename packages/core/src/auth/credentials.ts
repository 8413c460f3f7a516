/**
 * A client certificate registered on the app: its thumbprint (SHA-1 as shown by the Azure portal,
 * or SHA-256; hex) and the PEM private key. `x5c` (the PEM certificate chain) enables subject
 * name/issuer authentication.
 *
 * @example
 * ```ts
 * const cert: ClientCertificate = { thumbprint: 'A1B2...', privateKey: readFileSync('key.pem', 'utf8') };
 * new Account(['client-id', cert], { authFlowType: 'credentials', tenantId });
 * ```
 */
export interface ClientCertificate {
  thumbprint: string;
  privateKey: string;
  x5c?: string;
}

/**
 * What a client assertion callback is given.
 *
 * @example
 * ```ts
 * const clientAssertion = async ({ clientId, tokenEndpoint }: ClientAssertionContext) => signJwt({ iss: clientId, sub: clientId, aud: tokenEndpoint });
 * ```
 */
export interface ClientAssertionContext {
  clientId: string;
  tokenEndpoint?: string;
}

/**
 * A signed client assertion (a JWT, e.g. a workload identity federation token), or a callback
 * producing a fresh one per token request.
 *
 * @example
 * ```ts
 * new Account(['client-id', { clientAssertion: async () => readFile(process.env.AZURE_FEDERATED_TOKEN_FILE!, 'utf8') }], {
 *   authFlowType: 'credentials', tenantId,
 * });
 * ```
 */
export interface ClientAssertionCredential {
  clientAssertion: string | ((context: ClientAssertionContext) => Promise<string>);
}

/**
 * The second element of an Account's credentials: a client secret, a certificate or an assertion.
 *
 * @example
 * ```ts
 * const credential: ClientCredential = process.env.CLIENT_SECRET ?? { thumbprint, privateKey };
 * new Account(['client-id', credential], { authFlowType: 'credentials', tenantId });
 * ```
 */
export type ClientCredential = string | ClientCertificate | ClientAssertionCredential;

/**
 * `[clientId]` for public clients, `[clientId, secretOrCertificate]` for confidential ones; with
 * `authFlowType: 'managedIdentity'`, `[]` (system-assigned) or `[userAssignedClientId]`.
 *
 * @example
 * ```ts
 * const credentials: Credentials = ['client-id', 'client-secret'];
 * new Account(credentials);
 * ```
 */
export type Credentials = readonly [clientId: string, credential?: ClientCredential] | readonly [];

export function isCertificate(value: ClientCredential | undefined): value is ClientCertificate {
  return typeof value === 'object' && value !== null && 'privateKey' in value;
}

export function isAssertion(value: ClientCredential | undefined): value is ClientAssertionCredential {
  return typeof value === 'object' && value !== null && 'clientAssertion' in value;
}
