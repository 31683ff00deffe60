#!/usr/bin/env python3
"""Runs the rule tests of the knowledge base (`knowledge/**/*.tests.json`).

A stopgap until `sphere kb test` reads the same files: every case merges a test base model
(`knowledge/tests/base.json` unless the case names another) with the case's model fragment,
runs `sphere check --kb knowledge ... --format json`, and compares the findings with the
case's `expect` and `expect_not` lists. It then reports coverage: every finding rule must
fire in some case and be shown not firing in another.

Usage (from the repository root, after `cargo build`):

    python3 knowledge/tests/run_tests.py [SUBSTRING...]

The binary is `target/debug/sphere` unless the environment variable SPHERE names another.
Exit code 0 when every expectation holds and coverage is complete, 1 otherwise.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

KB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(KB)
SPHERE = os.environ.get("SPHERE", os.path.join(ROOT, "target", "debug", "sphere"))


def matches(finding, exp):
    about = finding.get("activity") or finding.get("object")
    if exp["rule"] != finding["rule"] or exp["about"] != about:
        return False
    return "subject" not in exp or exp["subject"] in finding["subjects"]


def cites(hits, citation):
    norm, _, version = citation.partition("@")
    return any(
        n["id"] == norm and (not version or n["version_from"] == version)
        for h in hits
        for n in h["norms"]
    )


def finding_rules():
    """Ids of the annotated rules that have a `decision` (finding rules)."""
    ids = set()
    for path in glob.glob(os.path.join(KB, "**", "*.dl"), recursive=True):
        text = open(path, encoding="utf-8").read()
        for m in re.finditer(r"^\.rule\s+(\w+)\s*\{(.*?)^\}", text, re.S | re.M):
            if re.search(r"^\s*decision:", m.group(2), re.M):
                ids.add(m.group(1))
    return ids


def main(filters):
    files = sorted(glob.glob(os.path.join(KB, "**", "*.tests.json"), recursive=True))
    if filters:
        files = [f for f in files if any(s in f for s in filters)]
    fired, quiet, failures = set(), set(), 0
    for path in files:
        doc = json.load(open(path, encoding="utf-8"))
        name = os.path.relpath(path, KB)
        if doc.get("format") != "sphere-kb-tests/1":
            print(f"FAIL {name}: format is not sphere-kb-tests/1")
            failures += 1
            continue
        for case in doc["cases"]:
            base = os.path.join(KB, case.get("base", "tests/base.json"))
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as t:
                json.dump(case["model"], t)
            cmd = [SPHERE, "check", "--kb", KB, base, t.name, "--format", "json"]
            if "as_of" in case:
                cmd += ["--as-of", case["as_of"]]
            run = subprocess.run(cmd, capture_output=True, text=True)
            os.unlink(t.name)
            if run.returncode not in (0, 1):
                print(f"FAIL {name} / {case['name']}: sphere check failed\n{run.stderr}")
                failures += 1
                continue
            found = json.loads(run.stdout)["findings"]
            for exp in case.get("expect", []):
                hits = [f for f in found if matches(f, exp)]
                ok = bool(hits) and all(cites(hits, c) for c in exp.get("cites", []))
                if "decision" in exp:
                    ok = ok and any(h["decision"] == exp["decision"] for h in hits)
                if ok:
                    fired.add(exp["rule"])
                    continue
                failures += 1
                print(f"FAIL {name} / {case['name']}: expected {exp}")
                for f in found:
                    about = f.get("activity") or f.get("object")
                    norms = [n["id"] + "@" + n["version_from"] for n in f["norms"]]
                    print(f"    got {f['rule']} {about} {f['subjects']} {norms} {f['decision']}")
            for exp in case.get("expect_not", []):
                if any(matches(f, exp) for f in found):
                    failures += 1
                    print(f"FAIL {name} / {case['name']}: unexpected {exp}")
                else:
                    quiet.add(exp["rule"])
    rules = finding_rules()
    never_fired = sorted(rules - fired)
    never_quiet = sorted(rules - quiet)
    print(f"{len(files)} test files, {len(rules)} finding rules, {failures} failures")
    if not filters:
        print(f"never fired: {never_fired or 'none'}")
        print(f"never shown quiet: {never_quiet or 'none'}")
        failures += len(never_fired) + len(never_quiet)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
