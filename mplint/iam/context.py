"""The request context of each required action: what its condition keys will hold, and where that comes from.

A deploy's requests are not a mystery: the stack tells the region and the tags, config tells the account
and the deploying principal, and how stackql-deploy reaches AWS tells the rest (docs/permissions.md, "The
request context", has the sources):

- the Cloud Control request itself and every native provider call are made by stackql-deploy directly:
  `aws:ViaAWSService` false, no `aws:CalledVia`;
- a Cloud Control resource handler calls the service with the caller's credentials (a forward access
  session made by CloudFormation): `aws:ViaAWSService` true, `aws:CalledVia`, `aws:CalledViaFirst` and
  `aws:CalledViaLast` `cloudformation.amazonaws.com`;
- a call that the resource's own service makes (an overlay with `called_by: service`, e.g. SageMaker to
  KMS) is a forward access session too, and carries the overlay's keys (`kms:ViaService`, ...);
- every call is over HTTPS (`aws:SecureTransport` true); `aws:CurrentTime` is never known.

A key no source tells is unknown, and a verdict that depends on it says so. A service's own key that the
IAM reference does not list for the action is absent from its requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from msgspec import Struct, field

from mplint.catalog.actions import get_catalog
from mplint.catalog.validator import Opaque
from mplint.iam import arns
from mplint.iam.arns import Place
from mplint.iam.conditions import UNKNOWN_VALUE, Partial, Unknown
from mplint.iam.overlays import Overlay, TypeOverlays
from mplint.iam.requirements import Origin, Requirement, ResourceNeeds
from mplint.project import Identity

CLOUDFORMATION = "cloudformation.amazonaws.com"
CALLED_VIA_SERVICES = frozenset({"athena", "cloudformation", "dynamodb", "kms"})  # IAM User Guide, aws:CalledVia
GLOBAL_ENDPOINTS = {"iam": "us-east-1", "organizations": "us-east-1", "route53": "us-east-1", "cloudfront": "us-east-1"}
HTTPS = "every call is made over HTTPS: stackql-deploy's to AWS endpoints, and services' to each other"
NO_TIME = "the time of the deploy is not known before it runs"
DIRECT = "the request is made by stackql-deploy itself, not by an AWS service on its behalf"
FAS = "the Cloud Control handler calls the service with the caller's credentials (a forward access session)"
BY_SERVICE = "the resource's service makes this call with the caller's credentials (a forward access session)"
NO_SOURCE = "only a service acting for a resource owner with its own service principal sets it"
Values = tuple[str, ...] | Unknown | None


class Fact(Struct, frozen=True):
    """One key of the request context: its values (None: the request has no such key) and their source."""

    key: str
    values: Values
    source: str

    def shown(self) -> str:
        if self.values is None:
            return "absent"
        if isinstance(self.values, Unknown):
            return "unknown"
        return ", ".join(self.values) if self.values else "(empty)"


class Family(Struct, frozen=True):
    """The keys under one prefix (`aws:PrincipalTag/`) when their whole set is known: any other is absent."""

    label: str  # aws:PrincipalTag/*
    members: tuple[Fact, ...]
    source: str  # why the set is complete

    @property
    def prefix(self) -> str:
        return self.label.removesuffix("*").lower()

    def get(self, key: str) -> Fact | None:
        lower = key.lower()
        if not lower.startswith(self.prefix):
            return None
        for member in self.members:
            if member.key.lower() == lower:
                return member
        return Fact(key, None, self.source)


class RequestContext:
    """What mplint assumes one request will carry. `values` answers the condition evaluator."""

    __slots__ = ("_absent_for", "_facts", "families", "signature")

    def __init__(self, facts: Iterable[Fact], families: Iterable[Family] = (), action: str | None = None) -> None:
        self._facts = {f.key.lower(): f for f in facts}
        self.families = tuple(families)
        self._absent_for = action
        self.signature = (
            tuple(sorted((k, f.values if not isinstance(f.values, Unknown) else "?") for k, f in self._facts.items())),
            tuple((fam.label, tuple((m.key, str(m.values)) for m in fam.members)) for fam in self.families),
        )

    def fact(self, key: str) -> Fact | None:
        lower = key.lower()
        found = self._facts.get(lower)
        if found is not None:
            return found
        for family in self.families:
            member = family.get(key)
            if member is not None:
                return member
        if self._absent_for is not None:
            reason = _not_listed(self._absent_for, key)
            if reason is not None:
                return Fact(key, None, reason)
        return None

    def values(self, key: str) -> Values:
        found = self.fact(key)
        return UNKNOWN_VALUE if found is None else found.values

    def facts(self) -> list[Fact]:
        """Every stated key, families' members included, in key order."""
        out = list(self._facts.values()) + [m for fam in self.families for m in fam.members]
        return sorted(out, key=lambda f: f.key.lower())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequestContext) and other.signature == self.signature

    def __hash__(self) -> int:
        return hash(self.signature)


