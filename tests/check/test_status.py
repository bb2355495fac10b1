"""`dlgen status`: a fleet of real projects in every state; each row is that project's own check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

import dlgen
from dlgen.sources import bundled_root
from dlgen.status import STATES
from dlgen.template import Template
from tests.helpers import TemplateRepo, commit_all, edit_record, git, invoke, tree_snapshot

COPIER = """\
name:
  default: demo
_dlgen:
  enforced: [ci.yml, Dockerfile]
  superset: [.gitignore]
"""
V1 = {
    "copier.yml": COPIER,
    "ci.yml.jinja": "job: {{ name }}\n",
    "Dockerfile": "FROM python:3.11-slim\n",
    ".gitignore": "runs/\ndata/\n",
    "train.py": "LR = 0.1\nEPOCHS = 10\n",
    "README.md": "# readme\n",
}


def new(dst: Path, template: str) -> Path:
    result = invoke("new", str(dst), "--template", template, "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    return dst


@pytest.fixture
def tpl(template_factory: Callable[..., TemplateRepo]) -> TemplateRepo:
    """A git template with three minor releases."""
    t = template_factory(V1, name="tpl")
    t.release("v1.0.0")
    t.write({"train.py": "LR = 0.0003\nEPOCHS = 10\n"})
    t.release("v1.1.0")
    t.write({"README.md": "# readme, v1.2\n"})
    t.release("v1.2.0")
    return t


class Fleet:
    """Projects under one folder, made from two real renders and changed the way users do."""

    def __init__(self, root: Path, tpl: TemplateRepo) -> None:
        self.root = root
        self.tpl = tpl
        self.current = new(root / "base-current", str(tpl.root))
        self.old = new(root / "base-old", f"{tpl.root}@v1.0.0")
        self.expected: dict[str, str] = {"base-current": "current", "base-old": "lagging"}

    def copy(self, name: str, state: str, *, old: bool = False, with_git: bool = True) -> Path:
        ignore = None if with_git else shutil.ignore_patterns(".git")
        dst = self.root / name
        shutil.copytree(self.old if old else self.current, dst, symlinks=True, ignore=ignore)
        self.expected[name] = state
        return dst


@pytest.fixture
def fleet(tmp_path: Path, tpl: TemplateRepo) -> Fleet:
    """About 25 folders: every state, each made the way it happens to users."""
    f = Fleet(tmp_path / "fleet", tpl)
    for i in range(3):
        f.copy(f"current-{i}", "current")
        f.copy(f"lagging-{i}", "lagging", old=True)
    add_findings(f)
    add_updates(f)
    add_others(f)
    return f


def add_findings(f: Fleet) -> None:
    """Projects whose own check reports something."""
    p = f.copy("drifted-enforced", "failing")  # DLG005, committed
    (p / "Dockerfile").write_text("FROM python:3.11-slim\nUSER root\n")
    commit_all(p, "root")
    p = f.copy("drifted-superset", "failing")  # DLG006
    (p / ".gitignore").write_text("runs/\n")
    commit_all(p, "drop a line")
    p = f.copy("drifted-worktree", "failing")  # DLG005, not committed
    (p / "ci.yml").write_text("job: mine\n")
    p = f.copy("ignored", "current")  # an active ignore with its reason
    (p / "Dockerfile").write_text("FROM internal/python:3.11\n")
    edit_record(p, lambda d: d.update(check={"ignore": {"Dockerfile": "need root"}}))
    commit_all(p, "internal base image")
    p = f.copy("useless-ignore", "warning")  # DLG013
    edit_record(p, lambda d: d.update(check={"ignore": {"README.md": "ours"}}))
    commit_all(p, "ignore")
    p = f.copy("invalid-record", "failing")  # DLG001
    edit_record(p, lambda d: d.update(colour="red"))
    commit_all(p, "oops")
    f.copy("no-git", "warning", with_git=False)  # DLG010
    p = f.copy("no-branch", "warning")  # DLG011
    git("branch", "-D", "dlgen/template", cwd=p)
    p = f.copy("polluted", "failing")  # DLG009
    git("checkout", "-q", "dlgen/template", cwd=p)
    commit_all(p, "a human commit on the template branch")
    git("checkout", "-q", "main", cwd=p)
    p = f.copy("markers", "conflicted")  # DLG007: a rendered file committed unresolved
    (p / "train.py").write_text("<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n")
    commit_all(p, "markers")
    p = f.copy("bundled-old", "warning")  # DLG004: trails the bundled template
    edit_record(p, lambda d: d.update(template="dl-project", template_version="0.0.1"))
    edit_record(p, lambda d: d.update(check={"max_lag": 0}))
    commit_all(p, "pretend dl-project")


def add_updates(f: Fleet) -> None:
    """Real `dlgen update` runs left open, with and without conflicts; an interrupted one."""
    p = f.copy("conflicted", "conflicted", old=True)  # a real update that conflicts
    (p / "train.py").write_text("LR = 0.5\nEPOCHS = 10\n")
    commit_all(p, "tune")
    assert invoke("update", str(p)).code == 4
    p = f.copy("updating", "updating", old=True)  # a real update, merged, not committed yet
    assert invoke("update", str(p)).code == 0
    p = f.copy("custom-branch", "updating", old=True)  # the branch named in .dlgen.yml
    git("branch", "-m", "dlgen/template", "dlgen/custom", cwd=p)
    edit_record(p, lambda d: d.update(branch="dlgen/custom"))
    commit_all(p, "own template branch")
    assert invoke("update", str(p)).code == 0
    p = f.copy("interrupted", "updating", old=True)  # killed after saving its abort state
    tip = git("rev-parse", "dlgen/template", cwd=p).strip()
    git("update-ref", "refs/dlgen/orig-template", tip, cwd=p)


def add_others(f: Fleet) -> None:
    """A project on a git URL, and folders that are not projects."""
    new(f.root / "url-old", f"file://{f.tpl.root}@v1.0.0")
    f.expected["url-old"] = "lagging"  # with a clone given through --template

    (f.root / "notes").mkdir()
    (f.root / "notes/todo.txt").write_text("x\n")
    f.expected["notes"] = "not-a-project"
    plain = f.root / "plain-repo"
    plain.mkdir()
    git("init", "-q", cwd=plain)
    f.expected["plain-repo"] = "not-a-project"
    shutil.copytree(f.current, f.root / ".hidden", symlinks=True)  # never listed
    (f.root / "loose-file.txt").write_text("not a folder\n")  # never listed


def status_json(*args: str, cwd: Path | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = invoke("status", "--format", "json", *args, cwd=cwd)
    assert result.err == ""
    return result.code, json.loads(result.out)


def test_every_row_is_that_projects_own_check(fleet: Fleet, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    git("clone", "-q", str(fleet.tpl.root), str(cache), cwd=tmp_path)
    code, data = status_json(str(fleet.root), "--template", str(cache))
    assert code == 0  # a report; --exit-code makes failures fail
    rows = {Path(r["path"]).name: r for r in data["projects"]}
    assert len(rows) >= 20 and {n: r["state"] for n, r in rows.items()} == fleet.expected
    for name, row in rows.items():
        assert row["path"] == str(fleet.root / name)
        if not row["is_project"]:
            assert row["ok"] is False and row["findings"] == [] and row["template"] is None
            continue
        own = json.loads(invoke("check", row["path"], "--format", "json").out)
        assert row["findings"] == own["findings"], name
        assert row["ok"] == own["ok"], name
        assert (row["template"], row["template_version"]) == (
            own["template"],
            own["template_version"],
        ), name
    _, strict = status_json(str(fleet.root), "--strict")
    for row in strict["projects"]:
        if row["is_project"]:
            own = json.loads(invoke("check", row["path"], "--format", "json", "--strict").out)
            assert (row["findings"], row["ok"]) == (own["findings"], own["ok"]), row["path"]
    ranks = [STATES.index(r["state"]) for r in data["projects"]]
    assert ranks == sorted(ranks)
    assert data["summary"]["current"] == sum(s == "current" for s in fleet.expected.values())


def test_rows_say_why(fleet: Fleet, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    git("clone", "-q", str(fleet.tpl.root), str(cache), cwd=tmp_path)
    _, data = status_json(str(fleet.root), "--template", str(cache))
    rows = {Path(r["path"]).name: r for r in data["projects"]}
    assert rows["base-old"]["newest_version"] == "v1.2.0" and rows["base-old"]["lag"] == 2
    assert rows["base-current"]["behind"] is False and rows["base-current"]["lag"] == 0
    assert rows["url-old"]["template"].startswith("file://")
    assert (rows["url-old"]["newest_version"], rows["url-old"]["lag"]) == ("v1.2.0", 2)
    bundled = Template.load(bundled_root() / "templates/dl-project").version
    assert rows["bundled-old"]["newest_version"] == bundled
    assert [f["id"] for f in rows["bundled-old"]["findings"]] == ["DLG004"]
    assert rows["ignored"]["ignores"] == [{"path": "Dockerfile", "reason": "need root"}]
    assert rows["conflicted"]["conflicts"] == ["train.py"]
    # dlgen's update applies the render uncommitted: no git merge of anyone's is in progress
    assert rows["conflicted"]["update_in_progress"] and not rows["conflicted"]["merge_in_progress"]
    assert rows["markers"]["conflicts"] == ["train.py"]
    assert rows["updating"]["update_in_progress"] and rows["updating"]["conflicts"] == []
    assert rows["custom-branch"]["branch"] == "dlgen/custom"
    assert rows["custom-branch"]["update_in_progress"]
    assert (
        rows["interrupted"]["update_in_progress"] and not rows["interrupted"]["merge_in_progress"]
    )
    assert rows["plain-repo"]["note"] == "a git repository without .dlgen.yml"
    # Without a clone of the git template, its newest version is unknown: nothing is fetched,
    # and the project is never called "current".
    _, data = status_json(str(fleet.root / "url-old"))
    assert [(r["newest_version"], r["lag"], r["state"]) for r in data["projects"]] == [
        (None, None, "unknown")
    ]
    text = invoke("status", str(fleet.root / "url-old")).out
    assert (
        "  newest template version unknown here: give the template source with `--template`\n"
        in text
    )
    assert text.endswith("dlgen status: 1 project(s): 1 unknown\n")


def test_status_is_read_only(fleet: Fleet) -> None:
    before = tree_snapshot(fleet.root)  # every file, .git of every project included
    assert invoke("status", str(fleet.root)).code == 0
    assert tree_snapshot(fleet.root) == before


def test_json_matches_the_schema(fleet: Fleet) -> None:
    schema = json.loads((Path(dlgen.__file__).parent / "status.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for args in ([], ["--strict"]):
        code, data = status_json(str(fleet.root), *args)
        jsonschema.validate(data, schema)
        assert code == 0 and data["ok"] is False


def test_text_and_markdown(tmp_path: Path, tpl: TemplateRepo) -> None:
    good = new(tmp_path / "good", str(tpl.root))
    bad = new(tmp_path / "bad|name", str(tpl.root))
    (bad / "Dockerfile").write_text("FROM scratch\n")
    edit_record(good, lambda d: d.update(check={"ignore": {"Dockerfile": "need root"}}))
    (tmp_path / "empty").mkdir()
    result = invoke("status", cwd=tmp_path)
    fix = (
        "`git checkout dlgen/template -- Dockerfile`, "
        "or give a reason under check.ignore in .dlgen.yml"
    )
    drift = f"DLG005 error Dockerfile: differs from the template's pristine render (fix: {fix})"
    assert result.code == 0
    assert result.out == (
        "STATE          PROJECT   TEMPLATE  VERSION  NEWEST  LAG  ERRORS  WARNINGS  IGNORES\n"
        "failing        bad|name  ../tpl    v1.2.0   v1.2.0  -    1       0         0\n"
        "current        good      ../tpl    v1.2.0   v1.2.0  -    0       0         1\n"
        "not-a-project  empty     -         -        -       -    -       -         -\n"
        "not-a-project  tpl       -         -        -       -    -       -         -\n"
        "\n"
        "bad|name: failing\n"
        f"  {drift}\n"
        "\n"
        "good: current\n"
        "  Dockerfile enforcement ignored: need root\n"
        "\n"
        "empty: not-a-project\n"
        "  a folder without .dlgen.yml\n"
        "\n"
        "tpl: not-a-project\n"
        "  a git repository without .dlgen.yml\n"
        "\n"
        "dlgen status: 2 project(s): 1 failing, 1 current; 2 folder(s) not a dlgen project\n"
    )
    result = invoke("status", "--format", "markdown", cwd=tmp_path)
    assert result.out == (
        "## dlgen status\n"
        "\n"
        "2 project(s): 1 failing, 1 current; 2 folder(s) not a dlgen project\n"
        "\n"
        "| state | project | template | version | newest | lag | errors | warnings | ignores |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| failing | `bad\\|name` | ../tpl | v1.2.0 | v1.2.0 | - | 1 | 0 | 0 |\n"
        "| current | `good` | ../tpl | v1.2.0 | v1.2.0 | - | 0 | 0 | 1 |\n"
        "| not-a-project | `empty` | - | - | - | - | - | - | - |\n"
        "| not-a-project | `tpl` | - | - | - | - | - | - | - |\n"
        "\n"
        "### Details\n"
        "\n"
        "#### `bad|name`: failing\n"
        "\n"
        f"- {drift.replace('Dockerfile:', '`Dockerfile`:')}\n"
        "\n"
        "#### `good`: current\n"
        "\n"
        "- `Dockerfile` enforcement ignored: need root\n"
        "\n"
        "#### `empty`: not-a-project\n"
        "\n"
        "- a folder without .dlgen.yml\n"
        "\n"
        "#### `tpl`: not-a-project\n"
        "\n"
        "- a git repository without .dlgen.yml\n"
    )


def test_exit_code_and_strict(fleet: Fleet) -> None:
    one = str(fleet.root / "current-0")
    warned = str(fleet.root / "useless-ignore")
    assert invoke("status", "--exit-code", one).code == 0
    assert invoke("status", "--exit-code", one, warned).code == 0
    assert invoke("status", "--exit-code", "--strict", one, warned).code == 1
    for name in ("drifted-enforced", "conflicted", "updating", "interrupted"):
        assert invoke("status", "--exit-code", one, str(fleet.root / name)).code == 1, name
    assert invoke("status", "--exit-code", one, str(fleet.root / "notes")).code == 0


def test_depth_finds_projects_in_a_monorepo(tmp_path: Path, tpl: TemplateRepo) -> None:
    mono = tmp_path / "repos/mono"
    (mono / "services").mkdir(parents=True)
    git("init", "-q", cwd=mono)
    new(mono / "services/api", str(tpl.root))  # its own repository inside the monorepo folder
    _, shallow = status_json(str(tmp_path / "repos"))
    assert [(r["path"], r["state"], r["note"]) for r in shallow["projects"]] == [
        (str(tmp_path / "repos"), "not-a-project", "a folder without .dlgen.yml")
    ]
    _, deep = status_json(str(tmp_path / "repos"), "--depth", "3")
    assert [(r["path"], r["state"]) for r in deep["projects"]] == [
        (str(mono / "services/api"), "current")
    ]


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    result = invoke("status", str(tmp_path / "missing"))
    assert (result.code, result.out) == (2, "")
    assert result.err == f"dlgen: error: {tmp_path / 'missing'}: not a directory\n"
    result = invoke("status", str(tmp_path), "--template", str(tmp_path / "nope"))
    assert result.code == 2
    assert result.err == (
        f"dlgen: error: --template {tmp_path / 'nope'}: {tmp_path / 'nope'} "
        "is not a local git clone of a template, a bare repository or a git URL\n"
    )


def test_status_never_imports_copier_or_jinja(fleet: Fleet) -> None:
    probe = (
        "import sys, contextlib, io\nfrom dlgen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main(['status', {str(fleet.root)!r}])\n    except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'copier', 'jinja2'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_clone_named_for_the_recorded_source(tmp_path: Path, tpl: TemplateRepo) -> None:
    project = new(tmp_path / "fleet/svc", f"{tpl.root}@v1.0.0")
    url = "https://git.example.com/platform/tpl.git"
    edit_record(project, lambda d: d.update(template=url))
    commit_all(project, "the team's URL")
    cache = tmp_path / "cache"
    git("clone", "-q", str(tpl.root), str(cache), cwd=tmp_path)
    _, unmatched = status_json(str(project), "--template", str(cache))
    _, named = status_json(str(project), "--template", f"{url}={cache}")
    assert unmatched["projects"][0]["newest_version"] is None  # nothing fetched from the URL
    assert (named["projects"][0]["newest_version"], named["projects"][0]["state"]) == (
        "v1.2.0",
        "lagging",
    )


def test_a_broken_repository_is_a_row_not_a_crash(tmp_path: Path, tpl: TemplateRepo) -> None:
    good = new(tmp_path / "fleet/good", str(tpl.root))
    broken = new(tmp_path / "fleet/broken", str(tpl.root))
    (broken / ".git/HEAD").write_text("garbage\n")
    code, data = status_json(str(tmp_path / "fleet"), str(good))  # good listed once
    rows = [(Path(r["path"]).name, r["state"], r["ok"]) for r in data["projects"]]
    assert (code, rows) == (0, [("broken", "failing", False), ("good", "current", True)])
    assert data["projects"][0]["note"].startswith("cannot inspect: `git ")  # check's first call


def test_the_newest_releases_policy_reaches_stragglers(tmp_path: Path, tpl: TemplateRepo) -> None:
    """A git template's max_lag fires, and the floor a new release raises turns laggards red."""
    old = new(tmp_path / "fleet/old", f"file://{tpl.root}@v1.0.0")
    tpl.write({"copier.yml": COPIER + "  policy:\n    min_version: v2.0.0\n    max_lag: 0\n"})
    tpl.release("v2.0.0")
    clone = tmp_path / "clone"
    git("clone", "-q", str(tpl.root), str(clone), cwd=tmp_path)
    code, data = status_json(str(old), "--template", str(clone), "--exit-code")
    [row] = data["projects"]
    assert (code, row["state"], row["lag"]) == (1, "failing", 1000)
    assert [(f["id"], f["message"]) for f in row["findings"]] == [
        ("DLG003", "template version v1.0.0 is older than the minimum v2.0.0"),
        ("DLG004", "template version v1.0.0 trails 2.0.0 by more than 0 minor release(s)"),
    ]
    # Without the template source nothing is known: no finding, and not "current" either.
    code, data = status_json(str(old), "--exit-code")
    assert (code, data["projects"][0]["state"], data["projects"][0]["findings"]) == (
        0,
        "unknown",
        [],
    )


