"""Local HTTP sample-source server: exchange bhavcopy, ECB XML, corporate-actions API, broker files.

    python -m jobsched.samples.server --port 8765 --root <dir> [--token-env NAME] [--rate-limit 5] [--no-seed]

On start it also seeds the demo's non-HTTP sources under settings.data_dir() (JOBSCHED_DATA_DIR): broker
holdings files in the drop folder and the internal trades database (see jobsched.samples.seed).

A file under --root at the request path (e.g. <root>/eod/bhavcopy/20261120.csv) overrides the generated
payload, which is how tests deliver malformed data. POST /_control/{fault,rate_limit,reset} and
GET /_control/stats let tests make the source fail, slow down or rate limit, and count requests.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import sys
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jobsched.samples import feeds, payloads
from jobsched.samples.faults import Fault, FaultBook, OAuthIssuer
from jobsched.samples.instruments import instruments_file
from jobsched.samples.universe import is_weekday

ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/eod/bhavcopy/(?P<day>\d{8})\.csv$"), "bhavcopy"),
    (re.compile(r"^/ecb/eurofxref-daily\.xml$"), "ecb"),
    (re.compile(r"^/corporate-actions/v1/events$"), "events"),
    (re.compile(r"^/broker/trades/(?P<account>[A-Za-z0-9_-]+)/(?P<day>\d{8})\.csv$"), "broker_trades"),
    (re.compile(r"^/reference/instruments/(?P<day>\d{8})\.csv\.gz$"), "instruments"),
    (re.compile(r"^/ecb/eurofxref-hist-90d\.xml$"), "ecb_hist"),
    (re.compile(r"^/funds/v1/nav$"), "fund_nav"),
    (
        re.compile(
            r"^/content/historical/EQUITIES/\d{4}/[A-Z]{3}/cm(?P<day>\d{2}[A-Z]{3}\d{4})bhav\.csv\.zip$"
        ),
        "bhavcopy_zip",
    ),
]


DEMO_OAUTH_CLIENT = "jobsched-demo:demo-secret"


class SampleServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        root: Path,
        token: str | None,
        oauth_client: str | None = None,
        token_ttl: float = 300.0,
    ) -> None:
        super().__init__(address, Handler)
        self.root = root
        self.token = token
        self.faults = FaultBook()
        self.oauth = OAuthIssuer(oauth_client, token_ttl)


class Handler(BaseHTTPRequestHandler):
    server: SampleServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        if os.environ.get("JOBSCHED_SAMPLES_QUIET") != "1":
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body_raw = self.rfile.read(length)
        if path == "/oauth/token":
            body: dict[str, Any] = {}
        else:
            body = json.loads(body_raw or b"{}")
        if path == "/oauth/token":
            return self._oauth_token(body_raw)
        if path == "/_control/reset":
            self.server.faults.reset()
            self.server.oauth.revoke_all()
        elif path == "/_control/token_uses":
            self.server.oauth.max_uses = body.get("uses")
        elif path == "/_control/fault":
            self.server.faults.add(Fault(**body))
        elif path == "/_control/rate_limit":
            self.server.faults.rate_limit(**body)
        else:
            return self._send(404, "unknown control endpoint", "text/plain")
        self._send(200, "{}", "application/json")

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path == "/health":
            return self._send(200, "ok", "text/plain")
        if url.path == "/_control/stats":
            return self._send(200, json.dumps(self.server.faults.stats()), "application/json")
        fault = self.server.faults.take(url.path)
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status is not None:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                return self._send(fault.status, fault.body, "text/plain", headers)
        override = self.server.root / url.path.lstrip("/")
        if url.path.startswith("/") and ".." not in url.path and override.is_file():
            kind = mimetypes.guess_type(override.name)[0] or "application/octet-stream"
            return self._send(200, override.read_bytes(), kind)
        try:
            self._route(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})
        except ValueError as exc:
            self._send(400, f"bad request: {exc}", "text/plain")

    def _route(self, path: str, query: dict[str, str]) -> None:
        for pattern, name in ROUTES:
            match = pattern.match(path)
            if match:
                return getattr(self, f"_{name}")(query, **match.groupdict())
        self._send(404, f"no such resource: {path}", "text/plain")

    def _bhavcopy(self, query: dict[str, str], day: str) -> None:
        d = _day(day)
        if not is_weekday(d):
            return self._send(404, f"no bhavcopy for {d.isoformat()}: not a trading day", "text/plain")
        self._send(200, payloads.bhavcopy_csv(d), "text/csv")

    def _ecb(self, query: dict[str, str]) -> None:
        d = date.fromisoformat(query["date"]) if "date" in query else datetime.now().date()
        self._send(200, payloads.ecb_daily_xml(d), "text/xml")

    def _events(self, query: dict[str, str]) -> None:
        token = self.server.token
        if token and self.headers.get("Authorization") != f"Bearer {token}":
            return self._send(401, '{"error": "missing or wrong bearer token"}', "application/json")
        d = date.fromisoformat(query["ex_date"])
        page = payloads.events_page(d, query.get("cursor"), int(query.get("limit", "50")))
        self._send(200, json.dumps(page), "application/json")

    def _oauth_token(self, form: bytes) -> None:
        fault = self.server.faults.take("/oauth/token")
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status is not None:
                return self._send(fault.status, fault.body, "text/plain")
        fields = {k: v[-1] for k, v in parse_qs(form.decode()).items()}
        status, answer = self.server.oauth.issue(self.headers.get("Authorization", ""), fields)
        self._send(status, json.dumps(answer), "application/json", {"Cache-Control": "no-store"})

    def _fund_nav(self, query: dict[str, str]) -> None:
        if not self.server.oauth.valid(self.headers.get("Authorization", "")):
            return self._send(401, '{"error": "invalid_token"}', "application/json")
        d = date.fromisoformat(query["date"])
        page, size = int(query.get("page", "1")), int(query.get("page_size", "20"))
        self._send(200, json.dumps(feeds.fund_nav_page(d, page, size)), "application/json")

    def _ecb_hist(self, query: dict[str, str]) -> None:
        d = date.fromisoformat(query["date"]) if "date" in query else datetime.now().date()
        self._send(200, feeds.ecb_hist_90d_xml(d), "text/xml")

    def _bhavcopy_zip(self, query: dict[str, str], day: str) -> None:
        d = datetime.strptime(day, "%d%b%Y").date()
        if not is_weekday(d):
            return self._send(404, f"no bhavcopy for {d.isoformat()}: not a trading day", "text/plain")
        self._send(200, feeds.bhavcopy_zip(d), "application/zip")

    def _broker_trades(self, query: dict[str, str], account: str, day: str) -> None:
        self._send(200, payloads.broker_trades_csv(account, _day(day)), "text/csv")

    def _instruments(self, query: dict[str, str], day: str) -> None:
        rows = int(query.get("rows", "100000"))
        path = instruments_file(self.server.root / ".cache", rows, _day(day))
        self._send(200, path.read_bytes(), "application/gzip")

    def _send(self, status: int, body: str | bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout), which is what some tests do


def _day(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--root", type=Path, default=Path("samples-root"))
    parser.add_argument("--token-env", help="require 'Bearer $VAR' on the corporate-actions API")
    parser.add_argument("--rate-limit", type=float, default=5.0, help="corporate-actions requests/s (0: off)")
    parser.add_argument("--no-seed", action="store_true", help="do not seed the drop folder and trades db")
    parser.add_argument(
        "--oauth-client-env",
        default="JOBSCHED_SAMPLES_OAUTH_CLIENT",
        help="env var holding 'client_id:client_secret' of the fund-NAV API's OAuth2 client",
    )
    parser.add_argument("--token-ttl", type=float, default=300.0, help="OAuth2 access token lifetime (s)")
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    if not args.no_seed:
        from jobsched import settings
        from jobsched.samples.seed import seed_demo

        counts = seed_demo(settings.data_dir(), date.today())
        print(f"seeded demo sources under {settings.data_dir()}: {counts}", flush=True)
    token = os.environ.get(args.token_env) if args.token_env else None
    oauth_client = os.environ.get(args.oauth_client_env) or DEMO_OAUTH_CLIENT
    server = SampleServer((args.host, args.port), args.root.resolve(), token, oauth_client, args.token_ttl)
    if args.rate_limit > 0:
        server.faults.rate_limit("/corporate-actions/", args.rate_limit, max(1, int(args.rate_limit)))
    print(
        f"jobsched sample sources on http://{args.host}:{server.server_address[1]} root={args.root}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
