"""From paths on disk to loaded stacks: discovery, reading and parsing. Load failures become MPL0xx findings."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mplint.config import Config, IdentityConfig
from mplint.files import BOMS, printable, read_head
from mplint.findings import Span
from mplint.model.manifest import Manifest, Resource, build_manifest
from mplint.model.policy import PolicyDocument, PolicyFile, PolicyKind
from mplint.model.query import QueryFile, parse_query_file
from mplint.source import Buffers, Document, LoadError, LoadProblem, SourceFile, load_json, load_yaml, read_source

MANIFEST_NAMES = ("stackql_manifest.yml", "stackql_manifest.yaml")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache"}


@dataclass(slots=True, eq=False)
class Stack:
    root: Path
    doc: Document
    manifest: Manifest | None
    queries: dict[int, QueryFile] = field(default_factory=dict)  # by resource index
    query_paths: dict[int, Path] = field(default_factory=dict)  # where each resource's query file is (or would be)

    @property
    def path(self) -> str:
        return self.doc.source.display


@dataclass(slots=True, eq=False)
class Identity:
    """A deploying identity: its identity policies (a union), an optional boundary and SCPs (each must allow)."""

    name: str
    policies: list[PolicyFile] = field(default_factory=list)
    boundary: PolicyFile | None = None
    scps: list[PolicyFile] = field(default_factory=list)
    principal: str | None = None  # the ARN it deploys as, from config
    tags: dict[str, str] | None = None  # the principal's tags, all of them; None: not known
    context: dict[str, tuple[str, ...] | None] = field(default_factory=dict)  # request keys config states

    @property
    def given(self) -> bool:
        return bool(self.policies)


@dataclass(slots=True, eq=False)
class Project:
    config: Config
    stacks: list[Stack] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)  # every parsed YAML/JSON file
    sources: dict[str, SourceFile] = field(default_factory=dict)  # by display path
    problems: list[LoadProblem] = field(default_factory=list)  # files that could not be read, parsed or used
    policies: list[PolicyFile] = field(default_factory=list)  # every policy read, once each
    identities: dict[str, Identity] = field(default_factory=dict)  # "default" and the configured ones
    base: Path = field(default_factory=Path.cwd)
    buffers: Buffers = field(default_factory=Buffers)  # unsaved editor buffers, read instead of disk
    roots: set[str] = field(default_factory=set)  # real paths of the linted tree: symlinks may point inside it
    _read: dict[str, SourceFile | None] = field(default_factory=dict)
    _queries: dict[str, QueryFile | None] = field(default_factory=dict)
    _display: dict[Path, str] = field(default_factory=dict)
    _policies: dict[tuple[str, PolicyKind], PolicyFile] = field(default_factory=dict)

    def display(self, path: Path) -> str:
        """The path as shown: relative to the base when under it, forward slashes, undecodable bytes escaped."""
        return printable(_display(path, self.base))

    def read(self, path: Path, any_bom: bool = False) -> SourceFile | None:
        display = self._display.get(path)
        if display is None:
            display = self._display[path] = self.display(path)
        if display in self._read:
            return self._read[display]
        self._read[display] = source = self._read_new(path, display, any_bom)
        return source

    def _read_new(self, path: Path, display: str, any_bom: bool) -> SourceFile | None:
        try:
            source = read_source(
                path, display, self.config.limits, roots=self.roots, any_bom=any_bom, buffers=self.buffers
            )
        except LoadError as exc:
            self.problems.append(exc.problem)
            return None
        self.sources[display] = source
        if not source.text.strip():
            self.problems.append(LoadProblem("MPL004", "file is empty", source.whole_span()))
            return None
        return source

    def skip(self, path: Path, why: str) -> None:
        """A file named on the command line that mplint does not lint (MPL006)."""
        self.problems.append(LoadProblem("MPL006", why, Span.point(self.display(path))))

    def query_file(self, source: SourceFile) -> QueryFile | None:
        """The parsed query file, once per file even when many resources share it; None when over a limit."""
        if source.display not in self._queries:
            try:
                self._queries[source.display] = parse_query_file(source, self.config.limits)
            except LoadError as exc:
                self.problems.append(exc.problem)
                self._queries[source.display] = None
        return self._queries[source.display]

    def policy(self, path: Path, kind: PolicyKind) -> PolicyFile | None:
        """Read a policy file once; unreadable or unparsable files become MPL0xx findings."""
        display = self.display(path)
        known = self._policies.get((display, kind))
        if known is not None:
            return known
        source = self.read(path, any_bom=True)
        doc = self.parse(source) if source is not None else None
        if doc is None:
            return None
        try:
            policy = PolicyFile(display, kind, PolicyDocument.from_document(doc, self.config.limits))
        except LoadError as exc:
            self.problems.append(exc.problem)
            return None
        if doc.root is None:
            self.problems.append(LoadProblem("MPL004", "the policy file is empty", source.whole_span()))
        self.policies.append(policy)
        self._policies[(display, kind)] = policy
        return policy

    def identity(self, name: str, config: IdentityConfig) -> Identity:
        identity = Identity(name, principal=config.principal, tags=config.tags, context=dict(config.context))
        identity.policies = [p for p in (self.policy(path, PolicyKind.IDENTITY) for path in config.policies) if p]
        if config.boundary is not None:
            identity.boundary = self.policy(config.boundary, PolicyKind.BOUNDARY)
        identity.scps = [p for p in (self.policy(path, PolicyKind.SCP) for path in config.scps) if p]
        self.identities[name] = identity
        return identity

    def parse(self, source: SourceFile) -> Document | None:
        loader = load_json if _is_json(source) else load_yaml
        try:
            doc = loader(source, self.config.limits)
        except LoadError as exc:
            self.problems.append(exc.problem)
            return None
        self.documents.append(doc)
        return doc


def _is_json(source: SourceFile) -> bool:
    suffix = source.path.suffix.lower()
    if suffix == ".json":
        return True
    return suffix not in (".yml", ".yaml") and source.text.lstrip()[:1] in ("{", "[")


def _display(path: Path, base: Path) -> str:
    absolute, real_base = os.path.abspath(path), os.path.realpath(base)
    for candidate, folder in ((absolute, os.path.abspath(base)), (os.path.realpath(path), real_base)):
        try:
            rel = os.path.relpath(candidate, folder)
        except ValueError:  # another drive
            continue
        if not rel.startswith(".."):
            return Path(rel).as_posix()
    return Path(absolute).as_posix()


Exclude = Callable[[Path], bool]


def discover(
    paths: list[Path], excluded: Exclude | None = None, buffers: Buffers | None = None
) -> tuple[list[Path], list[LoadProblem]]:
    """Files named by the paths: a file as given, a folder searched for stack manifests. ``excluded``
    tells which folders the search skips (each folder's own configuration decides); a file only in
    ``buffers`` (an editor's unsaved buffer) counts as there."""
    buffers = Buffers() if buffers is None else buffers
    found: list[Path] = []
    problems: list[LoadProblem] = []
    for path in paths:
        if path.is_dir():
            found.extend(_search(path, excluded or _never, problems))
        elif buffers.get(path) is not None or os.path.lexists(path):  # a file, or what is reported when read
            found.append(path)
        else:
            where = printable(path.as_posix())
            problems.append(LoadProblem("MPL001", f"no such file or folder: {where}", Span.point(where)))
    unique = sorted({os.path.realpath(p): p for p in found}.values(), key=lambda p: p.as_posix())
    return unique, problems


def _never(path: Path) -> bool:
    return False


def _search(folder: Path, excluded: Exclude, problems: list[LoadProblem]) -> list[Path]:
    out: list[Path] = []

    def unreadable(error: OSError) -> None:
        where = printable(Path(error.filename or folder).as_posix())
        problems.append(LoadProblem("MPL001", f"cannot read folder: {error.strerror or error}", Span.point(where)))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not excluded(Path(root, d)))
        out.extend(Path(root, name) for name in sorted(files) if name in MANIFEST_NAMES)
    return out


def excluded_by(config: Config) -> Exclude:
    return lambda path: any(path.match(pattern) for pattern in config.exclude)


def tree_roots(files: list[Path], config: Config, base: Path) -> set[str]:
    """The real paths a symlink may point into: the base folder, the configuration's, and the folders of the
    files linted and of the policies named."""
    named = [*files, *config.identity.policies, *config.identity.scps]
    named += [config.identity.boundary] if config.identity.boundary else []
    for identity in config.identities.values():
        named += [*identity.policies, *identity.scps, *([identity.boundary] if identity.boundary else [])]
    roots = {os.path.realpath(base), *([os.path.realpath(config.folder)] if config.folder else [])}
    for path in named:
        roots.add(os.path.realpath(path if path.is_dir() else path.parent))
    return roots


def load_project(
    paths: list[Path], config: Config, base: Path | None = None, buffers: Buffers | None = None
) -> Project:
    """The project of the stacks and policies the paths name, all under one configuration; files in
    ``buffers`` are read from there, not from disk."""
    files, problems = discover(paths, excluded_by(config), buffers)
    return load_files(files, config, base, problems, buffers)


def load_files(
    files: list[Path],
    config: Config,
    base: Path | None = None,
    problems: list[LoadProblem] | None = None,
    buffers: Buffers | None = None,
) -> Project:
    """Load discovered files: manifests with their query files, query files with their stack, policies."""
    buffers = Buffers() if buffers is None else buffers
    project = Project(config, base=base or Path.cwd(), buffers=buffers)
    project.roots = tree_roots(files, config, project.base)
    project.problems.extend(problems or ())
    stacks: dict[Path, Path] = {}
    for path in files:
        kind = classify(path, buffers)
        if kind == "manifest":
            stacks.setdefault(os.path.realpath(path), path)
        elif kind == "query":
            manifest = manifest_of(path, buffers)
            if manifest is not None:
                stacks.setdefault(os.path.realpath(manifest), manifest)
            else:
                project.skip(path, "query file outside a stack: no stackql_manifest.yml above it")
        elif kind == "policy":
            project.policy(path, PolicyKind.IDENTITY)
        else:
            project.skip(path, "not a stackql-deploy manifest, query file or IAM policy: skipped")
    for path in sorted(stacks.values(), key=lambda p: p.as_posix()):
        stack = load_stack(project, path)
        if stack is not None:
            project.stacks.append(stack)
    project.identity("default", config.identity)
    for name, identity in sorted(config.identities.items()):
        project.identity(name, identity)
    return project


POLICY_MARKS = re.compile(r"[\"']?(Statement|PolicyVersion)[\"']?\s*:")
MANIFEST_MARKS = re.compile(r"^(resources|globals|providers)\s*:", re.MULTILINE)


def classify(path: Path, buffers: Buffers | None = None) -> str:
    """manifest | query | policy | other, from the name and, for other files, a glance at the content."""
    if path.name in MANIFEST_NAMES:
        return "manifest"
    if path.suffix.lower() == ".iql":
        return "query"
    head = buffers.get(path) if buffers is not None else None
    head = head[:65536] if head is not None else _head_text(path)
    if head is None:
        return "policy"  # reported as unreadable (or not a regular file) when read
    if not head.strip():
        return "policy"  # reported as empty when read
    if POLICY_MARKS.search(head):
        return "policy"
    if path.suffix.lower() in (".yml", ".yaml") and MANIFEST_MARKS.search(head):
        return "manifest"
    return "other"


def _head_text(path: Path, size: int = 65536) -> str | None:
    """The start of a file as text, decoded by its byte-order mark if it has one."""
    data = read_head(path, size)
    if data is None:
        return None
    codec = next((codec for bom, codec, _ in BOMS if data.startswith(bom)), "utf-8")
    return data.decode(codec, errors="replace")


def manifest_of(query: Path, buffers: Buffers | None = None) -> Path | None:
    """The manifest of the nearest stack folder above a file."""
    buffers = Buffers() if buffers is None else buffers
    for folder in Path(os.path.realpath(query)).parents:
        for name in MANIFEST_NAMES:
            if buffers.is_file(folder / name):
                return folder / name
    return None


def load_stack(project: Project, path: Path) -> Stack | None:
    source = project.read(path)
    if source is None:
        return None
    doc = project.parse(source)
    if doc is None:
        return None
    stack = Stack(path.parent, doc, build_manifest(doc))
    if stack.manifest is None:
        return stack  # MPL108 (`mplint.checks.manifest`)
    for resource in stack.manifest.resources:
        _load_query(project, stack, resource)
    return stack


def query_path(stack_root: Path, resource: Resource) -> Path | None:
    name = resource.file or (f"{resource.name}.iql" if resource.name else None)
    return stack_root / "resources" / name if name else None


def _load_query(project: Project, stack: Stack, resource: Resource) -> None:
    path = query_path(stack.root, resource)
    if path is None:
        return
    stack.query_paths[resource.index] = path
    if project.buffers.get(path) is None and not os.path.lexists(path):
        return
    source = project.read(path)
    query = project.query_file(source) if source is not None else None
    if query is not None:
        stack.queries[resource.index] = query
