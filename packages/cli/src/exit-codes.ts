// Exit codes that tell failures apart, so scripts can react to "sign in again" differently from
// "the network is down". Mapped from @o365/core's error classes (and their stable `code`s).
import {
  ConsentDeclinedError,
  GraphError,
  InteractionRequiredError,
  InvalidArgumentError,
  InvalidCredentialsError,
  NetworkError,
  O365Error,
  TokenBackendError,
  TokenExpiredError,
} from '@o365/core';

/**
 * The exit codes of the `o365` command.
 *
 * @example
 * ```ts
 * import { EXIT_CODES, run } from '@o365/cli';
 * const status = await run(['whoami'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * if (status === EXIT_CODES.signInExpired) console.log('run o365 login again');
 * ```
 */
export const EXIT_CODES = {
  /** Success. */
  ok: 0,
  /** Any other failure. */
  failure: 1,
  /** Wrong use of the command line (unknown option, missing value, a secret given as an argument). */
  usage: 2,
  /** Wrong client secret, certificate, password or client id (AADSTS7000215, 50126, 700016...). */
  invalidCredentials: 3,
  /** The sign-in expired or was revoked (refresh token no longer valid), or the profile is not signed in: run `o365 login`. */
  signInExpired: 4,
  /** Consent, MFA or another interaction is needed (AADSTS65001, 50076), or consent was declined. */
  interactionRequired: 5,
  /** The identity platform or Graph could not be reached (DNS, TLS, refused connection, timeout). */
  network: 6,
  /** The token store could not be read or written (permissions, corrupted file). */
  backend: 7,
  /** Microsoft Graph answered with an error status (`o365 request`, `o365 users`). */
  graph: 8,
  /** Interrupted (Ctrl-C) or aborted: nothing was stored. */
  cancelled: 130,
} as const;

/**
 * One of {@link EXIT_CODES}' values.
 *
 * @example
 * ```ts
 * const code: ExitCode = EXIT_CODES.usage;
 * ```
 */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * Wrong use of the command line (a missing option, a secret given as an argument): exit code 2.
 *
 * @example
 * ```ts
 * throw new UsageError('--client-id is required');
 * ```
 */
export class UsageError extends O365Error {
  override readonly code: string = 'CLI_USAGE';
}

/**
 * A failure of the CLI itself with a chosen exit code and advice (e.g. "not signed in": exit 4).
 *
 * @example
 * ```ts
 * throw new CliError('profile "work" is not signed in', { exitCode: EXIT_CODES.signInExpired, advice: 'run o365 login --profile work' });
 * ```
 */
export class CliError extends O365Error {
  override readonly code: string;
  /** The exit code the command ends with. */
  readonly exitCode: ExitCode;
  /** What to do about it (one line). */
  readonly advice: string | undefined;

  constructor(message: string, options: { exitCode: ExitCode; advice?: string; cause?: unknown; code?: string }) {
    super(message, { cause: options.cause });
    this.code = options.code ?? 'CLI_ERROR';
    this.exitCode = options.exitCode;
    this.advice = options.advice;
  }
}

/** Whether an error is an abort (Ctrl-C, an AbortSignal). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR');
}

/**
 * The exit code for an error thrown while a command ran.
 *
 * @example
 * ```ts
 * import { exitCodeFor } from '@o365/cli';
 * process.exitCode = exitCodeFor(new Error('boom')); // 1
 * ```
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof UsageError || error instanceof InvalidArgumentError) return EXIT_CODES.usage;
  if (isAbort(error)) return EXIT_CODES.cancelled;
  if (error instanceof InvalidCredentialsError) return EXIT_CODES.invalidCredentials;
  if (error instanceof TokenExpiredError) return EXIT_CODES.signInExpired;
  if (error instanceof InteractionRequiredError || error instanceof ConsentDeclinedError) return EXIT_CODES.interactionRequired;
  if (error instanceof NetworkError) return EXIT_CODES.network;
  if (error instanceof TokenBackendError) return EXIT_CODES.backend;
  if (error instanceof GraphError) return EXIT_CODES.graph;
  if (error instanceof O365Error && error.cause !== undefined) {
    // An AuthenticationError wrapping a network failure (msal-node's own wrapping) is a network error.
    if (error.cause instanceof NetworkError) return EXIT_CODES.network;
  }
  return EXIT_CODES.failure;
}

/**
 * One line of advice for an error: what the person can do next.
 *
 * @example
 * ```ts
 * adviceFor(new TokenExpiredError('expired'), 'work'); // 'sign in again: o365 login --profile work ...'
 * ```
 */
export function adviceFor(error: unknown, profile: string): string | undefined {
  if (error instanceof CliError) return error.advice;
  const login = `o365 login${profile === 'default' ? '' : ` --profile ${profile}`}`;
  switch (exitCodeFor(error)) {
    case EXIT_CODES.usage:
      return 'see o365 --help, or o365 <command> --help';
    case EXIT_CODES.invalidCredentials:
      return 'check the client id, tenant and the secret, certificate or password, then run ' + login + ' again';
    case EXIT_CODES.signInExpired:
      return `the stored sign-in is no longer valid: sign in again with ${login}`;
    case EXIT_CODES.interactionRequired:
      return `consent or MFA is needed: sign in interactively (${login} --flow device or --flow browser), or have an administrator grant consent`;
    case EXIT_CODES.network:
      return 'check the network, proxy and the authority host / Graph URL of the profile';
    case EXIT_CODES.backend:
      return 'check the permissions of the config directory (see o365 status), or o365 logout and sign in again';
    case EXIT_CODES.cancelled:
      return 'nothing was stored';
    default:
      return undefined;
  }
}