@lru_cache(maxsize=4096)
def _not_listed(action: str, key: str) -> str | None:
    """A key of the action's own service that the IAM reference does not list for it is never in its requests."""
    service = action.partition(":")[0]
    prefix, colon, _ = key.partition(":")
    if not colon or prefix.lower() != service.lower():
        return None
    listed = get_catalog().condition_keys(action)
    if not listed or any(_key_pattern(k).fullmatch(key) for k in listed):
        return None
    return f"the IAM reference lists no `{key}` for `{action}`, so its requests do not carry it"


@lru_cache(maxsize=4096)
def _key_pattern(key: str) -> re.Pattern[str]:
    parts = re.split(r"(\$\{[^}]*\}|<[^>]*>)", key)
    return re.compile("".join(".+" if p.startswith(("${", "<")) else re.escape(p) for p in parts), re.IGNORECASE)


# ---------------------------------------------------------------------------
# What the stack and config tell


class Tags(Struct, frozen=True):
    """The tags a manifest resource sets: key -> value (UNKNOWN_VALUE when templated); `keys_known` False when
    a template hides which keys there are."""

    values: tuple[tuple[str, str | Unknown], ...] = ()
    keys_known: bool = True

    @classmethod
    def of(cls, values: list[Any]) -> Tags | None:
        """From the `Tags` values of every environment; None when the manifest sets no Tags."""
        maps = [_tag_map(v) for v in values if v not in (None, "", [], {})]
        if not maps:
            return None
        if any(m is None for m in maps):
            return cls((), keys_known=False)
        keys = [set(m) for m in maps if m is not None]
        if any(k != keys[0] for k in keys):
            return cls((), keys_known=False)
        merged: dict[str, str | Unknown] = {}
        for key in sorted(keys[0]):
            seen = {m[key] for m in maps if m is not None}
            merged[key] = seen.pop() if len(seen) == 1 else UNKNOWN_VALUE
        return cls(tuple(merged.items()))


def _tag_map(value: Any) -> dict[str, str | Unknown] | None:
    """A CloudFormation Tags value (a list of Key/Value or a map) as key -> value; None when not knowable."""
    pairs: list[tuple[Any, Any]]
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list) and all(isinstance(i, dict) for i in value):
        pairs = [(i.get("Key"), i.get("Value")) for i in value]
    else:
        return None
    out: dict[str, str | Unknown] = {}
    for key, item in pairs:
        if not isinstance(key, str) or isinstance(key, Opaque):
            return None
        out[key] = UNKNOWN_VALUE if isinstance(item, Opaque) or item is None else _text(item)
    return out


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class Principal(Struct, frozen=True):
    """What config says of the deploying principal."""

    facts: tuple[Fact, ...] = ()
    family: Family | None = None

    @classmethod
    def of(cls, identity: Identity | None, place: Place) -> Principal:
        if identity is None:
            return cls(_account_facts(None, place))
        where = "" if identity.name == "default" else f"identities.{identity.name}."
        facts = list(_account_facts(identity.principal, place, f"config `{where}principal`"))
        if identity.principal:
            facts += _principal_facts(identity.principal, f"config `{where}principal`")
        family = None
        if identity.tags is not None:
            key = "principal-tags" if identity.name == "default" else "tags"
            source = f"config `{where}{key}` (all of the principal's tags)"
            members = tuple(Fact(f"aws:PrincipalTag/{k}", (v,), source) for k, v in identity.tags.items())
            family = Family("aws:PrincipalTag/*", members, source)
        return cls(tuple(facts), family)


