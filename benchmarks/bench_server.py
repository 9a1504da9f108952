"""Benchmark: time from `didChange` to `publishDiagnostics` in `mplint server`, on the seed manifest and on a
generated stack of 100 model packages, against the same lint in a fresh `mplint lint` process.

    python benchmarks/bench_server.py [--repeat 20] [--debounce-ms 30]

The server runs as a subprocess spoken to over stdio by pygls's client. Each change edits one prop's value;
the time is taken from sending the change to receiving the manifest's diagnostics for that edit. The stacks
name no policy, so parliament (which runs after the fast checks) is not part of the time. The peer is
`mplint lint` on the same stack in a new process, the time a save hook would take.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lint import write_stack

ROOT = Path(__file__).resolve().parent.parent


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("bench", "1")
        self.arrived: asyncio.Queue[lsp.PublishDiagnosticsParams] = asyncio.Queue()

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: lsp.PublishDiagnosticsParams) -> None:
            self.arrived.put_nowait(params)


async def diagnostics_for(client: Client, uri: str, version: int) -> list[lsp.Diagnostic]:
    while True:
        params = await client.arrived.get()
        if params.uri == uri and (params.version is None or params.version >= version):
            return list(params.diagnostics)


async def latencies(manifest: Path, repeat: int, debounce_ms: int) -> tuple[list[float], int]:
    client = Client()
    await client.start_io(sys.executable, "-m", "mplint", "server")
    root = manifest.parent
    await client.initialize_async(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), "bench")],
            initialization_options={"debounceMs": debounce_ms, "lintWorkspace": False},
        )
    )
    client.initialized(lsp.InitializedParams())
    uri = manifest.as_uri()
    text = manifest.read_text(encoding="utf-8")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, text)))
    found = await asyncio.wait_for(diagnostics_for(client, uri, 1), 120)  # the first run loads the catalogs
    times: list[float] = []
    for version in range(2, repeat + 2):
        edited = edit(text, version)
        start = time.perf_counter()
        change = lsp.TextDocumentContentChangeWholeDocument(edited)
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(version, uri), [change])
        )
        await asyncio.wait_for(diagnostics_for(client, uri, version), 60)
        times.append(time.perf_counter() - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times, len(found)


def edit(text: str, version: int) -> str:
    """One prop's value changed: a wrong enum value and back in the generated stack, a prop of the seed
    given a literal in place of its placeholder."""
    if "PendingManualApproval" in text:
        return text.replace("PendingManualApproval", "Approve" if version % 2 else "Rejected", 1)
    return text.replace("'{{ ModelApprovalStatus }}'", "Approve" if version % 2 else "Approved", 1)


def cli_time(manifest: Path, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mplint", "lint", str(manifest)], capture_output=True, check=False)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--debounce-ms", type=int, default=30, help="the server's debounce (its default: 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp, "seed")
        shutil.copytree(ROOT / "fixtures" / "seed", seed)
        big = Path(tmp, "n100")
        write_stack(big, 100)
        print(f"didChange -> publishDiagnostics, median of {args.repeat} (debounce {args.debounce_ms} ms)")
        print("| stack | diagnostics | server median | min | max | `mplint lint` process | ratio |")
        print("|---|---|---|---|---|---|---|")
        for name, folder in (("seed", seed), ("100 resources", big)):
            manifest = (folder / "stackql_manifest.yml").resolve()
            times, count = asyncio.run(latencies(manifest, args.repeat, args.debounce_ms))
            peer = cli_time(manifest, max(3, args.repeat // 4))
            median = statistics.median(times)
            print(
                f"| {name} | {count} | {median * 1000:.0f} ms | {min(times) * 1000:.0f} ms | "
                f"{max(times) * 1000:.0f} ms | {peer * 1000:.0f} ms | {median / peer:.2f} |"
            )


if __name__ == "__main__":
    main()
