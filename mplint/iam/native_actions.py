"""The IAM action(s) that one AWS API operation of the native `aws` provider is authorised as.

The rule (shared/domain/stackql-aws-native.md, "IAM actions"): `<prefix>:<OperationName>`, the prefix being the
service's SigV4 signing name (`info.serviceName`), with the systematic exceptions that the provider data's `iam`
table lists: services whose prefix differs from the signing name, services authorised by HTTP verb
(`apigateway:GET`), services with no IAM action at all, and operations authorised as other actions
(`s3:ListObjectsV2` -> `s3:ListBucket`). Every derived name is checked against the bundled IAM action catalog:
when it is not an action there the answer says so (`known` false) instead of inventing a spelling.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from msgspec import Struct

from mplint.catalog.actions import ActionCatalog

VERSION_SUFFIX_RE = re.compile(r"V\d+$")


class How:
    """How an operation's action was found (shown with low-confidence answers)."""

    DIRECT = "direct"  # <prefix>:<Operation>, spelled as the catalog spells it
    CASE = "case"  # the same name in another letter case (CreateACL -> CreateAcl)
    VERSION = "version"  # a trailing V<n> dropped (ListObjectsV2 -> ListObjects)
    BATCH = "batch"  # BatchGetX -> GetX, BatchIsAuthorized -> IsAuthorized
    TABLE = "table"  # the provider data's explicit operation -> actions table
    HTTP_VERB = "http-verb"  # services authorised by the request's HTTP method
    NO_IAM = "no-iam"  # the service is not authorised by IAM actions
    UNKNOWN = "unknown"  # no action in the catalog: the plain rule's name, unconfirmed


class OperationActions(Struct, frozen=True):
    """The IAM action(s) one native operation is authorised as, and how they were found."""

    operation: str
    actions: tuple[str, ...]  # catalog spelling when known; the plain rule's guess when not; () for no-iam
    how: str
    note: str = ""  # why there is no action (no-iam), or what was tried (unknown)

    @property
    def known(self) -> bool:
        return self.how not in (How.UNKNOWN, How.NO_IAM)


class IamExceptions(Protocol):
    """The provider data's `iam` table (mplint.catalog.native.IamTable): the exceptions to the plain rule."""

    def prefix(self, service: str, default: str | None = None) -> str: ...
    def http_verb(self, service: str) -> bool: ...
    def no_iam(self, service: str) -> str | None: ...
    def actions(self, service: str, op: str) -> tuple[str, ...] | None: ...


def operation_actions(
    service: str,
    signing_name: str,
    operation: str,
    table: IamExceptions,
    catalog: ActionCatalog,
    http_method: str | None = None,
) -> OperationActions:
    """The actions one operation is authorised as, and how that was decided.

    ``service`` is the provider's service key (`resourcegroupstaggingapi`), ``signing_name`` its SigV4 name
    (`tagging`), ``http_method`` the method of a REST operation (for services authorised by HTTP verb).
    """
    listed = table.actions(service, operation)
    if listed:
        return OperationActions(operation, tuple(_spelled(a, catalog) for a in listed), How.TABLE)
    reason = table.no_iam(service)
    if reason is not None:
        return OperationActions(operation, (), How.NO_IAM, reason)
    prefix = table.prefix(service, signing_name)
    if table.http_verb(service):
        verb = (http_method or "").upper()
        found = catalog.action(f"{prefix}:{verb}") if verb else None
        if found is not None:
            return OperationActions(operation, (found.full_name,), How.HTTP_VERB)
        return OperationActions(operation, (f"{prefix}:{verb or '*'}",), How.UNKNOWN, "no HTTP method known")
    return _by_name(prefix, operation, catalog)


def _by_name(prefix: str, operation: str, catalog: ActionCatalog) -> OperationActions:
    plain = f"{prefix}:{operation}"
    found = catalog.action(plain)
    if found is not None:
        how = How.DIRECT if found.name == operation else How.CASE
        return OperationActions(operation, (found.full_name,), how)
    for how, name in _variants(operation):
        found = catalog.action(f"{prefix}:{name}")
        if found is not None:
            return OperationActions(operation, (found.full_name,), how)
    note = f"`{plain}` is not in the IAM action catalog"
    return OperationActions(operation, (plain,), How.UNKNOWN, note)


def _variants(operation: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if VERSION_SUFFIX_RE.search(operation):
        out.append((How.VERSION, VERSION_SUFFIX_RE.sub("", operation)))
    if operation.startswith("Batch") and operation[5:6].isupper():
        out.append((How.BATCH, operation[len("Batch") :]))
    return out


def _spelled(action: str, catalog: ActionCatalog) -> str:
    info = catalog.action(action)
    return info.full_name if info is not None else action


def handler_action(
    action: str, table: Callable[[], IamExceptions], catalog: ActionCatalog
) -> tuple[tuple[str, ...], str]:
    """The actions a CloudFormation handler permission is authorised as, and a note when they differ.

    Handler permission lists name some API operations rather than IAM actions (`s3:DeleteBucketCors`, which
    IAM authorises as `s3:PutBucketCORS`): those are translated by the same rule as native operations. ()
    when the permission is no action at all and no rule knows what it stands for. ``table`` gives the exceptions,
    asked for only when the permission is not an action.
    """
    if catalog.action(action) is not None:
        return (action,), ""
    prefix, _, name = action.partition(":")
    derived = operation_actions(prefix, prefix, name, table(), catalog)
    if derived.known:
        spelled = ", ".join(f"`{a}`" for a in derived.actions)
        return derived.actions, f"listed by the handler as `{action}`, which IAM authorises as {spelled}"
    return (
        (),
        f"listed by the handler as `{action}`, which is no IAM action: "
        "AWS authorises that call under a name mplint does not know",
    )