def _account_facts(principal: str | None, place: Place, source: str | None = None) -> tuple[Fact, ...]:
    if principal:
        return (Fact("aws:PrincipalAccount", (principal.split(":")[4],), source or "config"),)
    if place.account:
        return (Fact("aws:PrincipalAccount", (place.account,), "config `account`: the identity deploys in it"),)
    return ()


def _principal_facts(arn: str, source: str) -> list[Fact]:
    partition, account, resource = arn.split(":")[1], arn.split(":")[4], arn.split(":", 5)[5]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        role = rest.split("/")[0]
        return [
            Fact("aws:PrincipalArn", (f"arn:{partition}:iam::{account}:role/{role}",), f"{source} (its role)"),
            Fact("aws:PrincipalType", ("AssumedRole",), source),
            Fact("aws:username", None, f"{source}: a role session has no user name"),
        ]
    types = {"role": "AssumedRole", "user": "User", "root": "Account", "federated-user": "FederatedUser"}
    facts = [Fact("aws:PrincipalArn", (arn,), source), Fact("aws:PrincipalType", (types.get(kind, "Unknown"),), source)]
    if kind == "user":
        facts.append(Fact("aws:username", (rest.rsplit("/", 1)[-1],), source))
    else:
        facts.append(Fact("aws:username", None, f"{source}: only an IAM user has a user name"))
    return facts


class Stage(Struct):
    """What one resource of a stack tells every request it needs."""

    needs: ResourceNeeds
    overlays: TypeOverlays
    identity: Identity | None
    tags: Tags | None = None
    principal: Principal = field(default_factory=Principal)

    @classmethod
    def of(cls, needs: ResourceNeeds, overlays: TypeOverlays, identity: Identity | None) -> Stage:
        tags = Tags.of([pv.value for pv in needs.binding.values if pv.property == "Tags"])
        return cls(needs, overlays, identity, tags, Principal.of(identity, needs.place))

    @property
    def place(self) -> Place:
        return self.needs.place


def contexts(requirement: Requirement, stage: Stage) -> list[RequestContext]:
    """The distinct contexts the action is requested in (one per kind of call and operation that needs it)."""
    out: dict[RequestContext, None] = {}
    for need in requirement.needs:
        out[build(requirement, stage, need.origin, need.operation)] = None
    return list(out) or [build(requirement, stage, Origin.CLOUD_CONTROL, "read")]


def build(requirement: Requirement, stage: Stage, origin: Origin, operation: str) -> RequestContext:
    facts: dict[str, Fact] = {}

    def put(items: Iterable[Fact]) -> None:
        facts.update((f.key.lower(), f) for f in items)

    action = requirement.action
    by_service = any(o.called_by == "service" for o in requirement.overlays)
    put(_transport(action, stage.place))
    put(_caller(origin, by_service, stage))
    put(stage.principal.facts)
    put(_resource_account(requirement, stage))
    put(_overlay_facts(requirement.overlays, action, stage.place))
    put(_carried(requirement))
    families = [f for f in (stage.principal.family,) if f is not None]
    tag_facts, tag_families = _tag_facts(requirement, stage, operation)
    put(tag_facts)
    families += tag_families
    put(_stated(stage.identity))
    return RequestContext(facts.values(), families, action)


