"""MPL1xx: the manifest's own structure, as stackql-deploy reads it."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.edits import replace_scalar
from mplint.findings import Finding, Fix, Related, Span
from mplint.model import manifest as m
from mplint.model.manifest import Manifest
from mplint.project import Stack
from mplint.registry import owns
from mplint.source import Mapping, Node, Scalar, Sequence
from mplint.suggest import did_you_mean

R = owns(__name__, "MPL101", "MPL102", "MPL103", "MPL104", "MPL105", "MPL108", "MPL112")

LIST_KEYS = {"providers", "globals", "resources", "exports"}


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        span = stack.doc.source.whole_span()
        yield R.MPL108("a stackql-deploy manifest's top level must be a mapping", span)
    else:
        yield from check_manifest(stack.manifest)


def check_manifest(manifest: Manifest) -> Iterator[Finding]:
    root = manifest.root
    yield from unknown_keys(root, m.TOP_KEYS, "manifest")
    for key in ("name", "resources"):
        if root.get(key) is None:
            yield R.MPL112(f"the manifest has no `{key}`", _first_line(root), key_path=(key,))
    for key in LIST_KEYS:
        node = root.get(key)
        if node is not None and not isinstance(node, Sequence) and not _null(node):
            yield _shape(node, f"`{key}` must be a list", (key,))
    yield from list_items(root.get("globals"), "globals", "global")
    yield from list_items(root.get("resources"), "resources", "resource")
    for i, glob in enumerate(manifest.globals):
        yield from check_global(glob, i)
    yield from duplicate_names(manifest)
    for res in manifest.resources:
        yield from check_resource(res)


def check_global(glob: m.Global, index: int) -> Iterator[Finding]:
    path = ("globals", index)
    yield from unknown_keys(glob.node, m.GLOBAL_KEYS, "global")
    if glob.name is None:
        yield R.MPL112("a global has no `name`", glob.node.span, key_path=path)
    if glob.node.key("value") is None:
        default = glob.node.key("default")
        hint = " (`default:` is not read: use `value:`)" if default is not None else ""
        edit = replace_scalar(default, "value") if default is not None else None
        yield R.MPL103(f"global `{glob.name}` has no `value`: stackql-deploy fails to load the stack{hint}",
            (glob.name_node or glob.node).span, key_path=path,
            fixes=(Fix("Rename `default:` to `value:`", (edit,)),) if edit else (),
        )  # fmt: skip


def check_resource(res: m.Resource) -> Iterator[Finding]:
    path = ("resources", res.index)
    yield from unknown_keys(res.node, m.RESOURCE_KEYS, "resource")
    if res.name is None:
        yield R.MPL112("a resource has no `name`", _first_line(res.node), key_path=path)
    if res.type_node is not None and res.type not in m.RESOURCE_TYPES:
        yield R.MPL105(f"unknown resource type `{res.type}`{did_you_mean(res.type, m.RESOURCE_TYPES)}: "
            f"stackql-deploy stops on it (known: {', '.join(m.RESOURCE_TYPES)})",
            res.type_node.span, key_path=(*path, "type"),
        )  # fmt: skip
    props = res.node.get("props")
    if props is not None and not isinstance(props, Sequence) and not _null(props):
        yield _shape(props, "`props` must be a list", (*path, "props"))
    yield from list_items(props, "props", "prop")
    for i, prop in enumerate(res.props):
        yield from check_prop(prop, res, (*path, "props", i))


def check_prop(prop: m.Prop, res: m.Resource, path: tuple) -> Iterator[Finding]:
    yield from unknown_keys(prop.node, m.PROP_KEYS, "prop")
    if prop.name is None:
        yield R.MPL112(f"a prop of resource `{res.name}` has no `name`", prop.node.span, key_path=path)
    given = [k for k in ("value", "values") if prop.node.key(k) is not None]
    if len(given) != 1:
        what = "both `value` and `values`" if given else "neither `value` nor `values`"
        extra = " (`merge` only merges into one of them)" if not given and prop.node.key("merge") is not None else ""
        yield R.MPL102(f"prop `{prop.name}` has {what}{extra}: it needs exactly one",
            (prop.name_node or prop.node).span, key_path=path,
        )  # fmt: skip
    values = prop.node.get("values")
    if values is not None and not isinstance(values, Mapping):
        yield _shape(values, "`values` must map each environment to `{value: ...}`", (*path, "values"))
    elif isinstance(values, Mapping):
        for key, entry in values.items:
            if not isinstance(entry, Mapping) or entry.key("value") is None:
                yield _shape(entry, f"`values.{key.value}` must be a mapping with `value`", (*path, "values"))
            else:
                yield from unknown_keys(entry, m.ENV_VALUE_KEYS, "environment value")
    merge = prop.node.get("merge")
    if merge is not None and not isinstance(merge, Sequence):
        yield _shape(merge, "`merge` must be a list of names", (*path, "merge"))


def duplicate_names(manifest: Manifest) -> Iterator[Finding]:
    seen: dict[str, Span] = {}
    for res in manifest.resources:
        if res.name is None or res.name_node is None:
            continue
        if res.name in seen:
            yield R.MPL104(f"resource name `{res.name}` is used twice: names must be unique",
                res.name_node.span, related=(Related(seen[res.name], "first used here"),),
                key_path=("resources", res.index, "name"),
            )  # fmt: skip
        else:
            seen[res.name] = res.name_node.span


def unknown_keys(node: Mapping, known: tuple[str, ...], what: str) -> Iterator[Finding]:
    for key, _ in node.items:
        name = str(key.value)
        if name not in known:
            yield R.MPL101(
                f"unknown {what} key `{name}`{did_you_mean(name, known)}: stackql-deploy silently ignores it",
                key.span,
                key_path=(name,),
            )


def list_items(node: Node | None, key: str, what: str) -> Iterator[Finding]:
    if not isinstance(node, Sequence):
        return
    for i, item in enumerate(node.items):
        if not isinstance(item, Mapping):
            yield _shape(item, f"each item of `{key}` must be a mapping describing a {what}", (key, i))


def _shape(node: Node, message: str, path: tuple) -> Finding:
    return R.MPL108(message, node.span, key_path=path)


def _null(node: Node) -> bool:
    return isinstance(node, Scalar) and node.value is None


def _first_line(node: Node) -> Span:
    s = node.span
    return Span(s.path, s.line, s.col, s.line, s.col + 1)