def test_check_with_the_template_clone_applies_the_newest_releases_policy(
    tmp_path: Path, tpl: TemplateRepo
) -> None:
    """`dlgen check --template CLONE`: the laggard's own gate turns red when a release raises
    the floor, a git template's max_lag fires; a CLONE that is not a clone is exit 2."""
    old = new(tmp_path / "old", f"file://{tpl.root}@v1.0.0")
    tpl.write({"copier.yml": COPIER + "  policy:\n    min_version: v2.0.0\n    max_lag: 0\n"})
    tpl.release("v2.0.0")
    clone = tmp_path / "clone"
    git("clone", "-q", str(tpl.root), str(clone), cwd=tmp_path)
    assert invoke("check", str(old)).code == 0  # the release it is on has no floor
    result = invoke("check", str(old), "--template", str(clone), "--only", "version")
    assert result.code == 1, result.out
    found = json.loads(
        invoke("check", str(old), "-t", str(clone), "--format", "json", "--only", "version").out
    )["findings"]
    assert [(f["id"], f["message"]) for f in found] == [
        ("DLG003", "template version v1.0.0 is older than the minimum v2.0.0"),
        ("DLG004", "template version v1.0.0 trails 2.0.0 by more than 0 minor release(s)"),
    ]
    bad = invoke("check", str(old), "--template", str(tmp_path / "nowhere"))
    assert bad.code == 2
    assert bad.err == (
        f"dlgen: error: --template {tmp_path / 'nowhere'}: {tmp_path / 'nowhere'} is not a local "
        "git clone of a template, a bare repository or a git URL\n"
    )


