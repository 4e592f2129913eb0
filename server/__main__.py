"""``python -m server`` / ``casework``: start the workspace server.

Errors a user can make (bad flags, an unusable data folder, a busy port, a database that cannot be opened) end
with one readable line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from pathlib import Path

from server.settings import DEFAULT_DATA_DIR, TEST_KITS_DIR, Settings

EXIT_USAGE = 2
EXIT_FAILURE = 1


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"casework: error: {message} (see --help)\n")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value}: must be 0-65535 (0 picks a free port)")
    return value


def _cases(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000_000:
        raise argparse.ArgumentTypeError(f"invalid --scale {text!r}: a number of cases from 1 to 10000000")
    return int(text)


def _smtp_url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid --smtp-url {text!r}: bad port") from None
    if parts.scheme != "smtp" or not parts.hostname:
        raise argparse.ArgumentTypeError(f"invalid --smtp-url {text!r}: use smtp://[user:password@]host[:port]")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="casework", description="Start the Casework workspace server.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8000, help="port to listen on; 0 picks a free one (default: 8000)"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("CASEWORK_DATA_DIR", DEFAULT_DATA_DIR)),
        help="folder for the embedded SQLite database (default: ./data, or $CASEWORK_DATA_DIR)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"),
        help="SQLAlchemy database URL instead of the embedded SQLite file (default: $DATABASE_URL)",
    )
    parser.add_argument("--no-seed", action="store_true", help="do not seed demo data into an empty database")
    parser.add_argument(
        "--scale", type=_cases, default=None, metavar="N",
        help="seed N demo cases (with 4 activities each) instead of 5,000 into an empty database (benchmarks)",
    )
    parser.add_argument(
        "--smtp-url", default=os.environ.get("CASEWORK_SMTP_URL"), type=_smtp_url, metavar="URL",
        help="send e-mail through smtp://[user:password@]host[:port] (default: record it in the outbox, send nothing)",
    )
    parser.add_argument(
        "--test-kits", action="store_true",
        help="tests and benchmarks only: add the test pages of tests/pagekits to /app.zip (never in production)",
    )
    parser.add_argument(
        "--production", action="store_true",
        help="production mode: never seed, and refuse to start while any user has the demo password",
    )
    parser.add_argument(
        "--forwarded-allow-ips", default=os.environ.get("CASEWORK_FORWARDED_ALLOW_IPS", ""), metavar="IPS",
        help="comma-separated addresses of TLS proxies whose X-Forwarded-For/-Proto headers are believed "
             "(default: none; $CASEWORK_FORWARDED_ALLOW_IPS). Example: --forwarded-allow-ips 127.0.0.1",
    )
    return parser


def _check_data_dir(path: Path) -> str | None:
    """Create the data folder if needed and prove it is writable; return a reason when it is not usable."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        return f"data dir {str(path)!r} is not usable: {exc.strerror or exc}"
    return None


def _fail(message: str, code: int = EXIT_FAILURE) -> int:
    print(f"casework: error: {message}", file=sys.stderr, flush=True)
    return code


def settings_from_args(args: argparse.Namespace, data_dir: Path) -> Settings:
    """The server settings the parsed command line asks for (``data_dir`` already resolved)."""
    return Settings(data_dir=data_dir, database_url=args.database_url, seed=not args.no_seed,
                    seed_cases=args.scale, production=args.production, smtp_url=args.smtp_url,
                    extra_python_dirs=(TEST_KITS_DIR,) if args.test_kits else ())


def main(argv: list[str] | None = None) -> int:
    """Parse flags, prepare the database, bind the port and serve until interrupted."""
    args = build_parser().parse_args(argv)
    data_dir = args.data_dir.expanduser().resolve()
    if args.database_url is None and (reason := _check_data_dir(data_dir)):
        return _fail(reason)

    if args.test_kits and args.production:
        return _fail("--test-kits is for tests and benchmarks; it cannot be used with --production", EXIT_USAGE)
    settings = settings_from_args(args, data_dir)
    if not (settings.web_dir / "vendor").is_dir():
        print("casework: warning: web/vendor is missing; run scripts/setup first (the page cannot boot without it)",
              file=sys.stderr, flush=True)

    # Heavy imports after argument checks, so `--help` and usage errors answer at once.
    import uvicorn

    from server.app import create_app, prepare_database
    from server.db import DatabaseError
    from server.seed import DemoCredentialsError

    try:
        prepare_database(settings).close()
    except (DatabaseError, DemoCredentialsError) as exc:
        return _fail(str(exc))

    try:
        sock = socket.create_server((args.host, args.port), reuse_port=False)
        # asyncio turns Nagle off only on sockets whose proto is IPPROTO_TCP, and create_server() leaves proto 0:
        # without this, every keep-alive response after the first waited ~40 ms for a delayed ACK (measured).
        # Linux hands the option on to the accepted connections.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host

    from server.serving import uvicorn_options

    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="on",
                            **uvicorn_options(args.forwarded_allow_ips))
    server = uvicorn.Server(config)
    print(f"Casework is running at http://{shown_host}:{port}/  (data: {settings.effective_database_url})", flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0 if server.started else EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
