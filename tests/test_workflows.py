"""The GitHub Actions workflow, pre-commit and .ci/run: linted and run with the real tools."""

import shlex
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
HOOKS = {
    "ruff",
    "ruff-format",
    "trailing-whitespace",
    "end-of-file-fixer",
    "check-yaml",
    "check-added-large-files",
}


def jobs() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]


def run_lines(job: dict) -> list[str]:
    """Every command line of a job's `run` steps, continuation lines joined."""
    scripts = [step["run"].replace("\\\n", " ") for step in job["steps"] if "run" in step]
    return [" ".join(line.split()) for script in scripts for line in script.splitlines()]


def test_actionlint_passes() -> None:
    result = subprocess.run(["actionlint"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_run_on_three_systems_and_two_pythons_with_pip_caching() -> None:
    test = jobs()["test"]
    matrix = test["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    assert set(matrix["python-version"]) == {"3.11", "3.12"}
    (setup,) = [step for step in test["steps"] if step.get("uses", "").startswith("actions/setup")]
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"


def test_tests_install_and_run_as_the_readme_says() -> None:
    readme = (REPO / "README.md").read_text()
    lines = run_lines(jobs()["test"])
    assert lines == [
        "python -m pip install torch==2.13.0",
        'python -m pip install -e ".[dev]"',
        "python -m pytest -q",
    ]
    for line in lines[:2]:
        assert line.removeprefix("python -m ") in readme


def test_lint_runs_ruff_check_and_format() -> None:
    assert {"ruff check .", "ruff format --check ."} <= set(run_lines(jobs()["lint"]))


def test_the_images_job_builds_every_dockerfile() -> None:
    built = set()
    for line in run_lines(jobs()["images"]):
        words = shlex.split(line)
        if words[:2] == ["docker", "build"]:
            built.add(words[words.index("-f") + 1])
    assert built == {path.name for path in REPO.glob("Dockerfile.*")}


def make_recipes() -> dict[str, list[str]]:
    """{target: its recipe's command lines} of the Makefile, continuation lines joined."""
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    recipes: dict[str, list[str]] = {}
    target = None
    for line in text.splitlines():
        if line.startswith("\t") and target:
            recipes[target].append(" ".join(line.split()))
        elif line and not line.startswith(("#", " ", "\t")) and ":" in line and "=" not in line:
            target = line.split(":")[0].strip()
            recipes[target] = []
        elif not line.startswith("\t"):
            target = None
    return recipes


def test_ci_runs_the_make_targets_setup_lock_check_linters_docs_then_the_tests() -> None:
    lines = [line.strip() for line in (REPO / ".ci/run").read_text().splitlines()]
    order = [
        "make setup",
        "make check-lock",
        "make lint",
        "make docs",
        'export PATH="$PWD/.venv/bin:$PATH"',
        "python -m pytest -q",
    ]
    positions = [lines.index(line) for line in order]
    assert positions == sorted(positions)


def test_make_installs_the_cpu_torch_then_the_lock_then_t5mt() -> None:
    recipes = make_recipes()
    assert recipes["$(STAMP)"] == [
        "test -x $(PY) || $(PYTHON) -m venv $(VENV)",
        "$(PY) -m pip install $(TORCH)",
        "$(PY) -m pip install --require-hashes -r $(LOCK)",
        "$(PY) -m pip install --no-deps -e .",
        "touch $@",
    ]
    makefile = (REPO / "Makefile").read_text()
    assert "\nTORCH := torch==2.13.0\n" in makefile
    assert "\nLOCK := requirements/lock.txt\n" in makefile
    assert recipes["test"] == ["$(PY) -m pytest $(PYTEST_ARGS)"]
    assert recipes["train"] == ["$(PY) -m t5mt.train $(ARGS)"]
    assert recipes["docs"] == ["mkdocs build --strict"]
    assert recipes["lint"] == [
        "ruff check .",
        "ruff format --check .",
        "actionlint",
        "hadolint Dockerfile.*",
        "pre-commit run --all-files --show-diff-on-failure",
    ]


def test_precommit_hooks_are_local_and_their_tools_installed() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert {hook["id"] for hook in hooks} == HOOKS
    for hook in hooks:
        assert shutil.which(hook["entry"].split()[0]), hook["entry"]


def precommit(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["pre-commit", "run", "--all-files"], cwd=repo, capture_output=True, text=True, timeout=120
    )


def test_precommit_fixes_whitespace_and_rejects_bad_yaml_offline(tmp_path: Path) -> None:
    for name in (".pre-commit-config.yaml", "pyproject.toml"):
        shutil.copy2(REPO / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("trailing   \nno newline at the end")
    (tmp_path / "broken.yaml").write_text("key: [unclosed\n")
    (tmp_path / "code.py").write_text("x=1\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)

    first = precommit(tmp_path)
    assert first.returncode == 1
    assert "check yaml" in first.stdout and "broken.yaml" in first.stdout
    assert (tmp_path / "notes.txt").read_text() == "trailing\nno newline at the end\n"
    assert (tmp_path / "code.py").read_text() == "x = 1\n"

    (tmp_path / "broken.yaml").write_text("key: [closed]\n")
    second = precommit(tmp_path)
    assert second.returncode == 0, second.stdout
