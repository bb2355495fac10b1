"""Catchable termination signals as an exception, so that cleanup runs as it does for Ctrl-C."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# The signals a closed terminal, `kill`, systemd or a CI runner's cancel button send; SIGINT
# stays Python's KeyboardInterrupt.
TERMINATING = (signal.SIGTERM, signal.SIGHUP)


class Signalled(BaseException):
    """The process received a terminating signal; like KeyboardInterrupt, not an Exception."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + N, the shell's convention for a process killed by signal N."""
        return 128 + self.signum


@contextmanager
def raising(signums: tuple[signal.Signals, ...] = TERMINATING) -> Iterator[None]:
    """Within the block, `signums` raise Signalled, so `finally` blocks remove what was written.

    After the first one, these signals are ignored until the block ends: a second SIGTERM or
    the SIGHUP that follows a closed terminal cannot cut the cleanup short. Outside the main
    thread (where Python cannot install handlers) the block runs with the handlers unchanged.
    """
    import threading  # only `dlgen new` needs it; the CLI imports this module for Signalled

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        for s in signums:
            signal.signal(s, signal.SIG_IGN)
        raise Signalled(signum)

    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    except Exception as e:
        if _terminal_gone(e):  # the write lost the race with the SIGHUP of a closed terminal
            raise Signalled(signal.SIGHUP) from e
        raise
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def _terminal_gone(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is EIO from a terminal that was closed under us."""
    import errno

    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in chain:  # a chain can loop back on itself
        chain.append(link)
        link = link.__cause__ or link.__context__
    return any(isinstance(e, OSError) and e.errno == errno.EIO for e in chain)
