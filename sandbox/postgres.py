"""A throwaway PostgreSQL server for tests, demos and benchmarks: real binaries, loopback only,
always stopped.

``running_postgres()`` runs ``initdb`` in a fresh temporary folder, starts ``postgres`` on a
free 127.0.0.1 port (no Unix socket), creates a database with a password-protected owner, and
on exit stops the server (fast shutdown, then SIGKILL if it hangs) and deletes the folder.

PostgreSQL refuses to run as root. As root (CI, containers) the server runs as the system
user ``intrend-pg``, created on first use; as anyone else it runs as the current user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_USER = "intrend-pg"  # the system account the server runs as when we are root
START_TIMEOUT = 60  # seconds for initdb + start; both take ~2 s on an idle machine


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    db: str

    @property
    def env(self) -> dict[str, str]:
        """The DAGSTER_PG_* variables deploy/dagster/dagster.postgres.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db,
        }

    def connect(self):  # -> psycopg2 connection
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.db,
            connect_timeout=10,
        )


def pg_bindir() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian layout), or where pg_ctl is."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/pg_ctl "
        "and pg_ctl on PATH): install postgresql (Debian: apt-get install postgresql-15)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_account() -> pwd.struct_passwd | None:
    """The account to run the server as when we are root (created if missing), else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        try:  # another test process may have created it meanwhile (useradd exits 9)
            return pwd.getpwnam(PG_USER)
        except KeyError:
            raise RuntimeError(f"could not create user {PG_USER}: {made.stderr}") from None


def as_account(account: pwd.struct_passwd | None, argv: list[str]) -> list[str]:
    if account is None:
        return argv
    return [
        "setpriv",
        f"--reuid={account.pw_uid}",
        f"--regid={account.pw_gid}",
        "--clear-groups",
        "--",
        *argv,
    ]


def _run(argv: list[str], timeout: float) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    """True once this server says it is ready and takes TCP connections; False if it exits."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if "ready to accept connections" not in log.read_text(errors="replace"):
            time.sleep(0.1)
            continue
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT), then SIGKILL if the server has not exited within 30 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout=10)


def _initdb(
    bindir: Path, account: pwd.struct_passwd | None, root: Path, user: str, password: str
) -> None:
    """A fresh cluster in ``root/data`` with ``user`` as its superuser (scram password)."""
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    _run(
        as_account(
            account,
            [
                str(bindir / "initdb"),
                "-D",
                str(root / "data"),
                "-U",
                user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        ),
        timeout=START_TIMEOUT,
    )
    pwfile.unlink()


def _server_argv(bindir: Path, datadir: Path, port: int) -> list[str]:
    """Loopback TCP only, no unix socket, durability off: a throwaway test server."""
    settings = (
        "listen_addresses=127.0.0.1",
        f"port={port}",
        "unix_socket_directories=",
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=50",
    )
    return [str(bindir / "postgres"), "-D", str(datadir), *(a for s in settings for a in ("-c", s))]


def _start_server(
    bindir: Path, account: pwd.struct_passwd | None, root: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """The server as our own child (no pg_ctl daemonizing, so we stop and reap it) and its
    port; three tries, as another process may take the free port first."""
    log_path = root / "server.log"
    for _attempt in range(3):
        port = free_port()
        log = open(log_path, "ab")  # noqa: SIM115 - the child keeps its copy
        proc = subprocess.Popen(
            as_account(account, _server_argv(bindir, root / "data", port)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        try:
            if _wait_ready(proc, port, log_path):
                return proc, port
        except BaseException:
            _stop(proc)
            raise
        _stop(proc)
    text = log_path.read_text(errors="replace")
    raise RuntimeError(f"PostgreSQL did not start:\n{text[-3000:]}")


def _create_database(server: Postgres, db: str) -> None:
    con = server.connect()
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{db}"')
    finally:
        con.close()


@contextlib.contextmanager
def running_postgres(db: str = "dagster", user: str = "dagster") -> Iterator[Postgres]:
    """A throwaway PostgreSQL server on a free loopback port with database ``db``; stopped
    and its folder removed on exit."""
    bindir = pg_bindir()
    account = _server_account()
    # Not under pytest's tmp_path: its parents are private to root and the server's account
    # could not reach its data folder there.
    root = Path(tempfile.mkdtemp(prefix="intrend-pg-"))
    password = secrets.token_urlsafe(16)
    proc: subprocess.Popen[bytes] | None = None
    try:
        _initdb(bindir, account, root, user, password)
        proc, port = _start_server(bindir, account, root)
        server = Postgres(host="127.0.0.1", port=port, user=user, password=password, db="postgres")
        _create_database(server, db)
        yield Postgres(host="127.0.0.1", port=port, user=user, password=password, db=db)
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(root, ignore_errors=True)
