"""The locked environment and the README's first screen, checked offline.

requirements/lock.txt pins every package with hashes and leaves out torch (installed first, as
the CPU build), the CUDA packages and the project itself; `make check-lock` (in .ci/run) compares
it with the installed environment.
"""

import importlib.util
import re

import yaml

from tests.conftest import REPO

LOCK = REPO / "requirements" / "lock.txt"
# requirements/lockfile.py is a script, not part of the package: load it from its file.
_spec = importlib.util.spec_from_file_location("lockfile", REPO / "requirements" / "lockfile.py")
lockfile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lockfile)


def requirement_blocks(text: str) -> list[str]:
    """Each requirement with its continuation lines (hashes, `# via`)."""
    blocks: list[str] = []
    for line in text.splitlines():
        if line.strip() and not line.startswith((" ", "#")):
            blocks.append(line)
        elif line.startswith(" ") and blocks:
            blocks[-1] += "\n" + line
    return blocks


def test_every_locked_package_is_pinned_and_hashed() -> None:
    blocks = requirement_blocks(LOCK.read_text())
    assert len(blocks) > 100
    for block in blocks:
        assert lockfile.PIN.match(block), block.splitlines()[0]
        assert "--hash=sha256:" in block, block.splitlines()[0]
    names = {lockfile.canonical(lockfile.PIN.match(block)[1]) for block in blocks}
    assert {"pytorch-lightning", "transformers", "pytest", "mkdocs-material", "pip-tools"} <= names
    assert not [name for name in names if lockfile.NEVER_LOCKED.match(name)]
    assert "t5mt" not in names
    assert "file:" not in LOCK.read_text()


def test_strip_drops_torch_cuda_and_the_project_and_keeps_the_rest(tmp_path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "#    make lock\n"
        "#\n"
        "filelock==3.20.0 \\\n    --hash=sha256:aa\n    # via torch\n"
        "nvidia-cublas==13.4.1.3 \\\n    --hash=sha256:bb\n    # via\n    #   torch\n"
        "# WARNING: pip install will require the following package to be hashed.\n"
        "# Consider using a hashable URL like https://example.invalid/x.zip\n"
        "t5mt @ file:///somewhere/t5mt\n    # via t5mt (pyproject.toml)\n"
        "triton==3.9.0 \\\n    --hash=sha256:cc\n"
        "zipp==3.23.0 \\\n    --hash=sha256:dd\n    # via importlib-metadata\n"
    )
    lockfile.strip(lock)
    text = lock.read_text()
    assert re.findall(r"(?m)^\S+==\S+", text) == ["filelock==3.20.0", "zipp==3.23.0"]
    assert "nvidia" not in text and "triton" not in text and "t5mt @" not in text
    assert "hashable URL" not in text
    assert text.count("--hash") == 2
    assert text.endswith(lockfile.NOTE)
    lockfile.strip(lock)
    assert lock.read_text() == text  # a second strip changes nothing


def test_the_readme_opens_with_the_two_commands() -> None:
    first_screen = (REPO / "README.md").read_text().splitlines()[:30]
    commands = [line.split("#")[0].strip() for line in first_screen]
    assert "make train" in commands
    assert "make test" in commands


def test_every_docs_page_is_in_the_site_nav() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    assert config["theme"]["name"] == "material"
    assert config["strict"] is True
    nav = {page for entry in config["nav"] for page in entry.values()}
    assert nav == {path.name for path in (REPO / "docs").glob("*.md")}
