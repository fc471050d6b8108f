"""GraphiQL, served by Hello itself: the page, its Content-Security-Policy, and its assets.

Strawberry's page loads React, GraphiQL and the explorer plugin from a public CDN, so on an
air-gapped network or under a strict CSP it never gets past "Loading...". Here the set-up
(``make run``/``make test``) installs the same files with ``npm ci`` into ``static/graphiql``
from its lockfile, and ``/assets/graphiql/<digest>/<name>`` serves them. Where npm was missing
the page still works online: it loads the pinned versions from the CDN with subresource
integrity, and the CSP names the CDN (a warning says so once per process).

Versions: GraphiQL 3.8.3, the last major that ships a UMD build, which a page can load with
plain ``<script>`` tags; GraphiQL 4 is ESM only and GraphiQL 5 runs Monaco in web workers,
both of which want a bundler or an import map plus worker files we would have to build. React
18.3.1 is the last React with UMD builds (React 19 dropped them), and
``@graphiql/plugin-explorer`` 3.2.5 is the newest plugin for GraphiQL 3's ``@graphiql/react``.

Only the files named below are served, each read once into memory and addressed by the digest
of its bytes: nothing a request says is ever joined to a path on disk, and the digest in the
URL lets browsers cache every file for a year. Production serves none of this (no GraphiQL).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.settings import Settings

log = logging.getLogger("hello.graphiql")

ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "graphiql"
TEMPLATE = Path(__file__).with_name("graphiql.html")
PREFIX = "/assets/graphiql"
CDN = "https://unpkg.com"
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Vendored:
    """One browser file of an npm package, pinned as in ``static/graphiql/package.json``.
    ``integrity`` is the file's sha384 (the CDN fallback's subresource integrity); a test
    checks it against the installed file, so a version bump cannot forget it."""

    name: str  # the name it is served under
    package: str
    version: str
    file: str
    integrity: str


# In load order: React before GraphiQL's UMD build, GraphiQL before the plugin (it reads
# window.GraphiQL.React), and our own start-up script last.
VENDORED = (
    Vendored(
        "react.js",
        "react",
        "18.3.1",
        "umd/react.production.min.js",
        "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
    ),
    Vendored(
        "react-dom.js",
        "react-dom",
        "18.3.1",
        "umd/react-dom.production.min.js",
        "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
    ),
    Vendored(
        "graphiql.js",
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    Vendored(
        "plugin-explorer.js",
        "@graphiql/plugin-explorer",
        "3.2.5",
        "dist/index.umd.js",
        "sha384-5p6hGdlOTvUy6Wf0GauxCz+xM9YB/YYvcGG+bf9msr2eyd+KVIxgRkepHgUijedJ",
    ),
    Vendored(
        "graphiql.css",
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    Vendored(
        "plugin-explorer.css",
        "@graphiql/plugin-explorer",
        "3.2.5",
        "dist/style.css",
        "sha384-YN9MumWidbWKuNj8VfH5ggrFvm9YqAoIOMnKYpeGL3dr7Eg1qnQ+SAqSthdNZCjz",
    ),
)
# Ours, committed next to package.json: always served locally, CDN or not.
OWN = ("hello-graphiql.css", "hello-graphiql.js")

_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# A Host header may only add itself to the CSP if it looks like one (no spaces, quotes or ;).
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


@dataclass
class Asset:
    body: bytes
    content_type: str
    digest: str
    integrity: str
    _gzipped: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes:
        # graphiql.js is 3.4 MB and about a quarter of that gzipped; compressed on first use.
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


def _asset(body: bytes, name: str) -> Asset:
    return Asset(
        body=body,
        content_type=_TYPES[Path(name).suffix],
        digest=hashlib.sha256(body).hexdigest()[:16],
        integrity="sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode(),
    )


def _installed_version(directory: Path, package: str) -> str | None:
    try:
        meta = json.loads((directory / "node_modules" / package / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = meta.get("version") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None


class GraphiQLAssets:
    """The page and the files it loads, from ``directory`` (``static/graphiql``)."""

    def __init__(self, directory: Path = ASSET_DIR) -> None:
        self.directory = directory
        self.files: dict[str, Asset] = {}
        for name in OWN:
            self.files[name] = _asset((directory / name).read_bytes(), name)
        self.missing = self._load_vendored()
        if self.missing:
            # Partly installed is treated as not installed: one origin for all of React,
            # GraphiQL and the plugin, so their versions cannot mix.
            for item in VENDORED:
                self.files.pop(item.name, None)
        self.page_html = self._html(TEMPLATE.read_text())

    def _load_vendored(self) -> list[str]:
        missing = []
        for item in VENDORED:
            version = _installed_version(self.directory, item.package)
            path = self.directory / "node_modules" / item.package / item.file
            if version != item.version or not path.is_file():
                missing.append(f"{item.package}@{item.version}")
                continue
            self.files[item.name] = _asset(path.read_bytes(), item.name)
        return sorted(set(missing))

    @property
    def offline(self) -> bool:
        """True when every file is served by Hello itself."""
        return not self.missing

    def url(self, name: str) -> str:
        return f"{PREFIX}/{self.files[name].digest}/{name}"

    def _tags(self, suffix: str) -> list[str]:
        """``<script>`` or ``<link>`` tags for the files ending in ``suffix``, in order."""
        tags = []
        vendored = [(v.name, v) for v in VENDORED if v.name.endswith(suffix)]
        own = [(name, None) for name in OWN if name.endswith(suffix)]
        for name, item in [*vendored, *own]:
            if name in self.files:
                src, integrity, cross = self.url(name), self.files[name].integrity, ""
            else:
                assert item is not None
                src = f"{CDN}/{item.package}@{item.version}/{item.file}"
                integrity, cross = item.integrity, ' crossorigin="anonymous"'
            src, integrity = escape(src), escape(integrity)
            if suffix == ".js":
                tags.append(f'<script src="{src}" integrity="{integrity}"{cross}></script>')
            else:
                tags.append(
                    f'<link rel="stylesheet" href="{src}" integrity="{integrity}"{cross} />'
                )
        return tags

    def _html(self, template: str) -> str:
        return template.replace("<!-- styles -->", "\n    ".join(self._tags(".css"))).replace(
            "<!-- scripts -->", "\n    ".join(self._tags(".js"))
        )

    def csp(self, host: str) -> str:
        """No inline script and no eval: every script is a file from 'self' (or the pinned
        CDN). Styles allow 'unsafe-inline': GraphiQL's dialogs inject <style> elements at run
        time (Radix's scroll lock), and the UMD build gives no way to hand them a nonce. Inline
        CSS cannot run script, and with img-src, font-src and connect-src kept to this host it
        cannot send anything elsewhere either. The fonts are data: URIs inside graphiql.css.
        connect-src names ws(s) for this host too (older browsers do not count ws: as 'self')."""
        cdn = "" if self.offline else f" {CDN}"
        connect = "'self'"
        if _HOST.match(host):
            connect += f" ws://{host} wss://{host}"
        return "; ".join(
            (
                "default-src 'none'",
                f"script-src 'self'{cdn}",
                f"style-src 'self' 'unsafe-inline'{cdn}",
                "font-src 'self' data:",
                "img-src 'self' data:",
                f"connect-src {connect}",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            )
        )

    def page(self, request: Request) -> Response:
        return HTMLResponse(
            self.page_html,
            headers={
                "content-security-policy": self.csp(request.headers.get("host", "")),
                "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer",
                # The page names the assets' digests: revalidate it, cache them.
                "cache-control": "no-cache",
            },
        )

    async def serve(self, request: Request) -> Response:
        name = request.path_params["name"]
        asset = self.files.get(name)
        if asset is None or request.path_params["digest"] != asset.digest:
            return Response("Not Found", status_code=404, media_type="text/plain")
        headers = {
            "cache-control": f"public, max-age={YEAR}, immutable",
            "x-content-type-options": "nosniff",
            "vary": "accept-encoding",
        }
        body = asset.body
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            body = await run_in_threadpool(asset.gzipped)  # 0.1 s once: not on the loop
            headers["content-encoding"] = "gzip"
        return Response(body, media_type=asset.content_type, headers=headers)


@lru_cache(maxsize=4)
def assets(directory: Path = ASSET_DIR) -> GraphiQLAssets:
    """The assets of ``directory``, read once per process; warns once if npm never ran."""
    loaded = GraphiQLAssets(directory)
    if not loaded.offline:
        log.warning(
            "GraphiQL's assets are not installed in %s (%s missing): the page loads them from "
            "%s, so it needs internet access. Run `npm ci` there, or `make run` with npm "
            "installed.",
            directory,
            ", ".join(loaded.missing),
            CDN,
        )
    return loaded


def routes(settings: Settings) -> list[BaseRoute]:
    """The asset route, outside production (which has no GraphiQL)."""
    if settings.production:
        return []
    assets()  # read now, so a missing install is said at start-up, not on the first visit
    return [Route(PREFIX + "/{digest}/{name}", _serve, methods=["GET", "HEAD"])]


async def _serve(request: Request) -> Response:
    return await assets().serve(request)
