"""copier `_migrations` of any template on `dlgen update`: trust, version gates as copier's
(`version`, `when` with `_stage`, the environment copier sets), once per update, `before` ones
before the merge and `after` ones after it, listed by --dry-run, undone by --abort and by a
failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, commit_all, git, repo_state, up

COPIER_V1 = (
    "_subdirectory: project\n"
    "_templates_suffix: .jinja\n"
    "_dlgen:\n  create_only: [params.yaml]\n"
    "project_name:\n  type: str\n  default: demo\n"
)
V1 = {
    "copier.yml": COPIER_V1,
    "project/params.yaml": "train:\n  lr: 0.1\n",
    "project/README.md.jinja": "# {{ project_name }}\n",
}
# moves `lr` from `train:` to `optim:` in the project's own params.yaml, keeping its value
MOVE_KEY = (
    "from pathlib import Path\n"
    "p = Path('params.yaml')\n"
    "p.write_text(p.read_text().replace('train:\\n  lr:', 'optim:\\n  lr:'))\n"
    "with open('migrations.log', 'a') as f:\n"
    "    import os\n"
    "    f.write(' '.join(os.environ[k] for k in ('STAGE', 'VERSION_FROM', 'VERSION_TO',"
    " 'VERSION_PEP440_FROM', 'VERSION_PEP440_TO', 'VERSION_CURRENT', 'COPIER_OPERATION'))"
    " + '\\n')\n"
)
MIGRATIONS_V2 = (
    "_migrations:\n"
    "  - version: v2\n"
    '    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/migrations/v2.py"]\n'
    "  - version: v2\n"
    "    when: \"{{ _stage == 'before' }}\"\n"
    "    command: test -e NEW.md && echo merged > before.log || echo premerge > before.log\n"
)


def release_v2(tpl: TemplateRepo, migrations: str = MIGRATIONS_V2) -> None:
    tpl.write(
        {
            "copier.yml": COPIER_V1 + migrations,
            "migrations/v2.py": MOVE_KEY,
            "project/params.yaml": "optim:\n  lr: 0.1\n",
            "project/NEW.md": "new in v2\n",
        }
    )
    tpl.release("v2")


@pytest.fixture
def edited(proj: Path) -> Path:
    """The project with its own learning rate in params.yaml."""
    (proj / "params.yaml").write_text("train:\n  lr: 0.5\n")
    commit_all(proj, "my learning rate")
    return proj


def test_migration_runs_once_after_the_merge_with_copiers_environment(
    edited: Path, tpl: TemplateRepo
) -> None:
    release_v2(tpl)
    code, out, err = up(edited, "--trust")
    assert code == 0, out + err
    assert (edited / "params.yaml").read_text() == "optim:\n  lr: 0.5\n"
    assert (edited / "migrations.log").read_text() == "after v1 v2 1 2 v2 update\n"
    assert (edited / "before.log").read_text() == "premerge\n"
    assert (edited / "NEW.md").read_text() == "new in v2\n"
    assert "  migration (before): test -e NEW.md" in out
    assert f"  migration (after): {__import__('sys').executable} " in out
    # what the migrations changed is staged with the merge: one `git commit` takes it all
    staged = git("diff", "--cached", "--name-only", cwd=edited).split()
    assert {"params.yaml", "migrations.log", "before.log", "NEW.md"} <= set(staged)
    assert git("status", "--porcelain", "--untracked-files=all", cwd=edited).count("?") == 0


def test_without_trust_refused_in_one_line_naming_the_migrations(
    edited: Path, tpl: TemplateRepo
) -> None:
    release_v2(tpl)
    before = repo_state(edited)
    code, out, err = up(edited)
    assert code == 2, out + err
    assert err.count("\n") == 1
    assert "--trust" in err and "2 migrations" in err and "migrations/v2.py" in err
    assert repo_state(edited) == before


def test_dry_run_lists_migrations_and_runs_none(edited: Path, tpl: TemplateRepo) -> None:
    release_v2(tpl)
    before = repo_state(edited)
    code, out, err = up(edited, "--dry-run")
    assert code == 0, out + err
    assert "  would run migration (before): test -e NEW.md" in out
    assert "  would run migration (after): " in out and "migrations/v2.py" in out
    assert repo_state(edited) == before


def test_abort_undoes_the_migrations(edited: Path, tpl: TemplateRepo) -> None:
    release_v2(tpl)
    before = repo_state(edited, exact=False)  # git rewrites the files it restores
    assert up(edited, "--trust")[0] == 0
    code, out, err = up(edited, "--abort")
    assert code == 0, out + err
    assert repo_state(edited, exact=False) == before
    assert not (edited / "migrations.log").exists() and not (edited / "before.log").exists()


def test_a_failing_migration_exits_1_with_its_command_and_last_line_and_rolls_back(
    edited: Path, tpl: TemplateRepo
) -> None:
    failing = (
        "_migrations:\n"
        "  - version: v2\n"
        "    command: \"echo first > moved.txt; echo 'params.yaml: no key train.lr' >&2; exit 3\"\n"
    )
    release_v2(tpl, failing)
    before = repo_state(edited, exact=False)
    code, out, err = up(edited, "--trust")
    assert code == 1, out + err
    assert err.count("\n") == 1, err
    assert "echo first > moved.txt" in err and "params.yaml: no key train.lr" in err
    assert "exit 3" in err
    assert repo_state(edited, exact=False) == before


def test_versions_gate_migrations_as_copier_does(edited: Path, tpl: TemplateRepo) -> None:
    """v1 -> v3 runs v2's and v3's; v2 -> v3 runs only v3's; a version-less one runs each time."""
    log = "echo {} >> gates.log"
    gates = (
        "_migrations:\n"
        f"  - version: v2\n    command: {log.format('v2')}\n"
        f"  - version: v3\n    command: {log.format('v3')}\n"
        f"  - version: v4\n    command: {log.format('v4')}\n"
        f"  - {log.format('always')}\n"
    )
    tpl.write({"copier.yml": COPIER_V1 + gates, "project/NEW.md": "2\n"})
    tpl.release("v2")
    tpl.write({"project/NEW.md": "3\n"})
    tpl.release("v3")
    assert up(edited, "--trust", "--to", "v3")[0] == 0
    assert (edited / "gates.log").read_text() == "v2\nv3\nalways\n"
    git("commit", "-q", "-m", "update to v3", cwd=edited)
    tpl.write({"project/NEW.md": "4\n"})
    tpl.release("v4")
    assert up(edited, "--trust")[0] == 0
    assert (edited / "gates.log").read_text() == "v2\nv3\nalways\nv4\nalways\n"


