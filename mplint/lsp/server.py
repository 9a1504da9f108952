"""The language server: lints stacks as they are edited, publishes diagnostics, offers fixes, hovers and
completions.

Runs are scheduled per unit (a stack): an edit bumps the unit's generation and, after a short debounce, one
run lints it from the open buffers on one worker thread (the fast checks, then parliament when policies are
involved). A run whose unit changed while it ran is dropped and the unit is linted again, so what is
published always matches the text the editor holds.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from mplint import __version__
from mplint.findings import Finding
from mplint.lsp import convert, features
from mplint.lsp.linting import Run, lint_unit, path_of, units_of, workspace_units
from mplint.source import Buffers

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 0.03


class MplintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("mplint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.root = Path.cwd()
        self.folders: list[Path] = [self.root]  # the workspace folders, linted at start
        self.debounce = DEBOUNCE_SECONDS
        self.lint_workspace = True
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mplint-lint")
        self.generation: dict[Path, int] = {}
        self.tasks: dict[Path, asyncio.Task] = {}
        self.runs: dict[Path, Run] = {}  # the last published run of each unit
        self.versions: dict[Path, dict[str, int]] = {}  # the buffer versions each published run linted
        self.published: dict[str, list[lsp.Diagnostic]] = {}

    # -- scheduling -----------------------------------------------------------------------------------------

    def request(self, units: set[Path]) -> None:
        for unit in units:
            self.generation[unit] = self.generation.get(unit, 0) + 1
            if unit not in self.tasks:
                self.tasks[unit] = asyncio.get_running_loop().create_task(self._lint(unit))

    async def _lint(self, unit: Path) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(self.debounce)
                generation = self.generation[unit]
                buffers, versions = self.snapshot()
                run = await loop.run_in_executor(self.pool, lint_unit, unit, self.root, buffers, False)
                if self.generation[unit] != generation:
                    continue  # superseded while it ran: its diagnostics would be stale
                self.publish(run, versions)
                if run.has_policies:
                    run = await loop.run_in_executor(self.pool, lint_unit, unit, self.root, buffers, True)
                    if self.generation[unit] != generation:
                        continue
                    self.publish(run, versions)
                if self.generation[unit] == generation:
                    return
        except Exception:  # a defect here must not stop the server; the next edit tries again
            log.exception("linting %s failed", unit)
        finally:
            self.tasks.pop(unit, None)

    def snapshot(self) -> tuple[Buffers, dict[str, int]]:
        """The open documents' texts and versions, as they are now."""
        buffers = Buffers()
        versions: dict[str, int] = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            path = path_of(uri)
            if path is not None:
                buffers.set(path, doc.source)
                if doc.version is not None:
                    versions[uri] = doc.version
        return buffers, versions

    # -- publishing -----------------------------------------------------------------------------------------

    def publish(self, run: Run, versions: dict[str, int]) -> None:
        previous = self.runs.get(run.unit)
        self.runs[run.unit] = run
        self.versions[run.unit] = versions
        if run.error:
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, f"mplint: {run.error}"))
        for note in run.notifications:
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Warning, f"mplint: {note.message}"))
        touched = set(run.findings) | (set(previous.findings) if previous else set())
        for uri in sorted(touched):
            self._publish_uri(uri, versions.get(uri))

    def _publish_uri(self, uri: str, version: int | None) -> None:
        diagnostics = [diag for _, diag in self.diagnostics_of(uri)]
        if not diagnostics and not self.published.get(uri) and uri in self.published:
            return
        self.published[uri] = diagnostics
        params = lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        self.text_document_publish_diagnostics(params)

    def diagnostics_of(self, uri: str) -> list[tuple[Finding, lsp.Diagnostic]]:
        """Every unit's findings in one document (a policy shared by stacks appears once)."""
        seen: set[tuple] = set()
        out: list[tuple[Finding, lsp.Diagnostic]] = []
        for run in self.runs.values():
            for finding in run.findings.get(uri, ()):
                key = (finding.rule_id, finding.span, finding.message)
                if key not in seen:
                    seen.add(key)
                    out.append((finding, convert.diagnostic(finding, run.rules.get(finding.rule_id), self._uri(run))))
        return out

    def _uri(self, run: Run):
        return lambda display: run.uri(display, self.root)

    def run_of(self, uri: str, finding: Finding) -> Run | None:
        for run in self.runs.values():
            if finding in run.findings.get(uri, ()):
                return run
        return None

    # -- documents ------------------------------------------------------------------------------------------

    def changed(self, uri: str) -> None:
        path = path_of(uri)
        if path is None:
            return
        buffers, _ = self.snapshot()
        reads = {unit: run.read for unit, run in self.runs.items()}
        self.request(units_of(path, buffers, reads))


server = MplintServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: MplintServer, params: lsp.InitializeParams) -> None:
    folders = [path_of(folder.uri) for folder in params.workspace_folders or []]
    if not folders and params.root_uri:
        folders = [path_of(params.root_uri)]
    ls.folders = [folder for folder in folders if folder is not None] or [Path.cwd()]
    ls.root = ls.folders[0]  # paths in messages are shown relative to it
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    if isinstance(options.get("debounceMs"), (int, float)):
        ls.debounce = max(0.0, options["debounceMs"] / 1000)
    if options.get("lintWorkspace") is False:
        ls.lint_workspace = False


@server.feature(lsp.INITIALIZED)
async def initialized(ls: MplintServer, params: lsp.InitializedParams) -> None:
    if ls.lint_workspace:
        loop = asyncio.get_running_loop()
        for folder in ls.folders:
            units = await loop.run_in_executor(ls.pool, workspace_units, folder)
            ls.request(set(units))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: MplintServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: MplintServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: MplintServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: MplintServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)  # from now on the file on disk counts, not the closed buffer


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, convert.FIX_ALL]),
)
def code_action(ls: MplintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    wanted = params.context.only
    found = ls.diagnostics_of(uri)
    actions: list[lsp.CodeAction] = []
    if wanted is None or any(kind.startswith(lsp.CodeActionKind.QuickFix) for kind in wanted):
        doc = ls.workspace.get_text_document(uri)
        lines = doc.source.split("\n")
        blocks = features.block_scalar_lines(path_of(uri), doc.source)
        for finding, diag in found:
            if not _touches(diag.range, params.range):
                continue
            run = ls.run_of(uri, finding)
            if run is None:
                continue
            versions = ls.versions.get(run.unit, {})
            actions += convert.fix_actions(finding, diag, ls._uri(run), versions)
            in_block = finding.span.line in blocks
            actions += convert.suppress_actions(finding, diag, lines, in_block, ls._uri(run), versions)
    if wanted is None or convert.FIX_ALL in wanted or lsp.CodeActionKind.SourceFixAll in wanted:
        runs = [ls.run_of(uri, f) for f, _ in found]
        run = next((r for r in runs if r is not None), None)
        if run is not None:
            fix_all = convert.fix_all_action([f for f, _ in found], ls._uri(run), ls.versions.get(run.unit, {}))
            if fix_all is not None:
                actions.append(fix_all)
    return actions


def _touches(a: lsp.Range, b: lsp.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (b.start.line, b.start.character) <= (
        a.end.line,
        a.end.character,
    )


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: MplintServer, params: lsp.HoverParams) -> lsp.Hover | None:
    path = path_of(params.text_document.uri)
    if path is None:
        return None
    line, col = params.position.line + 1, params.position.character + 1
    text = ls.workspace.get_text_document(params.text_document.uri).source
    buffers, _ = ls.snapshot()
    try:
        if path.suffix.lower() in (".json", ".yml", ".yaml") and path.name not in features.MANIFEST_NAMES:
            return features.as_markup(features.action_hover(text, path, line, col))
        manifest = features.stack_manifest(path, buffers)
        bound = features.bind(manifest, ls.root, buffers) if manifest is not None else None
        if bound is None:
            return None
        if path.suffix.lower() == ".iql":
            return features.as_markup(features.query_hover(bound, path, line, col))
        return features.as_markup(features.manifest_hover(bound, line, col))
    except Exception:  # a hover is a nicety: never an error in the editor
        log.exception("hover on %s failed", path)
        return None


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" ", ":", "+"], resolve_provider=False)
)
def completion(ls: MplintServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    path = path_of(params.text_document.uri)
    if path is None:
        return None
    line, col = params.position.line + 1, params.position.character + 1
    text = ls.workspace.get_text_document(params.text_document.uri).source
    try:
        if path.suffix.lower() == ".iql":
            current = text.split("\n")[line - 1] if line <= text.count("\n") + 1 else ""
            items = features.anchor_items(current[: col - 1])
            return lsp.CompletionList(is_incomplete=False, items=items) if items else None
        if path.name not in features.MANIFEST_NAMES:
            return None
        edited = features.with_placeholder(text, line, col)
        if edited is None:
            return None
        buffers, _ = ls.snapshot()
        buffers.set(path, edited[0])
        bound = features.bind(path, ls.root, buffers)
        items = features.manifest_items(bound, edited[1]) if bound is not None else []
        return lsp.CompletionList(is_incomplete=False, items=items) if items else None
    except Exception:  # a completion is a nicety: never an error in the editor
        log.exception("completion in %s failed", path)
        return None


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: MplintServer, params: None) -> None:
    for task in list(ls.tasks.values()):
        task.cancel()
    ls.pool.shutdown(wait=False, cancel_futures=True)


def main() -> None:
    """Serve over stdio. Anything else in the process that prints (a library's warning) goes to stderr:
    standard output carries the protocol alone."""
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr
    server.start_io(sys.stdin.buffer, protocol_out)
