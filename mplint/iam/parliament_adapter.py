"""Run parliament (duo-labs, 1.6.x) as a library on one IAM policy document.

What this adds around `parliament.analyze_policy_string`:

- parliament is imported on first analysis, never when this module is imported.
- It imports without setuptools' `pkg_resources` (gone in setuptools >= 82): parliament uses only
  `pkg_resources.resource_filename`, and only while it is being imported, so unless `pkg_resources`
  is already imported a stub is put in `sys.modules` for that import and removed right after. The
  real module is not imported even when installed: it costs ~120 ms and warns that it is deprecated.
- parliament's IAM database (`parliament.iam_definition`, read from its `iam_definition.json` at
  import) is older than ours. One action it does not know makes a statement invalid, and an invalid
  statement silently switches off every policy-level check, privilege escalation included. So, once
  per process, every service and action that mplint's ActionCatalog has and parliament lacks is added
  to it, in its own format; what parliament already has is left as it is. With a results cache, the
  database so prepared is kept there and read back instead (`parliament_db`).
- parliament's two lookups into that database scan every service on every call; they are replaced by
  indexed equivalents (same results, order and exceptions; tested against the originals).
- Each analysis runs under a time limit (see `_run_with_limit`), and any exception raised inside
  parliament, such as its crash on condition keys of a type it does not know (`ArrayOfARN`), becomes
  a `Notification`, never a raise.
- Community auditors are opt-in; their finding types come from parliament's
  `community_auditors/config_override.yaml`, loaded the way parliament's CLI loads it.
- Private auditors are never run: parliament would execute any `*.py` in its `private_auditors` folder.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import importlib.util
import os
import re
import signal
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from msgspec import Struct, field

from mplint.findings import Level, Notification, Span
from mplint.iam import parliament_db, parliament_memo
from mplint.iam.parliament_json import config_tree

if TYPE_CHECKING:
    from mplint.catalog.actions import ActionCatalog, ServiceInfo

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0  # seconds; core checks take milliseconds, community auditors can take minutes

# -- the finding types parliament can report -------------------------------------------------------------


class ParliamentFindingType(Struct, frozen=True):
    """A finding type parliament can report: title, severity, group, origin and the mplint level for it."""

    title: str
    severity: str  # parliament's: CRITICAL, HIGH, MEDIUM, LOW
    group: str  # parliament's grouping
    origin: str  # "core" (config.yaml) or "community" (community_auditors/config_override.yaml)
    level: Level  # suggested mplint level
    positioned: str  # "always", "mostly", "never": whether parliament gives a line/column
    note: str = ""


def _core(
    title: str, severity: str, group: str, level: Level, positioned: str, note: str = ""
) -> ParliamentFindingType:
    return ParliamentFindingType(title, severity, group, "core", level, positioned, note)


def _community(title: str, severity: str, level: Level, positioned: str, note: str = "") -> ParliamentFindingType:
    return ParliamentFindingType(title, severity, "CUSTOM", "community", level, positioned, note)


_E, _W, _N = Level.ERROR, Level.WARNING, Level.NOTE

# Every finding type of parliament 1.6.4 (config.yaml + community_auditors/config_override.yaml).
FINDING_TYPES: dict[str, ParliamentFindingType] = {
    "EXCEPTION": _core(
        "An exception occurred during the audit.",
        "CRITICAL",
        "ERROR",
        _E,
        "mostly",
        "parliament caught its own error; the adapter turns it into a Notification, never an issue",
    ),
    "MALFORMED_JSON": _core("JSON is malformed", "CRITICAL", "ERROR", _E, "always", "overlaps MPL001 parse error"),
    "MALFORMED": _core(
        "Malformed",
        "HIGH",
        "MALFORMED",
        _E,
        "mostly",
        "unknown element, missing Effect/Action/Resource, Action+NotAction...; detail says which",
    ),
    "DUPLICATE_SID": _core("Duplicate Statement Ids", "HIGH", "MALFORMED", _W, "never", "detail names the Sid"),
    "RESOURCE_POLICY_PRIVILEGE_ESCALATION": _core(
        "Possible resource policy privilege escalation",
        "MEDIUM",
        "LOGICAL_INCONSISTANCY",
        _W,
        "never",
        "s3:PutBucketPolicy/PutBucketAcl/PutLifecycleConfiguration without the object action; policy-level",
    ),
    "UNKNOWN_PRINCIPAL": _core("Unknown AWS principal", "MEDIUM", "INVALID", _W, "always"),
    "UNKNOWN_FEDERATION_SOURCE": _core("Unknown federation source", "MEDIUM", "INVALID", _W, "always"),
    "MISMATCHED_TYPE_OPERATION_TO_NULL": _core(
        "Mismatched type of operator to null", "MEDIUM", "INVALID", _W, "always"
    ),
    "MISMATCHED_TYPE_BUT_USABLE": _core(
        "Mismatched type, but usable", "LOW", "INVALID", _N, "always", "e.g. StringEquals on an ARN key"
    ),
    "MISMATCHED_TYPE": _core("Mismatched type", "MEDIUM", "INVALID", _W, "always"),
    "UNKNOWN_ACTION": _core(
        "Unknown action",
        "LOW",
        "INVALID",
        _W,
        "always",
        "after the catalog patch, means unknown to mplint's catalog too; prefer the catalog's own check "
        "(it has `closest` suggestions)",
    ),
    "UNKNOWN_PREFIX": _core("Unknown prefix", "LOW", "INVALID", _W, "always", "as UNKNOWN_ACTION, for the service"),
    "UNKNOWN_CONDITION_FOR_ACTION": _core(
        "Unknown condition for action",
        "MEDIUM",
        "INVALID",
        _W,
        "always",
        "one finding per (key, expanded action): wildcards make many",
    ),
    "BAD_PATTERN_FOR_MFA": _core("Bad pattern used for MFA check", "MEDIUM", "BAD_PATTERN", _W, "always"),
    "INVALID_SID": _core("Invalid SID", "LOW", "INVALID", _N, "always"),
    "INVALID_ARN": _core("Invalid ARN", "MEDIUM", "INVALID", _W, "always"),
    "NO_VERSION": _core("Policy does not contain a Version element", "LOW", "NOT_IDEAL", _N, "never"),
    "INVALID_VERSION": _core("Invalid Version", "MEDIUM", "INVALID", _E, "always"),
    "OLD_VERSION": _core("Old version", "LOW", "OLD", _N, "always", "2008-10-17: policy variables are literal text"),
    "RESOURCE_MISMATCH": _core(
        "No resources match for the given action",
        "MEDIUM",
        "MALFORMED",
        _W,
        "always",
        "at the statement; detail lists {action, required_format}",
    ),
    "RESOURCE_STAR": _core(
        "Unnecessary use of Resource *", "LOW", "NOT_IDEAL", _N, "always", "at the statement; detail lists actions"
    ),
    "RESOURCE_EFFECTIVELY_STAR": _core(
        "Unnecessary use of Resource * based on wildcards", "LOW", "MALFORMED", _N, "always"
    ),
    "UNKNOWN_OPERATOR": _core("The condition operator is unknown.", "MEDIUM", "INVALID", _W, "always"),
    "PERMISSIONS_MANAGEMENT_ACTIONS": _community(
        "Permissions management actions", "MEDIUM", _W, "never", "location.actions lists them (lower case)"
    ),
    "PRIVILEGE_ESCALATION": _community(
        "Privilege escalation", "HIGH", _E, "never", "location.type names the method, location.actions the actions"
    ),
    "CREDENTIALS_EXPOSURE": _community("Credentials exposure", "MEDIUM", _W, "never", "location.actions"),
    "SENSITIVE_ACCESS": _community(
        "Sensitive resource access check",
        "HIGH",
        _E,
        "never",
        "only with SENSITIVE_ACCESS.resources configured (config_overrides)",
    ),
    "NOTPRINCIPAL_WITH_ALLOW": _community("NotPrincipal used with Allow effect", "MEDIUM", _W, "always"),
    "NOTRESOURCE_WITH_ALLOW": _community("NotResource used with Allow effect", "MEDIUM", _W, "always"),
    "SINGLE_VALUE_CONDITION_TOO_PERMISSIVE": _community(
        "A single value conditional is checked against a set of values",
        "MEDIUM",
        _W,
        "never",
        "parliament 1.6.4 only checks statements up to the first one without a Condition",
    ),
}

# -- results ----------------------------------------------------------------------------------------------


class ParliamentIssue(Struct, frozen=True):
    """One parliament finding, enhanced with its title, severity and description."""

    issue: str
    title: str
    severity: str
    description: str
    detail: Any  # str, list of str, or list of {"action", "required_format"} (RESOURCE_MISMATCH)
    line: int | None  # 1-based, in the text given to analyze_policy
    column: int | None  # 1-based, in characters
    location: dict[str, Any] = field(default_factory=dict)  # parliament's location, minus line/column/filepath


class ParliamentResult(Struct, frozen=True):
    """One parliament analysis: its issues, notifications, whether the policy checks ran, seconds taken."""

    issues: list[ParliamentIssue]
    notifications: list[Notification]
    policy_checks_ran: bool  # False: parliament skipped its policy-level checks (privesc, auditors)
    elapsed: float  # seconds


class _TimeLimit(BaseException):
    """Raised into the analysis when it runs out of time.

    A BaseException, not an Exception: parliament wraps each community auditor in `except Exception`
    and would otherwise swallow it and go on with the next auditor."""


# -- importing and patching parliament -------------------------------------------------------------------


def _pkg_resources_stub(definition_file: str | None = None) -> types.ModuleType:
    def resource_filename(package: str, resource: str) -> str:
        if definition_file is not None and resource == "iam_definition.json":
            return definition_file
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise ImportError(f"cannot locate package {package!r}")
        return os.path.join(os.path.dirname(spec.origin), resource)

    module = types.ModuleType("pkg_resources", "mplint stub: resource_filename only, for importing parliament")
    module.resource_filename = resource_filename  # type: ignore[attr-defined]
    return module


def _import_parliament(definition_file: str | None = None) -> types.ModuleType:
    """parliament, imported; with the stub, it reads its database from ``definition_file`` when one is given
    (an empty one, when the prepared database is kept: see `_patch`)."""
    if "parliament" in sys.modules:
        return sys.modules["parliament"]
    missing = object()
    previous = sys.modules.get("pkg_resources", missing)
    if previous is None or previous is missing:  # None: import blocked
        sys.modules["pkg_resources"] = _pkg_resources_stub(definition_file)
    try:
        with warnings.catch_warnings():
            # parliament's sources have invalid escapes ("\\d") and it leaves files open at import:
            # harmless, but fatal under `-W error` when its bytecode is not cached yet.
            for category in (DeprecationWarning, SyntaxWarning, ResourceWarning):
                warnings.simplefilter("ignore", category)
            import parliament
    finally:
        if previous is missing:
            sys.modules.pop("pkg_resources", None)  # nobody else should ever see the stub
        else:
            sys.modules["pkg_resources"] = previous
    return parliament


class PatchInfo(Struct, frozen=True):
    """What patching parliament's IAM database added, with parliament's and the catalog's versions."""

    parliament_version: str
    catalog_version: str
    services_added: int  # prefixes parliament did not know at all
    actions_added: int  # including those of services_added


