"""``python -m sandbox`` / ``intrend-sandbox``: start the whole offline world and print where.

Every :class:`SandboxConfig` field is an option (``--window-seconds 600``); the servers bind
127.0.0.1 on free ports, and the addresses are printed as text and as one JSON line (for
scripts). Runs until Ctrl-C or ``--duration`` seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from sandbox.config import SandboxConfig, describe_validation_error
from sandbox.world import start_sandbox


def _parse_anchor(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intrend-sandbox",
        description="Start the offline sandbox: a fake Instagram rate-limiting per public IP, "
        "a forward proxy whose egress IP is a simulated 4G modem's, and the modem service "
        "that rotates it. All bind 127.0.0.1 on free ports; nothing reaches the internet.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for name, field in SandboxConfig.model_fields.items():
        option = "--" + name.replace("_", "-")
        kwargs: dict[str, Any] = {"help": field.description, "dest": name}
        if name in ("anchor", "epoch"):
            kwargs.update(type=_parse_anchor, default=field.default, metavar="ISO-TIME")
        elif isinstance(field.default, bool):
            kwargs.update(action=argparse.BooleanOptionalAction, default=field.default)
        elif name == "modem_token":
            kwargs.update(type=str, default=None, metavar="TOKEN")
        elif isinstance(field.default, tuple):
            kwargs.update(type=str, nargs="+", default=field.default, metavar="VALUE")
        else:
            kwargs.update(type=type(field.default), default=field.default)
        parser.add_argument(option, **kwargs)
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Stop after this many real seconds (default: run until Ctrl-C).",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    values = {name: getattr(args, name) for name in SandboxConfig.model_fields}
    values["session_ids"] = tuple(values["session_ids"])
    try:
        cfg = SandboxConfig(**values)
    except ValidationError as exc:  # one line, exit status 2 as for an option argparse refuses
        parser.exit(2, f"{parser.prog}: error: {describe_validation_error(exc)}\n")
    with start_sandbox(cfg) as world:
        info = {
            **world.addresses(),
            "modem_token": world.modem_token,
            "egress_header": "x-sandbox-egress-ip",
            "anchor": world.cfg.anchor.isoformat() if world.cfg.anchor else None,
            "profiles": cfg.profiles,
            "planted_trends": world.planted_trends(),
        }
        print(f"fake Instagram  {world.instagram_url}")
        print(f"proxy host      {world.proxy_url}")
        print(f"modem service   {world.modem_url}  (Bearer {world.modem_token})")
        print(f"admin           {world.instagram_url}/_sandbox/truth  /_sandbox/stats")
        print("SANDBOX " + json.dumps(info, ensure_ascii=False), flush=True)
        started = time.monotonic()
        try:
            while args.duration is None or time.monotonic() - started < args.duration:
                time.sleep(0.1)
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
