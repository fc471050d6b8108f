"""A Janus of its own for the SFU tests (and for ``.ci/run``): a config folder with only the
VideoRoom plugin and the plain HTTP transport on a free loopback port, ICE on loopback.

``python -m tests.meetings.janus_server DIR [PORT]`` writes the config into DIR, starts Janus,
prints its API URL once it answers and runs until killed (``.ci/run`` uses this)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PLUGINS = Path("/usr/lib/x86_64-linux-gnu/janus/plugins")
TRANSPORTS = Path("/usr/lib/x86_64-linux-gnu/janus/transports")
ADMIN_KEY = "hello-test-admin-key"


def janus_binary() -> str | None:
    return shutil.which("janus")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, port: int, admin_key: str = ADMIN_KEY) -> None:
    """Only what the tests need: the VideoRoom plugin (rooms need ``admin_key`` to be
    created), the HTTP transport on 127.0.0.1:``port``, host candidates on loopback."""
    for sub in ("conf", "plugins", "transports", "events", "loggers"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    plugin = PLUGINS / "libjanus_videoroom.so"
    transport = TRANSPORTS / "libjanus_http.so"
    for src, dst in ((plugin, folder / "plugins"), (transport, folder / "transports")):
        link = dst / src.name
        if not link.exists():
            link.symlink_to(src)
    conf = folder / "conf"
    (conf / "janus.jcfg").write_text(
        f"""general: {{
    configs_folder = "{conf}"
    plugins_folder = "{folder / "plugins"}"
    transports_folder = "{folder / "transports"}"
    events_folder = "{folder / "events"}"
    loggers_folder = "{folder / "loggers"}"
    debug_level = 3
    protected_folders = ["/bin", "/boot", "/dev", "/etc", "/initrd", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var"]
}}
certificates: {{}}
media: {{
    rtp_port_range = "20000-40000"
}}
nat: {{
    nice_debug = false
    ice_enforce_list = "lo"
    ignore_mdns = true
}}
plugins: {{}}
transports: {{}}
events: {{ broadcast = false }}
loggers: {{}}
"""
    )
    (conf / "janus.plugin.videoroom.jcfg").write_text(
        f"""general: {{
    admin_key = "{admin_key}"
    lock_rtp_forward = true
}}
"""
    )
    (conf / "janus.transport.http.jcfg").write_text(
        f"""general: {{
    json = "plain"
    base_path = "/janus"
    http = true
    port = {port}
    interface = "lo"
    ip = "127.0.0.1"
    https = false
}}
admin: {{ admin_http = false }}
cors: {{}}
"""
    )


def wait_up(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"janus exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/info", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"janus did not answer at {url}")


def start(folder: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start Janus with its config in ``folder``; its process and HTTP API URL."""
    binary = janus_binary()
    if binary is None:
        raise RuntimeError("janus is not installed")
    port = port or free_port()
    write_config(folder, port)
    log = open(folder / "janus.log", "wb")  # noqa: SIM115 (the process writes it)
    proc = subprocess.Popen(
        [binary, "-F", str(folder / "conf"), "-N", "-L", str(folder / "janus.log"), "-o"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/janus"
    try:
        wait_up(url, proc)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    return proc, url


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop Janus on the way out
    folder = Path(sys.argv[1])
    port = int(sys.argv[2]) if len(sys.argv) > 2 else None
    proc, url = start(folder, port)
    print(url, flush=True)
    try:
        sys.exit(proc.wait())
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    os.umask(0o022)
    main()