_state_lock = threading.Lock()
_state: tuple[types.ModuleType, PatchInfo] | None = None
_failure: Exception | None = None

# parliament's translate_documentation_types knows these condition types; anything else crashes it.
_CONDITION_TYPES = {"ArrayOfARN": "ARN", "ArrayOfBool": "Bool", "IPAddress": "Ip"}
_KNOWN_CONDITION_TYPES = {"ARN", "Arn", "Bool", "Boolean", "Date", "Long", "Numeric", "String", "ArrayOfString", "Ip"}


def _parliament_type(kind: str) -> str:
    kind = _CONDITION_TYPES.get(kind, kind)
    return kind if kind in _KNOWN_CONDITION_TYPES else "String"


def _privilege(catalog: ActionCatalog, prefix: str, name: str) -> dict[str, Any]:
    access, resource_rows, keys = catalog.privilege_rows(prefix, name)
    rows = [
        {"resource_type": rt + ("*" if required else ""), "condition_keys": list(ks)}
        for rt, required, ks in resource_rows
    ]
    rows.append({"resource_type": "", "condition_keys": list(keys)})
    return {"privilege": name, "access_level": access, "resource_types": rows}


def _resources(service: ServiceInfo) -> list[dict[str, Any]]:
    return [{"resource": rt, "arn": arn, "condition_keys": []} for rt, arn in service.resource_types.items()]


