"""`mplint server`, started as a subprocess and spoken to over stdio by pytest-lsp's client."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
import yaml
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import FIXTURES

pytestmark = pytest.mark.asyncio
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "mplint", "server"])
TIMEOUT = 60


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A repository of stacks, each with its `stackql_manifest.yml`: the seed, a schema fixture, and a stack
    whose `.mplint.yaml` names its deploying identity's policy."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "seed", root / "stacks" / "seed")
    shutil.copytree(FIXTURES / "core" / "schema-values", root / "stacks" / "churn")
    shutil.copytree(FIXTURES / "permissions" / "kms-grant-missing", root / "stacks" / "kms")
    (root / "stacks" / "kms" / "fixture.yaml").rename(root / "stacks" / "kms" / ".mplint.yaml")
    (root / ".git").mkdir()
    return root


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    root: Path = request.getfixturevalue("workspace")
    lint_workspace = getattr(request, "param", True)
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), "repo")],
            initialization_options={"debounceMs": 10, "lintWorkspace": lint_workspace},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def diagnostics(
    client: LanguageClient, uri: str, ready: Callable[[list[lsp.Diagnostic]], bool]
) -> list[lsp.Diagnostic]:
    """The document's diagnostics once they satisfy ``ready`` (the server publishes as it lints)."""

    async def wait() -> list[lsp.Diagnostic]:
        while not (uri in client.diagnostics and ready(list(client.diagnostics[uri]))):
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), TIMEOUT)


def open_doc(client: LanguageClient, path: Path, language: str = "yaml") -> str:
    uri = path.as_uri()
    item = lsp.TextDocumentItem(uri, language, 1, path.read_text(encoding="utf-8"))
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
    return uri


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version, uri),
            [lsp.TextDocumentContentChangeWholeDocument(text)],
        )
    )


def seed_expected() -> list[tuple[int, str]]:
    entries = yaml.safe_load((FIXTURES / "seed" / "expected.yaml").read_text(encoding="utf-8"))
    return sorted((e["line"], e["rule"]) for e in entries if e["file"] == "stackql_manifest.yml")


def found(diags: list[lsp.Diagnostic]) -> list[tuple[int, str]]:
    return sorted((d.range.start.line + 1, str(d.code)) for d in diags)


@pytest.mark.parametrize("client", [False], indirect=True)
async def test_the_seed_gets_its_diagnostics_at_its_lines(client: LanguageClient, workspace: Path) -> None:
    uri = open_doc(client, workspace / "stacks" / "seed" / "stackql_manifest.yml")
    diags = await diagnostics(client, uri, lambda d: len(d) > 0)
    assert found(diags) == seed_expected()
    first = next(d for d in diags if d.code == "MPL107")
    assert first.severity == lsp.DiagnosticSeverity.Error and first.source == "mplint"
    assert first.code_description.href.endswith("/docs/rules/MPL107.md")
    assert list(first.tags) == [lsp.DiagnosticTag.Deprecated]
    assert (first.range.start.line, first.range.start.character) == (7, 15)  # 8:16, the `vars` of the template


async def test_a_two_stack_workspace_gets_diagnostics_on_both_manifests(
    client: LanguageClient, workspace: Path
) -> None:
    seed = (workspace / "stacks" / "seed" / "stackql_manifest.yml").as_uri()
    churn = (workspace / "stacks" / "churn" / "stackql_manifest.yml").as_uri()
    assert found(await diagnostics(client, seed, lambda d: len(d) > 0)) == seed_expected()
    churn_diags = await diagnostics(client, churn, lambda d: len(d) > 0)
    assert {str(d.code) for d in churn_diags} >= {"MPL203", "MPL204"}


@pytest.mark.parametrize("client", [False], indirect=True)
async def test_an_edit_to_a_wrong_enum_value_is_reported_and_its_code_action_fixes_it(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "stacks" / "churn" / "stackql_manifest.yml"
    uri = open_doc(client, path)
    before = await diagnostics(client, uri, lambda d: len(d) > 0)
    assert not any("Rejectd" in d.message for d in before)
    edited = path.read_text(encoding="utf-8").replace("value: Approve  # expect: MPL203", "value: Rejectd")
    change(client, uri, 2, edited)
    diags = await diagnostics(client, uri, lambda d: any(x.code == "MPL203" and "Rejectd" in x.message for x in d))
    wrong = next(d for d in diags if d.code == "MPL203")
    assert path.read_text(encoding="utf-8") != edited  # linted from the buffer, never written
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), wrong.range, lsp.CodeActionContext(diagnostics=[wrong]))
    )
    titles = [a.title for a in actions]
    assert "Replace `Rejectd` with `Rejected` (MPL203)" in titles
    assert "Disable MPL203 for this line" in titles and "Disable MPL203 for this file" in titles
    fix = next(a for a in actions if a.title.startswith("Replace `Rejectd`"))
    assert fix.is_preferred
    (doc_edit,) = fix.edit.document_changes
    assert doc_edit.text_document.version == 2
    fixed = _apply(edited, doc_edit.edits)
    assert "value: Rejected\n" in fixed
    change(client, uri, 3, fixed)
    after = await diagnostics(client, uri, lambda d: not any(x.code == "MPL203" for x in d))
    assert found(after) == [x for x in found(before) if x[1] != "MPL203"]


