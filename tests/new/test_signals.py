"""Signals on the real `dlgen new` process: SIGTERM, SIGHUP and a closed terminal clean up like
Ctrl-C and exit 128+N; after a SIGKILL the next `dlgen new` removes the dead staging directory.

The run is held at a known point without sleeping: the template's task reads a FIFO, and the
test knows the task is waiting once it can open the FIFO's write end.
"""

from __future__ import annotations

import errno
import os
import pty
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, listing

SIMPLE = {
    "copier.yml": "name:\n  type: str\n  default: demo\n",
    "README.md.jinja": "# {{ name }}\n",
}


def staging_dirs(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith(".dlgen-new-")]


@pytest.fixture
def gate(tmp_path: Path, template_factory: Callable[..., TemplateRepo]) -> tuple[Path, list[str]]:
    """A FIFO, and the `dlgen new` arguments of a template whose task blocks reading it."""
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    tpl = template_factory(
        {**SIMPLE, "copier.yml": SIMPLE["copier.yml"] + f"_tasks:\n  - cat {fifo}\n"}
    )
    args = ["-m", "dlgen", "new", "--template", str(tpl.root), "--defaults", "--trust"]
    return fifo, [*args, "--no-hooks"]


@contextmanager
def held(fifo: Path, is_running: Callable[[], bool]) -> Iterator[None]:
    """Wait until the task is blocked reading `fifo` (its write end opens); release it after."""
    deadline = time.monotonic() + 60
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as e:
            if e.errno != errno.ENXIO or time.monotonic() > deadline or not is_running():
                raise AssertionError("dlgen new never reached its task") from e
            time.sleep(0.02)
    try:
        yield
    finally:
        os.close(fd)


def new_in_work(tmp_path: Path, args: list[str]) -> tuple[Path, list[str]]:
    """An empty folder `work` and the command line of a gated `dlgen new work/p`."""
    work = tmp_path / "work"
    work.mkdir()
    return work, [sys.executable, *args[:3], str(work / "p"), *args[3:]]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_cleans_up_like_ctrl_c_and_exits_128_plus_n(
    tmp_path: Path, gate: tuple[Path, list[str]], signum: signal.Signals
) -> None:
    fifo, args = gate
    work, argv = new_in_work(tmp_path, args)
    proc = subprocess.Popen(
        argv,
        stderr=subprocess.PIPE,
        text=True,
    )
    with held(fifo, lambda: proc.poll() is None):
        assert len(staging_dirs(work)) == 1  # mid-run: renamed into place, its task running there
        assert (work / "p/README.md").is_file()
        proc.send_signal(signum)
        proc.wait(timeout=60)  # the task's `cat`, if its shell forked one, holds stderr till then
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 128 + signum, err
    assert f"interrupted by {signum.name}" in err and "Traceback" not in err
    assert listing(work) == []


def test_closed_terminal_cleans_up_and_exits_129(
    tmp_path: Path, gate: tuple[Path, list[str]]
) -> None:
    """The terminal goes away (window closed, ssh dropped): the kernel sends SIGHUP."""
    fifo, args = gate
    work, argv = new_in_work(tmp_path, args)
    pid, master = pty.fork()
    if pid == 0:  # the child: dlgen on the terminal, as its session leader
        os.execv(sys.executable, argv)

    def running() -> bool:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)

    with held(fifo, running):
        assert len(staging_dirs(work)) == 1
        os.close(master)  # hang up
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 129
    assert listing(work) == []


def test_next_new_removes_what_a_sigkill_left_and_nothing_else(
    tmp_path: Path, gate: tuple[Path, list[str]]
) -> None:
    fifo, args = gate
    work, argv = new_in_work(tmp_path, args)
    proc = subprocess.Popen(
        argv,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    with held(fifo, lambda: proc.poll() is None):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    (dead,) = staging_dirs(work)
    assert f"-{proc.pid}-" in dead.name
    host = os.uname().nodename
    # Look-alikes that must survive: a live process's, no marker, another host's, a file, a link.
    keep = {
        f".dlgen-new-live-{os.getpid()}-abcdefgh": f"{host} {os.getpid()}",
        f".dlgen-new-nomark-{proc.pid}-abcdefgh": None,
        f".dlgen-new-remote-{proc.pid}-abcdefgh": f"other-host {proc.pid}",
        f".dlgen-new-mine-{proc.pid}": f"{host} {proc.pid}",  # not dlgen's name pattern
    }
    for name, marker in keep.items():
        (work / name).mkdir()
        if marker is not None:
            (work / name / ".dlgen-staging").write_text(marker)
    (work / f".dlgen-new-file-{proc.pid}-abcdefgh").write_text("a file")
    (work / f".dlgen-new-link-{proc.pid}-abcdefgh").symlink_to(dead)
    before = sorted(p.name for p in work.iterdir() if p != dead)

    done = subprocess.run(
        [sys.executable, "-m", "dlgen", "new", str(work / "q"), "--defaults", "--no-git"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"note: removed {dead}/, left by an interrupted dlgen new" in done.stderr
    assert f"process {proc.pid} is gone" in done.stderr
    assert not dead.exists()
    assert sorted(p.name for p in work.iterdir()) == sorted([*before, "q"])


def test_terminal_closed_at_a_question_cleans_up_and_exits_129(tmp_path: Path) -> None:
    """The questionnaire is on screen (the staging repository exists) when the window closes."""
    import select

    work = tmp_path / "work"
    work.mkdir()
    pid, master = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-m", "dlgen", "new", str(work / "p")])
    screen = b""
    deadline = time.monotonic() + 60
    while b"Python import package" not in screen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.5)[0]:
            screen += os.read(master, 65536)
    assert b"Python import package" in screen, screen[-2000:]
    assert len(staging_dirs(work)) == 1
    os.close(master)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 129
    assert listing(work) == []
