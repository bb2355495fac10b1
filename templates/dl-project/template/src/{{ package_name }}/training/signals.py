"""Preemption: SIGTERM (SLURM, Kubernetes, torchrun) or SIGUSR1 (SLURM `--signal`) asks the loop
to checkpoint at the next step boundary and exit 0, so the job can be requeued and resume."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class StopRequest:
    """Set by a signal handler; read by the training loop between steps."""

    def __init__(self) -> None:
        self.signal: int | None = None
        # Under torchrun the agent is our parent: if it dies (kill -9), stop instead of training
        # on as an orphan that nobody will wait for.
        self._agent = os.getppid() if "TORCHELASTIC_RUN_ID" in os.environ else None

    @property
    def requested(self) -> bool:
        """Whether a stop signal arrived or the torchrun agent is gone."""
        return self.signal is not None or (self._agent is not None and os.getppid() != self._agent)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signum


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Route SIGTERM and SIGUSR1 to a StopRequest; restore the previous handlers on exit."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request  # only the main thread may install handlers
        return
    previous = {sig: signal.signal(sig, request._handle) for sig in SIGNALS}
    try:
        yield request
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
