"""Interruption, proven deterministically: a `git` wrapper first on PATH kills the
real `dlgen update` process, or fails, at its Nth git call, for every N of an update. git killed
part-way (SIGPIPE: its reader is gone) included. Afterwards `dlgen update --abort` leaves the
whole tree as before, ignored data and side files included, and `git status` is empty; no run
ever calls `git clean`. Also: the user's `check:` survives an update, and an update runs the
template's migrations exactly once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers import TemplateRepo, build_file_tree, commit_all, git, invoke, repo_state

WRAPPER = """#!/bin/sh
# dlgen's git calls, counted and logged; at call $DLGEN_TEST_AT: kill dlgen before the call
# (git then runs with no reader of its output), after it, or fail it.
n=$(( $(cat "$DLGEN_TEST_COUNT") + 1 ))
echo "$n" > "$DLGEN_TEST_COUNT"
printf '%s\\n' "$n $*" >> "$DLGEN_TEST_LOG"
if [ "$n" = "$DLGEN_TEST_AT" ]; then
  case "$DLGEN_TEST_DO" in
    fail) echo "fatal: injected failure" >&2
          printf 'end %s 128\n' "$n" >> "$DLGEN_TEST_LOG"; exit 128 ;;
    kill-before) kill -9 "$PPID" ;;
  esac
