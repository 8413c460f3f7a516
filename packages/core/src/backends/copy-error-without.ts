/**
 * A copy of `err` without the named own properties, fit to be kept as a `TokenBackendError`'s
 * `cause`: same prototype (so `instanceof` checks on the SDK's error classes still hold), same
 * name, message, code, metadata and stack. SDKs attach raw responses to their errors (the AWS SDK's
 * `$response` still references the request's headers and body, i.e. credentials and the token
 * cache) and often define them non-configurable, so they cannot be deleted: copying is the only way.
 * Returns `err` itself when it has none of the fields, and non-objects unchanged.
 *
 * @example
 * ```ts
 * catch (err) {
 *   throw new TokenBackendError('Could not save', { backend: 'MyBackend', cause: copyErrorWithout(err, ['$response']) });
 * }
 * ```
 */
export function copyErrorWithout(err: unknown, fields: Iterable<string>): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const dropped = new Set(fields);
  const names = Object.getOwnPropertyNames(err);
  if (!names.some((name) => dropped.has(name))) return err;
  const copy: object = Object.create(Object.getPrototypeOf(err) as object | null);
  for (const name of names) {
    if (dropped.has(name)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(err, name);
    if (descriptor !== undefined) Object.defineProperty(copy, name, descriptor);
  }
  return copy;
}
