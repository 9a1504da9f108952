"""Every keyword, top-level key and format the bundled schemas carry has a handler (scripts/schema_keywords.py)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from mplint.catalog.schemas import SchemaCatalog
from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("schema_keywords", ROOT / "scripts" / "schema_keywords.py")
assert spec and spec.loader
schema_keywords = importlib.util.module_from_spec(spec)
sys.modules["schema_keywords"] = schema_keywords  # dataclasses look their module up
spec.loader.exec_module(schema_keywords)


@pytest.fixture(scope="module")
def census():
    return schema_keywords.take_census(SchemaCatalog())


def test_every_keyword_has_a_handler(census) -> None:
    assert census.unhandled_keywords() == []
    assert census.unhandled_resource_keys() == []


def test_every_format_is_checked_or_knowingly_skipped(census) -> None:
    assert census.unhandled_formats() == []


def test_the_census_sees_the_cloudformation_keywords(census) -> None:
    """The walk reaches nested schemas: the non-Draft-7 keywords are found where the bundle has them."""
    for keyword in ("requiredXor", "requiredOr", "dependentRequired", "dependentExcluded", "enumCaseInsensitive",
                    "prefixItems", "uniqueKeys", "maxUniqueItems", "format", "relationshipRef"):  # fmt: skip
        assert census.keywords[keyword] > 0, keyword
    assert census.formats["date-time"] > 100


def test_an_unknown_keyword_is_reported(census) -> None:
    census.keywords["x-new-keyword"] += 1
    census.formats["AWS::New::Thing.Id"] += 1
    try:
        assert census.unhandled_keywords() == ["x-new-keyword"]
        assert census.unhandled_formats() == ["AWS::New::Thing.Id"]
    finally:
        del census.keywords["x-new-keyword"], census.formats["AWS::New::Thing.Id"]
