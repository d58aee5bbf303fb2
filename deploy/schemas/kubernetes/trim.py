"""Copy the Kubernetes schemas for the kinds deploy/ uses, with only the definitions they reach.

python deploy/schemas/kubernetes/trim.py <kubernetes_validate>/kubernetes-json-schema/v1.32.0-local-strict
(the `kubernetes-validate` package on PyPI ships kubernetes-json-schema's files).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

KINDS = ("deployment-apps-v1", "service-v1", "job-batch-v1", "poddisruptionbudget-policy-v1")
REF = re.compile(r'"\$ref": "(?:/api/_definitions\.json)?#/\$defs/([^"]+)"')


def main(source: Path, target: Path) -> None:
    definitions = json.loads((source / "_definitions.json").read_text())
    wanted: set[str] = set()
    todo = [name for kind in KINDS for name in REF.findall((source / f"{kind}.json").read_text())]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += REF.findall(json.dumps(definitions["$defs"][name]))
    trimmed = dict(definitions, **{"$defs": {k: definitions["$defs"][k] for k in sorted(wanted)}})
    (target / "_definitions.json").write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n")
    for kind in KINDS:
        (target / f"{kind}.json").write_text((source / f"{kind}.json").read_text())


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).parent / "v1.32.0-local-strict")
