"""The `mplint` command line."""

# No `from __future__ import annotations` here: typer reads every option's annotation on every run, and
# strings it must compile and evaluate one by one (~7 ms of each run); objects it reads as they are.
import contextlib
import os
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from mplint import __version__

# click's base exception, as typer carries it (typer's own copy of click, or click itself in older typers)
CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class OneLineErrors(TyperGroup):
    """Usage errors (an unknown option, a bad value, a missing argument) as one line on stderr, exit 2, and in
    GitHub Actions as an error annotation too."""

    def main(self, *args: object, **kwargs: object) -> object:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except CLICK_ERROR as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `mplint` alone prints the help
                exc.show()  # type: ignore[attr-defined]
            else:
                line = usage_line(exc)
                typer.echo(line, err=True)
                _annotate_error(line.removeprefix("mplint: error: "))
            sys.exit(2)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def usage_line(exc: Exception) -> str:
    """click's message for a usage error, on one line, with where to find help."""
    message = " ".join(exc.format_message().split()).replace("Value error, ", "")  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    return f"mplint: error: {message.rstrip('.')}{hint}"


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _examples(*lines: tuple[str, str]) -> str:
    """An epilog of examples, each command and what it does, kept as written (`\\b`: no rewrapping)."""
    width = max(len(command) for command, _ in lines) + 2
    return "Examples:\n\n\b\n" + "\n".join(f"  {command:<{width}}{what}" for command, what in lines)


