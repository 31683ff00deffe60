"""The one test function of the conformance run.

datalog-conformance 0.1.0 ships its YAML cases and a pytest plugin that parametrizes any test
asking for the `yaml_test_case` fixture (and builds the evaluator named by
`--datalog-evaluator`, see pytest.ini), but no test function of its own: `pytest --pyargs
datalog_conformance` alone collects nothing. This file supplies that function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    # Imported for the annotation only: pytest would try to collect a class named `Test...`.
    from pathlib import Path

    from datalog_conformance import TestCase, YamlTestRunner


def test_case(yaml_test_case: tuple[Path, TestCase], runner: YamlTestRunner) -> None:
    _path, case = yaml_test_case
    if case.skip:
        pytest.skip(case.skip)
    runner.run_test_case(case)
