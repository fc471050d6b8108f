"""GraphiQL served by Hello itself (``server/graphiql.py``): the page's CSP and headers, the
assets' cache headers, content types and confinement, the CDN fallback where npm never ran,
production without any of it, and the page working in headless Chromium with every request
to the outside blocked (``graphiql.mjs``, playwright-core driving Debian's ``chromium``)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from adapters.settings import Settings
from server import graphiql
from server.app import create_app
from tests.client import Api, org_channel, wait_subscribed
from tests.services import missing

HERE = Path(__file__).parent
SCRIPT = HERE / "graphiql.mjs"
CHROMIUM = os.environ.get("HELLO_CHROMIUM", "/usr/bin/chromium")
TIMEOUT = 30  # seconds for any line of the browser script (it gives each step 15)


def npm_ci(directory: Path, probe: str) -> None:
    """``npm ci`` in ``directory`` unless ``node_modules/<probe>`` is there already."""
    if (directory / "node_modules" / probe / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if not npm:
        missing(f"npm is needed to install {directory}/node_modules")
    assert npm
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"npm ci timed out in {directory}:\n{e.stdout}\n{e.stderr}")
    if done.returncode != 0:
        pytest.fail(f"npm ci failed in {directory} ({done.returncode}):\n{done.stderr}")


@pytest.fixture(scope="module")
def installed() -> graphiql.GraphiQLAssets:
    """GraphiQL's assets as ``make test`` installs them (here too when pytest runs alone)."""
    npm_ci(graphiql.ASSET_DIR, "graphiql")
    graphiql.assets.cache_clear()  # a server started before the install read none
    assets = graphiql.assets()
    assert assets.offline, f"not installed: {assets.missing}"
    return assets


async def page(api: Api) -> httpx.Response:
    r = await api.http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200, r.text
    return r


