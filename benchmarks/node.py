"""Drive the Digital Bazaar reference (benchmarks/js/issue_verify.mjs) round by round over a pipe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.credentials import Fixture, write_node_input
from benchmarks.timing import Round

JS_DIR = Path(__file__).resolve().parent / "js"


def ensure_node_modules() -> None:
    """Install benchmarks/js/node_modules from the committed package-lock.json when missing."""
    if (JS_DIR / "node_modules" / "@digitalbazaar" / "vc" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed: the Digital Bazaar reference cannot run")
    print("installing benchmarks/js/node_modules with npm ci ...", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True)


class NodeReference:
    """One Node process holding Digital Bazaar's issuer and verifier, warm between rounds.

    With ``cpu`` the whole process (its JS thread, V8's GC helper threads, libuv's pool) runs on
    that one CPU; with None it may use every CPU (``taskset`` undoes the pin it would inherit).
    """

    def __init__(self, fixture: Fixture, *, cpu: int | None) -> None:
        node = shutil.which("node")
        if node is None:
            raise SystemExit("node is not installed: the Digital Bazaar reference cannot run")
        ensure_node_modules()
        taskset = shutil.which("taskset")
        cpus = [cpu] if cpu is not None else list(range(os.cpu_count() or 1))
        prefix = [taskset, "-c", ",".join(map(str, cpus))] if taskset else []

        def set_affinity() -> None:  # used only when taskset is missing
            os.sched_setaffinity(0, cpus)

        fallback = set_affinity if not taskset and hasattr(os, "sched_setaffinity") else None
        with tempfile.TemporaryDirectory(prefix="accolade-bench-") as folder:
            input_path = Path(folder) / "input.json"
            write_node_input(fixture, input_path)
            self._process = subprocess.Popen(
                [*prefix, node, str(JS_DIR / "issue_verify.mjs"), str(input_path)], cwd=JS_DIR,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, preexec_fn=fallback)
            self.info = self._read()  # the input file is read before "ready"
        if not self.info.get("ready"):
            raise SystemExit(f"Node reference did not start: {self.info}")

    def warm(self, target: str, seconds: float) -> None:
        self._ask({"op": "warmup", "target": target, "seconds": seconds})

    def round(self, target: str, seconds: float) -> Round:
        answer = self._ask({"op": "round", "target": target, "seconds": seconds})
        return Round(samples=[ms / 1000 for ms in answer["samples_ms"]], wall=answer["wall_ms"] / 1000,
                     cpu=answer["cpu_ms"] / 1000, gc=answer["gc_ms"] / 1000)

    def close(self) -> dict[str, Any]:
        answer = self._ask({"op": "exit"})
        self._process.wait(timeout=30)
        return answer

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait(timeout=30)
            raise SystemExit(f"Node reference stopped (exit code {code}); its stderr is above")
        return json.loads(line)
