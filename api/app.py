"""The ASGI application: routes over :mod:`api.query` and :mod:`api.sdmx`, and what a public
service owes its clients (docs/api.md): ETag/Last-Modified and 304, gzip, CORS for GET, a
per-client rate limit (429 with Retry-After), one-line JSON errors and never a stack trace, an
access log without addresses, ``/healthz`` and ``/readyz``.

Every handler asks the store for the current snapshot once and answers from it alone; the
release id it answered from is in the ``EMIS-Release`` header (and in JSON bodies).
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from api import query, sdmx
from api.errors import ApiError, bad_request, not_found
from api.store import ReleaseStore, Snapshot

ACCESS = logging.getLogger("emis.api.access")
MAX_URL = 4096
CACHE_CONTROL = "public, max-age=300"
EXAMPLE_INDICATOR = "learners"


class RateLimit:
    """A token bucket per client address, per worker process: ``rate`` requests a second on
    average, ``burst`` at once. ``rate`` 0 turns it off (benchmarks on 127.0.0.1)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """0 if the request may go on, else the seconds until it may."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # forget idle clients
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        return 0.0


@dataclass(frozen=True)
class Cached:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]

    def response(self) -> Response:
        return Response(self.body, status_code=self.status, headers=dict(self.headers))


class ResponseCache:
    """Answers by release, URL and negotiation headers, least recently used first out, bounded
    in bytes. A release never changes, so an answer stays right until ``current`` moves (the
    release's path is in the key: a switch starts afresh)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Cached | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, response: Response) -> Cached:
        entry = Cached(bytes(response.body), response.status_code, tuple(response.headers.items()))
        if len(entry.body) > self.max_bytes // 8:
            return entry  # one huge answer must not empty the cache
        with self._lock:
            if key not in self._entries:
                self._entries[key] = entry
                self._bytes += len(entry.body)
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)
        return entry


