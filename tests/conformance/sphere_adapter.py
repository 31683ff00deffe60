"""datalog-conformance adapter: evaluates each case with the built `sphere eval --json`.

The binary is taken from the environment variable SPHERE_BIN (a path, relative to the working
directory), else from `target/release/sphere` in this repository. The adapter sends the case
as `{"facts": ..., "rules": [...]}` on stdin and reads `{"relations": ...}` back, or, on exit
code 2, `{"error": {...}, "errors": [...]}`, which it raises as a `SphereError`.

Error codes. sphere's codes are stable (`error[code]`); the suite names expected errors in
its own vocabulary. Where the suite uses our name (`unbound_variable`, `arity_mismatch`,
`cyclic_negation`) the exception's `code` is our code. The suite has no name for our other
two safety codes, `unsafe_negation` and `wildcard_in_head`, and says `safety_violations` (a
code) or `SafetyViolationError` (an exception class) for them, so those two carry the code
`safety_violations`, and every safety error (those two and `unbound_variable`) is raised as a
`SafetyViolationError`. Our own code stays available as `sphere_code`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from datalog_conformance import Model, Program

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / "target" / "release" / "sphere"

# Our safety codes: a rule whose variables are not all bound (range restriction).
SAFETY_CODES = frozenset({"unbound_variable", "unsafe_negation", "wildcard_in_head"})
# Our codes the suite has no name of its own for, mapped to its generic one.
SUITE_CODE = {
    "unsafe_negation": "safety_violations",
    "wildcard_in_head": "safety_violations",
}

# Several cases share one program and assert different relations of it (one case per
# relation); evaluating a program once is enough. Keyed by the exact JSON request.
_RESULTS: dict[str, dict[str, Any]] = {}

# Generous: the largest case (LUBM, 130k facts) takes a few seconds in a release build.
TIMEOUT_SECONDS = 300


class SphereError(Exception):
    """`sphere eval --json` rejected the program.

    `code` is the code in the suite's vocabulary (see the module docs), `sphere_code` ours,
    `errors` every diagnostic as sphere reported it.
    """

    def __init__(self, sphere_code: str, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{sphere_code}: {message}")
        self.sphere_code = sphere_code
        self.code = SUITE_CODE.get(sphere_code, sphere_code)
        self.errors = errors


class SafetyViolationError(SphereError):
    """A safety (range restriction) error: `unbound_variable`, `unsafe_negation` or
    `wildcard_in_head`."""


class SphereCrash(RuntimeError):
    """sphere did something an adapter cannot read: a crash, a timeout, output not JSON."""


def sphere_binary() -> Path:
    configured = os.environ.get("SPHERE_BIN")
    binary = Path(configured) if configured else DEFAULT_BINARY
    if not binary.is_file():
        raise SphereCrash(
            f"sphere binary not found at {binary}; build it with `cargo build --release` "
            "or set SPHERE_BIN"
        )
    return binary


def request_json(program: Program) -> str:
    facts = {rel: [list(row) for row in rows] for rel, rows in program.facts.items()}
    return json.dumps({"facts": facts, "rules": list(program.rules)}, sort_keys=True)


def run_sphere(request: str) -> dict[str, Any]:
    """Runs `sphere eval --json` on one request and returns its parsed stdout."""

    cached = _RESULTS.get(request)
    if cached is not None:
        return cached
    try:
        proc = subprocess.run(
            [str(sphere_binary()), "eval", "--json"],
            input=request.encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "NO_COLOR": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        raise SphereCrash(f"sphere eval --json took more than {TIMEOUT_SECONDS}s") from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in (0, 2):
        raise SphereCrash(f"sphere eval --json exited with {proc.returncode}:\n{stderr}")
    try:
        output = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise SphereCrash(f"sphere eval --json wrote no JSON ({exc}):\n{stderr}") from exc
    if not isinstance(output, dict):
        raise SphereCrash(f"sphere eval --json wrote {type(output).__name__}, not an object")
    if (proc.returncode == 0) != ("relations" in output):
        raise SphereCrash(
            f"sphere eval --json exited with {proc.returncode} but wrote {sorted(output)}"
        )
    _RESULTS[request] = output
    return output


def raise_error(output: dict[str, Any]) -> None:
    error = output.get("error")
    errors = output.get("errors")
    if not isinstance(error, dict) or not isinstance(errors, list):
        raise SphereCrash(f"malformed error output: {output!r}")
    code = str(error.get("code", ""))
    message = str(error.get("message", ""))
    cls = SafetyViolationError if code in SAFETY_CODES else SphereError
    raise cls(code, message, errors)


class SphereEvaluator:
    """The evaluator the suite's runner calls (`--datalog-evaluator=sphere_adapter.SphereEvaluator`)."""

    def evaluate(self, program: Program) -> Model:
        output = run_sphere(request_json(program))
        if "relations" not in output:
            raise_error(output)
        relations = output["relations"]
        if not isinstance(relations, dict):
            raise SphereCrash(f"`relations` is {type(relations).__name__}, not an object")
        return Model(
            facts={name: {tuple(row) for row in rows} for name, rows in relations.items()}
        )
