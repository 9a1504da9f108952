"""Template analysis with jinja2's parser: names read, dead namespaces, syntax errors."""

from __future__ import annotations

from mplint.stackql.templates import analyse, is_template


def test_names_and_simple_name() -> None:
    info = analyse("{{ region }}")
    assert info.names == {"region"} and info.simple_name == "region"
    mixed = analyse("arn:aws:s3:::{{ bucket }}/{{ key | lower }}")
    assert mixed.names == {"bucket", "key"} and mixed.simple_name is None


def test_loop_variables_are_not_undeclared() -> None:
    info = analyse("{% for t in tags %}{{ t.Key }}{% endfor %}")
    assert info.names == {"tags"}


def test_attributes_are_recorded_for_dead_namespaces() -> None:
    info = analyse("{{ vars.AWS_REGION }}")
    assert ("vars", "AWS_REGION") in info.attributes


def test_syntax_error_has_line() -> None:
    info = analyse("line one\n{{ a | default('x' }}")
    assert info.error and info.error_line == 2


def test_is_template() -> None:
    assert is_template("{{ x }}") and is_template("{% if a %}b{% endif %}")
    assert not is_template("plain text {not a template}")
