"""A company with many systems, for the picture of the leaks at scale.

Takes the demo week (facts/demo_week.json) and adds SYSTEMS systems, run by fifty outside
parties (every fifth of them in the USA, without a transfer basis), each fed by a flow from
the CRM, and one done transfer activity per tenth system, so that the picture has marked
systems and leaks among a thousand plain ones. Deterministic.

    python3 tests/browser/big_model.py 1000 > target/systems-1000.json
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def build(systems: int) -> dict:
    model = json.loads((ROOT / "facts" / "demo_week.json").read_text())
    parties = 50
    for p in range(parties):
        model["parties"].append(
            {
                "id": f"party-gen-{p:02}",
                "name": f"Vendor {p:02}",
                "country": "US" if p % 5 == 0 else "DE",
            }
        )
    for s in range(systems):
        sid = f"sys-gen-{s:04}"
        party = f"party-gen-{s % parties:02}"
        us = (s % parties) % 5 == 0
        model["systems"].append(
            {
                "id": sid,
                "name": f"Tool {s:04}",
                "kind": "analytics",
                "operator": party,
                "hosting_country": "US" if us else "DE",
                "role": "processor",
            }
        )
        model["flows"].append(
            {
                "id": f"flow-gen-{s:04}",
                "from": "sys-crm",
                "to": sid,
                "categories": ["identity"],
                "purpose": "analytics",
                "mechanism": "api",
            }
        )
        if s % 10 == 0:
            model["activities"].append(
                {
                    "id": f"act-gen-{s:04}",
                    "kind": "transfer",
                    "date": "2025-06-11",
                    "status": "done",
                    "by": "staff-lena-hoffmann",
                    "system": sid,
                    "flow": f"flow-gen-{s:04}",
                    "subjects": ["subj-karl-kaufmann"],
                    "categories": ["identity"],
                    "purpose": "analytics",
                    "automated": True,
                }
            )
    return model


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    json.dump(build(n), sys.stdout, indent=1)
    sys.stdout.write("\n")
