"""`emis api`: the open data API on the current release (uvicorn, one or more workers)."""

from __future__ import annotations

import argparse
import os

from emis.errors import UserError
from emis.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    api = subparsers.add_parser(
        "api",
        help="serve the open data API (SDMX REST, JSON/CSV) on the current release",
        description="Serve $EMIS_HOME/releases/current/open over HTTP: SDMX REST under "
        "/sdmx/v2 (and /sdmx/v1), the plain API under /api/v1 (OpenAPI at "
        "/api/v1/openapi.json). Read-only; a new release is served as soon as `emis publish` "
        "switches `current`, without a restart. See docs/api.md.",
    )
    api.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    api.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    api.add_argument(
        "--workers", type=int, default=1, help="worker processes (default 1; one per core)"
    )
    api.add_argument(
        "--rate-limit",
        type=float,
        default=20.0,
        help="requests a second per client address and worker (default 20; 0: off)",
    )
    api.add_argument(
        "--burst", type=int, default=60, help="requests a client may send at once (default 60)"
    )
    api.add_argument("--access-log", action="store_true", help="log each request to stderr")
    api.set_defaults(handler=run_api)


def run_api(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    # The workers build the app from these (uvicorn imports a factory in each process).
    os.environ["EMIS_API_RELEASES"] = str(settings.releases_dir)
    os.environ["EMIS_API_RATE"] = str(args.rate_limit)
    os.environ["EMIS_API_BURST"] = str(args.burst)
    os.environ["EMIS_API_ACCESS_LOG"] = "1" if args.access_log else "0"
    if not (settings.releases_dir / "current").exists():
        print(f"emis api: no release yet under {settings.releases_dir}; /readyz says 503 "
              "until `emis publish` makes one")  # fmt: skip
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # uvicorn's would log client addresses; ours does not
        server_header=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    return 0
