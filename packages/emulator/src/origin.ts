/**
 * The HTTPS origin clients are told to use for a server listening on `host`:`port`. As on
 * Microsoft's hosts, the default port is never written: clients compare issuers and authorities as
 * strings, and MSAL Python keys its token cache by host without the port.
 */
export function httpsOrigin(host: string, port: number): string {
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return new URL(`https://${urlHost}:${port}`).origin;
}
