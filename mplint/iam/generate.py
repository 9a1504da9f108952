"""A least-privilege identity policy for what a set of resources needs.

Every needed action (always needed, or triggered by a set property) is granted on the ARNs mplint
derived, `*` standing for the parts the manifest does not tell; `Resource: "*"` only for actions that
support nothing narrower. Actions that share the same resources form one statement. Handler
permissions that the manifest does not need are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from mplint.catalog.actions import ActionCatalog, get_catalog
from mplint.iam.arns import parse_arn
from mplint.iam.requirements import Requirement, ResourceNeeds, State
from mplint.iam.wildcard import arn_pattern_covers

VERSION = "2012-10-17"
GRANTED_STATES = (State.BASE, State.PROPERTY, State.MAYBE)


Condition = tuple[tuple[str, str], ...]  # (condition key, value): StringEquals, StringLike where a part is `*`


def grants(
    needs: Iterable[ResourceNeeds], catalog: ActionCatalog | None = None
) -> dict[tuple[str, Condition], list[str]]:
    """(action, condition) -> the resource patterns to grant it on (narrowest set that covers every requirement).

    A requirement's request context (the service a role is passed to) becomes the grant's condition when its
    resource is a pattern: the stack does not name the role, so the condition keeps the grant narrow. An action
    the IAM action catalog does not know is left out (see ``left_out``).
    """
    catalog = catalog or get_catalog()
    found: dict[tuple[str, Condition], set[str]] = {}
    for resource in needs:
        for req in resource.requirements:
            if req.state in GRANTED_STATES and catalog.action(req.action) is not None:
                pattern = _resource(req)
                condition = req.context if "*" in pattern else ()
                found.setdefault((req.action, condition), set()).add(pattern)
    return {key: _minimal(patterns) for key, patterns in found.items()}


def left_out(needs: Iterable[ResourceNeeds], catalog: ActionCatalog | None = None) -> list[str]:
    """Needed actions that are not IAM actions in the catalog: a generated policy cannot grant them."""
    catalog = catalog or get_catalog()
    return sorted(
        {
            req.action
            for resource in needs
            for req in resource.requirements
            if req.state in GRANTED_STATES and catalog.action(req.action) is None
        }
    )


def _resource(req: Requirement) -> str:
    return "*" if req.wildcard_only else req.arn


def _minimal(patterns: set[str]) -> list[str]:
    """Drop each pattern that another one covers."""
    if "*" in patterns:
        return ["*"]
    ordered = sorted(patterns, key=lambda p: (-p.count("*"), p))
    kept: list[str] = []
    for pattern in ordered:
        if not any(arn_pattern_covers(other, pattern) for other in kept):
            kept.append(pattern)
    return sorted(kept)


def policy(needs: Iterable[ResourceNeeds], catalog: ActionCatalog | None = None) -> dict:
    """The policy document: one statement per set of resources, actions and statements in a stable order."""
    catalog = catalog or get_catalog()
    by_resources: dict[tuple[tuple[str, ...], Condition], list[str]] = {}
    for (action, condition), resources in grants(needs, catalog).items():
        by_resources.setdefault((tuple(resources), condition), []).append(_spelled(action, catalog))
    statements = [_statement(actions, resources, condition) for (resources, condition), actions in by_resources.items()]
    statements.sort(key=lambda s: (s["Resource"] != ["*"], s["Action"][0].lower(), s["Resource"], "Condition" in s))
    _name(statements)
    for statement in statements:
        if len(statement["Resource"]) == 1:
            statement["Resource"] = statement["Resource"][0]
    return {"Version": VERSION, "Statement": statements}


def _statement(actions: list[str], resources: tuple[str, ...], condition: Condition) -> dict:
    statement: dict = {"Sid": "", "Effect": "Allow", "Action": sorted(set(actions), key=str.lower)}
    statement["Resource"] = list(resources)
    if condition:
        exact = {k: v for k, v in condition if "*" not in v}
        like = {k: v for k, v in condition if "*" in v}  # a part of the value the stack does not tell
        statement["Condition"] = {op: keys for op, keys in (("StringEquals", exact), ("StringLike", like)) if keys}
    return statement


def policy_json(needs: Iterable[ResourceNeeds], catalog: ActionCatalog | None = None) -> str:
    return json.dumps(policy(needs, catalog), indent=2) + "\n"


def _spelled(action: str, catalog: ActionCatalog) -> str:
    info = catalog.action(action)
    return info.full_name if info is not None else action


def _name(statements: list[dict]) -> None:
    """Sids from the services and resource types: `CloudformationAnyResource`, `KmsKey`, `S3Object2`."""
    seen: dict[str, int] = {}
    for statement in statements:
        base = _sid(statement["Action"], statement["Resource"])
        seen[base] = seen.get(base, 0) + 1
        statement["Sid"] = base if seen[base] == 1 else f"{base}{seen[base]}"


def _sid(actions: list[str], resources: list[str]) -> str:
    services = list(dict.fromkeys(a.split(":", 1)[0] for a in actions))
    head = "".join(_camel(s) for s in services[:2]) + ("More" if len(services) > 2 else "")
    if resources == ["*"]:
        return f"{head}AnyResource"
    parsed = parse_arn(resources[0])
    if parsed is None:
        return head
    if parsed.service == "s3":
        kind = "Object" if "/" in parsed.resource else "Bucket"
    else:
        kind = _camel(re.split(r"[/:]", parsed.resource, maxsplit=1)[0])
    return head + kind if not head.endswith(kind) else head


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)
