"""Run a bundled template's lifecycle hooks (hooks/<template>/<event>.py) in-process."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlgen.errors import StepError
from dlgen.sources import bundled_root


def hook_path(template: str, event: str) -> Path:
    """Where the hook for `event` of bundled `template` lives (it may not exist)."""
    return bundled_root() / "hooks" / template / f"{event}.py"


def load(template: str, event: str) -> Callable[..., Any] | None:
    """The function `event` defined in the hook file, or None when the template has no such hook."""
    path = hook_path(template, event)
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"dlgen_hook_{template}_{event}", path)
    if spec is None or spec.loader is None:
        raise StepError(event, f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    func = getattr(module, event.replace("-", "_"), None)
    if not callable(func):
        raise StepError(event, f"{path} defines no function {event}()")
    return func  # type: ignore[no-any-return]


def run(template: str, event: str, **kwargs: Any) -> None:
    """Call the hook if it exists; any exception becomes a StepError naming the event."""
    func = load(template, event)
    if func is None:
        return
    try:
        func(**kwargs)
    except Exception as e:
        raise StepError(event, f"{type(e).__name__}: {e}") from e