def test_the_template_given_by_url_or_bare_repository(
    tmp_path: Path, tpl: TemplateRepo, isolated_env: Path
) -> None:
    """`--template URL` (fetched into the user's cache) and `--template BARE` (read in place)
    apply the newest release's policy as a clone does; a URL that cannot be fetched is exit 70
    with one line naming it, never "current" or a pass."""
    old = new(tmp_path / "fleet/old", f"file://{tpl.root}@v1.0.0")
    tpl.write({"copier.yml": COPIER + "  policy:\n    min_version: v2.0.0\n    max_lag: 0\n"})
    tpl.release("v2.0.0")
    bare = tmp_path / "forge/tpl.git"
    git("clone", "-q", "--bare", str(tpl.root), str(bare), cwd=tmp_path)
    mirror = f"{tpl.root.as_uri()}={bare.as_uri()}"  # a mirror, named for the recorded source
    for given in (tpl.root.as_uri(), str(bare), mirror):
        code, data = status_json(str(old), "--template", given, "--exit-code")
        [row] = data["projects"]
        assert (code, row["state"], row["newest_version"]) == (1, "failing", "v2.0.0"), given
        result = invoke("check", str(old), "--template", given, "--only", "version")
        assert result.code == 1 and "DLG003" in result.out, (given, result.out)
    rehearsed = invoke("status", str(old), "--template", tpl.root.as_uri(), "--preview", "v2.0.0")
    assert rehearsed.code == 0 and f"clean       {old} v1.0.0 -> v2.0.0: " in rehearsed.out, (
        rehearsed.out + rehearsed.err
    )
    cached = list((isolated_env / ".cache/dlgen/templates").iterdir())
    assert [p.name.rpartition("-")[0] for p in sorted(cached)] == ["tpl", "tpl"]  # two URLs
    tpl.release("v2.1.0")  # a newer release is fetched into the cache, not read from it stale
    code, data = status_json(str(old), "--template", tpl.root.as_uri())
    assert data["projects"][0]["newest_version"] == "v2.1.0"
    gone = (tmp_path / "moved").as_uri()
    for command in (["status", str(old)], ["check", str(old)]):
        result = invoke(*command, "--template", gone)
        assert (result.code, result.out) == (70, ""), result
        assert result.err.count("\n") == 1 and result.err.startswith(
            f"dlgen: error: cannot fetch template {gone}: "
        ), result.err
        assert result.err.endswith("; its newest release is unknown\n")
    assert len(list((isolated_env / ".cache/dlgen/templates").iterdir())) == 2  # none for it
