"""MPL113, MPL114: templates in a manifest that no engine renders (an unquoted `{{ }}`, a template in a key)."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Edit, Finding, Fix
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.unrendered import template_keys, unquoted_templates

R = owns(__name__, "MPL113", "MPL114")


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    for node in unquoted_templates(stack.manifest.root):
        text = node.template or ""
        quoted = yaml_quoted(text)
        fixes = (Fix(f"Quote `{text}`", (Edit(node.span, quoted),)),) if "\n" not in text else ()
        yield R.MPL113(
            f"`{text}` without quotes is a YAML mapping, not a template: stackql-deploy 1.x refuses the file "
            f"and no engine renders it; quote it: {quoted}",
            node.span,
            fixes=fixes,
        )
    for key in template_keys(stack.manifest):
        yield R.MPL114(
            f"the key `{key.value}` holds a template: stackql-deploy renders values, never keys, "
            "so the braces are deployed as written",
            key.span,
        )


def yaml_quoted(text: str) -> str:
    """``text`` as a quoted YAML scalar: single quotes, or double when the text holds single quotes only."""
    if "'" in text and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return "'" + text.replace("'", "''") + "'"