def _transport(action: str, place: Place) -> Iterator[Fact]:
    yield Fact("aws:SecureTransport", ("true",), HTTPS)
    yield Fact("aws:CurrentTime", UNKNOWN_VALUE, NO_TIME)
    yield Fact("aws:EpochTime", UNKNOWN_VALUE, NO_TIME)
    yield Fact("aws:Referer", None, "a programmatic request carries no Referer")
    yield Fact("aws:PrincipalIsAWSService", ("false",), "the deploying principal is an IAM identity, not a service")
    for key in ("aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths"):
        yield Fact(key, None, NO_SOURCE)
    service = action.partition(":")[0].lower()
    if service in GLOBAL_ENDPOINTS and action.lower() != "iam:passrole":
        if place.partition == "aws":
            region = GLOBAL_ENDPOINTS[service]
            yield Fact("aws:RequestedRegion", (region,), f"`{service}` has one global endpoint, in {region}")
        return
    if place.region:
        yield Fact("aws:RequestedRegion", (place.region,), "the stack's region")
    else:
        yield Fact("aws:RequestedRegion", UNKNOWN_VALUE, "the stack's region is a template mplint cannot resolve")


def _caller(origin: Origin, by_service: bool, stage: Stage) -> list[Fact]:
    if origin is Origin.HANDLER:
        via = (CLOUDFORMATION,)
        source = f"{FAS}; {BY_SERVICE}" if by_service else FAS
        return [
            Fact("aws:ViaAWSService", ("true",), source),
            Fact("aws:CalledVia", via, source),
            Fact("aws:CalledViaFirst", via, source),
            Fact("aws:CalledViaLast", via, source),
        ]
    if by_service:
        service = _service_of(stage)
        via = (f"{service}.amazonaws.com",) if service in CALLED_VIA_SERVICES else None
        return [
            Fact("aws:ViaAWSService", ("true",), BY_SERVICE),
            Fact("aws:CalledVia", via, BY_SERVICE),
            Fact("aws:CalledViaFirst", via, BY_SERVICE),
            Fact("aws:CalledViaLast", via, BY_SERVICE),
        ]
    return [
        Fact("aws:ViaAWSService", ("false",), DIRECT),
        Fact("aws:CalledVia", None, DIRECT),
        Fact("aws:CalledViaFirst", None, DIRECT),
        Fact("aws:CalledViaLast", None, DIRECT),
    ]


def _service_of(stage: Stage) -> str:
    """The resource's service prefix: `sagemaker` for AWS::SageMaker::ModelPackage."""
    for entry in stage.overlays.self_arns:
        parsed = arns.parse_arn(entry.arn)
        if parsed is not None:
            return parsed.service
    parts = (stage.needs.binding.cfn_type or "").split("::")
    if len(parts) == 3:
        return parts[1].lower()
    table = (stage.needs.binding.stackql_name or "").split(".")
    return table[1].lower() if len(table) == 3 and table[0].lower() == "aws" else ""  # aws.<service>.<resource>


def own(requirement: Requirement, stage: Stage) -> bool:
    """Is the request about the manifest resource itself (its service and resource type)?"""
    if requirement.wildcard_only:
        return False
    parsed = arns.parse_arn(requirement.arn)
    if parsed is None:
        return False
    mine = {_type_word(e.arn) for e in stage.overlays.self_arns}
    return (parsed.service, parsed.resource.split("/", 1)[0]) in mine


def _type_word(template: str) -> tuple[str, str] | None:
    parsed = arns.parse_arn(template)
    return (parsed.service, parsed.resource.split("/", 1)[0]) if parsed else None


def _resource_account(requirement: Requirement, stage: Stage) -> list[Fact]:
    account = stage.place.account
    if requirement.wildcard_only:
        if account:
            return [Fact("aws:ResourceAccount", (account,), "the action takes no resource: the account it runs in")]
        return []
    parsed = arns.parse_arn(requirement.arn)
    if parsed is not None and parsed.account.isdigit():
        return [Fact("aws:ResourceAccount", (parsed.account,), f"the account in `{requirement.arn}`")]
    if own(requirement, stage) and account:
        return [Fact("aws:ResourceAccount", (account,), "config `account`: the stack creates the resource there")]
    return []


