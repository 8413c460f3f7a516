/**
 * A small, protocol-faithful AWS Secrets Manager for tests: real HTTP on 127.0.0.1, the AWS JSON 1.1
 * protocol (`POST /`, `Content-Type: application/x-amz-json-1.1`, `X-Amz-Target:
 * secretsmanager.<Operation>`), SigV4 signatures verified, and errors sent the way AWS sends them
 * (HTTP 400, `x-amzn-ErrorType` header, `{"__type", "Message"}` body; the service model names the
 * member `Message`). Behaviour follows the Secrets Manager API reference:
 *
 * - versions carry staging labels; a label is on at most one version; moving `AWSCURRENT` moves
 *   `AWSPREVIOUS` to the version it left; versions without labels are deprecated and are not listed
 *   by DescribeSecret;
 * - `ClientRequestToken` becomes the `VersionId`; resending the same token with the same value is
 *   ignored (idempotent), with a different value it fails (ResourceExistsException);
 * - UpdateSecretVersionStage fails when the label is attached to a version other than
 *   `RemoveFromVersionId` (or when that parameter is missing);
 * - DeleteSecret schedules deletion (7-30 days, default 30) or deletes at once with
 *   `ForceDeleteWithoutRecovery` (which does not fail for a missing or already deleted secret); a
 *   secret scheduled for deletion answers InvalidRequestException to reads and writes, keeps its
 *   name (CreateSecret fails) and can be restored with RestoreSecret.
 *
 * Each operation runs synchronously on the in-memory state, so operations are atomic exactly as a
 * single AWS API call is; races between callers happen between calls, where they happen on AWS.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAKE_ACCOUNT_ID = '123456789012';

/** Access key known to the fake. `allow` limits the operations it may call (IAM in miniature). */
export interface FakeCredential {
  secretAccessKey: string;
  /** Operation names this principal may call; all when omitted. */
  allow?: string[];
  /** IAM user name shown in AccessDeniedException messages. */
  user?: string;
}

export interface FakeOptions {
  region?: string;
  credentials?: Record<string, FakeCredential>;
}

/** A scripted failure for the next matching request(s). */
export type FakeFault =
  | { operation?: string; count?: number; kind: 'error'; status: number; type: string; message: string }
  | { operation?: string; count?: number; kind: 'reset' }
  /** Apply the operation, then drop the connection before answering (the caller cannot know it succeeded). */
  | { operation?: string; count?: number; kind: 'drop-response' };

export interface FakeRequestRecord {
  operation: string;
  input: Record<string, unknown>;
  status: number;
  errorType?: string;
}

interface Version {
  id: string;
  secretString?: string;
  secretBinary?: string;
  stages: Set<string>;
  createdDate: number;
}

interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  createdDate: number;
  lastChangedDate: number;
  deletedDate?: number;
  deletionDate?: number;
  versions: Map<string, Version>;
}

/** A snapshot of one secret, for assertions. */
export interface SecretSnapshot {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  deleted: boolean;
  deletionDate?: number;
  versions: Record<string, { value?: string; stages: string[] }>;
  current?: string;
}

export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const SERVICE = 'secretsmanager';
type OperationName =
  | 'CreateSecret'
  | 'GetSecretValue'
  | 'PutSecretValue'
  | 'DescribeSecret'
  | 'UpdateSecretVersionStage'
  | 'DeleteSecret'
  | 'RestoreSecret';
