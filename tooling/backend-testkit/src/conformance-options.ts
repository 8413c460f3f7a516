import type { TokenBackend } from '@o365/core';

/**
 * Makes a backend; may be async (connect, create a table...).
 *
 * @example
 * ```ts
 * const createBackend: BackendFactory<[key: string]> = async (key) => new MyBackend({ pool: await pool(), id: key });
 * ```
 */
export type BackendFactory<Args extends unknown[] = []> = (
  ...args: Args
) => TokenBackend | Promise<TokenBackend>;

/**
 * Declares that the service the tests run against does not enforce conditional writes that the
 * real service enforces (e.g. s3rver ignores `If-Match`). The kit then does not run the conflict
 * checks against that service; it checks instead that `testedIn` holds a test of the conflict path
 * (at the protocol level), and says so in the test name and output. Nothing is skipped silently.
 *
 * @example
 * ```ts
 * conditionalWrites: { enforcedByService: false, reason: 's3rver ignores If-Match/If-None-Match', testedIn: path.join(__dirname, 'protocol.test.ts') }
 * ```
 */
export interface ConditionalWritesDelegation {
  enforcedByService: false;
  /** Why the service used in the tests cannot enforce them, e.g. `s3rver ignores If-Match/If-None-Match`. */
  reason: string;
  /** Absolute path of the test file that covers the 412/conflict path, e.g. `path.join(__dirname, 'conditional-writes.test.ts')`. */
  testedIn: string;
}

/**
 * A documented size limit of the service (e.g. 65,536 bytes for an AWS Secrets Manager secret).
 *
 * @example
 * ```ts
 * dataLimit: { maxDataBytes: 65_536, reason: 'AWS Secrets Manager stores at most 65,536 bytes in a SecretString' }
 * ```
 */
export interface DataSizeLimit {
  /** The largest `data` (UTF-8 bytes) the backend stores. */
  maxDataBytes: number;
  /** Where the limit comes from. */
  reason: string;
}

/**
 * Options of {@link runTokenBackendConformance}.
 *
 * @example
 * ```ts
 * runTokenBackendConformance({
 *   name: 'MyBackend',
 *   createBackend: (key) => new MyBackend({ table: 'tokens', id: key }),
 *   createUnreachableBackend: () => new MyBackend({ endpoint: 'http://127.0.0.1:9', id: 'x' }),
 * });
 * ```
 */
export interface TokenBackendConformanceOptions {
  /** Shown in test names, e.g. `AWSS3Backend`. */
  name: string;
  /**
   * A backend over storage location `key`. Two calls with the same key address the SAME stored
   * item through distinct instances (like two processes); different keys never share data. The kit
   * makes unique keys (letters, digits and `-`, at most 60 characters).
   */
  createBackend: BackendFactory<[key: string]>;
  /**
   * A backend whose service cannot be reached (closed port, unresolvable endpoint...): its load, save
   * and delete must reject with `TokenBackendError` carrying the cause. For storage that lives inside
   * the process and cannot be unreachable, pass `{ notApplicable: 'why' }`: the kit then checks the
   * backend's failure path differently (it must reject invalid input with `TokenBackendError`).
   */
  createUnreachableBackend: BackendFactory | { notApplicable: string };
  /** Only when the service used in the test cannot enforce the conditional writes the real one does. */
  conditionalWrites?: ConditionalWritesDelegation;
  /** Only when the real service has a documented size limit below the kit's 1.5 MB round trip. */
  dataLimit?: DataSizeLimit;
  /** Run the end-to-end check with `Account` against `@o365/emulator`. Default `true`. */
  endToEnd?: boolean;
  /** Timeout of each check, in ms. Default 60 s (the end-to-end check gets twice as much). */
  timeoutMs?: number;
}
