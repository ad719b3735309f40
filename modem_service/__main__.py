"""``python -m modem_service``: parse arguments, then run the app under uvicorn."""

from __future__ import annotations

import argparse

from modem_service.settings import Settings


def main(argv: list[str] | None = None) -> None:
    fields = "\n".join(
        f"  MODEM_{name.upper():<28} {info.description or ''}"
        for name, info in Settings.model_fields.items()
    )
    parser = argparse.ArgumentParser(
        prog="modem-service",
        description="Rotate the 4G modem's public IP over HTTP. Configured by environment:\n"
        + fields,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="override MODEM_HOST")
    parser.add_argument("--port", type=int, help="override MODEM_PORT")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings(**overrides)

    import uvicorn

    from modem_service.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
