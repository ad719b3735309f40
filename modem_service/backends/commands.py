"""Running external commands (mmcli, nmcli, the power-cycle hook) with timeouts.

Always an argument list through ``asyncio.create_subprocess_exec``, never a shell. The runner
is a plain async callable so tests replace it with one that answers from recorded outputs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandFailed(RuntimeError):
    """A command exited non-zero or timed out; the message carries its stderr."""

    def __init__(self, result: CommandResult) -> None:
        self.result = result
        detail = (result.stderr or result.stdout).strip().splitlines()
        tail = detail[-1] if detail else ""
        super().__init__(f"{' '.join(result.argv)} exited {result.returncode}: {tail}".strip())


CommandRunner = Callable[[Sequence[str], float], Awaitable[CommandResult]]


async def run_command(argv: Sequence[str], time_limit: float) -> CommandResult:
    """Run ``argv`` and capture its output.

    On timeout the process is killed and the result has returncode -9; a missing executable
    gives returncode 127. Never raises for the command's own failures: callers decide.
    """
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:  # not installed, not executable: report like a shell would
        return CommandResult(tuple(argv), 127, "", f"cannot run {argv[0]}: {exc.strerror}")
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), time_limit)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return CommandResult(tuple(argv), -9, "", f"timed out after {time_limit:g} s")
    return CommandResult(
        tuple(argv),
        process.returncode if process.returncode is not None else -1,
        stdout.decode(errors="replace"),
        stderr.decode(errors="replace"),
    )
