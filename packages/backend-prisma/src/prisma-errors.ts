/**
 * Prisma error handling without importing Prisma: the backend works with any generated client, so
 * errors are recognised by their documented `code` (P2002, P1001...) and `name`.
 */

/** The Prisma error code (`P2002`...) of `error`, when it has one. */
export function prismaErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown; errorCode?: unknown }).code ?? (error as { errorCode?: unknown }).errorCode;
  return typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined;
}

/** A unique constraint failed: another writer created the row first. */
export function isUniqueViolation(error: unknown): boolean {
  return prismaErrorCode(error) === 'P2002';
}

/**
 * One line saying what went wrong. Prisma messages start with an "Invalid `prisma.x.y()`
 * invocation" block that quotes source code (and, for validation errors, the arguments, which
 * hold the token cache): only the explanation at the end is kept.
 */
export function describePrismaError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = error.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const last = (lines.at(-1) ?? error.name).replace(/\.+$/, '');
  const code = prismaErrorCode(error);
  return code && !last.includes(code) ? `${code} ${last}` : last;
}

/**
 * The error to attach as `cause`. A validation error prints the call's arguments (the token cache
 * being written) in its message and stack, so it is replaced by a copy that keeps only the
 * explanation; so is any error whose text quotes one of `secrets` (a driver echoing a value).
 * Other Prisma errors describe the query without its values and are kept as they are.
 */
export function safeCause(error: unknown, secrets: readonly string[] = []): unknown {
  if (!(error instanceof Error)) return error;
  // A prefix is enough: a driver that echoes a value quotes its beginning, possibly truncated.
  const quotes = (text: string) => secrets.some((s) => s.length >= 8 && text.includes(s.slice(0, 16)));
  const isValidation = error.name === 'PrismaClientValidationError';
  if (!isValidation && !quotes(`${error.message}\n${error.stack ?? ''}`)) return error;
  const summary = describePrismaError(error);
  const code = prismaErrorCode(error);
  const copy = new Error(quotes(summary) ? `${error.name}${code ? ` ${code}` : ''} (message withheld: it quoted stored data)` : summary);
  copy.name = error.name;
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}
