// msal-node is loaded on the first sign-in or token request, not when @o365/core is imported:
// a process that serves tokens from its store (or only imports the package) never pays for it.
import type * as MsalNode from '@azure/msal-node';

let loading: Promise<typeof MsalNode> | undefined;

/** msal-node, imported once. */
export function loadMsal(): Promise<typeof MsalNode> {
  loading ??= import('@azure/msal-node');
  return loading;
}
