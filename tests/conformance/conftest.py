"""pytest set-up for the conformance run.

The plugin reads its YAML suites with `yaml.safe_load`, PyYAML's pure-Python loader, which
takes almost two minutes for the large harvested cases (LUBM, hmmer). The C loader (libyaml,
shipped in PyYAML's wheels) accepts the same safe subset and builds the same objects, so when
it is there, `safe_load` is pointed at it for this run.
"""

from __future__ import annotations

from typing import Any

import yaml

if getattr(yaml, "__with_libyaml__", False):

    def _safe_load_with_libyaml(stream: Any) -> Any:
        return yaml.load(stream, Loader=yaml.CSafeLoader)

    yaml.safe_load = _safe_load_with_libyaml
