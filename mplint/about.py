"""What `mplint --version` prints: the version and where the bundled data comes from, read from the data's small
provenance files (never the data itself), with nothing else imported."""

from __future__ import annotations

import json
from pathlib import Path

from mplint import __version__

DATA = Path(__file__).parent / "data"


def version_text() -> str:
    return f"mplint {__version__}\n{data_versions()}\n"


def data_versions() -> str:
    try:
        actions = json.loads((DATA / "iam-actions.meta.json").read_text(encoding="utf-8"))
        schemas = json.loads((DATA / "schemas.meta.json").read_text(encoding="utf-8"))
        date = (actions.get("updated_at") or "?")[:10]
        iam = f"{actions['package']} {actions['version']} ({date}, {actions['actions']} actions)"
        values = json.loads((DATA / "values.meta.json").read_text(encoding="utf-8"))
        source = f"{schemas.get('source', '?')} {schemas.get('version', '?')}"
        value_data = f"{values['source']} {values['version']} (instance types, engine versions, runtimes)"
        native = json.loads((DATA / "aws-native.meta.json").read_text(encoding="utf-8"))
        provider = (
            f"{native['repo']} {native['commit'][:8]} ({native['commit_date'][:10]}, {native['services']} services, "
            f"{native['resources']} resources, {native['methods']} methods)"
        )
        deps = json.loads((DATA / "iam-dependent-actions.meta.json").read_text(encoding="utf-8"))
        dependents = f"{deps['package']} {deps['version']} ({deps['actions']} actions with dependents)"
        lines = [f"resource schemas: {source} ({schemas.get('types', '?')} types)", f"IAM actions: {iam}"]
        lines += [f"value data: {value_data}", f"native aws provider: {provider}"]
        return "\n".join([*lines, f"IAM dependent actions: {dependents}"])
    except Exception as exc:  # a damaged install still prints its version
        return f"bundled data unreadable: {exc}"
