"""Serve Hello for the benchmark: ``python -m bench.serve --port P``.

Like ``hello serve`` (uvicorn, one worker, the same options), with two differences: the app
is ``bench.baseline:create_app`` (Hello, plus the baseline endpoints when
``HELLO_BENCH_BASELINE=1``), and the open-file limit is raised to its hard limit first, so
that thousands of WebSockets fit."""

from __future__ import annotations

import argparse
import resource


def raise_open_files() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def main() -> None:
    import uvicorn

    from adapters.settings import get_settings
    from server.app import uvicorn_options

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    raise_open_files()
    uvicorn.run(
        "bench.baseline:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        log_config=None,
        access_log=False,
        **uvicorn_options(get_settings()),
        backlog=4096,
    )


if __name__ == "__main__":
    main()
