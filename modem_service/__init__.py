"""The modem service: rotate the 4G modem's public IP and keep the log of every IP it had."""

from modem_service.app import create_app
from modem_service.settings import Settings

__all__ = ["Settings", "create_app"]