def _conditions(service: ServiceInfo) -> list[dict[str, Any]]:
    return [{"condition": key, "type": _parliament_type(kind)} for key, kind in service.condition_keys.items()]


def _merge_into(entry: dict[str, Any], service: ServiceInfo, privileges: list[dict[str, Any]]) -> None:
    """Add privileges to parliament's entry, with the resource types and condition keys it lacks.
    Keys are compared exactly: parliament looks a key up by exact string and raises when it is missing."""
    entry["privileges"].extend(privileges)
    have_resources = {r["resource"] for r in entry["resources"]}
    entry["resources"].extend(r for r in _resources(service) if r["resource"] not in have_resources)
    have_keys = {c["condition"] for c in entry["conditions"]}
    entry["conditions"].extend(c for c in _conditions(service) if c["condition"] not in have_keys)


def _extend_definition(definition: list[dict[str, Any]], catalog: ActionCatalog) -> tuple[int, int]:
    """Add what parliament lacks: a new entry per unknown service, and the missing actions of a known
    service merged into its first entry. parliament scans the whole list on every lookup, so adding
    entries (rather than merging) would slow every analysis down."""
    first: dict[str, dict[str, Any]] = {}
    known: dict[str, set[str]] = {}
    for entry in definition:
        first.setdefault(entry["prefix"], entry)
        known.setdefault(entry["prefix"], set()).update(p["privilege"].lower() for p in entry["privileges"])
    services_added = actions_added = 0
    for prefix in catalog.prefixes:
        service = catalog.service(prefix)
        assert service is not None
        missing = [n for n in service.actions if n.lower() not in known.get(prefix, ())]
        if not missing:
            continue
        privileges = [_privilege(catalog, prefix, n) for n in missing]
        actions_added += len(missing)
        if prefix in first:
            _merge_into(first[prefix], service, privileges)
            continue
        entry = {"prefix": prefix, "service_name": service.name, "privileges": privileges}
        definition.append(entry | {"resources": _resources(service), "conditions": _conditions(service)})
        services_added += 1
    return services_added, actions_added