def create_app(
    releases_dir: Path | str | None = None, rate: float | None = None, burst: int | None = None
) -> FastAPI:
    """The application over ``releases_dir`` (default: the settings' releases folder).
    Uvicorn's workers build it with ``factory=True`` from ``EMIS_API_*`` variables."""
    if releases_dir is None:
        from emis.settings import load_settings

        releases_dir = os.environ.get("EMIS_API_RELEASES") or load_settings().releases_dir
    rate = float(os.environ.get("EMIS_API_RATE", 20)) if rate is None else rate
    burst = int(os.environ.get("EMIS_API_BURST", 60)) if burst is None else burst
    store = ReleaseStore(Path(releases_dir), on_load=sdmx.prepare)
    if os.environ.get("EMIS_API_ACCESS_LOG") == "1" and not ACCESS.handlers:
        # Here, not in `emis api`: each uvicorn worker is a process of its own.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        ACCESS.addHandler(handler)
        ACCESS.setLevel(logging.INFO)
    limit = RateLimit(rate, burst)
    cache = ResponseCache(int(os.environ.get("EMIS_API_CACHE_MB", 64)) * 2**20)
    # SDMX-ML and SDMX-JSON are written per answer, slowly (pysdmx's XML writer): bounded.
    max_structured = int(os.environ.get("EMIS_API_MAX_STRUCTURED", 30_000))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Load the current release before the first request (in a thread: the loop stays free).
        try:
            await anyio.to_thread.run_sync(store.current)
        except Exception:  # served as 500 then, and tried again at the next request
            logging.getLogger("emis.api").exception("the current release could not be read")
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="EMIS open data API (Kyrgyz Republic education statistics)",
        version="1.0",
        description=(
            "Read-only figures of the current EMIS release: every value passed disclosure "
            "control before it was published. A suppressed observation has no value and "
            "carries its symbol (`c` suppressed, `z` not applicable, `x` unavailable, `low` "
            "rounds to zero, `u` low reliability). SDMX REST under `/sdmx/v2` (and `/sdmx/v1`); "
            "the plain API under `/api/v1`. Answers carry the release id in `EMIS-Release`."
        ),
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.add_middleware(GZipMiddleware, minimum_size=1000)

    @app.middleware("http")
    async def public_service(request: Request, call_next):
        started = time.perf_counter()
        try:
            response = await _guard(request, limit) or await call_next(request)
        except Exception:  # the log has the trace; the client never does
            logging.getLogger("emis.api").exception("unhandled error")
            response = _error(ApiError(500, "internal_error", "internal error; try again"))
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Vary"] = "Accept, Accept-Encoding, Accept-Language"
        ACCESS.info(
            '"%s %s" %s %.1fms',
            request.method,
            request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        return _error(error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _error(bad_request("bad_parameter", f"{where}: {first.get('msg', 'invalid')}"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = "no such resource; see /api/v1/openapi.json" if error.status_code == 404 else (
            str(error.detail)
        )  # fmt: skip
        answer = _error(ApiError(error.status_code, codes.get(error.status_code, "error"), message))
        if error.status_code == 405:
            answer.headers["Allow"] = "GET, HEAD, OPTIONS"
        return answer

    def snapshot() -> Snapshot:
        found = store.current()
        if found is None:
            raise ApiError(503, "no_release", "no release is published yet")
        return found

    def serve(request: Request, compute: Callable[[Snapshot], Response]) -> Response:
        """``compute``'s answer on the current release, from the cache when this release has
        answered the same URL with the same negotiation before; then the validators (304)."""
        current = snapshot()
        headers = request.headers
        key = (str(current.path), request.url.path, request.url.query,
               headers.get("accept", ""), headers.get("accept-language", ""))  # fmt: skip
        hit = cache.get(key)
        if hit is None:
            hit = cache.put(key, compute(current))
        return _conditional(request, current, hit.response())

    # --- service --------------------------------------------------------------------------

    @app.get("/healthz", tags=["service"], summary="The process answers")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], summary="A release is loaded and served")
    def readyz():
        found = store.current()
        if found is None:
            return _error(ApiError(503, "no_release", "no release is published yet"))
        return {"status": "ready", "release": found.release_id}

    # --- the plain API --------------------------------------------------------------------

    @app.get(
        "/api/v1/indicators",
        tags=["plain"],
        summary="Indicators: names, definitions, unit, reference date and source (ky/ru/en)",
    )
    def indicators(request: Request, format: FormatParam = None):
        def compute(current: Snapshot) -> Response:
            table = current.indicators.merge(current.footnotes, on="indicator_id", how="left")
            return _table(request, current, "indicators", table)

        return serve(request, compute)

    @app.get(
        "/api/v1/territories",
        tags=["plain"],
        summary="Territories: the republic, oblasts and districts (codes, names ky/ru/en)",
    )
    def territories(request: Request, format: FormatParam = None):
        def compute(current: Snapshot) -> Response:
            return _table(request, current, "territories", current.territories)

        return serve(request, compute)

    @app.get(
        "/api/v1/observations",
        tags=["plain"],
        summary="Observations, filtered and paged (JSON, or CSV with Accept: text/csv)",
        description=(
            "Every parameter is optional and takes one code or several separated by commas. "
            "`breakdown` selects the rows crossing exactly those breakdowns (`sex`, "
            "`sex,level`) or `total` for headline figures; a breakdown's own parameter "
            "(`sex=F`) selects its codes. A value is empty where a symbol stands."
        ),
    )
    def observations(
        request: Request,
        indicator: Annotated[str | None, Query(examples=[EXAMPLE_INDICATOR])] = None,
        year: Annotated[str | None, Query(examples=["2025-2026"])] = None,
        level: Annotated[str | None, Query(examples=["oblast"])] = None,
        territory: Annotated[str | None, Query(examples=["KG"])] = None,
        breakdown: Annotated[str | None, Query(examples=["sex"])] = None,
        page: Annotated[str | None, Query(examples=["1"])] = None,
        page_size: Annotated[str | None, Query(examples=["1000"])] = None,
        format: FormatParam = None,
    ):
        def compute(current: Snapshot) -> Response:
            params = dict(request.query_params)
            chosen = query.page(params)
            rows = query.observations(current, params)
            total = len(rows)
            start = (chosen.number - 1) * chosen.size
            page_rows = rows.iloc[start : start + chosen.size]
            rows = query.public(page_rows)
            more = start + chosen.size < total
            links = {}
            if more:
                links["next"] = str(request.url.include_query_params(page=chosen.number + 1))
            if _wants_csv(request):
                response = _csv(request, current, rows.to_csv(index=False, lineterminator="\n"))
                response.headers["X-Total-Count"] = str(total)
                if more:
                    response.headers["Link"] = f'<{links["next"]}>; rel="next"'
                return response
            head = {"release": current.release_id, "total": total, "page": chosen.number,
                    "page_size": chosen.size, "next": links.get("next")}  # fmt: skip
            return _json_rows(head, "observations", page_rows["json_row"])

        return serve(request, compute)

    @app.get(
        "/api/v1/releases",
        tags=["plain"],
        summary="Every published release: id, dates, which is current, what changed",
    )
    def releases(request: Request):
        def compute(current: Snapshot) -> Response:
            listed = []
            previous = None
            for release in store.releases():
                record = _release_record(release)
                listed.append(
                    {
                        "release_id": release.release_id,
                        "published_at": record.get("published_at"),
                        "snapshot_date": record.get("snapshot_date"),
                        "academic_year": record.get("academic_year"),
                        "current": release.release_id == current.release_id,
                        "previous": previous,
                        "changelog": f"/api/v1/releases/{release.release_id}/changelog",
                    }
                )
                previous = release.release_id
            return JSONResponse({"releases": listed[::-1]})

        return serve(request, compute)

    @app.get(
        "/api/v1/releases/{release_id}/changelog",
        tags=["plain"],
        summary="Observations added, removed or changed since the release before it",
    )
    def release_changelog(
        request: Request,
        release_id: Annotated[str, PathParam(examples=["2026-01-15.2"], max_length=40)],
        format: FormatParam = None,
    ):
        def compute(current: Snapshot) -> Response:
            changes = _changelog(store, release_id)
            if _wants_csv(request):
                return _csv(request, current, changes.to_csv(index=False, lineterminator="\n"))
            head = {"release": release_id, "total": len(changes)}
            return _json(request, current, head, "changes", changes)

        return serve(request, compute)

    # --- SDMX REST ------------------------------------------------------------------------

    def sdmx_data(request: Request, flow: tuple[str, str, str], key: str):
        def compute(current: Snapshot) -> Response:
            agency, ident, version = flow
            if (
                agency not in ("*", sdmx.AGENCY)
                or ident not in ("*", sdmx.DATAFLOW)
                or version not in ("*", "~", "latest", "+", sdmx.VERSION)
            ):
                raise not_found("NoResultsFound", f"no dataflow {agency}:{ident}({version})")
            params = request.query_params
            unknown = set(params) - {"startPeriod", "endPeriod", "dimensionAtObservation",
                                     "format", "attributes", "measures", "detail"}  # fmt: skip
            unknown = {name for name in unknown if not name.startswith("c[")}
            if unknown:
                raise bad_request("unknown_parameter", f"unknown parameter {sorted(unknown)[0]!r}")
            selection = query.DataQuery(
                keys=query.parse_key(key),
                filters=query.component_filters(params),
                start=query.period_bound("startPeriod", params.get("startPeriod"), end=False),
                end=query.period_bound("endPeriod", params.get("endPeriod"), end=True),
            )
            at_observation = sdmx.obs_dimension(params.get("dimensionAtObservation"))
            fmt = sdmx.negotiate(
                request.headers.get("accept"),
                params.get("format"),
                sdmx.DATA_TYPES,
                sdmx.DATA_FORMATS,
            )
            rows = query.select(current, selection)
            if rows.empty:
                raise not_found("NoResultsFound", "no observation matches the query")
            if fmt != "csv" and len(rows) > max_structured:
                raise ApiError(
                    413,
                    "too_many_observations",
                    f"{len(rows):,} observations: SDMX-ML and SDMX-JSON answers hold at most "
                    f"{max_structured:,}; narrow the key or ask for SDMX-CSV",
                )
            body = sdmx.write_data(rows, fmt, current, at_observation)
            return Response(body, media_type=sdmx.DATA_MEDIA[fmt])

        return serve(request, compute)

    def sdmx_structure(request: Request, kind: str, agency: str, ident: str, version: str):
        def compute(current: Snapshot) -> Response:
            params = request.query_params
            unknown = set(params) - {"references", "detail", "format", "lang"}
            if unknown:
                raise bad_request("unknown_parameter", f"unknown parameter {sorted(unknown)[0]!r}")
            lang = _lang(request)
            artefacts = sdmx.structure_artefacts(
                current, kind, agency, ident, version, params.get("references", "none"), lang
            )
            fmt = sdmx.negotiate(
                request.headers.get("accept"),
                params.get("format"),
                sdmx.STRUCTURE_TYPES,
                sdmx.STRUCTURE_FORMATS,
            )
            body = sdmx.write_structure(artefacts, fmt, current)
            response = Response(body, media_type=sdmx.STRUCTURE_MEDIA[fmt])
            response.headers["Content-Language"] = lang
            return response

        return serve(request, compute)

    tags = ["SDMX REST 2.0"]

    @app.get(
        "/sdmx/v2/data/dataflow/{agency}/{flow}/{version}/{key}",
        tags=tags,
        summary="Data by key (dots between the 15 dimensions, * or empty for any, + for or)",
    )
    def data_v2(
        request: Request,
        agency: Annotated[str, PathParam(examples=[sdmx.AGENCY])],
        flow: Annotated[str, PathParam(examples=[sdmx.DATAFLOW])],
        version: Annotated[str, PathParam(examples=[sdmx.VERSION])],
        key: Annotated[str, PathParam(examples=["learners.*.*.oblast.*.F.*.*.*.*.*.*.*.*.*"])],
    ):
        return sdmx_data(request, (agency, flow, version), key)

    @app.get("/sdmx/v2/data/dataflow/{agency}/{flow}/{version}", tags=tags, summary="All data")
    def data_v2_all(request: Request, agency: str, flow: str, version: str):
        return sdmx_data(request, (agency, flow, version), "*")

    @app.get(
        "/sdmx/v2/structure/{kind}/{agency}/{ident}/{version}",
        tags=tags,
        summary="Structures: dataflow, datastructure, codelist, conceptscheme (lang=ky|ru|en)",
    )
    def structure_v2(
        request: Request,
        kind: Annotated[str, PathParam(examples=["dataflow"])],
        agency: Annotated[str, PathParam(examples=[sdmx.AGENCY])],
        ident: Annotated[str, PathParam(examples=[sdmx.DATAFLOW])],
        version: Annotated[str, PathParam(examples=[sdmx.VERSION])],
    ):
        return sdmx_structure(request, kind, agency, ident, version)

    @app.get("/sdmx/v2/structure/{kind}/{agency}/{ident}", tags=tags, include_in_schema=False)
    def structure_v2_latest(request: Request, kind: str, agency: str, ident: str):
        return sdmx_structure(request, kind, agency, ident, "~")

    @app.get("/sdmx/v2/structure/{kind}", tags=tags, include_in_schema=False)
    def structure_v2_all(request: Request, kind: str):
        return sdmx_structure(request, kind, "*", "*", "~")

    tags_v1 = ["SDMX REST 1 (URL forms)"]

    @app.get("/sdmx/v1/data/{flow_ref}/{key}", tags=tags_v1, summary="Data by key (v1 form)")
    def data_v1(
        request: Request,
        flow_ref: Annotated[str, PathParam(examples=[f"{sdmx.AGENCY},{sdmx.DATAFLOW},1.0"])],
        key: str,
    ):
        return sdmx_data(request, _flow_ref(flow_ref), key)

    @app.get("/sdmx/v1/data/{flow_ref}", tags=tags_v1, include_in_schema=False)
    def data_v1_all(request: Request, flow_ref: str):
        return sdmx_data(request, _flow_ref(flow_ref), "all")

    @app.get("/sdmx/v1/{kind}/{agency}/{ident}/{version}", tags=tags_v1, summary="Structures")
    def structure_v1(request: Request, kind: str, agency: str, ident: str, version: str):
        return sdmx_structure(request, kind, agency, ident, version)

    @app.get("/sdmx/v1/{kind}/{agency}/{ident}", tags=tags_v1, include_in_schema=False)
    def structure_v1_latest(request: Request, kind: str, agency: str, ident: str):
        return sdmx_structure(request, kind, agency, ident, "latest")

    return TrailingSlash(app)


FormatParam = Annotated[
    str | None, Query(description="csv or json (instead of an Accept header)", examples=["csv"])
]


class TrailingSlash:
    """``/path/`` is ``/path`` (SDMX clients add the slash), and the URL's size is bounded."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope, path=path.rstrip("/") or "/")
                scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)


async def _guard(request: Request, limit: RateLimit) -> Response | None:
    """Answers given before any route: preflight, oversized requests, the rate limit."""
    if len(str(request.url)) > MAX_URL:
        return _error(ApiError(414, "uri_too_long", f"the URL is longer than {MAX_URL}"))
    if int(request.headers.get("content-length") or 0) > 0:
        return _error(ApiError(413, "body_not_allowed", "this API takes no request body"))
    if request.method == "OPTIONS":
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, "
                "If-Modified-Since",
                "Access-Control-Max-Age": "86400",
            },
        )
    if request.url.path in ("/healthz", "/readyz"):
        return None
    wait = limit.wait(request.client.host if request.client else "-")
    if wait:
        answer = _error(ApiError(429, "too_many_requests", "too many requests; slow down"))
        answer.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return answer
    return None


def _error(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang is not None:
        if lang not in sdmx.LANGS:
            raise bad_request("bad_lang", "lang is ky, ru or en")
        return lang
    for part in (request.headers.get("accept-language") or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in sdmx.LANGS:
            return code
    return "en"


def _wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt is not None:
        if fmt not in ("csv", "json"):
            raise bad_request("bad_format", "format is csv or json")
        return fmt == "csv"
    accept = request.headers.get("accept") or ""
    return "text/csv" in accept and "application/json" not in accept.split(",")[0]


def _conditional(request: Request, current: Snapshot, response: Response) -> Response:
    """Cache validators of the release; 304 when the client holds this release already."""
    modified = email.utils.format_datetime(current.published_at, usegmt=True)
    response.headers["ETag"] = current.etag
    response.headers["Last-Modified"] = modified
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["EMIS-Release"] = current.release_id
    match = request.headers.get("if-none-match")
    fresh = False
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        fresh = "*" in tags or current.etag.removeprefix("W/") in tags
    elif (since := request.headers.get("if-modified-since")) is not None:
        try:
            fresh = email.utils.parsedate_to_datetime(since) >= current.published_at
        except (TypeError, ValueError):
            fresh = False
    if fresh:
        kept = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        kept.pop("content-type", None)
        return Response(status_code=304, headers=kept)
    return response


def _json(request: Request, current: Snapshot, head: dict, name: str, rows) -> Response:
    import json

    records = rows.to_json(orient="records", force_ascii=False, date_format="iso")
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    body = f'{opening}, "{name}": {records}}}'
    return Response(body, media_type="application/json")


def _json_rows(head: dict, name: str, rows) -> Response:
    """``head`` with ``name``: the rows' JSON (each written once, when the release loaded)."""
    import json

    opening = json.dumps(head, ensure_ascii=False)[:-1]
    body = f'{opening}, "{name}": [{",".join(rows)}]}}'
    return Response(body, media_type="application/json")


def _csv(request: Request, current: Snapshot, text: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8")


def _table(request: Request, current: Snapshot, name: str, table) -> Response:
    if _wants_csv(request):
        return _csv(request, current, table.to_csv(index=False, lineterminator="\n"))
    return _json(request, current, {"release": current.release_id}, name, table)


def _flow_ref(raw: str) -> tuple[str, str, str]:
    """SDMX REST 1 flow references: ``EMIS``, ``KG_MOES,EMIS`` or ``KG_MOES,EMIS,1.0``."""
    parts = raw.split(",")
    if len(parts) == 1:
        return (sdmx.AGENCY, parts[0], "latest")
    if len(parts) == 2:
        return (parts[0], parts[1], "latest")
    if len(parts) == 3:
        return (parts[0], parts[1], parts[2])
    raise bad_request("malformed_flow", "a flow is AGENCY,ID,VERSION")


_records: dict[str, dict] = {}


def _release_record(release) -> dict:
    """A release's record from its open ``release`` table (cached: releases are immutable)."""
    from api.store import _record
    from warehouse.release.reader import query_open

    key = str(release.path)
    if key not in _records:
        _records[key] = _record(query_open(release, "select * from release"))
    return _records[key]


_changes: dict[str, object] = {}


def _changelog(store: ReleaseStore, release_id: str):
    """What changed in ``release_id`` since the release before it, from the two open bundles
    (the same comparison `emis publish` writes to ``changelog.csv``)."""
    from warehouse.release.bundle import changelog
    from warehouse.release.reader import query_open

    releases = store.releases()
    ids = [release.release_id for release in releases]
    if release_id not in ids:
        raise not_found("unknown_release", f"unknown release {release_id[:40]!r}")
    if release_id not in _changes:
        index = ids.index(release_id)
        columns = "* exclude (numerator, denominator)"
        now = query_open(releases[index], f"select {columns} from observations")
        before = (
            query_open(releases[index - 1], f"select {columns} from observations")
            if index
            else None
        )
        if len(_changes) >= 4:  # a few releases' changes at most
            _changes.clear()
        _changes[release_id] = changelog(before, now)
    return _changes[release_id]
