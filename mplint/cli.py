"""The `mplint` command line."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from mplint import __version__

app = typer.Typer(
    name="mplint",
    help="Lint stackql-deploy stacks before they deploy: manifests and query files against the resource schemas "
    "and stackql-deploy's rules, and IAM policies against what each command needs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="List the rules, or show one rule's documentation.", invoke_without_command=True)
app.add_typer(rules_app, name="rules")


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class FailLevel(str, Enum):
    error = "error"
    warning = "warning"
    note = "note"
    never = "never"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mplint {__version__}")
        typer.echo(_data_versions())
        raise typer.Exit()


def _data_versions() -> str:
    """Where the bundled data comes from: a few small reads, no heavy imports."""
    from mplint.catalog.actions import catalog_meta
    from mplint.catalog.schemas import default_catalog

    try:
        actions = catalog_meta()
        date = (actions.get("updated_at") or "?")[:10]
        iam = f"{actions['package']} {actions['version']} ({date}, {actions['actions']} actions)"
        schemas = default_catalog()
        types = schemas.meta.get("types", "?")
        return f"resource schemas: {schemas.source_version} ({types} types)\nIAM actions: {iam}"
    except Exception as exc:  # a damaged install still prints its version
        return f"bundled data unreadable: {exc}"


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """mplint: a policy and permissions linter for stackql-deploy stacks."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"mplint: error: {message}", err=True)
    return typer.Exit(2)


@app.command()
def lint(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045 - typer reads the annotation
        typer.Argument(help="Manifests, stack folders, or folders searched for stackql_manifest.yml. Default: .", show_default=False),
    ] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to FILE instead of standard output.")] = None,  # noqa: UP045
    fail_level: Annotated[
        Optional[FailLevel],  # noqa: UP045
        typer.Option("--fail-level", help="Exit 1 when a finding is at or above this level [default: warning, or the config's]."),
    ] = None,
    select: Annotated[list[str], typer.Option("--select", help="Only these rules (ids or prefixes such as MPL2; comma-separated).")] = [],  # noqa: B006
    ignore: Annotated[list[str], typer.Option("--ignore", help="Skip these rules (ids or prefixes; comma-separated).")] = [],  # noqa: B006
    config: Annotated[Optional[Path], typer.Option("--config", help="Configuration file (.mplint.yaml or pyproject.toml).")] = None,  # noqa: UP045
    env: Annotated[list[str], typer.Option("--env", help="Stack environment(s) to check `values` for. Default: all named.")] = [],  # noqa: B006
    engine: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--engine", min=1, max=2, help="stackql-deploy major version to check for (1 or 2) [default: the stack's evidence, else 2]."),
    ] = None,
    policy: Annotated[list[Path], typer.Option("--policy", help="IAM policy (JSON or YAML) of the deploying identity; repeatable.")] = [],  # noqa: B006
    boundary: Annotated[Optional[Path], typer.Option("--boundary", help="Permissions boundary of the deploying identity.")] = None,  # noqa: UP045
    scp: Annotated[list[Path], typer.Option("--scp", help="Service control policy over the account; repeatable.")] = [],  # noqa: B006
    command: Annotated[list[str], typer.Option("--command", help="stackql-deploy command(s) to check permissions for: build, test, teardown [default: all].")] = [],  # noqa: B006
    account: Annotated[Optional[str], typer.Option("--account", help="AWS account id, to derive the ARNs the manifest does not spell out.")] = None,  # noqa: UP045
    colour: Annotated[Optional[bool], typer.Option("--color/--no-color", help="Colour text output [default: on a terminal].")] = None,  # noqa: UP045
    show_suppressed: Annotated[bool, typer.Option("--show-suppressed", help="List suppressed findings in text output.")] = False,
    category: Annotated[Optional[str], typer.Option("--category", help="SARIF automationDetails.id (only when asked).")] = None,  # noqa: UP045
) -> None:
    """Lint stacks. Exit 0: nothing at or above --fail-level; 1: findings at or above it; 2: usage or tool error."""
    from mplint.config import ConfigError
    from mplint.runner import LintOptions, lint_paths

    options = LintOptions(
        paths=paths or [Path(".")],
        select=_split(select),
        ignore=_split(ignore),
        config=config,
        envs=tuple(_split(env)),
        fail_level=fail_level.value if fail_level else None,
        engine=engine,
        policies=policy,
        boundary=boundary,
        scps=scp,
        commands=_split(command),
        account=account,
    )
    try:
        outcome = lint_paths(options)
        report = outcome.render(
            output_format.value,
            {
                "colour": colour if colour is not None else (output is None and sys.stdout.isatty()),
                "show_suppressed": show_suppressed,
                "category": category,
            },
        )
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # the one-line cause, never a bare traceback
        raise _fail(f"internal error: {type(exc).__name__}: {exc}") from None
    _write(report, output)
    raise typer.Exit(1 if outcome.failed else 0)


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


@rules_app.callback()
def rules_list(ctx: typer.Context) -> None:
    """List every rule: id, level, name and summary."""
    if ctx.invoked_subcommand is not None:
        return
    from mplint.rules import RuleFileError, builtin_rules

    try:
        rules = builtin_rules()
    except RuleFileError as exc:
        raise _fail(str(exc)) from None
    for rule in rules.values():
        typer.echo(f"{rule.id}  {rule.level.value:<7}  {rule.name:<32}  {rule.summary}")


@rules_app.command("show")
def rules_show(rule_id: Annotated[str, typer.Argument(help="A rule id, such as MPL201.")]) -> None:
    """Print one rule's documentation."""
    from mplint.rules import builtin_rules

    rule = builtin_rules().get(rule_id.upper())
    if rule is None:
        raise _fail(f"no rule {rule_id!r}; `mplint rules` lists them")
    tags = ", ".join(rule.tags) or "-"
    typer.echo(f"{rule.id} {rule.name}\nlevel: {rule.level.value}   tags: {tags}\n\n{rule.summary}\n\n{rule.help}")


def main() -> None:
    app()
