"""`python -m t5mt.serve` as a child process on a free loopback port: for tests and benchmarks."""

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """Start the server with `overrides`, its output going to `<folder>/server.out`."""

    def __init__(self, run: str | Path, folder: Path, *overrides: str) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.output = folder / "server.out"
        command = [sys.executable, "-m", "t5mt.serve", f"run={run}", f"port={port}", *overrides]
        with self.output.open("w") as output:
            self.process = subprocess.Popen(
                command, cwd=folder, stdout=output, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 180) -> None:
        """Return once `/ready` answers 200; fail with the server's output if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.output.read_text()}")
            try:
                if httpx.get(f"{self.url}/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"not ready after {timeout} s:\n{self.output.read_text()}")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM (in-flight requests finish), then the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout)

    def __enter__(self) -> "ServerProcess":
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
