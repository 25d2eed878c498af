"""The lock's two chores, for `make lock` and `make check-lock` (standard library only).

python requirements/lockfile.py strip requirements/lock.txt
    drop t5mt's own line (`pip install -e .` installs it), torch and the CUDA packages
    (nvidia-*, cuda-*, triton) that a CUDA torch pulls in:
    torch is installed first, as the CPU build, and is never locked (docs/getting-started.md,
    "The locked environment", says why).
python requirements/lockfile.py check requirements/lock.txt
    compare `pip freeze --all` of this interpreter with the lock: every locked package must be
    installed at exactly its locked version. Exits 1 with the differences otherwise.
"""

import re
import subprocess
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
NEVER_LOCKED = re.compile(r"^(torch|triton|nvidia-.*|cuda-.*)$")
# pip-compile's two-line warning above a requirement without hashes (the project's own line)
UNHASHABLE_WARNING = (
    "# WARNING: pip install will require the following package to be hashed.",
    "# Consider using a hashable URL like",
)
NOTE = (
    "# torch is left out on purpose: `make setup` installs torch==2.13.0 (the CPU build)\n"
    "# first, and the locked packages that need torch take that one (docs/getting-started.md).\n"
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines: list[str]) -> dict[str, str]:
    """{canonical name: version} of every `name==version` line."""
    return {canonical(match[1]): match[2] for line in lines if (match := PIN.match(line.strip()))}


def strip(lock: Path) -> None:
    """Remove each never-locked package's block (its pin, hashes and `# via` lines), and the
    project itself: pip-compile writes t5mt, which its own extras name, as `t5mt @ file:///<this
    checkout>`, a path of this machine that no hash covers (`pip install -e .` installs it)."""
    kept, skipping, dropped = [], False, []
    for line in lock.read_text().splitlines(keepends=True):
        if line.startswith(UNHASHABLE_WARNING):
            continue
        if line.strip() and not line.startswith((" ", "#")):
            name = canonical(re.match(r"[A-Za-z0-9._-]+", line)[0])
            skipping = bool(NEVER_LOCKED.match(name)) or " @ file:" in line
            if skipping:
                dropped.append(name)
        elif not line.startswith(" "):
            skipping = False
        if not skipping:
            kept.append(line)
    text = "".join(kept)
    lock.write_text(text if NOTE in text else text + NOTE)
    print(f"{lock}: dropped {', '.join(dropped) or 'nothing'}")


def check(lock: Path) -> int:
    locked = pins(lock.read_text().splitlines())
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    installed = pins(freeze)
    problems = [
        f"{name} is locked but must never be: torch is the CPU build installed first"
        for name in locked
        if NEVER_LOCKED.match(name)
    ]
    for name, version in sorted(locked.items()):
        if name not in installed:
            problems.append(f"{name}=={version} is locked but not installed")
        elif installed[name] != version:
            problems.append(f"{name}=={version} is locked but {installed[name]} is installed")
    for problem in problems:
        print(problem)
    print(f"{lock}: {len(locked) - len(problems)} of {len(locked)} locked packages as locked")
    return 1 if problems else 0


if __name__ == "__main__":
    command, path = sys.argv[1:]
    if command == "strip":
        strip(Path(path))
    elif command == "check":
        sys.exit(check(Path(path)))
    else:
        sys.exit(f"unknown command {command!r}: strip or check")
