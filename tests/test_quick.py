"""The quick check agrees with the full validator: when it says a value is right the validator finds no error,
when it says wrong the validator finds one; over every bundled schema, with values made from each schema and
broken in every way a stack breaks them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from mplint.app import LintOptions, lint_paths
from mplint.catalog import quick
from mplint.catalog.schemas import default_catalog
from mplint.catalog.validator import JavaText, Opaque, SchemaValidator, TypeValidator, resource_validator
from tests.conftest import FIXTURES, shared_path

STRINGS = ["", "a", "abc", "Approve", "arn:aws:s3:::bucket/key", "x" * 300, "10.0.0.0/16", "2024-01-01", "true", "42"]


def test_it_reads_every_keyword_the_validator_acts_on() -> None:
    assert set(SchemaValidator.VALIDATORS) == quick.KEYWORDS


class Sampler:
    """Values for a schema: mostly right, often wrong (a wrong type, a missing or unknown key, a bad enum)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def value(self, schema: Any, depth: int = 0) -> Any:
        rng = self.rng
        if not isinstance(schema, dict) or depth > 6 or rng.random() < 0.08:
            return self.anything(depth)
        for key in ("oneOf", "anyOf", "allOf"):
            if isinstance(schema.get(key), list) and schema[key] and rng.random() < 0.7:
                return self.value(rng.choice(schema[key]), depth + 1)
        if isinstance(schema.get("enum"), list) and schema["enum"] and rng.random() < 0.8:
            choice = rng.choice(schema["enum"])
            return choice.lower() if isinstance(choice, str) and rng.random() < 0.2 else choice
        kind = schema.get("type")
        kind = rng.choice(kind) if isinstance(kind, list) and kind else kind
        if kind == "object" or "properties" in schema:
            return self.obj(schema, depth)
        if kind == "array" or "items" in schema:
            items = schema.get("items", {})
            return [self.value(items if isinstance(items, dict) else {}, depth + 1) for _ in range(rng.randint(0, 3))]
        if kind in ("integer", "number"):
            low, high = schema.get("minimum", -5), schema.get("maximum", 10**6)
            number = rng.choice([low, high, 0, 1, 7, -1, 10**7, 2.5])
            return float(number) if kind == "number" and rng.random() < 0.3 else number
        if kind == "boolean":
            return rng.choice([True, False, "true", 1])
        return self.text(schema)

    def obj(self, schema: dict, depth: int) -> dict:
        rng = self.rng
        props = schema.get("properties", {})
        names = [n for n in props if rng.random() < 0.5] + [n for n in schema.get("required", []) if rng.random() < 0.9]
        out = {name: self.value(props.get(name, {}), depth + 1) for name in names}
        if rng.random() < 0.1:
            out["UnknownProperty"] = "x"
        return out

    def text(self, schema: dict) -> str:
        rng = self.rng
        text = rng.choice(STRINGS)
        if "minLength" in schema and rng.random() < 0.5:
            text = "a" * int(schema["minLength"])
        wrapper = rng.random()
        return Opaque("{{ value }}") if wrapper < 0.1 else JavaText(text + "\n") if wrapper < 0.15 else text

    def anything(self, depth: int) -> Any:
        return self.rng.choice([None, 1, -1, 2.5, True, "text", [], {}, [1, "a"], {"k": "v"}, Opaque("{{ x }}")])


def _verdicts(validator: TypeValidator, instance: Any) -> tuple[bool | None, bool]:
    return validator.quick(instance), not any(True for _ in validator.full.iter_errors(instance))


def test_quick_and_full_agree_on_every_bundled_schema() -> None:
    catalog = default_catalog()
    sampler = Sampler(17)
    compared = told = 0
    for name in catalog.type_names():
        schema = catalog.schema(name)
        if not schema:
            continue
        validator = resource_validator(schema)
        for _ in range(3):
            instance = sampler.obj(validator.schema, 0)
            verdict, valid = _verdicts(validator, instance)
            compared += 1
            if verdict is not None:
                told += 1
                assert verdict == valid, (name, instance)
    assert compared > 5000
    assert told / compared > 0.95  # it rarely has to leave a value to the full validator


def _errors(validator: Any, instance: Any) -> list[tuple]:
    # a oneOf valid under several branches quotes them whole, descriptions too: its message is left out
    quoted = "is valid under each of"
    errors = validator.iter_errors(instance)
    return sorted((e.validator, tuple(e.absolute_path), "" if quoted in e.message else e.message) for e in errors)