def test_settings_trust_list_trusts_migrations(
    edited: Path, tpl: TemplateRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "settings.yml"
    settings.write_text(f"trust:\n  - {tpl.root}\n")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(settings))
    release_v2(tpl)
    code, out, err = up(edited)
    assert code == 0, out + err
    assert (edited / "params.yaml").read_text() == "optim:\n  lr: 0.5\n"


def test_a_failing_before_migration_leaves_head_and_tree_as_they_were(
    edited: Path, tpl: TemplateRepo
) -> None:
    failing = (
        "_migrations:\n"
        "  - version: v2\n"
        "    when: \"{{ _stage == 'before' }}\"\n"
        '    command: "echo x > params.yaml; echo half done; false"\n'
    )
    release_v2(tpl, failing)
    before = repo_state(edited, exact=False)
    code, out, err = up(edited, "--trust")
    assert code == 1, out + err
    assert err == (
        "dlgen: error: migration `echo x > params.yaml; echo half done; false` failed: "
        "exit 1: half done; the update was undone, nothing changed\n"
    )
    assert repo_state(edited, exact=False) == before


# writes what copier tells a task, and whether it ran where the project's own files are
LOG_TASK = (
    "import os\nfrom pathlib import Path\n"
    "seen = Path('mine.txt').exists()\n"
    "Path('task.log').write_text(f\"{os.environ['STAGE']} {os.environ['COPIER_OPERATION']} "
    '{seen}\\n")\n'
)


def test_tasks_run_in_the_project_after_the_update(proj: Path, tpl: TemplateRepo) -> None:
    """copier runs `_tasks` in the project it updates; dlgen too, not only in its own render."""
    (proj / "mine.txt").write_text("the project's own file\n")
    commit_all(proj, "mine")
    tpl.write(
        {
            "copier.yml": COPIER_V1
            + '_tasks:\n  - ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/tasks/log.py"]\n',
            "tasks/log.py": LOG_TASK,
            "project/NEW.md": "new in v2\n",
        }
    )
    tpl.release("v2")
    dry = up(proj, "--dry-run", "--trust")
    assert dry[0] == 0 and f"  would run task: {__import__('sys').executable} " in dry[1]
    assert not (proj / "task.log").exists()
    code, out, err = up(proj, "--trust")
    assert code == 0, out + err
    assert (proj / "task.log").read_text() == "task update True\n"
    assert f"  task: {__import__('sys').executable} " in out
    assert "task.log" in git("diff", "--cached", "--name-only", cwd=proj).split()
    assert up(proj, "--abort")[0] == 0
    assert not (proj / "task.log").exists() and git("status", "--porcelain", cwd=proj) == ""


def test_a_before_migrations_edit_of_a_create_only_file_is_kept(
    edited: Path, tpl: TemplateRepo
) -> None:
    """The project's create-only copy is what the change was applied onto: the `before`
    migration's edit, not HEAD's bytes."""
    before_only = (
        "_migrations:\n  - version: v2\n    when: \"{{ _stage == 'before' }}\"\n"
        '    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/migrations/v2.py"]\n'
    )
    release_v2(tpl, before_only)
    code, out, err = up(edited, "--trust")
    assert code == 0, out + err
    assert (edited / "params.yaml").read_text() == "optim:\n  lr: 0.5\n"
    assert (edited / "migrations.log").read_text() == "before v1 v2 1 2 v2 update\n"
    assert {"params.yaml", "migrations.log", "NEW.md"} <= set(
        git("diff", "--cached", "--name-only", cwd=edited).split()
    )
