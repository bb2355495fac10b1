"""`dlgen templates [T]`: the bundled catalog with policies, and any template's questions."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from dlgen.sources import bundled_names, bundled_root
from tests.helpers import TemplateRepo, invoke

LOCAL = {
    "copier.yml": """\
project_name:
  type: str
  help: Project name
shout: hello
lr:
  type: float
  help: Learning rate
  default: 0.001
task:
  help: What the model does
  choices:
    Image classification: image
    Regression: regression
  default: image
gpus:
  type: int
  choices: [[One GPU, 1], [Eight GPUs, 8]]
  default: 1
extras:
  type: str
  multiselect: true
  choices: [docs, notebooks]
  default: [docs]
token:
  type: str
  secret: true
  default: ""
remote_url:
  type: str
  when: "{{ task == 'image' }}"
  default: "s3://{{ project_name }}"
slug:
  default: "{{ project_name | lower }}"
  when: false
_dlgen:
  version: 2.1.0
  description: Team template
  enforced: [ci.yml]
  superset: [.gitignore]
  locked: [ci.yml]
  create_only: [params.yaml]
  policy:
    min_version: 2.0.0
    max_lag: 3
""",
    "README.md": "# x\n",
}


def _bundled_yml(name: str) -> dict:  # type: ignore[type-arg]
    text = (bundled_root() / "templates" / name / "copier.yml").read_text()
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def test_catalog_lists_every_bundled_template_with_its_policy() -> None:
    result = invoke("templates", "--format", "json")
    assert result.code == 0, result.err
    listing = json.loads(result.out)
    assert [t["name"] for t in listing] == bundled_names()
    for entry in listing:
        meta = _bundled_yml(entry["name"])["_dlgen"]
        extra = meta.get("policy") or {}
        assert entry["version"] == str(meta["version"])
        assert entry["description"] == meta["description"]
        assert entry["policy"] == {
            "enforced": meta.get("enforced", []),
            "superset": meta.get("superset", []),
            "locked": meta.get("locked") or extra.get("locked") or [],
            "create_only": meta.get("create_only", []),
            "min_version": extra.get("min_version"),
            "max_lag": extra.get("max_lag"),
        }
    text = invoke("templates").out.splitlines()
    assert text == [f"{t['name']}\t{t['version']}\t{t['description']}" for t in listing]


def test_bundled_questions_as_declared_without_rendering() -> None:
    result = invoke("templates", "dl-project", "--format", "json")
    assert result.code == 0, result.err
    info = json.loads(result.out)
    declared = {k: v for k, v in _bundled_yml("dl-project").items() if not k.startswith("_")}
    assert [q["name"] for q in info["questions"]] == list(declared)
    for q in info["questions"]:
        spec = declared[q["name"]]
        assert q["help"] == spec.get("help", ""), q["name"]
        assert q["default"] == spec.get("default"), q["name"]  # Jinja shown, not rendered
        assert q["required"] == ("default" not in spec), q["name"]
        assert q["when"] == spec.get("when", True), q["name"]
        choices = spec.get("choices") or []
        pairs = choices.items() if isinstance(choices, dict) else [(str(c), c) for c in choices]
        assert q["choices"] == [{"label": k, "value": v} for k, v in pairs], q["name"]
    assert info["policy"] == json.loads(invoke("templates", "--format", "json").out)[0]["policy"]


def test_local_template_questions_text(tmp_path: Path) -> None:
    tpl = tmp_path / "team-tpl"
    tpl.mkdir()
    for name, text in LOCAL.items():
        (tpl / name).write_text(text)
    result = invoke("templates", str(tpl))
    assert result.code == 0, result.err
    assert result.out == (
        "team-tpl 2.1.0: Team template\n"
        "\n"
        "project_name (str, required)\n"
        "    Project name\n"
        "shout (str)\n"
        "    default: hello\n"
        "lr (float)\n"
        "    Learning rate\n"
        "    default: 0.001\n"
        "task (str)\n"
        "    What the model does\n"
        "    choices: image (Image classification), regression (Regression)\n"
        "    default: image\n"
        "gpus (int)\n"
        "    choices: 1 (One GPU), 8 (Eight GPUs)\n"
        "    default: 1\n"
        "extras (str, several choices)\n"
        "    choices: docs, notebooks\n"
        "    default: [docs]\n"
        "token (str, secret)\n"
        "    default: ''\n"
        "remote_url (str)\n"
        "    default: s3://{{ project_name }}\n"
        "    asked when: {{ task == 'image' }}\n"
        "slug (str)\n"
        "    default: {{ project_name | lower }}\n"
        "    not asked (computed from the other answers)\n"
        "\n"
        "enforced: ci.yml\n"
        "superset: .gitignore\n"
        "locked: ci.yml\n"
        "create_only: params.yaml\n"
        "min_version: 2.0.0\n"
        "max_lag: 3\n"
    )
    data = json.loads(invoke("templates", str(tpl), "--format", "json").out)
    assert data["questions"][4] == {
        "name": "gpus",
        "type": "int",
        "help": "",
        "choices": [{"label": "One GPU", "value": 1}, {"label": "Eight GPUs", "value": 8}],
        "default": 1,
        "required": False,
        "multiselect": False,
        "secret": False,
        "when": True,
    }
    assert data["policy"]["locked"] == ["ci.yml"]


def test_git_template_at_its_newest_tag_or_a_ref(
    template_factory: Callable[..., TemplateRepo],
) -> None:
    t = template_factory({"copier.yml": "name:\n  default: demo\n", "a.txt": "a\n"})
    t.release("v1")
    t.write({"copier.yml": "name:\n  default: demo\nseed:\n  type: int\n  default: 0\n"})
    t.release("v2")
    for spec, version, names in (
        (str(t.root), "v2", ["name", "seed"]),
        (f"{t.root}@v1", "v1", ["name"]),
        (f"file://{t.root}@v1", "v1", ["name"]),
    ):
        data = json.loads(invoke("templates", spec, "--format", "json").out)
        assert (data["version"], [q["name"] for q in data["questions"]]) == (version, names)


def test_cookiecutter_template_questions(tmp_path: Path) -> None:
    tpl = tmp_path / "cc"
    tpl.mkdir()
    (tpl / "cookiecutter.json").write_text(
        json.dumps(
            {
                "project_slug": "demo",
                "license": ["MIT", "BSD-3"],
                "use_docker": True,
                "_copy_without_render": ["*.png"],
                "__prompts__": {
                    "project_slug": "Project slug",
                    "license": {"__prompt__": "Which license", "MIT": "MIT License"},
                },
            }
        )
    )
    data = json.loads(invoke("templates", str(tpl), "--format", "json").out)
    assert [(q["name"], q["type"], q["help"], q["default"]) for q in data["questions"]] == [
        ("project_slug", "str", "Project slug", "demo"),
        ("license", "str", "Which license", "MIT"),
        ("use_docker", "bool", "", True),
    ]
    assert data["questions"][1]["choices"] == [
        {"label": "MIT License", "value": "MIT"},
        {"label": "BSD-3", "value": "BSD-3"},
    ]


def test_bad_template_is_one_line_exit_2(tmp_path: Path) -> None:
    result = invoke("templates", "no-such")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("dlgen: error: template 'no-such' is neither a bundled template")
    assert result.err.count("\n") == 1
    result = invoke("templates", "dl-project@v9")
    assert (result.code, result.err) == (
        2,
        "dlgen: error: version 'v9' of bundled template 'dl-project' not found: this dlgen "
        "bundles only 0.2.0 (other versions come with other dlgen releases)\n",
    )
    (tmp_path / "empty").mkdir()
    result = invoke("templates", str(tmp_path / "empty"))
    assert (result.code, result.err) == (
        2,
        f"dlgen: error: {tmp_path / 'empty'} is not a template: "
        "no copier.yml or cookiecutter.json\n",
    )


def test_templates_never_imports_copier_or_jinja() -> None:
    probe = (
        "import sys, contextlib, io\nfrom dlgen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['templates', 'dl-project'])\n    except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'copier', 'jinja2'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_help_names_the_commands_whole() -> None:
    top = invoke("--help").out
    assert "List templates, or show T's questions.\n" in top
    assert "The fleet view: many projects, worst first.\n" in top
    assert "[T]" in invoke("templates", "--help").out
