"""The ARNs a manifest tells: its resources, S3 objects and buckets, roles, KMS keys and ECR repositories.

Nothing is rendered: a template whose value is a literal elsewhere in the manifest is replaced by that
literal, and every other template becomes `*`, recorded by name as an unknown part. A `*` in a derived
ARN therefore means "not known before deployment", never "any" (the evaluator reads a request `*` that
way and answers "cannot tell" rather than "granted").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from msgspec import Struct

from mplint.source import Scalar
from mplint.stackql.scope import Scope
from mplint.stackql.templates import analyse, is_template, sub_blocks

UNKNOWN = "*"
DEFAULT_PARTITION = "aws"
_VAR_RE = re.compile(r"\$\{(\w+)\}")
_ECR_RE = re.compile(
    r"^(?P<account>\d{12}|\*)\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+|\*)\.amazonaws\.com(?P<cn>\.cn)?"
    r"/(?P<repo>[^:@\s]+)(?::[^@\s]*)?(?:@\S+)?$"
)
_S3_HOSTS = (
    re.compile(r"^https://(?P<bucket>[^/]+)\.s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?/(?P<key>.*)$"),
    re.compile(r"^https://s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?/(?P<bucket>[^/]+)/?(?P<key>.*)$"),
)
_KEY_ID_RE = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|\*)$")

Resolver = Callable[[str, int], "Rendered | None"]  # (name, depth) -> the name's text


class Rendered(Struct, frozen=True):
    """Text with its templates replaced: literals where the manifest tells them, else `*`."""

    text: str
    unknown: tuple[str, ...] = ()  # the names (or expressions) that stayed unknown


class Derived(Struct, frozen=True):
    """An ARN for a request: `*` marks each part the manifest does not tell, named in ``unknown``."""

    arn: str
    unknown: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return UNKNOWN not in self.arn


class Place(Struct, frozen=True):
    """Partition, region and account of a resource, as far as the manifest and config tell them."""

    partition: str = DEFAULT_PARTITION
    region: str | None = None
    account: str | None = None

    def values(self) -> dict[str, str | None]:
        return {"Partition": self.partition, "Region": self.region, "Account": self.account}


class ArnParts(Struct, frozen=True):
    """The five parts of an ARN after `arn:`: partition, service, region, account and resource."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


# ---------------------------------------------------------------------------
# Templates


def render(text: str, resolve: Resolver, depth: int = 0) -> Rendered:
    """Replace each Jinja block: `{{ name }}` by the literal the resolver knows, everything else by `*`."""
    if not is_template(text):
        return Rendered(text)
    unknown: list[str] = []

    def substitute(block: str) -> str:
        name = analyse(block).simple_name if block.startswith("{{") else None
        found = resolve(name, depth) if name and depth < 6 else None
        if found is None:
            unknown.append(name or block)
            return UNKNOWN
        unknown.extend(found.unknown)
        return found.text

    rendered = sub_blocks(text, substitute, ("{{", "{%", "{#"))
    return Rendered(_squeeze(rendered), tuple(dict.fromkeys(unknown)))


def scope_resolver(scope: Scope) -> Resolver:
    """A resolver over the names a place sees: globals and props with a single literal value."""

    def resolve(name: str, depth: int) -> Rendered | None:
        definition = scope.get(name)
        if definition is None or definition.kind not in ("global", "prop"):
            return None
        node = definition.value
        if not isinstance(node, Scalar) or node.value is None or isinstance(node.value, (dict, list)):
            return None
        text = str(node.value).lower() if isinstance(node.value, bool) else str(node.value)
        return render(text, resolve, depth + 1) if is_template(text) else Rendered(text)

    return resolve


