"""Which StackQL AWS provider flavour a table belongs to, from the manifest's `providers:` pins.

- ``awscc``: Cloud Control, parameters `Identifier` and `PatchDocument`.
- ``aws`` up to v26.06 (or unpinned): Cloud Control era, parameters `data__Identifier` and `data__PatchDocument`.
- ``aws`` from v26.07 on: native, one service API call per method; no Cloud Control parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from mplint.model.manifest import Manifest
from mplint.source import Node

PIN_RE = re.compile(r"^(?P<name>[A-Za-z0-9_]+)(?:::v(?P<yy>\d{2})\.(?P<mm>\d{2})\.(?P<build>\d+))?$")
NATIVE_FROM = (26, 7)  # aws::v26.07.* and later are the native flavour


class Flavour(str, Enum):
    AWS_CC = "aws"  # Cloud Control era of the `aws` provider
    AWSCC = "awscc"
    AWS_NATIVE = "aws-native"


@dataclass(frozen=True, slots=True)
class Pin:
    name: str
    version: tuple[int, int, int] | None  # (yy, mm, build), None when unpinned
    node: Node

    @property
    def text(self) -> str:
        return str(getattr(self.node, "value", self.name))


@dataclass(frozen=True, slots=True)
class Params:
    identifier: str
    patch: str


PARAMS = {
    Flavour.AWS_CC: Params("data__Identifier", "data__PatchDocument"),
    Flavour.AWSCC: Params("Identifier", "PatchDocument"),
}


def pins(manifest: Manifest) -> dict[str, Pin]:
    """Provider name -> its pin (the last entry wins, as when stackql pulls them in order)."""
    out: dict[str, Pin] = {}
    for text, node in manifest.providers:
        match = PIN_RE.match(text.strip())
        if match is None:
            continue
        version = None
        if match.group("yy"):
            version = (int(match.group("yy")), int(match.group("mm")), int(match.group("build")))
        out[match.group("name")] = Pin(match.group("name"), version, node)
    return out


def flavour(table: str, provider_pins: dict[str, Pin]) -> Flavour | None:
    """The flavour of a StackQL table name (`aws.s3.buckets`), or None for other providers."""
    provider = table.split(".", 1)[0].lower()
    if provider == "awscc":
        return Flavour.AWSCC
    if provider != "aws":
        return None
    pin = provider_pins.get("aws")
    if pin is not None and pin.version is not None and pin.version[:2] >= NATIVE_FROM:
        return Flavour.AWS_NATIVE
    return Flavour.AWS_CC


def params(kind: Flavour | None) -> Params | None:
    """The identifier and patch-document parameter names of a Cloud Control flavour."""
    return PARAMS.get(kind) if kind is not None else None