app = typer.Typer(
    name="mplint",
    cls=OneLineErrors,
    help="Lint stackql-deploy stacks before they deploy: manifests and query files against the resource schemas "
    "and stackql-deploy's rules, and IAM policies against what each command needs.",
    epilog=_examples(
        ("mplint lint", "lint every stack under the current folder"),
        ("mplint lint stacks/ --policy deploy-role.json", "also judge the deploying identity's policy"),
        ("mplint rules show MPL201", "one rule's documentation"),
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
)
rules_app = typer.Typer(
    help="List the rules, show one rule's documentation, test rules.",
    epilog=_examples(
        ("mplint rules", "id, level, default and summary of every rule"),
        ("mplint rules show MPL424", "one rule's documentation"),
        ("mplint rules test my-rules/", "test user rules against their fixtures"),
    ),
    invoke_without_command=True,
    context_settings=CONTEXT,
)
app.add_typer(rules_app, name="rules")


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    gitlab = "gitlab"
    junit = "junit"
    rdjson = "rdjson"


class SarifSuppressed(str, Enum):
    omit = "omit"
    include = "include"


class TableFormat(str, Enum):
    text = "text"
    json = "json"


class FailLevel(str, Enum):
    error = "error"
    warning = "warning"
    note = "note"
    never = "never"


# The options of `mplint lint` and `mplint permissions`, named once so that the signatures stay readable.
# Every option has a plain label (PATH, ID, N, ...), never the Python type.
PATHS = typer.Argument(metavar="[PATH]...", show_default=False, hidden=True)  # described in the docstring
OUTPUT = typer.Option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output.")
FAIL_LEVEL = typer.Option(
    "--fail-level",
    metavar="LEVEL",
    help="Exit 1 when a finding is at or above LEVEL: error, warning, note or never [default: warning, or the "
    "config's].",
)
SELECT = typer.Option(
    "--select",
    metavar="ID",
    help="Only these rules: ids or prefixes such as MPL2, comma-separated or repeated. Opt-in rules only by full id.",
)
IGNORE = typer.Option("--ignore", metavar="ID", help="Skip these rules (ids or prefixes; comma-separated).")
CONFIG = typer.Option(
    "--config", metavar="FILE", help="Configuration file (.mplint.yaml or pyproject.toml) [default: the nearest]."
)
ENV = typer.Option("--env", metavar="NAME", help="Stack environment(s) to check `values` for [default: all named].")
ENGINE = typer.Option(
    "--engine", metavar="N", help="stackql-deploy major version to check for: 1 or 2 [default: the stack's, else 2]."
)
POLICY = typer.Option(
    "--policy", metavar="FILE", help="IAM policy (JSON or YAML) of the deploying identity; repeatable."
)
BOUNDARY = typer.Option("--boundary", metavar="FILE", help="Permissions boundary of the deploying identity.")
SCP = typer.Option("--scp", metavar="FILE", help="Service control policy over the account; repeatable.")
COMMAND = typer.Option(
    "--command",
    metavar="COMMAND",
    help="stackql-deploy command(s) to check permissions for: build, test, teardown [default: all].",
)
ACCOUNT = typer.Option(
    "--account", metavar="ID", help="12-digit AWS account id, to derive the ARNs the manifest does not spell out."
)
COLOUR = typer.Option(
    "--color/--no-color",
    help="Colour text output [default: on a terminal, unless NO_COLOR; FORCE_COLOR forces it, but not into -o FILE].",
)
SHOW_SUPPRESSED = typer.Option("--show-suppressed", help="List suppressed findings in text output.")
CATEGORY = typer.Option("--category", metavar="ID", help="SARIF automationDetails.id (only when asked).")
FORMAT_HELP = (
    "Output format: text; json; sarif (code scanning, editors); github (workflow annotations, at most 10 per "
    "level); gitlab (Code Quality); junit (CI test tabs); rdjson (reviewdog)."
)
SARIF_SUPPRESSED = typer.Option(
    "--sarif-suppressed",
    metavar="WHICH",
    help="Suppressed findings in SARIF: omit (for uploads to code scanning) or include, marked as suppressed "
    "(for editors and archives).",
)
SUMMARY = typer.Option(
    "--summary",
    metavar="FILE",
    help="Append a markdown job summary to FILE [default: $GITHUB_STEP_SUMMARY when set, as in GitHub Actions].",
)
CHANGED = typer.Option(
    "--changed",
    help="The paths are changed files (as pre-commit passes them): lint the stacks they belong to and the stacks "
    "whose identity policies (config `policies`, `identities`) changed; leave other files out.",
)
RULES_DIR = typer.Option("--rules-dir", metavar="DIR", help="A folder of user rules (MPL900-MPL999); repeatable.")
FIX = typer.Option("--fix", help="Apply the safe fixes to the files, then report what remains.")
UNSAFE_FIXES = typer.Option("--unsafe-fixes", help="With --fix or --diff, also the fixes that may change behaviour.")
DIFF = typer.Option("--diff", help="Print the fixes as a unified diff instead of writing them; exit 1 if any.")
JOBS = typer.Option(
    "--jobs",
    "-j",
    min=1,
    metavar="N",
    help="Lint in N processes [default: the usable cores]; the output is the same.",
)
NO_CACHE = typer.Option("--no-cache", help="Lint every file again: neither read nor write the results cache.")
CACHE_DIR = typer.Option(
    "--cache-dir",
    metavar="DIR",
    envvar="MPLINT_CACHE_DIR",
    show_envvar=True,
    help="Keep the results cache in DIR [default: .mplint_cache beside the configuration, else in .].",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mplint {__version__}")
        typer.echo(_data_versions())
        raise typer.Exit()


def _data_versions() -> str:
    from mplint.about import data_versions

    return data_versions()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """mplint: a policy and permissions linter for stackql-deploy stacks."""


def _fail(message: str) -> typer.Exit:
    from mplint.files import printable

    message = printable(message)
    typer.echo(f"mplint: error: {message}", err=True)
    _annotate_error(message)
    return typer.Exit(2)


def _annotate_error(message: str) -> None:
    """In GitHub Actions, an exit-2 error is also an annotation, so that it shows on the run's page."""
    from mplint.ci_env import in_github_actions

    if in_github_actions(os.environ):
        from mplint.report.github import command

        sys.stdout.write(command("error", {"title": "mplint"}, message) + "\n")


@app.command(
    epilog=_examples(
        ("mplint lint", "every stack under the current folder"),
        ("mplint lint stacks/ --policy deploy-role.json", "with the deploying identity's policy"),
        ("mplint lint . -f sarif -o mplint.sarif", "SARIF for code scanning"),
        ("mplint lint policies/*.json --select MPL4", "IAM policies alone: their hygiene"),
    )
)
def lint(
    paths: Annotated[Optional[list[Path]], PATHS] = None,  # noqa: UP045 - typer reads the annotation
    output_format: Annotated[Format, typer.Option("--format", "-f", metavar="FORMAT", help=FORMAT_HELP)] = Format.text,
    output: Annotated[Optional[Path], OUTPUT] = None,  # noqa: UP045
    fail_level: Annotated[Optional[FailLevel], FAIL_LEVEL] = None,  # noqa: UP045
    select: Annotated[list[str], SELECT] = [],  # noqa: B006
    ignore: Annotated[list[str], IGNORE] = [],  # noqa: B006
    config: Annotated[Optional[Path], CONFIG] = None,  # noqa: UP045
    env: Annotated[list[str], ENV] = [],  # noqa: B006
    engine: Annotated[Optional[str], ENGINE] = None,  # noqa: UP045
    policy: Annotated[list[Path], POLICY] = [],  # noqa: B006
    boundary: Annotated[Optional[Path], BOUNDARY] = None,  # noqa: UP045
    scp: Annotated[list[Path], SCP] = [],  # noqa: B006
    command: Annotated[list[str], COMMAND] = [],  # noqa: B006
    account: Annotated[Optional[str], ACCOUNT] = None,  # noqa: UP045
    colour: Annotated[Optional[bool], COLOUR] = None,  # noqa: UP045
    show_suppressed: Annotated[bool, SHOW_SUPPRESSED] = False,
    category: Annotated[Optional[str], CATEGORY] = None,  # noqa: UP045
    rules_dir: Annotated[list[Path], RULES_DIR] = [],  # noqa: B006
    fix: Annotated[bool, FIX] = False,
    unsafe_fixes: Annotated[bool, UNSAFE_FIXES] = False,
    diff: Annotated[bool, DIFF] = False,
    sarif_suppressed: Annotated[SarifSuppressed, SARIF_SUPPRESSED] = SarifSuppressed.omit,
    summary: Annotated[Optional[Path], SUMMARY] = None,  # noqa: UP045
    changed: Annotated[bool, CHANGED] = False,
    jobs: Annotated[Optional[int], JOBS] = None,  # noqa: UP045
    no_cache: Annotated[bool, NO_CACHE] = False,
    cache_dir: Annotated[Optional[Path], CACHE_DIR] = None,  # noqa: UP045
) -> None:
    """Lint stacks, their query files and IAM policies.

    PATH: a manifest, a stack folder, a folder searched for stackql_manifest.yml, or an IAM policy file
    [default: .].

    Exit status: 0 nothing at or above --fail-level; 1 findings at or above it; 2 usage or tool error, or a
    check that failed on some file (the run is incomplete; not with --fail-level never). With --fix, the
    findings that remain after fixing decide; with --diff, 1 when there is a fix to apply.
    """
    import gc

    from mplint import ci_env
    from mplint.app import LintOptions, UsageError, lint_paths
    from mplint.batch import usable_cores
    from mplint.config import ConfigError
    from mplint.registry import RuleFileError

    gc.set_threshold(100_000, 50, 100)  # a lint run allocates many small, acyclic objects: collect less often
    options = LintOptions(
        paths=paths or [Path(".")],
        select=_split(select),
        ignore=_split(ignore),
        config=config,
        envs=tuple(_split(env)),
        fail_level=fail_level.value if fail_level else None,
        engine=_engine(engine),
        policies=policy,
        boundary=boundary,
        scps=scp,
        commands=_split(command),
        account=account,
        rules_dirs=rules_dir,
        jobs=jobs or usable_cores(),
        cache=not no_cache,
        cache_dir=cache_dir,
    )
    try:
        if changed and not _changed_paths(options):
            typer.echo("mplint: no stack, query file or policy among the changed files")
            raise typer.Exit(0)
        if fix or diff:
            from mplint.fix import fix_paths, write_changes

            outcome, fixed = fix_paths(options, unsafe_fixes)
            if diff:
                _write("".join(change.diff() for change in fixed.changes), output)
                raise typer.Exit(1 if fixed.changes else 0)
            try:
                write_changes(fixed)
            except OSError as exc:
                raise _fail(f"cannot write a fixed file: {exc.strerror or exc}") from None
            typer.echo(_fixed_summary(fixed.applied, len(fixed.changes)), err=True)
        else:
            outcome = lint_paths(options)
        report = outcome.render(
            output_format.value,
            {
                "colour": use_colour(colour, sys.stdout.isatty()) if output is None else bool(colour),
                "show_suppressed": show_suppressed,
                "category": category,
                "sarif_suppressed": sarif_suppressed.value,
                "azure_pipeline": ci_env.azure_pipeline(os.environ),
            },
        )
        _append_summary(outcome, summary, options.commands)
    except (ConfigError, RuleFileError, UsageError) as exc:
        raise _fail(str(exc)) from None
    except typer.Exit:
        raise
    except Exception as exc:  # the one-line cause, never a bare traceback
        raise _fail(f"internal error: {type(exc).__name__}: {exc}") from None
    _write(report, output)
    raise typer.Exit(outcome.exit_code)


def _fixed_summary(fixes: int, files: int) -> str:
    if not fixes:
        return "mplint: nothing to fix"
    return f"mplint: {fixes} {'fix' if fixes == 1 else 'fixes'} applied in {files} {'file' if files == 1 else 'files'}"


def _changed_paths(options) -> list[Path]:
    """Replace the paths of the options by what to lint for them as changed files; returns them."""
    from mplint.precommit import changed_paths

    options.paths = changed_paths(options.paths, Path.cwd(), options.config, tuple(options.policies))
    return options.paths


def _append_summary(outcome, path: Path | None, commands: list[str]) -> None:
    """The GitHub job summary, to --summary or $GITHUB_STEP_SUMMARY, with links to the lines at the commit."""
    from mplint import ci_env

    path = path or (Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None)
    if path is None:
        return
    text = outcome.render("summary", {"links": ci_env.github_links(os.environ), "commands": commands})
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise _fail(f"cannot write the job summary {path}: {exc.strerror or exc}") from None


def _engine(value: str | None) -> int | None:
    if value is not None and value.strip() not in ("1", "2"):
        raise _fail(f"--engine must be 1 or 2 (the stackql-deploy major version), not {value!r}")
    return int(value) if value is not None else None


def use_colour(flag: bool | None, terminal: bool, env: dict[str, str] | None = None) -> bool:
    """--color/--no-color, else NO_COLOR (no-color.org), else FORCE_COLOR (force-color.org), else a terminal.
    Each variable counts when set to anything but the empty string."""
    env = os.environ if env is None else env
    if flag is not None:
        return flag
    if env.get("NO_COLOR"):
        return False
    return bool(env.get("FORCE_COLOR")) or terminal


def _table_width(output: Path | None) -> int | None:
    """The width a table must fit: $COLUMNS, else the terminal's; None (no limit) for a file or a pipe."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if output is None and sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _write(report: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(report)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _rules(dirs: list[Path]) -> dict:
    """The built-in rules and those of the user rule folders; a bad rule file is a usage error."""
    from mplint.registry import RuleFileError, load_all_rules

    try:
        return load_all_rules(tuple(dirs))
    except RuleFileError as exc:
        raise _fail(str(exc)) from None


@rules_app.callback()
def rules_list(
    ctx: typer.Context,
    rules_dir: Annotated[
        list[Path], typer.Option("--rules-dir", metavar="DIR", help="Also the user rules in DIR; repeatable.")
    ] = [],  # noqa: B006
) -> None:
    """List every rule: id, level, default or opt-in, name and summary."""
    ctx.obj = rules_dir
    if ctx.invoked_subcommand is not None:
        return
    for rule in _rules(rules_dir).values():
        enabled = "default" if rule.default else "opt-in"
        typer.echo(f"{rule.id}  {rule.level.value:<7}  {enabled:<7}  {rule.name:<32}  {rule.summary}")


@rules_app.command(
    "show",
    epilog=_examples(
        ("mplint rules show MPL201", "the rule's level, summary and help"),
        ("mplint rules --rules-dir my-rules show MPL901", "a user rule"),
    ),
)
def rules_show(ctx: typer.Context, rule_id: Annotated[str, typer.Argument(metavar="ID", hidden=True)]) -> None:
    """Print one rule's documentation.

    ID: a rule id, such as MPL201 (any case)."""
    rule = _rules(ctx.obj or []).get(rule_id.upper())
    if rule is None:
        raise _fail(f"no rule {rule_id!r}; `mplint rules` lists them")
    tags = ", ".join(rule.tags) or "-"
    enabled = "on by default" if rule.default else f"opt-in (`--select {rule.id}` turns it on)"
    head = f"{rule.id} {rule.name}\nlevel: {rule.level.value}   {enabled}   tags: {tags}"
    typer.echo(f"{head}\n\n{rule.summary}\n\n{rule.help}")


@rules_app.command(
    "test",
    epilog=_examples(
        ("mplint rules test", "the built-in rules against the fixtures mplint ships"),
        ("mplint rules test my-rules/", "user rules against my-rules/fixtures"),
        ("mplint rules test my-rules/ --fixtures tests/stacks", "against fixtures kept elsewhere"),
    ),
)
def rules_test(
    folder: Annotated[Optional[Path], typer.Argument(metavar="DIR", show_default=False, hidden=True)] = None,  # noqa: UP045
    fixtures: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--fixtures", metavar="DIR", help="Folder of fixture stacks [default: DIR/fixtures, or mplint's own]."
        ),
    ] = None,
) -> None:
    """Test rules against fixture stacks.

    Each rule must report exactly at the lines marked `# expect: ID` in the fixtures. DIR: a folder of user
    rules [default: the built-in rules].

    Exit status: 0 every rule passes; 1 a rule fails; 2 usage or tool error."""
    from mplint import ruletest
    from mplint.registry import RuleFileError, builtin_rules, load_rules

    if folder is not None and not folder.is_dir():
        raise _fail(f"no such rules folder: {folder}")
    try:
        rules = builtin_rules() if folder is None else load_rules((folder,), user=True)
    except RuleFileError as exc:
        raise _fail(str(exc)) from None
    where = fixtures or (folder / "fixtures" if folder else ruletest.builtin_fixtures())
    if where is None:
        raise _fail("this install has no fixtures for the built-in rules: give a folder of them with --fixtures")
    if not where.is_dir():
        raise _fail(f"no fixtures folder {where}: give one with --fixtures")
    stacks = ruletest.find_stacks(where)
    if folder is None:  # fixtures that load user rules test those, not the built-in ones
        stacks = [s for s in stacks if not ruletest.uses_user_rules(s)]
    report = ruletest.run_tests(rules, stacks, Path.cwd(), (folder,) if folder else ())
    typer.echo(ruletest.render(report), nl=False)
    raise typer.Exit(0 if report.passed else 1)


@app.command(
    epilog=_examples(
        ("mplint server", "what an editor's LSP client starts"),
        ("mplint server --stdio", "the same, for clients that pass the transport"),
    )
)
def server(
    stdio: Annotated[
        bool, typer.Option("--stdio", help="Speak over stdin/stdout (the only transport; accepted for clients).")
    ] = True,
) -> None:
    """Run the language server over stdin/stdout, for editors.

    Needs `pip install 'mplint[lsp]'`. See docs/editors.md for VS Code, Neovim, Helix and JetBrains."""
    try:
        from mplint.lsp.server import main as serve
    except ImportError as exc:
        missing = exc.name or exc
        raise _fail(f"the language server needs the lsp extra: pip install 'mplint[lsp]' ({missing} missing)") from None
    serve()


def main() -> None:
    """Run the command line, then exit without tearing the heap down object by object: for a large run
    that takes a fifth of the run's time, and nothing is left to clean up (reports are written and closed)."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        if isinstance(exc.code, str):
            sys.stderr.write(exc.code + "\n")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed by the other end (a language client that exited)
            stream.flush()
    os._exit(code)


@app.command(
    epilog=_examples(
        ("mplint permissions stacks/churn", "what each resource needs per command, and why"),
        ("mplint permissions . --policy deploy-role.json", "the verdict on each action for that policy"),
        ("mplint permissions . --generate -o deploy-role.json", "a least-privilege policy"),
    )
)
def permissions(
    paths: Annotated[Optional[list[Path]], PATHS] = None,  # noqa: UP045 - typer reads the annotation
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: text or json.")
    ] = TableFormat.text,
    output: Annotated[Optional[Path], OUTPUT] = None,  # noqa: UP045
    config: Annotated[Optional[Path], CONFIG] = None,  # noqa: UP045
    env: Annotated[list[str], ENV] = [],  # noqa: B006
    policy: Annotated[list[Path], POLICY] = [],  # noqa: B006
    boundary: Annotated[Optional[Path], BOUNDARY] = None,  # noqa: UP045
    scp: Annotated[list[Path], SCP] = [],  # noqa: B006
    command: Annotated[list[str], COMMAND] = [],  # noqa: B006
    account: Annotated[Optional[str], ACCOUNT] = None,  # noqa: UP045
    fail_level: Annotated[Optional[FailLevel], FAIL_LEVEL] = None,  # noqa: UP045
    generate: Annotated[
        bool, typer.Option("--generate", help="Print a least-privilege policy for what the stacks need.")
    ] = False,
) -> None:
    """Show the IAM permissions each stack needs, per command.

    With --policy, the verdict on each action; with --generate, a least-privilege policy. PATH as for `lint`
    [default: .].

    Exit status: 0 no permission finding at or above --fail-level; 1 some; 2 usage or tool error."""
    from mplint.app import LintOptions, UsageError, lint_paths
    from mplint.config import ConfigError
    from mplint.files import printable
    from mplint.iam.generate import left_out, policy_json
    from mplint.registry import RuleFileError
    from mplint.report.permissions import permissions_json, permissions_text

    options = LintOptions(
        paths=paths or [Path(".")], config=config, envs=tuple(_split(env)), policies=policy, boundary=boundary,
        scps=scp, commands=_split(command), account=account, fail_level=fail_level.value if fail_level else None,
        only=("MPL3",),
    )  # fmt: skip
    try:
        outcome = lint_paths(options)
        contexts = [part.ctx for part in outcome.parts]
        for ctx in contexts:
            for problem in ctx.project.problems:
                where = f"{problem.span.path}:{problem.span.line}"
                typer.echo(printable(f"mplint: warning: {where}: {problem.message}"), err=True)
        failed = outcome.failed
        if generate:
            needs = [needs for ctx in contexts for stack in ctx.project.stacks for needs in ctx.needs(stack)]
            report = policy_json(needs)
            for action in left_out(needs):
                typer.echo(
                    f"mplint: warning: `{action}` is not an IAM action in the catalog; not in the policy", err=True
                )
            failed = False
        elif output_format is TableFormat.json:
            report = permissions_json(contexts)
        else:
            report = permissions_text(contexts, _table_width(output))
    except (ConfigError, RuleFileError, UsageError) as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # the one-line cause, never a bare traceback
        raise _fail(f"internal error: {type(exc).__name__}: {exc}") from None
    _write(report, output)
    raise typer.Exit(1 if failed else 0)
