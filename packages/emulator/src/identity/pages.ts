import { escapeHtml as e } from '../http-kit.js';

/**
 * The HTML pages a person (or a test) fills in. Field names follow Microsoft's own sign-in
 * page: `login`, `passwd`, hidden `ctx`, `otc` for the device code; buttons are `action=signin`
 * / `action=cancel`, and on the MFA page `mfa=approve` / `mfa=deny`.
 */

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}main{max-width:420px;margin:8vh auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.4em;font-weight:600}input[type=text],input[type=email],input[type=password]{width:100%;padding:8px 0;margin:8px 0;border:0;border-bottom:1px solid #666;font-size:1em}
button{padding:8px 24px;margin:16px 8px 0 0;font-size:1em}.error{color:#e81123}.small{color:#666;font-size:.85em}</style></head>
<body><main>${body}<p class="small">o365-ts emulator: not Microsoft. Do not enter real credentials.</p></main></body></html>`;
}

/** The sign-in form. */
export function signInPage(opts: {
  action: string;
  ctx: string;
  appName: string;
  login?: string | undefined;
  error?: string | undefined;
  errorCode?: number | undefined;
}): string {
  const error = opts.error
    ? `<p class="error" id="error" data-aadsts="${opts.errorCode ?? ''}">${e(opts.error)}</p>`
    : '';
  return layout(
    'Sign in to your account',
    `<h1>Sign in</h1><p>to continue to ${e(opts.appName)}</p>${error}
<form method="post" action="${e(opts.action)}" id="signin">
<input type="hidden" name="ctx" value="${e(opts.ctx)}">
<input type="email" name="login" placeholder="Email, phone, or Skype" value="${e(opts.login ?? '')}" autocomplete="username">
<input type="password" name="passwd" placeholder="Password" autocomplete="current-password">
<button type="submit" name="action" value="signin">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>`,
  );
}

/** The second-factor page (an "approve on your phone" stand-in). */
export function mfaPage(opts: { action: string; ctx: string; username: string }): string {
  return layout(
    'Approve sign in request',
    `<h1>Approve sign in request</h1><p>${e(opts.username)}: approve the request to continue.</p>
<form method="post" action="${e(opts.action)}" id="mfa">
<input type="hidden" name="ctx" value="${e(opts.ctx)}">
<button type="submit" name="mfa" value="approve">Approve</button>
<button type="submit" name="mfa" value="deny">Deny</button>
</form>`,
  );
}

/** The device-code entry page. */
export function deviceCodePage(opts: { action: string; error?: string | undefined }): string {
  const error = opts.error ? `<p class="error" id="error">${e(opts.error)}</p>` : '';
  return layout(
    'Enter code',
    `<h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>${error}
<form method="post" action="${e(opts.action)}" id="otc">
<input type="text" name="otc" placeholder="Code" autocomplete="off">
<button type="submit" name="action" value="next">Next</button>
</form>`,
  );
}

/** A final message page. */
export function messagePage(title: string, message: string, id: string): string {
  return layout(title, `<h1>${e(title)}</h1><p id="${e(id)}">${e(message)}</p>`);
}

/** An error page (no redirect is safe: unknown app, wrong redirect URI...). */
export function errorPage(code: number, description: string): string {
  return layout(
    'Sign in error',
    `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error" id="error" data-aadsts="${code}">AADSTS${code}: ${e(description)}</p>`,
  );
}

/** The `response_mode=form_post` page. */
export function formPostPage(redirectUri: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
    .join('');
  return `<!DOCTYPE html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()"><form method="post" action="${e(redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
}
