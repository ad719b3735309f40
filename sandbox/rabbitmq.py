"""A throwaway RabbitMQ broker for tests and benchmarks: Debian's rabbitmq-server, loopback
only, its own folder, always stopped.

``running_rabbitmq()`` starts an Erlang port mapper (epmd) and a RabbitMQ node of their own:
every port is a free 127.0.0.1 port (AMQP, the node's distribution port, epmd's), the node
name and the Erlang cookie are new each time, and mnesia, logs and the cookie live in a fresh
temporary folder (the node's ``HOME``). So several brokers run side by side (parallel tests,
other checkouts) and none touches the machine's own RabbitMQ (``/var/lib/rabbitmq``, port
5672, epmd on 4369). The node's only user has a random password. On exit the node is stopped
(SIGTERM, then SIGKILL if it hangs), then epmd, and the folder is deleted.

RabbitMQ runs as the current user; as root (CI, containers) as the ``rabbitmq`` system user
that Debian's package creates (scripts/ensure-rabbitmq installs it).
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

from sandbox.postgres import as_account, free_port

RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")  # not /usr/sbin's wrapper
RABBITMQ_USER = "rabbitmq"  # the account Debian's package creates; used when we are root
START_TIMEOUT = 90  # seconds; the node boots in ~5 s on an idle machine
STOP_TIMEOUT = 30


@dataclass(frozen=True)
class RabbitMQ:
    host: str
    port: int
    user: str
    password: str
    log: Path

    @property
    def url(self) -> str:
        """The broker URL Celery and kombu take (``DAGSTER_CELERY_BROKER_URL``)."""
        return f"pyamqp://{self.user}:{self.password}@{self.host}:{self.port}//"


def _epmd() -> Path:
    found = sorted(glob.glob("/usr/lib/erlang/erts-*/bin/epmd")) or [shutil.which("epmd") or ""]
    if not found[-1]:
        raise RuntimeError(
            "epmd (Erlang) not found: install rabbitmq-server (scripts/ensure-rabbitmq)"
        )
    return Path(found[-1])


def _account() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(RABBITMQ_USER)
    except KeyError:
        raise RuntimeError(
            f"running as root and there is no {RABBITMQ_USER!r} user to run RabbitMQ as: "
            "install Debian's rabbitmq-server (scripts/ensure-rabbitmq), which creates it"
        ) from None


def _write(root: Path, name: str, text: str, account: pwd.struct_passwd | None) -> Path:
    path = root / name
    path.write_text(text)
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)
    return path


def _node_env(root: Path, amqp: int, dist: int, epmd: int) -> dict[str, str]:
    """Everything the node reads, pointed into ``root``; nothing from /etc/rabbitmq."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),  # Erlang keeps (and here creates) its cookie in $HOME
        "LANG": "C.UTF-8",
        "ERL_EPMD_PORT": str(epmd),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODENAME": f"intrend-{secrets.token_hex(4)}@localhost",
        "RABBITMQ_DIST_PORT": str(dist),
        "RABBITMQ_NODE_PORT": str(amqp),
        "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq.conf"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(root / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(root / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
        "RABBITMQ_LOG_BASE": str(root / "log"),
        "RABBITMQ_LOGS": "-",  # to stdout, which is our log file
        "ERL_CRASH_DUMP": str(root / "erl_crash.dump"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


def _configure(
    root: Path, amqp: int, user: str, password: str, account: pwd.struct_passwd | None
) -> None:
    _write(
        root,
        "rabbitmq.conf",
        f"listeners.tcp.default = 127.0.0.1:{amqp}\n"
        f"default_user = {user}\ndefault_pass = {password}\n"
        "loopback_users = none\n",
        account,
    )
    _write(root, "advanced.config", "[].\n", account)
    _write(root, "rabbitmq-env.conf", "", account)
    _write(root, "enabled_plugins", "[].\n", account)  # no management UI: one port fewer


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    """True once the node says it started and takes TCP connections; False if it exits."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if "Server startup complete" in log.read_text(errors="replace"):
            with socket.socket() as s:
                s.settimeout(1)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return True
        time.sleep(0.2)
    return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # still there, owned by the account it runs as
        return True
    return True


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """``sig`` to the process's group (it was started in a session of its own), then wait
    until every process of the group has gone, SIGKILL to the group after STOP_TIMEOUT: a
    child that outlives its parent (Celery's main process under the dagster-celery CLI) is
    stopped too."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and (proc.poll() is None or _group_alive(proc.pid)):
        time.sleep(0.1)
    if proc.poll() is None or _group_alive(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@contextlib.contextmanager
def running_rabbitmq() -> Iterator[RabbitMQ]:
    """A throwaway RabbitMQ node on free loopback ports; stopped and its folder removed on
    exit, however the block ends."""
    if not RABBITMQ_SERVER.exists():
        raise RuntimeError(
            f"{RABBITMQ_SERVER} not found: install Debian's rabbitmq-server "
            "(scripts/ensure-rabbitmq, or apt-get install rabbitmq-server)"
        )
    account = _account()
    root = Path(tempfile.mkdtemp(prefix="intrend-rabbitmq-"))
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
    user, password = "intrend", secrets.token_urlsafe(16)
    amqp, dist, epmd_port = free_port(), free_port(), free_port()
    env = _node_env(root, amqp, dist, epmd_port)
    _configure(root, amqp, user, password, account)
    log = root / "server.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # Our own epmd, in the foreground, so it is ours to stop (the node would otherwise
        # start one as a daemon that outlives it).
        epmd_argv = [str(_epmd()), "-port", str(epmd_port), "-address", "127.0.0.1"]
        procs.append(_spawn(as_account(account, epmd_argv), env, root / "epmd.log"))
        procs.append(_spawn(as_account(account, [str(RABBITMQ_SERVER)]), env, log))
        if not _wait_ready(procs[-1], amqp, log):
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"RabbitMQ did not start within {START_TIMEOUT} s:\n{tail}")
        yield RabbitMQ(host="127.0.0.1", port=amqp, user=user, password=password, log=log)
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        shutil.rmtree(root, ignore_errors=True)