const MAX_SECRET_BYTES = 65536;
const NAME_RE = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export class FakeSecretsManager {
  readonly region: string;
  readonly credentials: Record<string, FakeCredential>;
  /** Every request that reached an operation (after signature checks), in order. */
  readonly requests: FakeRequestRecord[] = [];
  /** Awaited before each operation is applied: lets a test interleave callers deterministically. */
  beforeOperation?: (operation: string, input: Record<string, unknown>) => Promise<void> | void;
  /** Seconds since the epoch; tests may replace it. */
  now: () => number = () => Date.now() / 1000;

  #server: Server;
  #sockets = new Set<Socket>();
  #secrets = new Map<string, Secret>();
  #faults: FakeFault[] = [];
  #url = '';

  private constructor(options: FakeOptions) {
    this.region = options.region ?? 'us-east-1';
    this.credentials = options.credentials ?? {
      AKIAFAKEFAKEFAKE0001: { secretAccessKey: 'fake-secret-access-key-0001', user: 'o365-tests' },
    };
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#send(res, 500, { __type: 'InternalServiceError', Message: String(err) }, 'InternalServiceError');
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(options: FakeOptions = {}): Promise<FakeSecretsManager> {
    const fake = new FakeSecretsManager(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.#server.address() as AddressInfo;
    fake.#url = `http://127.0.0.1:${port}`;
    return fake;
  }

  get url(): string {
    return this.#url;
  }

  /** The first configured access key and its secret, for building clients. */
  get defaultCredentials(): { accessKeyId: string; secretAccessKey: string } {
    const [accessKeyId, cred] = Object.entries(this.credentials)[0]!;
    return { accessKeyId, secretAccessKey: cred.secretAccessKey };
  }

  addFault(fault: FakeFault): void {
    this.#faults.push(fault);
  }

  secret(name: string): SecretSnapshot | undefined {
    const s = this.#secrets.get(name);
    if (!s) return undefined;
    const versions: SecretSnapshot['versions'] = {};
    let current: string | undefined;
    for (const v of s.versions.values()) {
      versions[v.id] = { value: v.secretString, stages: [...v.stages] };
      if (v.stages.has('AWSCURRENT')) current = v.id;
    }
    return {
      name: s.name,
      arn: s.arn,
      description: s.description,
      kmsKeyId: s.kmsKeyId,
      deleted: s.deletedDate !== undefined,
      deletionDate: s.deletionDate,
      versions,
      current,
    };
  }

  operations(): string[] {
    return this.requests.map((r) => r.operation);
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- HTTP and signing

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);

    try {
      if (req.method !== 'POST' || req.url !== '/') {
        throw new AwsError('UnknownOperationException', '', 404);
      }
      const contentType = String(req.headers['content-type'] ?? '');
      if (!contentType.startsWith('application/x-amz-json-1.1')) {
        throw new AwsError('UnknownOperationException', '', 404);
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operation] = target.split('.');
      if (prefix !== SERVICE || !operation || !(operation in this.#ops)) {
        throw new AwsError('UnknownOperationException', '');
      }
      const principal = this.#verifySignature(req, body);
      let input: Record<string, unknown>;
      try {
        input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
      } catch {
        throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
      }
      const fault = this.#takeFault(operation);
      if (fault?.kind === 'reset') {
        this.requests.push({ operation, input, status: 0, errorType: 'reset' });
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'error') {
        this.requests.push({ operation, input, status: fault.status, errorType: fault.type });
        this.#sendError(res, new AwsError(fault.type, fault.message, fault.status));
        return;
      }
      if (principal.allow && !principal.allow.includes(operation)) {
        const user = principal.user ?? 'unknown';
        throw new AwsError(
          'AccessDeniedException',
          `User: arn:aws:iam::${FAKE_ACCOUNT_ID}:user/${user} is not authorized to perform: secretsmanager:${operation} on resource: ${String(input.SecretId ?? input.Name ?? '*')} because no identity-based policy allows the secretsmanager:${operation} action`,
        );
      }
      await this.beforeOperation?.(operation, input);
      const record: FakeRequestRecord = { operation, input, status: 200 };
      this.requests.push(record);
      try {
        const output = this.#ops[operation as OperationName](input);
        if (fault?.kind === 'drop-response') {
          record.errorType = 'drop-response';
          req.socket.destroy();
          return;
        }
        this.#send(res, 200, output);
      } catch (err) {
        if (err instanceof AwsError) {
          record.status = err.status;
          record.errorType = err.type;
        }
        throw err;
      }
    } catch (err) {
      if (err instanceof AwsError) this.#sendError(res, err);
      else throw err;
    }
  }

  #takeFault(operation: string): FakeFault | undefined {
    const index = this.#faults.findIndex((f) => f.operation === undefined || f.operation === operation);
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    const left = (fault.count ?? 1) - 1;
    if (left <= 0) this.#faults.splice(index, 1);
    else fault.count = left;
    return fault;
  }

  #send(res: ServerResponse, status: number, payload: unknown, errorType?: string): void {
    const text = JSON.stringify(payload);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': randomUUID(),
      Date: new Date().toUTCString(),
    };
    if (errorType) headers['x-amzn-ErrorType'] = `${errorType}:http://internal.amazon.com/coral/com.amazonaws.secrets/`;
    res.writeHead(status, headers);
    res.end(text);
  }

  #sendError(res: ServerResponse, err: AwsError): void {
    const payload: Record<string, string> = { __type: err.type };
    if (err.message) payload.Message = err.message;
    this.#send(res, err.status, payload, err.type);
  }

  /** Full SigV4 verification (AWS4-HMAC-SHA256, header-based), as the service does. */
  #verifySignature(req: IncomingMessage, body: Buffer): FakeCredential {
    const auth = req.headers.authorization;
    const amzDate = req.headers['x-amz-date'];
    if (typeof auth !== 'string' || typeof amzDate !== 'string') {
      throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
    if (!match) throw new AwsError('IncompleteSignatureException', 'Authorization header requires valid AWS4-HMAC-SHA256 parameters.');
    const [, accessKeyId, shortDate, region, service, signedHeaders, signature] = match as unknown as string[];
    const credential = this.credentials[accessKeyId!];
    if (!credential) {
      throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    if (region !== this.region || service !== SERVICE || !amzDate.startsWith(shortDate!)) {
      throw new AwsError('InvalidSignatureException', `Credential should be scoped to a valid region and service '${SERVICE}'.`);
    }
    const t = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    const signedAt = t ? Date.UTC(+t[1]!, +t[2]! - 1, +t[3]!, +t[4]!, +t[5]!, +t[6]!) / 1000 : NaN;
    if (!Number.isFinite(signedAt) || Math.abs(this.now() - signedAt) > 300) {
      throw new AwsError('InvalidSignatureException', 'Signature expired: the request time is too far from the server time.');
    }
    const names = signedHeaders!.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) {
      throw new AwsError('InvalidSignatureException', "'Host' and 'X-Amz-Date' must be signed.");
    }
    const canonicalHeaders = names
      .map((name) => {
        const raw = req.headers[name];
        const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
        return `${name}:${String(value).trim().replace(/\s+/g, ' ')}\n`;
      })
      .join('');
    const payloadHash = typeof req.headers['x-amz-content-sha256'] === 'string'
      ? req.headers['x-amz-content-sha256']
      : sha256Hex(body);
    const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${shortDate}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    let key = hmac(`AWS4${credential.secretAccessKey}`, shortDate!);
    key = hmac(key, region!);
    key = hmac(key, service!);
    key = hmac(key, 'aws4_request');
    const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
    const given = Buffer.from(signature!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new AwsError(
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    }
    if (payloadHash !== sha256Hex(body)) {
      throw new AwsError('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match what was computed.');
    }
    return credential;
  }

  // ---------------------------------------------------------------- operations

  #ops: Record<OperationName, (input: Record<string, unknown>) => Record<string, unknown>> = {
    CreateSecret: (input) => this.#createSecret(input),
    GetSecretValue: (input) => this.#getSecretValue(input),
    PutSecretValue: (input) => this.#putSecretValue(input),
    DescribeSecret: (input) => this.#describeSecret(input),
    UpdateSecretVersionStage: (input) => this.#updateSecretVersionStage(input),
    DeleteSecret: (input) => this.#deleteSecret(input),
    RestoreSecret: (input) => this.#restoreSecret(input),
  };

  #find(secretId: unknown): Secret | undefined {
    if (typeof secretId !== 'string' || secretId.length === 0) {
      throw validation('secretId', 'Member must have length greater than or equal to 1');
    }
    const byName = this.#secrets.get(secretId);
    if (byName) return byName;
    for (const s of this.#secrets.values()) if (s.arn === secretId) return s;
    return undefined;
  }

  #require(secretId: unknown): Secret {
    const secret = this.#find(secretId);
    if (!secret) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  #requireLive(secretId: unknown): Secret {
    const secret = this.#require(secretId);
    if (secret.deletedDate !== undefined) {
      throw new AwsError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
  }

  #value(input: Record<string, unknown>): { secretString?: string; secretBinary?: string } | undefined {
    const { SecretString, SecretBinary } = input;
    if (SecretString !== undefined && SecretBinary !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
    }
    if (SecretString !== undefined) {
      if (typeof SecretString !== 'string') throw new AwsError('SerializationException', 'Expected a string for SecretString.');
      if (Buffer.byteLength(SecretString, 'utf8') > MAX_SECRET_BYTES) {
        throw validation('secretString', `Member must have length less than or equal to ${MAX_SECRET_BYTES}`);
      }
      return { secretString: SecretString };
    }
    if (SecretBinary !== undefined) return { secretBinary: String(SecretBinary) };
    return undefined;
  }

  #token(input: Record<string, unknown>): string {
    const token = input.ClientRequestToken;
    // The SDKs fill the token in (idempotencyToken trait); a raw caller must send one.
    if (typeof token !== 'string') throw new AwsError('InvalidParameterException', 'ClientRequestToken is required.');
    if (token.length < 32 || token.length > 64) {
      throw validation('clientRequestToken', 'Member must have length between 32 and 64');
    }
    return token;
  }

  /** Attach `stage` to `version`, taking it from whichever version holds it; AWSCURRENT drags AWSPREVIOUS. */
  #attach(secret: Secret, version: Version, stage: string): void {
    let from: Version | undefined;
    for (const v of secret.versions.values()) {
      if (v !== version && v.stages.delete(stage)) from = v;
    }
    version.stages.add(stage);
    if (stage === 'AWSCURRENT' && from) {
      for (const v of secret.versions.values()) v.stages.delete('AWSPREVIOUS');
      from.stages.add('AWSPREVIOUS');
    }
    if (stage === 'AWSCURRENT') version.stages.delete('AWSPREVIOUS');
  }

  #sameValue(v: Version, value: { secretString?: string; secretBinary?: string } | undefined): boolean {
    return v.secretString === value?.secretString && v.secretBinary === value?.secretBinary;
  }

  #createSecret(input: Record<string, unknown>): Record<string, unknown> {
    const name = input.Name;
    if (typeof name !== 'string' || !NAME_RE.test(name)) {
      throw new AwsError('ValidationException', `Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!`);
    }
    const value = this.#value(input);
    const existing = this.#secrets.get(name);
    if (existing) {
      if (existing.deletedDate !== undefined) {
        throw new AwsError(
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      // A resent CreateSecret (same token, same value) is ignored, as documented for ClientRequestToken.
      const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined;
      const version = token ? existing.versions.get(token) : undefined;
      if (version && this.#sameValue(version, value)) {
        return { ARN: existing.arn, Name: existing.name, VersionId: version.id };
      }
      throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const now = this.now();
    const suffix = randomUUID().replace(/-/g, '').slice(0, 6);
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${this.region}:${FAKE_ACCOUNT_ID}:secret:${name}-${suffix}`,
      createdDate: now,
      lastChangedDate: now,
      versions: new Map(),
    };
    if (typeof input.Description === 'string') secret.description = input.Description;
    if (typeof input.KmsKeyId === 'string') secret.kmsKeyId = input.KmsKeyId;
    const output: Record<string, unknown> = { ARN: secret.arn, Name: name };
    if (value) {
      const version: Version = { id: this.#token(input), ...value, stages: new Set(), createdDate: now };
      secret.versions.set(version.id, version);
      this.#attach(secret, version, 'AWSCURRENT');
      output.VersionId = version.id;
    }
    this.#secrets.set(name, secret);
    return output;
  }

  #getSecretValue(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.#requireLive(input.SecretId);
    const versionId = typeof input.VersionId === 'string' ? input.VersionId : undefined;
    const stage = typeof input.VersionStage === 'string' ? input.VersionStage : undefined;
    let version: Version | undefined;
    if (versionId !== undefined) {
      version = secret.versions.get(versionId);
      if (!version) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      if (stage !== undefined && !version.stages.has(stage)) {
        throw new AwsError('InvalidRequestException', 'You provided a VersionStage that is not associated to the provided VersionId.');
      }
    } else {
      const wanted = stage ?? 'AWSCURRENT';
      version = [...secret.versions.values()].find((v) => v.stages.has(wanted));
      if (!version) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${wanted}`,
        );
      }
    }
    const output: Record<string, unknown> = {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
    if (version.secretString !== undefined) output.SecretString = version.secretString;
    if (version.secretBinary !== undefined) output.SecretBinary = version.secretBinary;
    return output;
  }

  #putSecretValue(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.#requireLive(input.SecretId);
    const value = this.#value(input);
    if (!value) {
      throw new AwsError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    }
    const token = this.#token(input);
    const stages = Array.isArray(input.VersionStages) ? input.VersionStages.map(String) : ['AWSCURRENT'];
    if (stages.length === 0 || stages.length > 20) {
      throw validation('versionStages', 'Member must have length between 1 and 20');
    }
    const existing = secret.versions.get(token);
    if (existing) {
      if (!this.#sameValue(existing, value)) {
        throw new AwsError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: existing.id, VersionStages: [...existing.stages] };
    }
    const version: Version = { id: token, ...value, stages: new Set(), createdDate: this.now() };
    // Documented: the first version of a secret always gets AWSCURRENT, whatever VersionStages says.
    const first = secret.versions.size === 0;
    secret.versions.set(token, version);
    for (const stage of stages) this.#attach(secret, version, stage);
    if (first) this.#attach(secret, version, 'AWSCURRENT');
    secret.lastChangedDate = this.now();
    this.#pruneDeprecated(secret);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  /** Secrets Manager removes deprecated (label-less) versions once a secret holds about 100 versions. */
  #pruneDeprecated(secret: Secret): void {
    if (secret.versions.size <= 100) return;
    for (const v of secret.versions.values()) {
      if (secret.versions.size <= 100) break;
      if (v.stages.size === 0) secret.versions.delete(v.id);
    }
  }

  #describeSecret(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.#require(input.SecretId);
    const versionIdsToStages: Record<string, string[]> = {};
    for (const v of secret.versions.values()) {
      if (v.stages.size > 0) versionIdsToStages[v.id] = [...v.stages];
    }
    const output: Record<string, unknown> = {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      VersionIdsToStages: versionIdsToStages,
    };
    if (secret.description !== undefined) output.Description = secret.description;
    if (secret.kmsKeyId !== undefined) output.KmsKeyId = secret.kmsKeyId;
    if (secret.deletedDate !== undefined) output.DeletedDate = secret.deletedDate;
    return output;
  }

  #updateSecretVersionStage(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.#requireLive(input.SecretId);
    const stage = input.VersionStage;
    if (typeof stage !== 'string' || stage.length === 0 || stage.length > 256) {
      throw validation('versionStage', 'Member must have length between 1 and 256');
    }
    const moveTo = typeof input.MoveToVersionId === 'string' ? input.MoveToVersionId : undefined;
    const removeFrom = typeof input.RemoveFromVersionId === 'string' ? input.RemoveFromVersionId : undefined;
    const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
    const target = moveTo === undefined ? undefined : secret.versions.get(moveTo);
    if (moveTo !== undefined && !target) {
      throw new AwsError('InvalidParameterException', `Not a valid version: ${moveTo}`);
    }
    if (removeFrom !== undefined) {
      if (!secret.versions.has(removeFrom)) {
        throw new AwsError('InvalidParameterException', `Not a valid version: ${removeFrom}`);
      }
      if (holder?.id !== removeFrom) {
        throw new AwsError(
          'InvalidParameterException',
          `The parameter RemoveFromVersionId doesn't match. Staging label ${stage} is currently attached to version ${holder?.id ?? '(none)'}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
    } else if (holder && holder !== target) {
      throw new AwsError(
        'InvalidParameterException',
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (target) this.#attach(secret, target, stage);
    else holder?.stages.delete(stage);
    secret.lastChangedDate = this.now();
    return { ARN: secret.arn, Name: secret.name };
  }

  #deleteSecret(input: Record<string, unknown>): Record<string, unknown> {
    const window = input.RecoveryWindowInDays;
    const force = input.ForceDeleteWithoutRecovery === true;
    if (window !== undefined && force) {
      throw new AwsError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (window !== undefined && (typeof window !== 'number' || !Number.isInteger(window) || window < 7 || window > 30)) {
      throw new AwsError(
        'InvalidParameterException',
        'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
      );
    }
    const now = this.now();
    const secret = this.#find(input.SecretId);
    if (!secret) {
      // Documented: a forced delete of a missing or already deleted secret does not fail, so retries work.
      if (force) {
        const name = String(input.SecretId);
        return { ARN: `arn:aws:secretsmanager:${this.region}:${FAKE_ACCOUNT_ID}:secret:${name}`, Name: name, DeletionDate: now };
      }
      throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    if (force) {
      this.#secrets.delete(secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
    }
    if (secret.deletedDate !== undefined) {
      throw new AwsError(
        'InvalidRequestException',
        "You tried to perform the operation on a secret that's currently marked deleted.",
      );
    }
    secret.deletedDate = now;
    secret.deletionDate = now + (typeof window === 'number' ? window : 30) * 86400;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionDate };
  }

  #restoreSecret(input: Record<string, unknown>): Record<string, unknown> {
    const secret = this.#require(input.SecretId);
    delete secret.deletedDate;
    delete secret.deletionDate;
    return { ARN: secret.arn, Name: secret.name };
  }
}

function validation(member: string, constraint: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