def _overlay_facts(overlays: tuple[Overlay, ...], action: str, place: Place) -> Iterator[Fact]:
    service = action.partition(":")[0].lower()
    listed = {k.lower() for k in get_catalog().condition_keys(action)}
    for overlay in overlays:
        for key, templates in overlay.context:
            if (
                key.partition(":")[0].lower() == service
                and listed
                and not any(_key_pattern(k).fullmatch(key) for k in listed)
            ):
                continue  # e.g. kms:GrantIsForAWSResource, which only CreateGrant carries
            values = [arns.fill(t, place.values()) for t in templates]
            source = f"overlay `{overlay.id}`: {overlay.why}"
            unknown = [u for v in values for u in v.unknown]
            if unknown:
                shown = ", ".join(dict.fromkeys(unknown))
                yield Fact(key, tuple(Partial(v.arn) for v in values), f"{source} (`*`: the {shown}, not known)")
            else:
                yield Fact(key, tuple(v.arn for v in values), source)


def _carried(requirement: Requirement) -> Iterator[Fact]:
    """The keys the call itself says it carries (a native member rule's `context`), `*` where not known."""
    rule = requirement.overlays[0] if requirement.overlays else None
    source = f"overlay `{rule.id}`: {rule.why}" if rule is not None else "the call carries it"
    for key, text in requirement.context:
        value = Partial(text) if arns.UNKNOWN in text else text
        yield Fact(key, (value,), source)


def creates(operation: str) -> bool:
    """Does the operation create the resource? A Cloud Control `create`, or a native method that creates
    (`create_model_package`, `CreateBucket`)."""
    return re.match(r"(?:create|Create)(?:_|[A-Z]|$)", operation) is not None


def _tag_facts(requirement: Requirement, stage: Stage, operation: str) -> tuple[list[Fact], list[Family]]:
    facts: list[Fact] = []
    families: list[Family] = []
    tags = stage.tags
    name = stage.needs.resource.name or "the resource"
    listed = {k.lower() for k in get_catalog().condition_keys(requirement.action)}
    takes_tags = "aws:tagkeys" in listed or "aws:requesttag/${tagkey}" in listed
    if not takes_tags:
        source = f"the IAM reference lists no request tags for `{requirement.action}`"
        facts.append(Fact("aws:TagKeys", None, source))
        families.append(Family("aws:RequestTag/*", (), source))
    elif creates(operation) and tags is None:
        source = f"the manifest sets no Tags on `{name}`"
        facts.append(Fact("aws:TagKeys", None, source))
        families.append(Family("aws:RequestTag/*", (), source))
    elif creates(operation) and tags is not None and tags.keys_known:
        source = f"the Tags the manifest sets on `{name}`"
        facts.append(Fact("aws:TagKeys", tuple(k for k, _ in tags.values), source))
        members = tuple(Fact(f"aws:RequestTag/{k}", _tag_values(v), source) for k, v in tags.values)
        families.append(Family("aws:RequestTag/*", members, source))
    if own(requirement, stage):
        if creates(operation):
            families.append(Family("aws:ResourceTag/*", (), f"`{name}` does not exist before it is created"))
        elif tags is None:
            families.append(Family("aws:ResourceTag/*", (), f"the manifest sets no Tags on `{name}`"))
        elif tags.keys_known:
            source = f"the Tags the manifest sets on `{name}` (build applies them)"
            members = tuple(Fact(f"aws:ResourceTag/{k}", _tag_values(v), source) for k, v in tags.values)
            families.append(Family("aws:ResourceTag/*", members, source))
    return facts, families


def _tag_values(value: str | Unknown) -> tuple[str, ...] | Unknown:
    return value if isinstance(value, Unknown) else (value,)


def _stated(identity: Identity | None) -> Iterator[Fact]:
    if identity is None:
        return
    where = "" if identity.name == "default" else f"identities.{identity.name}."
    for key, values in identity.context.items():
        yield Fact(key, values, f"config `{where}context`")
