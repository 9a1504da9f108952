"""Template analysis: names read, dead namespaces, syntax errors; plain `{{ name }}` blocks read without
jinja2, exactly as its parser reads them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mplint.stackql import template_parser
from mplint.stackql.templates import FILTERS, GLOBALS, Facts, TemplateInfo, analyse, common_facts, facts, is_template
from tests.conftest import FIXTURES, ROOT


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


# Pieces a template is made of, plain blocks and everything that makes one not plain: the generated texts
# meet the edges of the plain reading (a brace before `{{`, a constant, a global, whitespace control).
PIECES = (
    "{{ a }}", "{{b}}", "{{ range }}", "{{ true }}", "{{ if }}", "{{ loop }}", "{{ a.b }}", "{{ a | lower }}",
    "{{- a }}", "{%", "%}", "{#", "#}", "{{", "}}", "{", "}", " ", "\n", "\r\n", "x", "a", "-", "|", "'",
    "{{ a.b | f }}", "{{ a|generate_patch_document }}", '{{ { "K": a, "L": b } | generate_patch_document }}',
    "{{ {'K': none} | generate_patch_document }}", '{{ { "K": a } }}', '{{ {"K": a.b} | f }}', "{{ a | f.g }}",
    '"K"', ": a", ", ", ":", ".", "b", "true", "generate_patch_document", "{{ a.1 }}", '{{ { "K": a, } | f }}',
    '{{ {"K": a} | f }}', '{{ {"K\\\\n": a} | generate_patch_document }}',
    "{{ {'K': a, 'K': b}|generate_patch_document }}",
    "{{ a | base64_encode }}", "{{ loop.x }}", "{{ range.x }}", "{{ a | sql_escape }}",
    "{{ uuid() }}", "{{ a( ) }}", "{{ true() }}", "{{ loop() }}", "{{ a.b() }}", "(", ")", "()", "=",
    "{{ 'x' }}", '{{ "a}}b" }}', "{{ 'a\\'b' }}", "{{ 'x' 'y' }}", "{{ 'x' | upper }}", "{{ '' }}", '"',
    "{{ 'x\\' }}", "\\", "{{ a | f(\"x\\\") }}",
    "{{ a | replace('-', '_') | upper }}", "{{ a | f('x',) }}", "{{ a | f(k='y') }}", "{{ a | f(k='y', 'x') }}",
    "{{ a | f(if='x') }}", "{{ a | upper | lower }}", "{{ a | not }}", "| upper", "('x')", "'x'", "{{ a | f() }}",
    "{{ a | default('b', true='c') }}", "{{ a | f('x\ny') }}", "{{ a | format('{{') }}", "{{ a|trim|d('x') }}",
    '{{ {"K": a} | generate_patch_document | upper }}', '{{ {"K": a} | upper | generate_patch_document }}',
    "{{ a | replace(b, 'c') }}", "{{ a | f(1) }}", "{{ a | f 'x' }}", "| f('x', k='y')", "{{ a | join(',') }}",
    "{{ a | f('| g') }}", "{{ a | f(k=\"|g\") }}",
)  # fmt: skip
TEXTS = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)


@settings(max_examples=1500, derandomize=True, deadline=None)
@given(TEXTS)
def test_plain_blocks_are_read_as_jinja2_reads_them(text: str) -> None:
    assert facts(text) == template_parser.facts(text)
    assert analyse(text) == template_parser.template_info(text)


def test_common_blocks_are_read_without_the_parser() -> None:
    patch = '{{ { "ModelApprovalStatus": status, "Description": text } | generate_patch_document }}'
    read = common_facts(f"SET a = '{patch}' WHERE b = '{{{{ region.name | lower }}}}'")
    assert read is not None and read.names == {"status", "text", "region"}
    assert read.patch_names == (("ModelApprovalStatus", "status"), ("Description", "text"))
    assert read.attributes == (("region", "name"),) and read.filters == {"generate_patch_document", "lower"}
    read = common_facts("{{ name | replace('-', '_') | upper }}-{{ uuid() }}{{ \"User-Agent\" }}")
    assert read is not None and read.names == {"name", "uuid"} and read.calls == {"uuid"}
    assert read.filters == {"replace", "upper"}
    for text in ("{{ a | f(1) }}", "{{ a + b }}", "{% if a %}{% endif %}", '{{ {"K": true} | f }}', "{{ a(b) }}"):
        assert common_facts(text) is None, text


def test_plain_blocks_are_read_without_the_parser() -> None:
    read = common_facts("arn:aws:s3:::{{ bucket }}/{{key}}\n{{ bucket }}")
    assert read is not None and read.names == {"bucket", "key"}
    assert common_facts("no template") == Facts(None, 0, frozenset(), (), frozenset(), frozenset(), ())
    for text in ("{{{ a }}", "{% if a %}{% endif %}", "{# a #}", "{{ true }}", "{{ a }"):
        assert common_facts(text) is None, text


def test_a_manifest_value_with_an_unknown_filter_is_left_to_the_parser() -> None:
    assert analyse("{{ a | no_such_filter }}").error  # jinja2's code generator knows which filters exist
    assert analyse("{{ a | upper | no_such_filter('x') }}").error
    assert analyse("{{ data | base64_encode }}-{{ a.b }}") == TemplateInfo(
        frozenset({"data", "a"}), (("a", "b"),), None, None, 0
    )


def test_the_globals_are_jinja2s() -> None:
    assert set(template_parser._env.globals) == GLOBALS


def test_the_filters_read_without_the_parser_exist() -> None:
    assert set(template_parser._env.filters) >= FILTERS  # a later jinja2 may add filters: those go to the parser


def _lint_imports_jinja2(stack: Path) -> bool:
    code = (
        "import sys\nfrom mplint.cli import app\ntry:\n    app()\nexcept SystemExit:\n    pass\n"
        "print('jinja2' in sys.modules)"
    )
    args = [sys.executable, "-c", code, "lint", str(stack), "--no-cache", "-f", "json"]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    return done.stdout.strip().splitlines()[-1] == "True"


def test_a_stack_of_common_templates_is_linted_without_importing_jinja2(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(FIXTURES / "valid/model-package-stack", stack)
    query = stack / "resources/churn_model_package.iql"
    text = query.read_text(encoding="utf-8")
    assert "generate_patch_document" in text  # a dict piped to a filter: read without the parser too
    assert not _lint_imports_jinja2(stack)
    query.write_text(text.replace("{{ region }}", "{{ region if region else 'us-east-1' }}", 1), encoding="utf-8")
    assert _lint_imports_jinja2(stack)