def csp(response: httpx.Response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["content-security-policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def sha384(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def test_page_has_a_strict_csp_and_no_inline_script(
    installed: graphiql.GraphiQLAssets, server: str, api: Api
) -> None:
    r = await page(api)
    host = urlsplit(server).netloc

    policy = csp(r)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no CDN
    assert policy["connect-src"] == ["'self'", f"ws://{host}", f"wss://{host}"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-type"].startswith("text/html")

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
    assert len(scripts) == 5
    assert all(body.strip() == "" and 'src="/assets/graphiql/' in attrs for attrs, body in scripts)
    assert "unpkg" not in r.text and "https://" not in r.text


async def test_a_forged_host_header_does_not_reach_the_csp(
    installed: graphiql.GraphiQLAssets, api: Api
) -> None:
    r = await api.http.get(
        "/graphql", headers={"accept": "text/html", "host": "evil.test; script-src *"}
    )
    assert csp(r)["connect-src"] == ["'self'"]
    assert csp(r)["script-src"] == ["'self'"]


async def test_assets_are_cached_typed_and_match_their_integrity(
    installed: graphiql.GraphiQLAssets, api: Api
) -> None:
    r = await page(api)
    tags = re.findall(r'(?:src|href)="(/assets/graphiql/[^"]+)" integrity="([^"]+)"', r.text)
    assert len(tags) == 8  # 4 vendored scripts + ours, 2 vendored stylesheets + ours
    for url, integrity in tags:
        asset = await api.http.get(url, headers={"accept-encoding": "identity"})
        assert asset.status_code == 200, url
        kind = "text/javascript" if url.endswith(".js") else "text/css"
        assert asset.headers["content-type"] == f"{kind}; charset=utf-8"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert sha384(asset.content) == integrity, url

    # The big one travels compressed when the browser accepts it.
    url = next(u for u, _ in tags if u.endswith("/graphiql.js"))
    raw = await api.http.get(url, headers={"accept-encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert int(raw.headers["content-length"]) < len(raw.content) / 2  # httpx decoded it
    assert sha384(raw.content) == dict(tags)[url]


async def raw_get(server: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as written (httpx would normalise dot segments away)."""
    host, port = urlsplit(server).hostname, urlsplit(server).port
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    status = int(response.split(b" ", 2)[1])
    return status, response.partition(b"\r\n\r\n")[2]


async def test_nothing_outside_the_named_files_is_served(
    installed: graphiql.GraphiQLAssets, server: str
) -> None:
    digest = installed.files["graphiql.js"].digest
    secrets_on_disk = (b"BaseSettings", b'"lockfileVersion"', b"root:", b'"name": "graphiql"')
    for target in (
        f"/assets/graphiql/{digest}/../../../adapters/settings.py",
        f"/assets/graphiql/{digest}/..%2F..%2F..%2Fadapters%2Fsettings.py",
        f"/assets/graphiql/{digest}/%2e%2e%2fpackage-lock.json",
        "/assets/graphiql/..%2F..%2Fstatic/graphiql/package-lock.json",
        f"/assets/graphiql/{digest}/package-lock.json",
        f"/assets/graphiql/{digest}/node_modules/graphiql/package.json",
        f"/assets/graphiql/{digest}/%2Fetc%2Fpasswd",
        "/assets/graphiql//etc/passwd",
        "/assets/graphiql/0000000000000000/graphiql.js",  # a name we serve, a wrong digest
        f"/assets/graphiql/{digest}/graphiql.js.map",
    ):
        status, body = await raw_get(server, target)
        assert status in (400, 404), target
        assert not any(s in body for s in secrets_on_disk), target


def test_pinned_versions_match_the_package_and_the_installed_files(
    installed: graphiql.GraphiQLAssets,
) -> None:
    """The CDN fallback's versions and hashes are the lockfile's, so the page is the same
    online and offline; a version bump that forgets them fails here."""
    pinned = json.loads((graphiql.ASSET_DIR / "package.json").read_text())["dependencies"]
    lock = json.loads((graphiql.ASSET_DIR / "package-lock.json").read_text())["packages"]
    for item in graphiql.VENDORED:
        assert pinned[item.package] == item.version
        assert lock[f"node_modules/{item.package}"]["version"] == item.version
        assert installed.files[item.name].integrity == item.integrity, item


def test_without_npm_the_page_falls_back_to_the_cdn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in graphiql.OWN:  # a checkout where `npm ci` never ran
        shutil.copy(graphiql.ASSET_DIR / name, tmp_path / name)
    with caplog.at_level(logging.WARNING, logger="hello.graphiql"):
        assets = graphiql.assets(tmp_path)
    assert not assets.offline
    assert "not installed" in caplog.text and "npm ci" in caplog.text

    html = assets.page_html
    for item in graphiql.VENDORED:
        url = f"https://unpkg.com/{item.package}@{item.version}/{item.file}"
        assert f'"{url}" integrity="{item.integrity}" crossorigin="anonymous"' in html
    for name in graphiql.OWN:  # ours are still served by Hello
        assert f'"{assets.url(name)}"' in html
    policy = assets.csp("127.0.0.1:8000")
    assert "script-src 'self' https://unpkg.com" in policy
    assert "'unsafe-eval'" not in policy


async def test_production_serves_neither_the_page_nor_its_assets(
    installed: graphiql.GraphiQLAssets, tmp_path: Path
) -> None:
    settings = Settings(env="production", data_dir=tmp_path, secret_key="s" * 48)
    app = create_app(settings, configure_logging=False)
    url = installed.url("graphiql.js")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hello.test"
    ) as client:
        assert (await client.get(url)).status_code == 404
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code != 200 and "graphiql" not in page.text.lower()


class Browser:
    """``node graphiql.mjs`` as a subprocess, read one JSON line (one step) at a time."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    async def step(self, name: str) -> dict[str, Any]:
        assert self.proc.stdout
        try:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        except TimeoutError:
            self.proc.kill()
            raw = b""
        if not raw:  # the script failed or hung: say why
            await self.proc.wait()
            assert self.proc.stderr
            err = (await self.proc.stderr.read()).decode(errors="replace")
            pytest.fail(f"the browser gave up before step {name!r}:\n{err}")
        line = json.loads(raw)
        assert line["step"] == name, line
        return line

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture(scope="module")
def node_with_chromium() -> str:
    """Node.js, once Chromium and playwright-core are known to be there."""
    node = shutil.which("node")
    if not node or not shutil.which("npm"):
        missing("node and npm are needed for the GraphiQL browser test")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    npm_ci(HERE, "playwright-core")
    assert node
    return node


async def test_graphiql_works_offline_in_headless_chromium(
    installed: graphiql.GraphiQLAssets, node_with_chromium: str, server: str, api: Api
) -> None:
    owner = await api.sign_up(organization="GraphiQL Org", name="Grace")
    token = owner.access_token
    proc = await asyncio.create_subprocess_exec(
        node_with_chromium,
        str(SCRIPT),
        server,
        token,
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    browser = Browser(proc)
    try:
        # A query, signed in by the token typed into the Headers tab.
        query = await browser.step("query")
        assert "errors" not in query["response"], query
        assert query["response"]["data"] == {
            "viewer": {"id": owner.user_id, "displayName": "Grace"}
        }

        # The token is nowhere in the browser's storage, the URL or its cookies, and the one
        # an older page had saved ("legacy-token", seeded by the script) is gone.
        storage = await browser.step("storage")
        assert "graphiql:tabState" in storage["localStorage"]  # the check is not vacuous
        assert "{ __typename }" in storage["localStorage"]["graphiql:queries"]
        kept = json.dumps([storage["localStorage"], storage["sessionStorage"]])
        assert token not in kept and "Bearer" not in kept  # nor the one seeded before
        assert token not in storage["url"] and storage["cookies"] == []

        # A subscription over the page's WebSocket, signed in by the same header.
        await browser.step("subscribing")
        try:
            await wait_subscribed(org_channel(owner), timeout=10)
        except TimeoutError:
            await browser.step("subscription")  # fails, with what the page shows
            raise
        await api.add_member(owner, name="Joiner")
        event = await browser.step("subscription")
        assert "errors" not in event["response"], event
        assert event["response"]["data"] == {
            "organizationEvents": {"__typename": "MemberJoined", "user": {"displayName": "Joiner"}}
        }
        assert event["websockets"] == [server.replace("http://", "ws://") + "/graphql"]

        # The docs explorer lists the schema, descriptions included.
        docs = await browser.step("docs")
        assert "Mutation.messageSend" in docs["found"], docs
        assert docs["title"] == "messageSend"
        assert "MessageSendPayload" in docs["text"]

        # Nothing was fetched from outside, nothing broke the CSP, nothing failed.
        done = await browser.step("done")
        assert done["persistSetting"] is False
        assert done["blocked"] == []
        assert done["violations"] == []
        assert done["pageErrors"] == []
        assert done["consoleErrors"] == []
        assert any("/assets/graphiql/" in url for url in done["served"])
        assert await asyncio.wait_for(proc.wait(), TIMEOUT) == 0
    finally:
        await browser.kill()
