"""An S3-compatible server on loopback for the raw store's tests: moto's server mode.

moto is the S3 server available offline here (a PyPI package; MinIO is not): the fixture
starts ``moto_server`` as its own process on a free 127.0.0.1 port, once per test worker,
and gives each test a bucket of its own. It speaks the S3 REST API over HTTP, so the raw
store talks to it exactly as to AWS (``obstore``, signed requests, listing by pages).
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from intrend_assets.raw_store.store import LocalRawStore, RawStore, open_raw_store
from tests.infra.servers import BIN, free_port, stop_group, tail

# moto accepts any credentials; obstore insists on some (it signs every request).
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}
_buckets = itertools.count()


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def bucket(self) -> str:
        """A new, empty bucket (S3's CreateBucket: PUT /<name>)."""
        name = f"raw-{os.getpid()}-{next(_buckets)}"
        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200, answer.status
        return name

    def store(self, max_object_bytes: int | None = None, prefix: str = "raw") -> RawStore:
        """A raw store on a fresh bucket of this server."""
        url = f"s3://{self.bucket()}/{prefix}"
        if max_object_bytes is None:
            return open_raw_store(url, endpoint=self.endpoint)
        return open_raw_store(url, max_object_bytes, endpoint=self.endpoint)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited {proc.returncode}:\n{tail(log)}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen within {limit}s:\n{tail(log)}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, with the AWS variables obstore reads."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="moto-")) / "moto.log"
    saved = {name: os.environ.get(name) for name in S3_ENV}
    os.environ.update(S3_ENV)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, **S3_ENV},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_port(port, proc, log, limit=60)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        stop_group(proc)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


StoreFactory = Callable[..., RawStore]


@pytest.fixture(params=["local", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Raw stores of one backend per parametrization: a folder under ``tmp_path``, or a
    bucket of the loopback S3 server. Called with the store's arguments
    (``max_object_bytes``)."""
    if request.param == "local":
        return lambda *args, **kwargs: LocalRawStore(tmp_path, *args, **kwargs)
    server: S3Server = request.getfixturevalue("s3_server")
    return server.store