def _bare_refs(node: Any) -> Any:
    """The schema with the annotations beside each `$ref` removed: Draft 7 reads nothing there."""
    if isinstance(node, list):
        return [_bare_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    notes = ("description", "title", "default", "examples", "$comment") if "$ref" in node else ()
    return {key: _bare_refs(value) for key, value in node.items() if key not in notes}


def test_a_described_ref_validates_as_a_bare_one() -> None:
    """Inlining a `$ref` that has a description beside it changes no error."""
    catalog = default_catalog()
    sampler = Sampler(23)
    compared = 0
    for name in catalog.type_names():
        schema = catalog.schema(name)
        bare = _bare_refs(schema)
        if not schema or bare == schema:
            continue
        described, plain = resource_validator(schema), resource_validator(bare)
        for _ in range(3):
            instance = sampler.obj(described.schema, 0)
            assert _errors(described.full, instance) == _errors(plain.full, instance), (name, instance)
            compared += 1
    assert compared > 1000


def test_a_described_ref_is_inlined_with_its_description() -> None:
    schema = {
        "properties": {
            "A": {"$ref": "#/definitions/X", "description": "what A is"},
            "B": {"$ref": "#/definitions/X", "maxItems": 1},  # a constraint Draft 7 ignores there: left alone
        },
        "definitions": {"X": {"type": "object", "description": "an X"}},
    }
    validator = resource_validator(schema)
    assert validator.schema["properties"]["A"] == {"type": "object", "description": "what A is"}
    assert validator.schema["properties"]["B"] == schema["properties"]["B"]
    assert validator.quick({"A": {}}) is True  # decided without jsonschema
    assert validator.quick({"B": [1]}) is False and validator.quick({"B": {}}) is True  # the quick check follows it


@pytest.mark.parametrize(
    ("schema", "instance", "expected"),
    [
        ({"type": "integer"}, 1.0, True),
        ({"type": "integer"}, True, False),
        ({"enum": [1, "a"]}, True, False),
        ({"enum": [1.0]}, 1, True),
        ({"const": False}, 0, False),
        ({"oneOf": [{"required": ["A"]}, {"required": ["B"]}]}, {"A": 1, "B": 2}, False),
        ({"not": {"type": "string"}}, Opaque("{{ x }}"), False),
        ({"if": {"required": ["A"]}, "then": {"required": ["B"]}}, {"A": 1}, False),
        ({"contains": {"type": "string"}}, [], False),
        ({"items": [{"type": "string"}], "additionalItems": False}, ["a", "b"], False),
        ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, ["a", 1], True),
        ({"pattern": "^[a-z]+$"}, Opaque("{{ x }}"), True),
        ({"pattern": "^a$"}, JavaText("a\n"), True),
        ({"requiredXor": ["A", "B"]}, {}, False),
        ({"dependentExcluded": {"A": ["B"]}}, {"A": 1, "B": 1}, False),
        ({"uniqueKeys": ["Key"]}, [{"Key": "a"}, {"Key": "a"}], False),
        ({"uniqueItems": True}, [{"A": 1}, {"A": 1.0}], False),
        ({"uniqueItems": True}, [{"A": True}, {"A": 1}], True),
        ({"uniqueItems": True}, [{"A": [1, {"B": None}]}, {"A": [1, {"B": None}]}], False),
        ({"uniqueItems": True}, [{"A": [1]}, {"A": [True]}, {"A": "1"}], True),
        ({"uniqueItems": True}, [{"A": float("nan")}, {"A": 1}], None),
        ({"uniqueItems": True}, [1, True], None),
        ({"maxUniqueItems": 1}, [1, 1.0], True),
        ({"enumCaseInsensitive": ["Yes"]}, "yes", True),
        ({"multipleOf": 0.5}, 1.5, None),
        ({"$ref": "#/definitions/X"}, {}, None),
        ({"$ref": "#/definitions/X", "maxItems": 1, "definitions": {"X": {"type": "array"}}}, [1, 2], True),
        ({"$ref": "#/definitions/X", "definitions": {"X": {"type": "array"}}}, {}, False),
        ({"$ref": "#/definitions/X", "definitions": {"X": {"items": {"$ref": "#/definitions/X"}}}}, [[]], None),
    ],
)
def test_quick_verdicts_on_the_tricky_keywords(schema: dict, instance: Any, expected: bool | None) -> None:
    validator = resource_validator(schema)
    verdict = validator.quick(instance)
    assert verdict == expected
    if verdict is not None:
        assert verdict == _verdicts(validator, instance)[1]