fi
"$DLGEN_TEST_GIT" "$@"
rc=$?
if [ "$n" = "$DLGEN_TEST_AT" ] && [ "$DLGEN_TEST_DO" = kill-after ]; then kill -9 "$PPID"; fi
printf 'end %s %s\\n' "$n" "$rc" >> "$DLGEN_TEST_LOG"
exit "$rc"
"""

V1: dict[str, str | bytes] = {
    "copier.yml": "name:\n  default: demo\n",
    "config.yaml": "lr: 0.1\nepochs: 10\n",
    "train.py": "def train():\n    return 'v1'\n",
    "old_name.py": "OLD = 1\n",
    "changed_later.txt": "one\n",
    "assets/weights.bin": b"\x00\x01v1",
    ".gitignore": "data/\n",
}


def release_v2(t: TemplateRepo) -> None:
    (t.root / "utils").mkdir()
    git("mv", "old_name.py", "utils/renamed.py", cwd=t.root)
    t.write(
        {
            "config.yaml": "lr: 0.0003\nepochs: 10\n",
            "train.py": "def train():\n    return 'v2'\n",
            "changed_later.txt": "two\n",
            "assets/weights.bin": b"\x00\x01v2",
            "callbacks/__init__.py": "CALLBACKS = []\n",
        }
    )
    t.release("v2")


@pytest.fixture
def wrapped(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `dlgen ARGS` as its own process with the git wrapper first on PATH."""
    bin_dir = tmp_path / "wrapper-bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(WRAPPER)
    (bin_dir / "git").chmod(0o755)
    real = shutil.which("git")
    assert real is not None
    log = tmp_path / "git-calls.log"

    def run(*args: str, at: int = 0, do: str = "") -> subprocess.CompletedProcess[str]:
        (tmp_path / "git-count").write_text("0\n")
        log.write_text("")
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "DLGEN_TEST_GIT": real,
            "DLGEN_TEST_COUNT": str(tmp_path / "git-count"),
            "DLGEN_TEST_LOG": str(log),
            "DLGEN_TEST_AT": str(at),
            "DLGEN_TEST_DO": do,
        }
        done = subprocess.run(
            [sys.executable, "-m", "dlgen", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if at:  # an orphaned git finishes (or dies of SIGPIPE) after dlgen is gone
            deadline = time.monotonic() + 60
            while f"end {at} " not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.02)
        calls = [ln.split(" ", 1)[1] for ln in log.read_text().splitlines() if ln[0].isdigit()]
        assert not [c for c in calls if "clean" in c.split()], calls  # never `git clean`
        done.args = calls  # the git calls it made, for the assertions' messages
        return done

    return run


@pytest.fixture
def proj(tmp_path: Path, template_factory: Callable[..., TemplateRepo]) -> Path:
    """A project whose update to v2 conflicts (text and binary: a side file), renames, adds
    files and directories, keeps a deleted file deleted, beside 1 MiB of ignored data/ and a
    `check:` section in .dlgen.yml."""
    tpl = template_factory(V1, name="tpl")
    tpl.release("v1")
    dst = tmp_path / "proj"
    result = invoke("new", str(dst), "--template", f"{tpl.root}@v1", "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    build_file_tree(
        dst,
        {
            "config.yaml": "lr: 0.01\nepochs: 10\n",
            "assets/weights.bin": b"\x00\x01mine",
            "data/train.bin": os.urandom(1 << 20),
            "data/raw/labels.csv": "a,b\n",
        },
    )
    (dst / "changed_later.txt").unlink()
    record = dst / ".dlgen.yml"
    record.write_text(record.read_text() + "check:\n  strict: true\n")
    commit_all(dst, "user work")
    release_v2(tpl)
    return dst


def in_progress(proj: Path) -> bool:
    return bool(git("for-each-ref", "refs/dlgen", cwd=proj)) or (proj / ".git/MERGE_HEAD").exists()


def calls_of_an_update(
    proj: Path, wrapped: Callable[..., subprocess.CompletedProcess[str]]
) -> tuple[int, int]:
    """How many git calls a full update makes, and which first writes a ref; then aborted."""
    before = repo_state(proj, exact=False)
    full = wrapped("update", str(proj))
    assert full.returncode == 4, full.stdout + full.stderr
    assert (proj / "assets/weights.bin.dlgen-new").is_file()
    assert any(" cherry-pick --no-commit " in c for c in full.args)
    undo = wrapped("update", "--abort", str(proj))
    assert undo.returncode == 0, undo.stderr
    assert repo_state(proj, exact=False) == before
    first_write = next(i for i, c in enumerate(full.args, 1) if c.startswith("update-ref"))
    return len(full.args), first_write


@pytest.mark.slow
@pytest.mark.parametrize("do", ["kill-before", "kill-after", "fail"])
def test_every_git_call_of_an_update(
    proj: Path, wrapped: Callable[..., subprocess.CompletedProcess[str]], do: str
) -> None:
    """kill-before: dlgen dies as the call starts (the merge then dies of SIGPIPE part-way, new
    files written, no MERGE_HEAD); kill-after: the call finished, dlgen never saw it; fail: git
    exits 128. After each, --abort (when something is in progress) restores everything."""
    before = repo_state(proj, exact=False)
    total, first_write = calls_of_an_update(proj, wrapped)
    # Killed at any call before the first write, an update leaves nothing: every N is killed
    # once (kill-before); kill-after and fail start where something could be left behind.
    for n in range(1 if do == "kill-before" else first_write - 1, total + 1):
        run = wrapped("update", str(proj), at=n, do=do)
        call = run.args[n - 1] if len(run.args) >= n else "?"
        where = f"{do} at git call {n}/{total} ({call})"
        if do == "fail":
            assert "Traceback" not in run.stderr, where + run.stderr
            assert run.returncode in (0, 1, 2, 3, 4), where + run.stderr
            if run.returncode in (1, 2, 3):
                assert len(run.stderr.strip().splitlines()) == 1, where + run.stderr
                assert not in_progress(proj), where + run.stderr  # undone by itself
        else:
            assert run.returncode == -9, where + run.stderr
        if in_progress(proj):
            undo = wrapped("update", "--abort", str(proj))
            assert undo.returncode == 0, where + undo.stderr
        assert repo_state(proj, exact=False) == before, where
        assert git("status", "--porcelain", cwd=proj) == "", where
    again = wrapped("update", str(proj))  # and the update still works
    assert again.returncode == 4 and len(again.args) == total, again.stderr


def test_git_killed_part_way_through_the_merge(
    proj: Path, wrapped: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """The reported case: dlgen killed while git applies the render; git dies of SIGPIPE after
    writing the new files, before its merge state. --abort removes them and restores the rest."""
    before = repo_state(proj, exact=False)
    probe = wrapped("update", "--dry-run", str(proj))
    assert probe.returncode == 0
    full = wrapped("update", str(proj))
    merge_at = next(i for i, c in enumerate(full.args, 1) if " cherry-pick --no-commit" in c)
    assert wrapped("update", "--abort", str(proj)).returncode == 0
    run = wrapped("update", str(proj), at=merge_at, do="kill-before")
    assert run.returncode == -9
    assert (proj / "callbacks/__init__.py").exists()  # git wrote part of the merge...
    assert not (proj / ".git/MERGE_HEAD").exists()  # ...and died before its merge state
    undo = wrapped("update", "--abort", str(proj))
    assert undo.returncode == 0 and "aborted" in undo.stdout, undo.stderr
    assert repo_state(proj, exact=False) == before
    assert not (proj / "callbacks").exists() and git("status", "--porcelain", cwd=proj) == ""


def test_update_keeps_the_users_check_section(proj: Path) -> None:
    code = invoke("update", str(proj)).code
    assert code == 4
    record = yaml.safe_load((proj / ".dlgen.yml").read_text())
    assert record["template_version"] == "v2" and record["check"] == {"strict": True}
    assert "UU .dlgen.yml" not in git("status", "--porcelain", cwd=proj)


def test_update_runs_the_migrations_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundled-like template (its hooks/<name>/migrate.py) goes 1.0.0 -> 2.0.0 through
    `dlgen update` itself: the migration runs once, in the project, after the merge; --abort
    undoes its change with the merge; the next update runs it once more, a third does not."""
    from dlgen import lifecycle, sources

    bundle = tmp_path / "bundle"
    tpl_dir = bundle / "templates" / "mini"
    build_file_tree(
        tpl_dir,
        {
            "copier.yml": "name:\n  default: demo\n_dlgen:\n  version: 1.0.0\n",
            "train.py": "def train():\n    return 1\n",
            "settings.toml": "old_key = 1\n",
        },
    )
    runs = tmp_path / "migrations.log"
    build_file_tree(
        bundle / "hooks" / "mini",
        {
            "migrate.py": (
                "from pathlib import Path\n\n\n"
                "def migrate(project, old_version, new_version, answers):\n"
                f"    with open({str(runs)!r}, 'a') as log:\n"
                "        log.write(f'{old_version}->{new_version}\\n')\n"
                "    settings = Path(project) / 'settings.toml'\n"
                "    settings.write_text(settings.read_text().replace('old_key', 'new_key'))\n"
                "    (Path(project) / 'MIGRATED').write_text(new_version)\n"
            )
        },
    )
    monkeypatch.setattr(sources, "bundled_root", lambda: bundle)
    monkeypatch.setattr(lifecycle, "bundled_root", lambda: bundle)
    proj = tmp_path / "proj"
    assert invoke("new", str(proj), "--template", "mini", "--defaults", "--no-hooks").code == 0
    copier_yml = tpl_dir / "copier.yml"
    copier_yml.write_text(copier_yml.read_text().replace("1.0.0", "2.0.0"))
    (tpl_dir / "train.py").write_text("def train():\n    return 2\n")
    before = repo_state(proj, exact=False)

    result = invoke("update", str(proj))
    assert result.code == 0, result.out + result.err
    assert runs.read_text() == "1.0.0->2.0.0\n"
    assert (proj / "settings.toml").read_text() == "new_key = 1\n"
    assert (proj / "MIGRATED").read_text() == "2.0.0"
    assert invoke("update", str(proj), "--abort").code == 0
    assert repo_state(proj, exact=False) == before  # the migration's changes undone too

    assert invoke("update", str(proj)).code == 0
    git("add", "-A", cwd=proj)
    git("commit", "-q", "--no-edit", cwd=proj)
    assert invoke("update", str(proj)).out.startswith("already up to date")
    assert runs.read_text() == "1.0.0->2.0.0\n" * 2  # once per real update, never on a no-op