def _slim(definition: list[dict[str, Any]]) -> None:
    """Drop what parliament never reads of its database (the descriptions of privileges and condition keys,
    each privilege's dependent actions) and keep one copy of each name and key, one empty list for all the
    empty ones: 9 MiB less in every process that runs parliament, 20 ms to do. Each privilege is made with
    the service's resources and conditions that `get_privilege_info` adds to it (its own entry's: the
    same values), so no privilege's dict is resized when first looked up. What parliament reads is unchanged
    (tests/test_parliament_adapter.py compares it with parliament's file)."""
    one: dict[str, str] = {}
    empty: list[str] = []

    def names(values: list[str]) -> list[str]:
        return [one.setdefault(v, v) for v in values] if values else empty

    for entry in definition:
        for i, privilege in enumerate(entry["privileges"]):
            for row in privilege["resource_types"]:
                row.pop("dependent_actions", None)
                row["resource_type"] = one.setdefault(row["resource_type"], row["resource_type"])
                row["condition_keys"] = names(row["condition_keys"])
            entry["privileges"][i] = {  # with the two keys get_privilege_info sets: no dict grows on first use
                "privilege": privilege["privilege"],
                "access_level": one.setdefault(privilege["access_level"], privilege["access_level"]),
                "resource_types": privilege["resource_types"],
                "service_resources": entry["resources"],
                "service_conditions": entry["conditions"],
            }
        for resource in entry["resources"]:
            resource["condition_keys"] = names(resource["condition_keys"])
        for condition in entry["conditions"]:
            condition.pop("description", None)
            condition["condition"] = one.setdefault(condition["condition"], condition["condition"])


