import { toBackendError, type BackendIdentity, type TokenBackendError } from '@o365/core/backend';

/** gRPC status codes the backend treats differently (google.rpc.Code). */
export const GrpcStatus = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(GrpcStatus).map(([name, code]) => [code, name]));

/** What went wrong in a Firestore call, reduced to the cases the backend explains differently. */
export interface FirestoreFailure {
  kind:
    | 'permission-denied'
    | 'unauthenticated'
    | 'credentials'
    | 'project'
    | 'not-found'
    | 'unreachable'
    | 'timeout'
    | 'quota'
    | 'invalid'
    | 'other';
  /** gRPC status name (`PERMISSION_DENIED`), or the error's name when it has no status. */
  code: string;
}

/**
 * The backend's own deadline passed: the Firestore client retries unreachable endpoints for
 * minutes (up to 10 for a commit), so every operation is bounded by `timeoutMs`.
 */
export class FirestoreDeadlineError extends Error {
  override readonly name = 'TimeoutError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`Firestore did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Whether a commit failed because a precondition (exists, update time) or the transaction lost a race. */
export function isLostRace(err: unknown): boolean {
  const code = grpcCode(err);
  return (
    code === GrpcStatus.NOT_FOUND ||
    code === GrpcStatus.ALREADY_EXISTS ||
    code === GrpcStatus.FAILED_PRECONDITION ||
    code === GrpcStatus.ABORTED
  );
}

/** The gRPC statuses the backend explains in their own way; any other status is `other`. */
const KIND_OF_STATUS: Readonly<Record<number, FirestoreFailure['kind']>> = {
  [GrpcStatus.PERMISSION_DENIED]: 'permission-denied',
  [GrpcStatus.UNAUTHENTICATED]: 'unauthenticated',
  [GrpcStatus.NOT_FOUND]: 'not-found',
  [GrpcStatus.UNAVAILABLE]: 'unreachable',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'unreachable',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'quota',
  [GrpcStatus.INVALID_ARGUMENT]: 'invalid',
};

/** Sorts an error of the Firestore client into the cases the backend explains. */
export function classifyFirestoreError(err: unknown): FirestoreFailure {
  if (err instanceof FirestoreDeadlineError) return { kind: 'timeout', code: 'TimeoutError' };
  const code = grpcCode(err);
  if (code !== undefined) {
    return { kind: KIND_OF_STATUS[code] ?? 'other', code: STATUS_NAMES[code] ?? `gRPC ${code}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : 'Error';
  if (/could not load the default credentials|invalid_grant|private key|client_email/i.test(message)) {
    return { kind: 'credentials', code: name };
  }
  if (/unable to detect a project id/i.test(message)) return { kind: 'project', code: name };
  return { kind: 'other', code: name };
}

/** Where the failing call went: project and database, for advice that names them. */
export interface FirestoreTarget extends BackendIdentity {
  projectId: string;
  databaseId: string;
}

/**
 * The `TokenBackendError` for a failed Firestore call: the backend, the document (location),
 * the operation, the gRPC status and what to do next, with the client's error as `cause`.
 */
export function firestoreError(err: unknown, target: FirestoreTarget, what: string): TokenBackendError {
  const failure = classifyFirestoreError(err);
  const { projectId, databaseId } = target;
  let advice: string;
  switch (failure.kind) {
    case 'permission-denied':
      advice =
        `permission denied on project ${projectId}: the service account needs the IAM role roles/datastore.user ` +
        '(Cloud Datastore User), or datastore.entities.get, create, update and delete';
      break;
    case 'unauthenticated':
      advice = 'Firestore rejected the credentials: check GOOGLE_APPLICATION_CREDENTIALS or the application default credentials';
      break;
    case 'credentials':
      advice = 'no usable Google credentials: set GOOGLE_APPLICATION_CREDENTIALS, run on Google Cloud, or pass credentials in settings';
      break;
    case 'project':
      advice = 'no project id: pass projectId (or settings.projectId), or set GOOGLE_CLOUD_PROJECT';
      break;
    case 'not-found':
      advice = `check that the Firestore database ${databaseId} exists in project ${projectId}`;
      break;
    case 'unreachable':
      advice = 'the Firestore endpoint could not be reached: check the network, the endpoint and, with FIRESTORE_EMULATOR_HOST, that the emulator runs';
      break;
    case 'timeout':
      advice =
        'the endpoint is unreachable or overloaded (with FIRESTORE_EMULATOR_HOST, check that the emulator runs); ' +
        'the Firestore client may go on retrying in the background';
      break;
    case 'quota':
      advice = `a Firestore quota of project ${projectId} is exhausted; retry later`;
      break;
    default:
      advice = `Firestore answered ${failure.code}`;
  }
  const id: BackendIdentity = target.location === undefined ? { backend: target.backend } : { backend: target.backend, location: target.location };
  return toBackendError(err, id, what, { advice });
}
