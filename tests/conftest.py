"""Fast-suite fixtures: each test gets its own HOME and git config; real git and copier."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TemplateRepo, build_file_tree, forge_stubs

_SCRUB = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "COPIER_SETTINGS_PATH",
    "PRE_COMMIT_HOME",
)


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh HOME with a git identity; a forgotten write to the real HOME cannot happen."""
    home = tmp_path_factory.mktemp("home")
    for var in _SCRUB:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home / ".cache/pre-commit"))
    yield home


@pytest.fixture
def template_factory(tmp_path: Path) -> Callable[..., TemplateRepo]:
    """Build copier templates as git repositories with tagged versions (copier's own style)."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], name: str | None = None) -> TemplateRepo:
        root = tmp_path / (name or f"tpl{next(counter)}")
        build_file_tree(root, files)
        return TemplateRepo(root)

    return make


@pytest.fixture
def forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], dict[str, Any]]:
    """`gh` and `glab` stubs first on PATH (`helpers.forge_stubs`); returns a reader of their
    recorded state: `calls` (argv, repository, body) and the `open` requests."""
    bin_dir, state = forge_stubs(tmp_path)
    monkeypatch.setenv("FORGE_STATE", str(state))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def read() -> dict[str, Any]:
        if not state.exists():
            return {"open": {}, "calls": []}
        loaded: dict[str, Any] = json.loads(state.read_text())
        return loaded

    return read


@pytest.fixture
def chdir_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test inside tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under tests/e2e are end-to-end whether or not they say so. Under xdist they are
    collected first, so the scheduler hands out the long cases before the fast suite fills in."""
    for item in items:
        if f"{os.sep}e2e{os.sep}" in str(item.path):
            item.add_marker(pytest.mark.e2e)
    if hasattr(config, "workerinput"):  # every worker sorts alike: the collections stay equal
        items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


# Modules whose e2e tests install projects of the same name into the shared venv: their tests
# stay on one worker, one after another.
E2E_SHARED_NAMES = ("tests/e2e/test_operations.py",)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With xdist (pyproject's addopts `-n auto`): every test its own unit of work, the e2e cases
    first (they take minutes each; the fast suite's seconds fill the gaps), spread over all
    workers. The e2e cases share one venv (built once, under a lock), pre-commit's store (which
    locks itself) and mypy's cache (written atomically); the projects they install into the venv
    have names of their own, but for the modules in E2E_SHARED_NAMES, kept on one worker.
    (`--dist loadgroup` with `xdist_group` marks would say the same, but pytest 9.2's node ids
    ignore the suffix xdist 3.8 groups by.)"""
    if config.getvalue("dist") != "load":
        return None  # another --dist asked for on the command line
    from xdist.scheduler import LoadScopeScheduling

    class E2EFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in E2E_SHARED_NAMES else nodeid

    return E2EFirst(config, log)
