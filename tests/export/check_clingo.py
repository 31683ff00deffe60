#!/usr/bin/env python3
"""Holds `sphere kb export --clingo` to sphere's interpreter: for every model given, exports the
knowledge base and the model's facts in clingo's syntax together with sphere's own answer
(`--answer`), runs clingo (from PyPI, pinned in tests/export/requirements.txt) on the export,
and compares every shown relation of clingo's answer set with sphere's. Any difference fails
loudly, with the first differing atoms of each relation.

    .venv/bin/python tests/export/check_clingo.py --sphere target/release/sphere facts/*.json

Exit 0 when every model agrees, 1 on a difference, 2 on a usage or export error.
"""

import argparse
import collections
import subprocess
import sys
import tempfile
from pathlib import Path

import clingo

SHOWN_PER_RELATION = 10


def atoms(files):
    """The atoms shown in the one answer set of `files` (a stratified program has exactly one)."""
    ctl = clingo.Control(["--warn=none", "0"])
    for f in files:
        ctl.load(str(f))
    ctl.ground([("base", [])])
    models = []
    ctl.solve(on_model=lambda m: models.append(set(m.symbols(shown=True))))
    if len(models) != 1:
        raise SystemExit(f"error: clingo found {len(models)} answer sets for {files}, expected exactly one")
    return models[0]


def by_relation(symbols):
    out = collections.defaultdict(set)
    for s in symbols:
        out[f"{s.name}/{len(s.arguments)}"].add(s)
    return out


def check(sphere, model, work):
    out = work / model.stem
    run = subprocess.run(
        [sphere, "kb", "export", "--clingo", str(out), "--answer", str(model)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        print(run.stderr, file=sys.stderr)
        raise SystemExit(f"error: `sphere kb export` failed on {model} (exit {run.returncode})")
    got = by_relation(atoms([out / "program.lp", out / "facts.lp"]))
    want = by_relation(atoms([out / "answer.lp"]))
    problems = []
    for rel in sorted(set(got) | set(want)):
        missing = sorted(map(str, want[rel] - got[rel]))
        extra = sorted(map(str, got[rel] - want[rel]))
        if missing or extra:
            problems.append(f"  {rel}: {len(missing)} missing in clingo, {len(extra)} only in clingo")
            problems += [f"    missing {a}" for a in missing[:SHOWN_PER_RELATION]]
            problems += [f"    extra   {a}" for a in extra[:SHOWN_PER_RELATION]]
    tuples = sum(len(v) for v in want.values())
    if problems:
        print(f"FAIL {model}: clingo and sphere differ", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        return False
    print(f"ok   {model}: {len(want)} relations, {tuples} tuples agree")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sphere", required=True, help="the sphere binary")
    ap.add_argument("models", nargs="+", type=Path)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="sphere-export-") as tmp:
        for model in args.models:
            ok &= check(args.sphere, model, Path(tmp))
    if not ok:
        print("error: the clingo export is not faithful (see above)", file=sys.stderr)
        return 1
    print(f"clingo agrees with sphere on all {len(args.models)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
