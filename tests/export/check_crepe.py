#!/usr/bin/env python3
"""Holds the crate of `sphere kb export --crepe` to `sphere check`: exports the shipped
knowledge base as a crate, builds it with `cargo build --release` alone (into a target
directory of its own, kept between runs, so that crepe's dependencies are built once; the
crate, exported into a new temporary directory each run, is rebuilt), runs its binary
on the facts of every model given and of generated models (`sphere gen --subjects N/10
--activities N --seed S`), and compares its findings with sphere's: the same findings, each
with the same id, rule, activity or object, subjects, date, norm versions, decision and
severity. Any difference fails loudly, with the first differing findings. Before building it
checks the export's `Cargo.lock` (`cargo metadata --locked`) and that no package of it needs a
newer Rust than the crate's `rust-version`; the build itself is `--locked` too.

    python3 tests/export/check_crepe.py --sphere target/release/sphere \\
        --target-dir target/crepe facts/*.json --generated 10000:1,10000:2

Exit 0 when every model agrees, 1 on a difference, 2 on a usage, export or build error.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHOWN = 10
FIELDS = ("id", "rule", "activity", "object", "subjects", "date", "decision", "severity")


def run(cmd, what, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode not in (0, 1):
        print(r.stderr, file=sys.stderr)
        raise SystemExit(f"error: {what} failed (exit {r.returncode}): {' '.join(map(str, cmd))}")
    return r


def summary(finding):
    out = {k: finding.get(k) for k in FIELDS}
    out["norms"] = [(n["id"], n["version_from"]) for n in finding["norms"]]
    return out


def findings(doc):
    """Each finding as canonical JSON text (ids alone may repeat: they leave the date out)."""
    return sorted(json.dumps(summary(f), sort_keys=True) for f in json.loads(doc)["findings"])


def compare(name, crepe, sphere):
    got, want = findings(crepe), findings(sphere)
    if got == want:
        print(f"{name}: {len(got)} findings, identical")
        return True
    print(f"{name}: the crate and sphere differ ({len(got)} and {len(want)} findings)", file=sys.stderr)
    for what, a, b in (("only sphere", want, got), ("only the crate", got, want)):
        for f in sorted(set(a) - set(b))[:SHOWN]:
            print(f"  {what}: {f}", file=sys.stderr)
    return False


def version_key(v):
    """`1.85` and `1.85.0` alike."""
    parts = [int(p) for p in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def check_rust_version(crate):
    """The crate's `rust-version` is no older than any package of its `Cargo.lock` needs
    (`cargo metadata --locked`, which also fails when the lock is incomplete)."""
    r = run(["cargo", "metadata", "--locked", "--format-version", "1", "--manifest-path",
             crate / "Cargo.toml"], "cargo metadata --locked on the exported crate")
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        raise SystemExit("error: cargo metadata --locked failed on the exported crate")
    packages = json.loads(r.stdout)["packages"]
    own = next(p for p in packages if p["name"] == "sphere-kb-crepe")
    declared = own.get("rust_version")
    if not declared:
        raise SystemExit("error: the exported crate declares no rust-version")
    newer = [f"{p['name']} {p['version']} needs {p['rust_version']}" for p in packages
             if p.get("rust_version") and version_key(p["rust_version"]) > version_key(declared)]
    if newer:
        raise SystemExit(f"error: the exported crate declares rust-version {declared}, but "
                         + "; ".join(newer)
                         + "\n  hint: raise RUST_VERSION in crates/codegen/src/crepe.rs")
    print(f"rust-version {declared}: no package of the lock needs a newer Rust")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sphere", required=True, help="the sphere binary")
    ap.add_argument("--target-dir", required=True, help="cargo target directory for the crate")
    ap.add_argument("--generated", default="", help="ACTIVITIES:SEED,... generated models to check")
    ap.add_argument("models", nargs="*", type=Path)
    args = ap.parse_args()
    sphere = str(Path(args.sphere).resolve())
    target = Path(args.target_dir).resolve()
    ok = True
    with tempfile.TemporaryDirectory(prefix="sphere-crepe-") as tmp:
        work = Path(tmp)
        crate = work / "crate"
        run([sphere, "kb", "export", "--crepe", crate], "sphere kb export --crepe")
        check_rust_version(crate)
        started = time.monotonic()
        # --locked: the Cargo.lock the export carries must be complete as written.
        build = subprocess.run(
            ["cargo", "build", "--release", "--locked", "--manifest-path", crate / "Cargo.toml"],
            env={**os.environ, "CARGO_TARGET_DIR": str(target)},
        )
        if build.returncode != 0:
            raise SystemExit(f"error: the exported crate does not build (exit {build.returncode})")
        print(f"built the exported crate in {time.monotonic() - started:.0f} s")
        binary = target / "release" / "sphere-kb-crepe"
        models = [(m.stem, m) for m in args.models]
        for spec in filter(None, args.generated.split(",")):
            n, seed = (int(x) for x in spec.split(":"))
            model = work / f"gen-{n}-{seed}.json"
            run([sphere, "gen", "--subjects", str(max(n // 10, 1)), "--activities", str(n),
                 "--seed", str(seed), "-o", model], "sphere gen")
            models.append((f"generated {n} activities, seed {seed}", model))
        for name, model in models:
            facts = work / "facts" / Path(model).stem
            run([sphere, "facts", model, "-D", facts], "sphere facts")
            crepe = run([binary, facts], "the crate's binary")
            sphere_doc = run([sphere, "check", model, "--format", "json"], "sphere check")
            if crepe.returncode != sphere_doc.returncode:
                print(f"{name}: exit {crepe.returncode} from the crate, {sphere_doc.returncode} from sphere",
                      file=sys.stderr)
                ok = False
            ok = compare(name, crepe.stdout, sphere_doc.stdout) and ok
    if not ok:
        raise SystemExit(1)
    print(f"the crepe crate agrees with sphere on {len(models)} models")


if __name__ == "__main__":
    main()