def _findings(paths: list[Path], base: Path) -> list[tuple]:
    outcome = lint_paths(LintOptions(paths=paths, base=base))
    return [(f.rule_id, f.span, f.message) for f in outcome.result.findings]


def test_findings_are_the_same_without_the_quick_check(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = shared_path("corpus", "stackql-deploy")
    cases = [([FIXTURES], FIXTURES), ([corpus], corpus)]
    verdicts: list[bool] = []
    passes = TypeValidator.passes

    def counted(self: TypeValidator, instance: Any) -> bool:
        verdicts.append(passes(self, instance))
        return verdicts[-1]

    monkeypatch.setattr(TypeValidator, "passes", counted)
    with_quick = [_findings(paths, base) for paths, base in cases]
    monkeypatch.setattr(TypeValidator, "passes", lambda self, instance: False)
    assert [_findings(paths, base) for paths, base in cases] == with_quick
    assert sum(map(len, with_quick)) > 100
    assert verdicts.count(True) > 100 and verdicts.count(False) > 10  # the quick check spared work, and not always


def _quick_verdicts(monkeypatch: pytest.MonkeyPatch, folder: Path, base: Path) -> list[bool | None]:
    verdicts: list[bool | None] = []
    quick_of = TypeValidator.passes

    def recorded(self: TypeValidator, instance: Any) -> bool:
        verdicts.append(self.quick(instance))
        return quick_of(self, instance)

    monkeypatch.setattr(TypeValidator, "passes", recorded)
    _findings([folder], base)
    return verdicts


# An undecided value costs jsonschema's import and its full validation: the quick check answers every value of
# the valid fixtures and of the real stacks.
def test_every_value_of_the_valid_fixtures_is_decided_by_the_quick_check(monkeypatch: pytest.MonkeyPatch) -> None:
    verdicts = _quick_verdicts(monkeypatch, FIXTURES / "valid", FIXTURES)
    assert len(verdicts) > 20 and None not in verdicts


def test_every_value_of_the_corpus_is_decided_by_the_quick_check(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = shared_path("corpus", "stackql-deploy")
    verdicts = _quick_verdicts(monkeypatch, corpus, corpus)
    assert len(verdicts) > 20 and None not in verdicts


class MemberSampler(Sampler):
    """Values a stack gives native request members: a mapping or list where a string is wanted (sent as JSON
    text), a number or boolean spelled as text, one value where a list is wanted."""

    def value(self, schema: Any, depth: int = 0) -> Any:
        rng = self.rng
        kind = schema.get("type") if isinstance(schema, dict) else None
        if kind == "string" and rng.random() < 0.15:
            return rng.choice([{"Version": "2012-10-17"}, ["a"], {}])
        if kind in ("integer", "number", "boolean") and rng.random() < 0.3:
            return rng.choice(["3600", "-1", "2.5", "true", "False", "an hour"])
        if kind == "array" and rng.random() < 0.15:
            return rng.choice(["one", 1, True])
        return super().value(schema, depth)


def test_quick_and_member_validator_agree_on_every_native_request() -> None:
    """As above, for the members of native requests, whose `type` accepts JSON text and form-encoded text."""
    from mplint.catalog.native import default_native_catalog
    from mplint.catalog.validator import member_validator

    catalog = default_native_catalog()
    sampler = MemberSampler(23)
    compared = told = 0
    for service in catalog.services()[::3]:  # a third of them: each service's shapes, for a test of seconds
        for name in catalog.resource_names(service)[:4]:
            resource = catalog.resource(f"aws.{service}.{name}")
            for method in resource.methods.values() if resource else ():
                for form in (False, True):
                    validator = member_validator(method.schema, form_encoded=form)
                    instance = sampler.obj(validator.schema, 0)
                    verdict, valid = _verdicts(validator, instance)
                    compared += 1
                    if verdict is not None:
                        told += 1
                        assert verdict == valid, (method.op, form, instance)
    assert compared > 2000
    assert told / compared > 0.9
