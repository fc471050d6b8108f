"""The consent page of ``/oauth/authorize``: plain server-rendered HTML, no script.

The person proves who they are on the page itself, with their email and password: Hello's
API is token-based (no cookie session a browser could show), and a page that asked for a
bearer token would teach people to paste tokens into forms. The password check is Identity's
(``check_credentials``), with its throttle per email.

The form is protected by a signed double-submit token: a random value in a cookie
(``HttpOnly``, ``SameSite=Lax``, path ``/oauth/authorize``) and, in a hidden field, its HMAC
under the server secret. A cross-site form cannot read the cookie, so cannot compute the field;
the field alone, copied from another page, does not match another browser's cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from adapters.settings import get_settings
from models.apps import App
from resolvers.core.scopes import ADMIN_ONLY, SCOPES

CSRF_COOKIE = "hello_oauth_csrf"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/oauth/authorize"

SECURITY_HEADERS = {
    # Never framed: a framed consent page is a clickjacking target.
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "color:#1f2329}h1{font-size:1.4rem}li{margin:.4rem 0}label{display:block;margin:.6rem 0}"
    "input[type=email],input[type=password]{width:100%;padding:.4rem}"
    ".error{color:#b42318}.note{color:#646a73;font-size:.9rem}button{padding:.5rem 1rem;"
    "margin-right:.5rem}"
)


def csrf_token_for(cookie: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, f"oauth-consent\0{cookie}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(csrf_token_for(cookie), submitted)


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def error_page(error: str, description: str, status: int = 400) -> HTMLResponse:
    """A request Hello will not send back to the app (unknown app, unregistered redirect URI):
    redirecting would hand an attacker's URI whatever came with the request."""
    return _page(
        "Authorization failed",
        f"<h1>This authorization request cannot go on</h1>"
        f'<p class="error"><strong>{escape(error)}</strong>: {escape(description)}</p>'
        f'<p class="note">Nothing was shared. Go back to the app you came from.</p>',
        status,
    )


def consent_page(
    request: Request,
    app: App,
    scopes: list[str],
    *,
    message: str | None = None,
    email: str = "",
    status: int = 200,
    secure: bool = False,
) -> HTMLResponse:
    """The page asking the person to sign in and allow (or deny) the app the scopes listed."""
    cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    items = "".join(
        f"<li><code>{escape(s)}</code>: {escape(SCOPES[s])}"
        + (" <em>(owners and admins only)</em>" if s in ADMIN_ONLY else "")
        + "</li>"
        for s in scopes
    )
    action = COOKIE_PATH + ("?" + request.url.query if request.url.query else "")
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    body = (
        f"<h1>{escape(app.name)} wants to use your Hello account</h1>"
        + (f"<p>{escape(app.description)}</p>" if app.description else "")
        + f"<p>If you allow it, <strong>{escape(app.name)}</strong> may:</p><ul>{items}</ul>"
        + '<p class="note">Scopes your role does not have are not granted. You can revoke '
        "this access at any time (<code>appAuthorizationRevoke</code>).</p>"
        + error
        + f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token_for(cookie)}">'
        f'<label>Email <input type="email" name="email" value="{escape(email)}" '
        f'autocomplete="username"></label>'
        f'<label>Password <input type="password" name="password" '
        f'autocomplete="current-password"></label>'
        f'<button type="submit" name="decision" value="allow">Allow</button>'
        f'<button type="submit" name="decision" value="deny">Deny</button>'
        f"</form>"
    )
    response = _page(f"Authorize {app.name}", body, status)
    response.set_cookie(
        CSRF_COOKIE,
        cookie,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    return response
