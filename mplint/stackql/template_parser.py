"""jinja2's parser, and what it reads in a template: imported only for a template that is more than the
common blocks `templates` reads itself, since importing jinja2 is a tenth of a cold lint.

Nothing in a template is computed: jinja2's optimizer and the code generator's constant folding would
evaluate `{{ 10 ** 10 ** 10 }}` or a filter of constants at compile time, so names are found by a code
generator with both turned off, and other facts from the syntax tree alone.
"""

from __future__ import annotations

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, Frame

from mplint.limits import current
from mplint.stackql.templates import PATCH_FILTER, STACKQL_FILTERS, Facts, TemplateInfo

_env = Environment(autoescape=False, optimized=False)
_env.filters.update(dict.fromkeys(STACKQL_FILTERS, str))
_env.globals["uuid"] = str


class TemplateTooLong(TemplateSyntaxError):
    """A template over the `template-chars` limit: not parsed at all."""


class _UndeclaredNames(CodeGenerator):
    """jinja2's own `meta.find_undeclared_variables` (a code generator that writes nothing and records the
    names each frame resolves from the context), with constant folding off. It also fails, as rendering
    would, on a filter or test that does not exist."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment, "<introspection>", "<introspection>", optimized=False)
        self.undeclared: set[str] = set()

    def write(self, x: str) -> None:
        """Nothing is written."""

    def enter_frame(self, frame: Frame) -> None:
        super().enter_frame(frame)
        for action, param in frame.symbols.loads.values():
            if action == "resolve" and param not in self.environment.globals:
                self.undeclared.add(param)

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: object) -> str:
        raise nodes.Impossible()  # never evaluate an output expression at compile time


def parse(text: str) -> nodes.Template:
    """The syntax tree of a template; any failure raises TemplateSyntaxError with a message that says why."""
    limit = current().template_chars
    if len(text) > limit:
        message = f"template of {len(text):,} characters, over the {limit:,} limit (template-chars): not read"
        raise TemplateTooLong(message, 1)
    try:
        return _env.parse(text)
    except TemplateSyntaxError:
        raise
    except RecursionError:
        raise TemplateSyntaxError("template nested too deeply to read", 1) from None
    except Exception as exc:  # jinja2's lexer raises ValueError and the like on odd literals
        raise TemplateSyntaxError(f"cannot parse template: {type(exc).__name__}: {exc}", 1) from None


def template_info(text: str) -> TemplateInfo:
    """What a template reads, found by jinja2's parser and a code generator that writes nothing."""
    try:
        ast = parse(text)
        generator = _UndeclaredNames(_env)
        generator.visit(ast)  # also checks that every filter and test exists
        names = frozenset(generator.undeclared)
        attributes = tuple(
            (node.node.name, node.attr) for node in ast.find_all(nodes.Getattr) if isinstance(node.node, nodes.Name)
        )
    except TemplateSyntaxError as exc:  # includes TemplateAssertionError: an unknown filter or test
        message = exc.message or "syntax error"
        return TemplateInfo(frozenset(), (), None, message, exc.lineno or 1, isinstance(exc, TemplateTooLong))
    except RecursionError:
        return TemplateInfo(frozenset(), (), None, "template nested too deeply to read", 1)
    return TemplateInfo(names, attributes, _simple_name(ast), None, 0)


def _simple_name(ast: nodes.Template) -> str | None:
    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return None
    parts = ast.body[0].nodes
    if len(parts) == 1 and isinstance(parts[0], nodes.Name):
        return parts[0].name
    return None


def facts(text: str) -> Facts:
    """What a template reads and calls, from its syntax tree."""
    try:
        return _facts(parse(text))
    except TemplateSyntaxError as exc:
        message, line, limited = exc.message or "syntax error", exc.lineno or 1, isinstance(exc, TemplateTooLong)
        return Facts(message, line, frozenset(), (), frozenset(), frozenset(), (), limited=limited)
    except RecursionError:
        return Facts("template nested too deeply to read", 1, frozenset(), (), frozenset(), frozenset(), ())


def _facts(ast: nodes.Template) -> Facts:
    loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
    stored = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    attributes = tuple((n.node.name, n.attr) for n in ast.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name))
    filters = [n for n in ast.find_all(nodes.Filter)]
    calls = {n.node.name for n in ast.find_all(nodes.Call) if isinstance(n.node, nodes.Name)}
    patch_keys = tuple(
        pair.key.value
        for f in filters
        if f.name == PATCH_FILTER and isinstance(f.node, nodes.Dict)
        for pair in f.node.items
        if isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str)
    )
    patch_names = tuple(
        (pair.key.value, pair.value.name)
        for f in filters
        if f.name == PATCH_FILTER and isinstance(f.node, nodes.Dict)
        for pair in f.node.items
        if isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str) and isinstance(pair.value, nodes.Name)
    )
    return Facts(
        None,
        0,
        frozenset(loaded - stored),
        attributes,
        frozenset(f.name for f in filters),
        frozenset(calls),
        patch_keys,
        patch_names,
    )
