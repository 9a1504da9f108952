"""CloudFormation property names (PascalCase) to StackQL column names (snake_case).

The StackQL provider generator folds acronyms first (`ARN` -> `Arn`, `KMSKeyId` ->
`KmsKeyId`, `MultiAZ` -> `MultiAz`), then puts `_` before each capital that
follows a word character, lowercases, and prefixes `_` to SQL reserved words.
"""

from __future__ import annotations

import re
from functools import lru_cache

RESERVED = frozenset({"values", "schema", "database", "format", "update", "force", "match"})

# A run of capitals ending the name or followed by a digit or another word (a capital and a lower-case letter).
_ACRONYM = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)")
_WORD_START = re.compile(r"(?<=\w)(?=[A-Z])")
_LOWER_UPPER = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _fold(match: re.Match[str]) -> str:
    text = match.group()
    return text[0] + text[1:].lower()


@lru_cache(maxsize=16384)
def column_name(prop: str) -> str:
    """The StackQL column for a CloudFormation property: `ModelPackageArn` -> `model_package_arn`."""
    folded = _ACRONYM.sub(_fold, prop)
    snake = _WORD_START.sub("_", folded).lower()
    return f"_{snake}" if snake in RESERVED else snake


def alternate_name(prop: str) -> str:
    """A second spelling where the acronym rule is ambiguous: `OAuthScopes` -> `oauth_scopes`."""
    return _LOWER_UPPER.sub("_", prop).lower()


def columns(props: object) -> dict[str, str]:
    """column -> property, for the top-level properties of a schema's `properties` mapping."""
    if not isinstance(props, dict):
        return {}
    return {column_name(name): name for name in props if isinstance(name, str)}
