"""``python -m sandbox.shopify --port 8701 [--data DIR] [--host 127.0.0.1] [--clock-speed N]``."""

from __future__ import annotations

import argparse
import logging

from sandbox.shopify.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.shopify", description="Shopify sandbox")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", default=None, help="directory where the state is kept across restarts")
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="sandbox seconds per real second (webhook retry schedule, timestamps)",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(args.host, args.port, args.data, args.clock_speed)


if __name__ == "__main__":
    main()
