"""Preemption: SIGTERM (SLURM, Kubernetes) or SIGUSR1 (`--signal=USR1@120`) asks the loop to
checkpoint at the next step boundary and exit 0, so the job can be requeued and resume."""

from __future__ import annotations

import signal
from types import FrameType


class StopRequest:
    """Set by a signal handler; read by the training loop between steps."""

    def __init__(self) -> None:
        self.signal: int | None = None

    @property
    def requested(self) -> bool:
        """Whether a stop signal arrived."""
        return self.signal is not None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signum


def install() -> StopRequest:
    """Route SIGTERM and SIGUSR1 to a StopRequest."""
    request = StopRequest()
    for sig in (signal.SIGTERM, signal.SIGUSR1):
        signal.signal(sig, request._handle)
    return request