def text_of(value: Any, resolve: Resolver) -> Rendered | None:
    """A property value as text with templates replaced (None for values that are not scalars)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return render(text, resolve)


def _squeeze(text: str) -> str:
    return re.sub(r"\*{2,}", UNKNOWN, text)


def fill(template: str, values: dict[str, str | None]) -> Derived:
    """Fill `${Name}` parts; a part without a value becomes `*` and is named in ``unknown``."""
    unknown: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None or value == "":
            unknown.append(_label(match.group(1)))
            return UNKNOWN
        return value

    return Derived(_squeeze(_VAR_RE.sub(substitute, template)), tuple(dict.fromkeys(unknown)))


def _label(name: str) -> str:
    return name.lower() if name in ("Region", "Account", "Partition") else name


# ---------------------------------------------------------------------------
# Parsing what values name


def partition_of(region: str | None) -> str:
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return DEFAULT_PARTITION


def parse_arn(text: str) -> ArnParts | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
        return None
    return ArnParts(parts[1], parts[2], parts[3], parts[4], parts[5])


def s3_location(uri: str) -> tuple[str, str] | None:
    """(bucket, key) of an `s3://` URI or an Amazon S3 https URL; None for anything else."""
    if uri.startswith("s3://"):
        bucket, _, key = uri[5:].partition("/")
        return (bucket, key) if bucket else None
    for pattern in _S3_HOSTS:
        match = pattern.match(uri)
        if match:
            return match.group("bucket"), match.group("key")
    return None


def is_s3_uri(text: str) -> bool:
    return s3_location(text) is not None


def s3_object(uri: Rendered, partition: str, prefix: bool = False) -> Derived | None:
    """The object ARN (a `prefix*` pattern for a key prefix or a folder)."""
    location = s3_location(uri.text)
    if location is None:
        return None
    bucket, key = location
    if prefix or not key or key.endswith("/"):
        key = key + UNKNOWN
        unknown = (*uri.unknown, "object key") if not uri.unknown else uri.unknown
    else:
        unknown = uri.unknown
    return Derived(_squeeze(f"arn:{partition}:s3:::{bucket}/{key}"), unknown)


def s3_bucket(uri: Rendered, partition: str) -> Derived | None:
    location = s3_location(uri.text)
    if location is None:
        return None
    return Derived(f"arn:{partition}:s3:::{location[0]}", uri.unknown if UNKNOWN in location[0] else ())


def is_ecr_image(text: str) -> bool:
    return _ECR_RE.match(text) is not None


def ecr_repository(image: Rendered) -> Derived | None:
    """The repository ARN of an Amazon ECR image URI; None for images from other registries."""
    match = _ECR_RE.match(image.text)
    if match is None:
        return None
    partition = "aws-cn" if match.group("cn") else partition_of(match.group("region"))
    arn = f"arn:{partition}:ecr:{match.group('region')}:{match.group('account')}:repository/{match.group('repo')}"
    return Derived(_squeeze(arn), image.unknown)


def kms_key(value: Rendered | None, place: Place) -> Derived:
    """The key ARN for a key id, key ARN, alias name or alias ARN (an alias leaves the key unknown)."""
    template = "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"
    if value is None:
        return fill(template, {**place.values(), "KeyId": None})
    text = value.text
    arn = parse_arn(text)
    if arn is not None and arn.service == "kms":
        if arn.resource.startswith("key/"):
            return Derived(text, value.unknown)
        where = {"Partition": arn.partition, "Region": arn.region, "Account": arn.account}
        return _unknown(fill(template, {**where, "KeyId": None}), "key the alias names")
    if text.startswith("alias/"):
        return _unknown(fill(template, {**place.values(), "KeyId": None}), "key the alias names")
    key_id = text if _KEY_ID_RE.match(text) else None
    derived = fill(template, {**place.values(), "KeyId": key_id})
    return Derived(derived.arn, (*value.unknown, *derived.unknown))


def iam_role(value: Rendered | None, place: Place) -> Derived:
    """The role ARN for a role ARN or a role name."""
    template = "arn:${Partition}:iam::${Account}:role/${RoleName}"
    if value is None:
        return fill(template, {**place.values(), "RoleName": None})
    arn = parse_arn(value.text)
    if arn is not None:
        return Derived(value.text, value.unknown)
    derived = fill(template, {**place.values(), "RoleName": value.text})
    return Derived(derived.arn, (*value.unknown, *derived.unknown))


def _unknown(derived: Derived, part: str) -> Derived:
    return Derived(derived.arn, tuple(dict.fromkeys((*[u for u in derived.unknown if u != "KeyId"], part))))


def describe_unknown(unknown: tuple[str, ...]) -> str:
    """`region and account` for messages."""
    names = [f"`{u}`" if u not in ("region", "account", "partition") and " " not in u else u for u in unknown]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
