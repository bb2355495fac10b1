"""Generated projects, for a matrix in which every value of every question appears at least once:
generate -> install -> ruff, mypy, fast tests -> (the project's own e2e tests: dvc repro,
torchrun, FSDP) -> pre-commit run --all-files -> hadolint, actionlint, check-jsonschema.
Marker e2e; one shared venv."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import REPO, generate, run

pytestmark = pytest.mark.e2e

MATRIX: dict[str, dict[str, str]] = {
    "defaults": {},
    "tabular-uv-gitlab": {
        "task": "tabular_regression",
        "env_manager": "uv",
        "cuda": "cpu",
        "tracker": "mlflow",
        "ci": "gitlab",
        "dvc_remote": "local",
        "docker": "false",
        "serving": "none",
        "export_formats": "onnx",
        "notebooks": "false",
        "docs": "mkdocs",
        "slurm": "true",
        "license": "Apache-2.0",
        "python_version": "3.10",
    },
    "sequence-both-s3": {
        "task": "sequence_classification",
        "cuda": "cu126",
        "tracker": "wandb",
        "ci": "both",
        "dvc_remote": "s3",
        "export_formats": "torchscript",
        "kubernetes": "true",
        "license": "BSD-3-Clause",
        "python_version": "3.12",
    },
    "image-bare-gcs": {
        "cuda": "cu130",
        "tracker": "none",
        "ci": "none",
        "dvc_remote": "gcs",
        "serving": "none",
        "export_formats": "none",
        "notebooks": "false",
        "docs": "mkdocs",
        "slurm": "true",
        "license": "proprietary",
        "python_version": "3.13",
    },
    "tabular-azure": {"task": "tabular_regression", "dvc_remote": "azure", "ci": "both"},
    "sequence-ssh": {"task": "sequence_classification", "dvc_remote": "ssh", "docker": "false"},
}

# The answers the project's own e2e tests (2-process torchrun, FSDP, `dvc repro`, preemption; 2-3
# minutes a project) depend on. They run in the cases that bring a value of these not run before;
# the defaults' run is test_readme_commands_train_and_test's `make test-e2e`.
E2E_ANSWERS = ("task", "tracker", "env_manager")


def cases_running_project_e2e() -> set[str]:
    questions = yaml.safe_load((REPO / "templates/dl-project/copier.yml").read_text())
    defaults = {key: str(questions[key]["default"]) for key in E2E_ANSWERS}
    seen = set(defaults.items())
    chosen = set()
    for case, answers in MATRIX.items():
        values = {(key, answers.get(key, default)) for key, default in defaults.items()}
        if values - seen:
            chosen.add(case)
            seen |= values
    return chosen


PROJECT_E2E = cases_running_project_e2e()


def test_every_value_of_the_e2e_answers_runs_the_project_e2e_tests() -> None:
    questions = yaml.safe_load((REPO / "templates/dl-project/copier.yml").read_text())
    for key in E2E_ANSWERS:
        choices = questions[key]["choices"]
        values = set(choices.values() if isinstance(choices, dict) else choices)
        run_with = {str(questions[key]["default"])} | {
            MATRIX[case][key] for case in PROJECT_E2E if key in MATRIX[case]
        }
        assert run_with == values, key


@pytest.mark.parametrize("case", MATRIX)
def test_generated_project(
    case: str, tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str]
) -> None:
    project = generate(tmp_path / f"proj-{case}", MATRIX[case], e2e_env)
    py = str(shared_venv / "bin" / "python")
    (project / ".venv").symlink_to(shared_venv)  # what `make install` would have created
    run(
        [py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", "."],
        cwd=project,
        env=e2e_env,
    )
    run([py, "-m", "ruff", "check", "."], cwd=project, env=e2e_env)
    run([py, "-m", "ruff", "format", "--check", "."], cwd=project, env=e2e_env)
    run([py, "-m", "mypy"], cwd=project, env=e2e_env)
    # The tests as documented, from a shell with nothing activated: the Makefile's targets, or
    # (uv projects: no uv here) the CI jobs' commands. The project's e2e tests (PROJECT_E2E
    # cases) run `dvc repro` in a copy, and torchrun with 2 processes (gloo).
    if MATRIX[case].get("env_manager") == "uv":
        suites = [[".venv/bin/pytest"], [".venv/bin/pytest", "-m", "e2e"]]
    else:
        suites = [["make", "test"], ["make", "test-e2e"]]
    if case == "defaults":  # test_readme_commands_train_and_test runs both on these answers
        suites = []
    elif case not in PROJECT_E2E:
        suites = suites[:1]
    for suite in suites:
        run(suite, cwd=project, env=e2e_env)
    run(
        [py, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure"],
        cwd=project,
        env=e2e_env,
        timeout=1800,
    )
    assert run(["git", "status", "--porcelain"], cwd=project, env=e2e_env) == ""
    validate(project, shared_venv, e2e_env)


def validate(project: Path, venv: Path, env: dict[str, str]) -> None:
    """The linters of each shipped configuration, called directly."""
    bin_dir = venv / "bin"
    schema = [str(bin_dir / "check-jsonschema"), "--builtin-schema"]
    if (project / "Dockerfile").exists():
        run([str(bin_dir / "hadolint"), "Dockerfile"], cwd=project, env=env)
        run([*schema, "vendor.compose-spec", "compose.yaml"], cwd=project, env=env)
    workflows = sorted(str(p) for p in (project / ".github/workflows").glob("*.yml"))
    if workflows:
        run([str(bin_dir / "actionlint"), *workflows], cwd=project, env=env)
        run([*schema, "vendor.github-workflows", *workflows], cwd=project, env=env)
        run([*schema, "vendor.dependabot", ".github/dependabot.yml"], cwd=project, env=env)
    if (project / "k8s" / "trainjob.yaml").exists():
        trainjob = ["--schemafile", "k8s/trainjob.schema.json", "k8s/trainjob.yaml"]
        run([str(bin_dir / "check-jsonschema"), *trainjob], cwd=project, env=env)
    if (project / ".gitlab-ci.yml").exists():
        run([*schema, "vendor.gitlab-ci", ".gitlab-ci.yml"], cwd=project, env=env)
    run(["dlgen", "check", "--strict"], cwd=project, env=env)


def test_readme_commands_train_and_test(tmp_path: Path, e2e_env: dict[str, str]) -> None:
    """The generated README's commands, exactly, in a fresh .venv of the project's own, each
    from a fresh shell with no venv activated or on PATH."""
    project = generate(tmp_path / "readme-proj", {}, e2e_env)
    readme = (project / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    first, second = readme.strip().splitlines()
    assert (first, second) == ("make install && make train-smoke", "make test")
    run(["bash", "-c", first], cwd=project, env=e2e_env, timeout=1800)
    assert (project / "runs" / "smoke" / "last.pt").is_file()
    run(["bash", "-c", second], cwd=project, env=e2e_env)
    assert (project / ".git" / "hooks" / "pre-commit").is_file()
    run(["make", "test-e2e"], cwd=project, env=e2e_env)
    # The pipeline, through make and through the venv's dvc directly, as the README says.
    # The smoke run has its own run dir: the full training after it is a fresh run, not a
    # resume refused for its changed config.
    run(["make", "repro"], cwd=project, env=e2e_env)
    assert (project / "reports" / "metrics.json").is_file()
    assert (project / "runs" / "train" / "last.pt").is_file()
    assert "up to date" in run([".venv/bin/dvc", "status"], cwd=project, env=e2e_env)
    run([".venv/bin/dvc", "exp", "run", "-S", "train.epochs=1"], cwd=project, env=e2e_env)


def test_published_hook_through_pre_commit_try_repo(
    tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str]
) -> None:
    """`.pre-commit-hooks.yaml` at this repository's root, installed by pre-commit itself."""
    project = generate(tmp_path / "hooked", {"ci": "none"}, e2e_env)
    repo = str(Path(__file__).resolve().parents[2])
    try_repo = [
        str(shared_venv / "bin" / "pre-commit"),
        "try-repo",
        repo,
        "dlgen-check",
        "--all-files",
    ]
    assert "Passed" in run(try_repo, cwd=project, env=e2e_env, timeout=1200)
    (project / ".pre-commit-config.yaml").write_text("repos: []\n")  # an enforced file drifts
    result = subprocess.run(
        try_repo,
        cwd=project,
        env=e2e_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert result.returncode == 1 and "DLG005" in result.stdout, result.stdout[-2000:]


def test_installed_dlgen_generates_a_clean_tree(
    tmp_path: Path, e2e_env: dict[str, str], dlgen_installed: Path
) -> None:
    """`dlgen` from its wheel, byte-compiled by pip as users install it: `new` commits no
    __pycache__ (issue #16 case 4), and the tree stays clean after Python runs in it."""
    project = generate(tmp_path / "installed", {"ci": "none"}, e2e_env)
    run(
        ["python3", "-c", "import compileall, sys; compileall.compile_dir('src', quiet=1)"],
        cwd=project,
        env=e2e_env,
    )
    assert run(["git", "status", "--porcelain"], cwd=project, env=e2e_env) == ""
    located = run(
        [str(dlgen_installed.parent / "python"), "-c", "import dlgen; print(dlgen.__file__)"],
        cwd=project,
        env=e2e_env,
    )
    assert "site-packages" in located, located
