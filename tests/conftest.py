"""Fixtures shared across the test packages."""

pytest_plugins = ["tests.infra.s3"]
