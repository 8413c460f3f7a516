// undici is loaded on the first request, not when @o365/core is imported: it takes as long to
// load as the rest of core (~50 ms on a 2-CPU machine), and a process that serves tokens from its
// store, or only imports the package, never sends a request.
import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | undefined;

/** undici, imported once. */
export function loadUndici(): Promise<typeof Undici> {
  loading ??= import('undici');
  return loading;
}
