"""From discovered files to loaded stacks and policies: reading and parsing. Load failures become MPL0xx findings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct, field

from mplint.config import Config, IdentityConfig
from mplint.discovery import classify, discover, display_path, excluded_by, manifest_of, tree_roots
from mplint.findings import Span
from mplint.model.manifest import Manifest, Resource, build_manifest
from mplint.model.query import QueryFile, parse_query_file
from mplint.source import Buffers, Document, LoadError, LoadProblem, SourceFile, load_json, load_yaml, read_source

if TYPE_CHECKING:  # the policy model is imported only by runs that read a policy
    from mplint.model.policy import PolicyFile, PolicyKind


class Stack(Struct, eq=False):
    """A stack: its folder, its manifest document and model, and each resource's query file."""

    root: Path
    doc: Document
    manifest: Manifest | None
    queries: dict[int, QueryFile] = field(default_factory=dict)  # by resource index
    query_paths: dict[int, Path] = field(default_factory=dict)  # where each resource's query file is (or would be)

    @property
    def path(self) -> str:
        return self.doc.source.display


class Identity(Struct, eq=False):
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


class Project(Struct, eq=False):
    """What a run loads: configuration, stacks, documents, sources, policies, identities, load problems."""

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
        display = self._display.get(path)
        if display is None:  # once per path and run: it resolves links, a system call per folder
            display = self._display[path] = display_path(path, self.base)
        return display

    def read(self, path: Path, any_bom: bool = False) -> SourceFile | None:
        display = self.display(path)
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
        from mplint.model.policy import PolicyDocument, PolicyFile

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
        self.identities[name] = identity
        if not (config.policies or config.boundary is not None or config.scps):
            return identity
        from mplint.model.policy import PolicyKind

        identity.policies = [p for p in (self.policy(path, PolicyKind.IDENTITY) for path in config.policies) if p]
        if config.boundary is not None:
            identity.boundary = self.policy(config.boundary, PolicyKind.BOUNDARY)
        identity.scps = [p for p in (self.policy(path, PolicyKind.SCP) for path in config.scps) if p]
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
            from mplint.model.policy import PolicyKind

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
    found: dict[str, tuple[Path, QueryFile | None]] = {}  # query file name -> its path and parse
    for resource in stack.manifest.resources:
        _load_query(project, stack, resource, found)
    return stack


def _load_query(
    project: Project, stack: Stack, resource: Resource, found: dict[str, tuple[Path, QueryFile | None]]
) -> None:
    """The resource's query file, looked for once per name: many resources of a stack may share one."""
    name = resource.file or (f"{resource.name}.iql" if resource.name else None)
    if name is None:
        return
    if name not in found:
        path = stack.root / "resources" / name
        query = None
        if project.buffers.get(path) is not None or os.path.lexists(path):
            source = project.read(path)
            query = project.query_file(source) if source is not None else None
        found[name] = (path, query)
    path, query = found[name]
    stack.query_paths[resource.index] = path
    if query is not None:
        stack.queries[resource.index] = query
