"""``python -m sandbox.odoo --port 8069 [--data DIR] [--version 17|18|19] [--host 127.0.0.1]``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .server import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.odoo", description="Odoo sandbox server")
    parser.add_argument("--port", type=int, default=8069)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--data", type=Path, default=None, help="directory for persistent state (default: in memory)"
    )
    parser.add_argument("--version", type=int, choices=(17, 18, 19), default=19)
    parser.add_argument(
        "--seed", action="store_true", help="load the demo catalogue when the database is new"
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    server = make_server(args.host, args.port, args.data, args.version)
    sandbox = server.sandbox  # type: ignore[attr-defined]
    if args.seed and not sandbox.store.db.tables["product.product"]:
        from .seed import demo_seed

        sandbox.control(demo_seed)
    host, port = server.server_address[:2]
    print(f"Odoo {args.version}.0 sandbox listening on http://{host}:{port} (database 'sandbox')", flush=True)

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        sandbox.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