def _indexed_lookups(parliament: types.ModuleType) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Drop-in replacements for parliament's `expand_action` and `statement.get_privilege_info`, same
    results, same exceptions, same order, same side effects, but indexed by prefix instead of scanning
    every service for every call (they were ~60% of parliament's time over the managed policies).

    A service is indexed when first asked about, so a run pays for the services its policies name. Each
    privilege has one `{"service", "action"}` dict, which every expansion naming it shares: the cached
    expansions (`s3:*`, `ec2:Describe*`, ...) hold references, not copies. parliament only reads them."""
    definition = parliament.iam_definition
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    for entry in definition:
        by_prefix.setdefault(entry["prefix"], []).append(entry)
    named: dict[int, list[tuple[str, dict[str, str]]]] = {}  # id(entry) -> (lower-case name, dict) per privilege
    literal: dict[str, dict[str, list[dict[str, str]]]] = {}  # prefix -> lower-case name -> matches, in order
    privileges: dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]] = {}  # prefix -> name -> first

    def names_of(entry: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
        found = named.get(id(entry))  # the entries live as long as the process
        if found is None:
            found = [
                (p["privilege"].lower(), {"service": entry["prefix"], "action": p["privilege"]})
                for p in entry["privileges"]
            ]
            found = named.setdefault(id(entry), found)  # a thread that got here first: its dicts are the ones
        return found

    # Each index is built whole, then stored in one step: a time limit raised into the analysis (or another
    # thread asking at the same moment) never sees, nor leaves behind, half of one.
    def literal_of(prefix: str) -> dict[str, list[dict[str, str]]]:
        found = literal.get(prefix)
        if found is None:
            found = {}
            for entry in by_prefix.get(prefix, ()):
                for low, item in names_of(entry):
                    found.setdefault(low, []).append(item)
            if prefix in by_prefix:
                literal[prefix] = found
        return found

    def privileges_of(prefix: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        found = privileges.get(prefix)
        if found is None:
            found = {}
            for entry in by_prefix.get(prefix, ()):
                for privilege in entry["privileges"]:
                    found.setdefault(privilege["privilege"], (privilege, entry))
            if prefix in by_prefix:
                privileges[prefix] = found
        return found

    @functools.lru_cache(maxsize=16384)
    def expand_action(action: str, raise_exceptions: bool = True) -> list[dict[str, str]]:
        if action == "*":
            action = "*:*"
        parts = action.split(":")
        if len(parts) != 2:
            raise ValueError("Action should be in form service:action")
        prefix, unexpanded = parts
        if prefix != "*" and not any(c in unexpanded for c in "*?["):  # a plain name: no pattern to compile
            found = literal_of(prefix.lower()).get(unexpanded.lower())
            if found:
                return list(found)
        match = re.compile(fnmatch.translate(unexpanded.lower())).match  # what fnmatchcase does
        entries = definition if prefix == "*" else by_prefix.get(prefix.lower(), [])
        actions = []
        for entry in entries:
            if not entry["privileges"] and prefix != "*" and unexpanded.lower() == "*":
                return []
            actions += [item for low, item in names_of(entry) if match(low)]
        if not entries and raise_exceptions:
            raise parliament.UnknownPrefixException(f"Unknown prefix {prefix}")
        if not actions and raise_exceptions:
            raise parliament.UnknownActionException(f"Unknown action {prefix}:{unexpanded}")
        return actions

    def get_privilege_info(service: str, action: str) -> dict[str, Any]:
        found = privileges_of(service).get(action)
        if found is None:
            raise parliament.UnknownActionException(f"Unknown action {service}:{action}")
        privilege, entry = found
        privilege["service_resources"] = entry["resources"]
        privilege["service_conditions"] = entry["conditions"]
        return privilege

    return expand_action, get_privilege_info


# parliament's own functions, kept for the equivalence tests
ORIGINAL_LOOKUPS: dict[str, Callable[..., Any]] = {}


def _install_lookups(parliament: types.ModuleType) -> None:
    statement = sys.modules["parliament.statement"]
    ORIGINAL_LOOKUPS.update(expand_action=parliament.expand_action, get_privilege_info=statement.get_privilege_info)
    expand_action, get_privilege_info = _indexed_lookups(parliament)
    # Each module bound the names at import (`from . import expand_action`); rebind them all.
    # Community auditors are imported later, from `parliament`, and so get the new one.
    for module in (parliament, sys.modules["parliament.policy"], statement):
        module.expand_action = expand_action
    statement.get_privilege_info = get_privilege_info
    parliament_memo.install(statement, parliament.iam_definition)


def _load_community_config(parliament: types.ModuleType) -> None:
    """What parliament's cli does for --include-community-auditors (`override_config(path)`): add the
    community finding types to its config. Done here because override_config leaves the file open."""
    import yaml

    path = os.path.join(os.path.dirname(parliament.__file__), "community_auditors", "config_override.yaml")
    with open(path, encoding="utf-8") as handle:
        overrides = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    for issue, settings in overrides.items():
        parliament.config.setdefault(issue, {}).update(settings)


def prepare() -> PatchInfo:
    """Import and patch parliament (once per process); returns what was added. Safe to call repeatedly."""
    return _prepared()[1]


def _prepared() -> tuple[types.ModuleType, PatchInfo]:
    global _state, _failure
    with _state_lock:
        if _failure is not None:
            raise _failure  # a half-done patch must not be redone on top of itself
        if _state is None:
            try:
                _state = _patch()
            except Exception as exc:
                _failure = exc
                raise
        return _state


def _patch() -> tuple[types.ModuleType, PatchInfo]:
    store = parliament_db.kept_in()
    source = parliament_db.definition_file() if store is not None else None
    kept = parliament_db.load(store, source) if store is not None and source is not None else None
    empty = parliament_db.empty_definition(store) if store is not None and kept is not None else None
    parliament = _import_parliament(empty)
    if kept is not None and empty is not None and parliament.iam_definition == []:
        parliament.iam_definition.extend(kept.definition)  # in place: parliament's modules bound this list
        prepared = kept
    else:
        prepared = _prepare_definition(parliament.iam_definition)
        if store is not None and source is not None and parliament.iam_definition_path == source:
            parliament_db.save(store, source, prepared)
    _install_lookups(parliament)  # after the extension: the indexes are built from it
    _load_community_config(parliament)
    info = PatchInfo(parliament.__version__, prepared.catalog_version, prepared.services_added, prepared.actions_added)
    return parliament, info


def _prepare_definition(definition: list[dict[str, Any]]) -> parliament_db.Prepared:
    from mplint.catalog.actions import get_catalog

    catalog = get_catalog()
    services, actions = _extend_definition(definition, catalog)
    _slim(definition)
    return parliament_db.Prepared(definition, catalog.version.version, services, actions)


# -- time limit ------------------------------------------------------------------------------------------


def _run_with_limit(fn: Callable[[], T], seconds: float | None) -> T:
    """Run fn, raising _TimeLimit in it after `seconds`.

    On the main thread (the CLI) a SIGALRM timer interrupts the analysis wherever it is, and nothing
    is left running. Signals only reach the main thread, so elsewhere (an editor server, a thread
    pool) the analysis runs in a worker thread and is stopped with an asynchronous exception, which
    CPython delivers between bytecodes: parliament is pure Python, so it stops promptly."""
    if not seconds or seconds <= 0:
        return fn()
    if _alarm_usable():
        return _run_with_alarm(fn, seconds)
    return _run_in_thread(fn, seconds)


def _alarm_usable() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # someone else's timer is running: keep off
    )


def _run_with_alarm(fn: Callable[[], T], seconds: float) -> T:
    def on_alarm(signum: int, frame: object) -> None:
        raise _TimeLimit()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _run_in_thread(fn: Callable[[], T], seconds: float) -> T:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, name="mplint-parliament", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        _raise_in_thread(worker)
        worker.join(1.0)
        raise _TimeLimit()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _raise_in_thread(worker: threading.Thread) -> None:
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident or 0), ctypes.py_object(_TimeLimit))


# -- analysis --------------------------------------------------------------------------------------------


def _merged_config(parliament: types.ModuleType, overrides: Mapping[str, Mapping[str, Any]] | None) -> dict:
    if not overrides:
        return parliament.config
    merged = copy.deepcopy(parliament.config)
    for issue, settings in overrides.items():
        merged.setdefault(issue, {}).update(settings)
    return merged


def _to_issue(finding: Any, config: Mapping[str, Any]) -> ParliamentIssue:
    settings = config.get(finding.issue, {})
    location = dict(finding.location or {})
    line, lineno = location.pop("line", None), location.pop("lineno", None)  # parliament uses both names
    column = location.pop("column", None)
    location.pop("filepath", None)
    return ParliamentIssue(
        issue=finding.issue,
        title=settings.get("title", finding.issue).strip(),
        severity=settings.get("severity", "MEDIUM"),
        description=settings.get("description", ""),
        detail=finding.detail,
        line=line if line is not None else lineno,
        column=column,
        location=location,
    )


def _span(path: str | None, line: int | None = None, column: int | None = None) -> Span | None:
    if path is None:
        return None
    return Span.point(path, line or 1, column or 1)


def _policy_checks_ran(policy: Any) -> bool:
    if policy.policy_json is None or not policy.is_valid:
        return False
    return not any(f.issue == "MALFORMED" for f in policy._findings)


def _skipped_note(policy: Any, path: str | None) -> Notification | None:
    """Say why parliament skipped its policy-level checks: the findings that made a statement invalid
    (unknown action or prefix, invalid ARN, malformed statement, invalid Sid)."""
    if policy.policy_json is None:
        return None  # MALFORMED_JSON says it all
    causes = [f for s in policy.statements if not s.is_valid for f in s.findings] or list(policy._findings)
    named = sorted({f"{f.issue} {f.location.get('string', '')}".strip() for f in causes})
    message = "parliament skipped its policy-level checks (privilege escalation, auditors)"
    return Notification(f"{message}: {'; '.join(named)}" if named else message, level=Level.NOTE, span=_span(path))


def _describe_error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]


def analyze_policy(
    text: str,
    *,
    path: str | None = None,
    include_community_auditors: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    config_overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> ParliamentResult:
    """Run parliament on one JSON policy document. Never raises for anything parliament does.

    path: only used for notification spans. timeout: seconds per attempt (None or 0: no limit); when
    the community auditors run out of time, the core checks are run again alone so their findings are
    not lost. config_overrides: per-call settings by finding type, as in a parliament --config file
    (e.g. {"SENSITIVE_ACCESS": {"resources": [{"s3:GetObject": ["arn:aws:s3:::secrets/*"]}]}}).
    """
    started = time.perf_counter()
    try:
        parliament, _ = _prepared()
    except Exception as exc:  # not installed, broken install: a tool notification
        note = Notification(f"parliament unavailable: {_describe_error(exc)}", span=_span(path))
        return ParliamentResult([], [note], False, time.perf_counter() - started)

    config = _merged_config(parliament, config_overrides)
    notes: list[Notification] = []
    outcome = _attempt(parliament, text, path, config, include_community_auditors, timeout)
    if isinstance(outcome, _TimeLimit) and include_community_auditors:
        message = f"parliament's community auditors did not finish within {timeout:g} s; only its core checks ran"
        notes.append(Notification(message, span=_span(path), transient=True))
        outcome = _attempt(parliament, text, path, config, False, timeout)
    elapsed = time.perf_counter() - started
    if isinstance(outcome, ParliamentResult):
        return ParliamentResult(outcome.issues, notes + outcome.notifications, outcome.policy_checks_ran, elapsed)
    if isinstance(outcome, _TimeLimit):
        message = f"parliament did not finish within {timeout:g} s; its checks were skipped"
    else:
        message = f"parliament crashed, its checks were skipped: {_describe_error(outcome)}"
    note = Notification(message, span=_span(path), transient=isinstance(outcome, _TimeLimit))
    return ParliamentResult([], [*notes, note], False, elapsed)


def _attempt(
    parliament: types.ModuleType,
    text: str,
    path: str | None,
    config: Mapping[str, Any],
    community: bool,
    timeout: float | None,
) -> ParliamentResult | _TimeLimit | Exception:
    def run() -> Any:
        tree = config_tree(text)
        if tree is None:  # not compact JSON: jsoncfg parses it (and reports what is wrong with it)
            return parliament.analyze_policy_string(
                text, filepath=path, ignore_private_auditors=True, include_community_auditors=community, config=config
            )
        policy = parliament.policy.Policy(tree, path, config)  # what analyze_policy_string does after parsing
        policy.analyze(True, None, community)
        return policy

    try:
        return _collect(_run_with_limit(run, timeout), config, path)
    except _TimeLimit as exc:
        return exc
    except Exception as exc:  # parliament's own crashes
        return exc


def _collect(policy: Any, config: Mapping[str, Any], path: str | None) -> ParliamentResult:
    issues: list[ParliamentIssue] = []
    notes: list[Notification] = []
    for finding in policy.findings:
        issue = _to_issue(finding, config)
        if issue.issue == "EXCEPTION":
            where = issue.location.get("community_auditor") or issue.location.get("string") or "a statement"
            span = _span(path, issue.line, issue.column)
            notes.append(Notification(f"parliament error in {where}: {issue.detail}", span=span))
        else:
            issues.append(issue)
    ran = _policy_checks_ran(policy)
    skipped = None if ran else _skipped_note(policy, path)
    notes.extend([skipped] if skipped else [])
    issues.sort(key=lambda i: (i.line or 0, i.column or 0, i.issue))
    return ParliamentResult(issues, notes, ran, 0.0)