def _apply(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = starts[edit.range.start.line] + edit.range.start.character
        end = starts[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text


@pytest.mark.parametrize("client", [False], indirect=True)
async def test_a_broken_yaml_buffer_gives_one_diagnostic_and_the_server_lives_on(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "stacks" / "churn" / "stackql_manifest.yml"
    uri = open_doc(client, path)
    await diagnostics(client, uri, lambda d: len(d) > 0)
    change(client, uri, 2, "version: 1\nresources:\n  - name: [unclosed\n")
    broken = await diagnostics(client, uri, lambda d: len(d) == 1 and d[0].code == "MPL002")
    assert broken[0].range.start.line == 3
    change(client, uri, 3, path.read_text(encoding="utf-8"))
    again = await diagnostics(client, uri, lambda d: len(d) > 1)
    assert {str(d.code) for d in again} >= {"MPL203"}


@pytest.mark.parametrize("client", [False], indirect=True)
async def test_editing_a_query_file_relints_its_stack(client: LanguageClient, workspace: Path) -> None:
    stack = workspace / "stacks" / "churn"
    query = next((stack / "resources").glob("*.iql"))
    manifest_uri = open_doc(client, stack / "stackql_manifest.yml")
    await diagnostics(client, manifest_uri, lambda d: len(d) > 0)
    uri = open_doc(client, query, "sql")
    text = query.read_text(encoding="utf-8")
    change(client, uri, 2, text.replace("/*+ exists */", "/*+ exist */", 1))
    diags = await diagnostics(client, uri, lambda d: any(x.code == "MPL120" for x in d))
    unknown = next(d for d in diags if d.code == "MPL120")
    assert list(unknown.tags) == [lsp.DiagnosticTag.Unnecessary]


@pytest.mark.parametrize("client", [False], indirect=True)
async def test_hover_and_completion(client: LanguageClient, workspace: Path) -> None:
    stack = workspace / "stacks" / "churn"
    uri = open_doc(client, stack / "stackql_manifest.yml")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(21, 17))  # `model_approval_status`
    )
    assert hover.contents.value.startswith("**ModelApprovalStatus**: string")
    assert "`Approved`, `Rejected`, `PendingManualApproval`" in hover.contents.value
    text = (stack / "stackql_manifest.yml").read_text(encoding="utf-8")
    change(client, uri, 2, text.replace("value: Approve  # expect: MPL203", "value: Appr"))
    items = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), lsp.Position(22, 19))
    )
    assert [i.label for i in items.items] == ["Approved", "Rejected", "PendingManualApproval"]
    query = next((stack / "resources").glob("*.iql"))
    query_uri = open_doc(client, query, "sql")
    change(client, query_uri, 2, "/*+ st\n" + query.read_text(encoding="utf-8"))
    anchors = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(query_uri), lsp.Position(0, 6))
    )
    assert "statecheck" in [i.label for i in anchors.items]


@pytest.mark.parametrize("client", [True], indirect=True)
async def test_editing_a_policy_relints_the_stack_it_is_the_identity_for(
    client: LanguageClient, workspace: Path
) -> None:
    stack = workspace / "stacks" / "kms"
    manifest = (stack / "stackql_manifest.yml").as_uri()
    before = await diagnostics(client, manifest, lambda d: any(x.code == "MPL306" for x in d))
    policy = stack / "deploy-policy.json"
    uri = open_doc(client, policy, "json")
    text = policy.read_text(encoding="utf-8")
    added = '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*", '
    added += '"Condition": {"StringEquals": {"s3:prefix": "x"}}},'  # MPL415, which only parliament reports
    granted = text.replace('"kms:Decrypt",', '"kms:CreateGrant", "kms:Decrypt",', 1)
    granted = granted.replace('"Statement": [', '"Statement": [' + added, 1)
    assert granted.count("kms:CreateGrant") == 1 and granted.count('"s3:prefix"') == 1
    change(client, uri, 2, granted)
    after = await diagnostics(client, manifest, lambda d: not any(x.code == "MPL306" for x in d))
    assert found(after) == [x for x in found(before) if x[1] != "MPL306"]
    # parliament's findings on the policy come after the fast checks, in the same run
    await diagnostics(client, uri, lambda d: any(x.code == "MPL415" for x in d))
