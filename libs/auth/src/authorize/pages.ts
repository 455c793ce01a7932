import { randomBytes } from 'node:crypto';

/**
 * The HTML the authorization endpoint serves: the sign-in form and the error page. Rendered
 * on the server, no script, no external asset; the one style block carries a per-response
 * nonce named by the response's Content-Security-Policy.
 */

export interface Page {
  readonly status: number;
  readonly html: string;
  /** The Content-Security-Policy header for this response. */
  readonly csp: string;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * `form-action` also names the origin the form's redirect chain ends at (the client's
 * redirect URI, already checked against its registration): browsers apply form-action to
 * redirects after a submission, and without it the final hop to the client would be blocked.
 */
function csp(nonce: string, formTargets: readonly string[]): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `form-action 'self'${formTargets.map((t) => ` ${t}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 22rem; margin: 10vh auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 3px rgba(0,0,0,.15); }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  p.client { margin: 0 0 1.5rem; color: #4a5468; }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem;
         font: inherit; border: 1px solid #8a93a6; border-radius: 4px; }
  input:focus, button:focus { outline: 3px solid #2c6bed; outline-offset: 1px; }
  button { margin-top: 1.5rem; width: 100%; padding: .7rem; font: inherit; font-weight: 600;
         color: #fff; background: #1f55c9; border: 0; border-radius: 4px; cursor: pointer; }
  button.secondary { background: #fff; color: #1f55c9; border: 2px solid #1f55c9; margin-top: .75rem; }
  .qr svg { display: block; width: 100%; max-width: 232px; margin: 0 auto; }
  code { word-break: break-all; }
  details { margin-top: 1.5rem; }
  .error { background: #fdecec; color: #8a1c1c; border-left: 4px solid #c62828; padding: .6rem .8rem; }
`;

function layout(nonce: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface SignInForm {
  readonly clientName: string;
  readonly csrfToken: string;
  /** The authorization request, replayed to /oauth/authorize once signed in. */
  readonly authorization: string;
  /** The origin of the client's redirect URI (see csp). */
  readonly redirectOrigin: string;
  /** Fixed text; never says whether the account exists. */
  readonly error?: string;
  readonly status?: number;
}

export function signInPage(form: SignInForm): Page {
  const nonce = randomBytes(16).toString('base64');
  const error = form.error
    ? `<p class="error" id="sign-in-error" role="alert">${escapeHtml(form.error)}</p>\n`
    : '';
  const described = form.error ? ' aria-describedby="sign-in-error"' : '';
  const body = `<h1>Sign in to OrderOps</h1>
<p class="client">to continue to ${escapeHtml(form.clientName)}</p>
${error}<form method="post" action="/oauth/sign-in">
<input type="hidden" name="csrf_token" value="${escapeHtml(form.csrfToken)}">
<input type="hidden" name="authorization" value="${escapeHtml(form.authorization)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus${described}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${described}>
<button type="submit">Sign in</button>
</form>`;
  return {
    status: form.status ?? 200,
    html: layout(nonce, 'Sign in - OrderOps', body),
    csp: csp(nonce, [form.redirectOrigin]),
  };
}

/** A request that cannot be answered by redirecting to the client: said here, never sent elsewhere. */
export function errorPage(status: number, message: string): Page {
  const nonce = randomBytes(16).toString('base64');
  const body = `<h1>Sign-in cannot continue</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>
<p>Go back to the application you came from and start again.</p>`;
  return { status, html: layout(nonce, 'Sign-in error - OrderOps', body), csp: csp(nonce, []) };
}

export interface LogoutForm {
  readonly csrfToken: string;
  readonly clientId?: string;
  readonly postLogoutRedirectUri?: string;
  readonly state?: string;
}

/**
 * Asks before ending the session: a link or an image elsewhere must not sign the operator
 * out (OpenID Connect RP-Initiated Logout §2, without an ID token to prove the request).
 */
export function logoutPage(form: LogoutForm): Page {
  const nonce = randomBytes(16).toString('base64');
  const hidden = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">\n`;
  const body = `<h1>Sign out of OrderOps?</h1>
<p class="client">This ends your OrderOps session in this browser.</p>
<form method="post" action="/oauth/logout">
${hidden('csrf_token', form.csrfToken)}${hidden('client_id', form.clientId)}${hidden('post_logout_redirect_uri', form.postLogoutRedirectUri)}${hidden('state', form.state)}<button type="submit">Sign out</button>
</form>`;
  const targets = form.postLogoutRedirectUri ? [new URL(form.postLogoutRedirectUri).origin] : [];
  return { status: 200, html: layout(nonce, 'Sign out - OrderOps', body), csp: csp(nonce, targets) };
}

export function signedOutPage(): Page {
  const nonce = randomBytes(16).toString('base64');
  const body = `<h1>You are signed out</h1>
<p role="status">Your OrderOps session in this browser has ended. You can close this page.</p>`;
  return { status: 200, html: layout(nonce, 'Signed out - OrderOps', body), csp: csp(nonce, []) };
}

export interface ConsentForm {
  readonly clientName: string;
  readonly scopes: readonly { readonly name: string; readonly description: string }[];
  readonly csrfToken: string;
  readonly authorization: string;
  readonly redirectOrigin: string;
}

/** A third-party client asks for scopes: the operator sees which, and allows or denies. */
export function consentPage(form: ConsentForm): Page {
  const nonce = randomBytes(16).toString('base64');
  const items = form.scopes
    .map((s) => `<li><code>${escapeHtml(s.name)}</code>: ${escapeHtml(s.description)}</li>`)
    .join('\n');
  const body = `<h1>Allow ${escapeHtml(form.clientName)}?</h1>
<p class="client">${escapeHtml(form.clientName)} is not part of OrderOps. It asks to act for you with these permissions:</p>
<ul id="scopes">
${items}
</ul>
<form method="post" action="/oauth/consent">
<input type="hidden" name="csrf_token" value="${escapeHtml(form.csrfToken)}">
<input type="hidden" name="authorization" value="${escapeHtml(form.authorization)}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`;
  return {
    status: 200,
    html: layout(nonce, 'Allow access - OrderOps', body),
    csp: csp(nonce, [form.redirectOrigin]),
  };
}

export interface SecondFactorForm {
  readonly clientName: string;
  /** Bound to the pre-session, for the second-factor step only. */
  readonly csrfToken: string;
  readonly authorization: string;
  readonly redirectOrigin: string;
  /** Fixed text; never says what was wrong with a code. */
  readonly error?: string;
  readonly status?: number;
}

function errorBlock(error: string | undefined): { html: string; described: string } {
  if (!error) return { html: '', described: '' };
  return {
    html: `<p class="error" id="code-error" role="alert">${escapeHtml(error)}</p>\n`,
    described: ' aria-describedby="code-error"',
  };
}

function hiddenFields(form: SecondFactorForm): string {
  return `<input type="hidden" name="csrf_token" value="${escapeHtml(form.csrfToken)}">
<input type="hidden" name="authorization" value="${escapeHtml(form.authorization)}">`;
}

/**
 * The step after a passed password for an operator with a second factor: a six-digit code,
 * or one recovery code in its own form (a separate submit, so neither field is ever sent
 * empty beside the other).
 */
export function secondFactorPage(form: SecondFactorForm): Page {
  const nonce = randomBytes(16).toString('base64');
  const error = errorBlock(form.error);
  const body = `<h1>Enter your code</h1>
<p class="client">to continue to ${escapeHtml(form.clientName)}</p>
${error.html}<form method="post" action="/oauth/sign-in/code">
${hiddenFields(form)}
<label for="code">Code from your authenticator app</label>
<input type="text" id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required autofocus${error.described}>
<button type="submit">Continue</button>
</form>
<details>
<summary>Use a recovery code instead</summary>
<form method="post" action="/oauth/sign-in/code">
${hiddenFields(form)}
<label for="recovery_code">Recovery code</label>
<input type="text" id="recovery_code" name="recovery_code" autocomplete="off" autocapitalize="none" spellcheck="false" required>
<button type="submit" class="secondary">Use recovery code</button>
</form>
</details>`;
  return {
    status: form.status ?? 200,
    html: layout(nonce, 'Enter your code - OrderOps', body),
    csp: csp(nonce, [form.redirectOrigin]),
  };
}

export interface EnrolmentForm extends SecondFactorForm {
  /**
   * The new secret (base32) and its QR code (inline SVG markup from the app's own renderer:
   * rect and path elements with presentation attributes, nothing the CSP has to allow).
   * Absent when the page is shown again after a wrong code: the secret is shown once.
   */
  readonly secret?: string;
  readonly qrCodeSvg?: string;
}

/** A privileged sign-in without a second factor: set one up now, confirmed by its first code. */
export function enrolmentPage(form: EnrolmentForm): Page {
  const nonce = randomBytes(16).toString('base64');
  const error = errorBlock(form.error);
  const shown =
    form.secret !== undefined && form.qrCodeSvg !== undefined
      ? `<p>Scan this QR code with your authenticator app, or type the key below into it.</p>
<div class="qr" role="img" aria-label="QR code of your new authenticator key">${form.qrCodeSvg}</div>
<p>Key: <code id="secret">${escapeHtml(form.secret)}</code></p>`
      : `<p>Enter a code from the authenticator app you just set up. To start over with a new key, sign in again.</p>`;
  const body = `<h1>Set up a second factor</h1>
<p class="client">${escapeHtml(form.clientName)} asks for permissions that need a code from an authenticator app.</p>
${shown}
${error.html}<form method="post" action="/oauth/sign-in/code">
${hiddenFields(form)}
<label for="code">Code from your authenticator app</label>
<input type="text" id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required autofocus${error.described}>
<button type="submit">Confirm</button>
</form>`;
  return {
    status: form.status ?? 200,
    html: layout(nonce, 'Set up a second factor - OrderOps', body),
    csp: csp(nonce, [form.redirectOrigin]),
  };
}

/**
 * The ten recovery codes, shown once after enrolment; the link continues the authorization
 * (a plain navigation: the session cookie is already set on this response).
 */
export function recoveryCodesPage(codes: readonly string[], continueTo: string): Page {
  const nonce = randomBytes(16).toString('base64');
  const items = codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('\n');
  const body = `<h1>Your recovery codes</h1>
<p>Each code signs you in once if you lose your authenticator app. Store them somewhere safe now: they are not shown again.</p>
<ol id="recovery-codes">
${items}
</ol>
<p><a id="continue" href="${escapeHtml(continueTo)}">Continue</a></p>`;
  return { status: 200, html: layout(nonce, 'Recovery codes - OrderOps', body), csp: csp(nonce, []) };
}
