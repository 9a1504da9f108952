"""The `mplint permissions` report: every requirement of each resource with its reasons and, given
policies, its verdict; as a table for people or JSON for scripts.

The table fits a given width (the terminal's): the ACTION and VERDICT columns keep theirs, RESOURCE,
COMMANDS and WHY wrap; the JSON has every text whole."""

from __future__ import annotations

import textwrap

from mplint.context import Context
from mplint.findings import Level
from mplint.iam.assess import LOWER, Assessment, ResourceReport, join_and, level_of, policy_names, short_name
from mplint.iam.context import RequestContext
from mplint.iam.requirements import Origin, Requirement, State


def build_report(ctx: Context) -> list[ResourceReport]:
    return [report for stack in ctx.project.stacks for report in ctx.permission_reports(stack)]


def permissions_text(contexts: list[Context], width: int | None = None) -> str:
    """The table for every part of the run (parts differ in configuration), within ``width`` columns (None:
    lines as long as their cells)."""
    text = "".join(report_text(ctx, reports, width) for ctx in contexts if (reports := build_report(ctx)))
    return text or "no resource of a known type\n"


def permissions_json(contexts: list[Context]) -> str:
    import json

    commands = list(dict.fromkeys(c for ctx in contexts for c in ctx.config.commands))
    stacks = [s for ctx in contexts for s in report_json(ctx, build_report(ctx), tuple(commands))["stacks"]]
    return json.dumps({"commands": commands, "stacks": stacks}, indent=2, ensure_ascii=False) + "\n"


def _level(ctx: Context, assessment: Assessment) -> Level | None:
    return level_of(assessment, ctx.level(assessment.rule)) if assessment.rule else None


def why(req: Requirement) -> str:
    """The reason column: what makes the action necessary (or not)."""
    if req.note:
        return req.note + _context(req)
    if req.state is State.ABSENT and req.overlays and req.overlays[0].never:
        return f"not needed: {req.overlays[0].why}"
    if req.state is State.ABSENT:
        conditions = join_and([f"`{' or '.join(o.when)}`" for o in req.overlays[:2]])
        return f"not needed: only when {conditions} is set"
    if req.trigger is not None:
        where = f"{short_name(req.trigger.span.path)}:{req.trigger.span.line}"
        verb = "may call for it" if req.state is State.MAYBE else "is set"
        return f"{req.trigger.path} {verb} ({where}){_context(req)}"
    if Origin.CLOUD_CONTROL in req.origins:
        return "the Cloud Control API request"
    if Origin.NATIVE in req.origins:
        return "the service API call of the provider method"
    return "listed by the handler, always needed"


def _context(req: Requirement) -> str:
    """The request context the call carries, as the generated policy's condition uses it."""
    if not req.context:
        return ""
    return " [" + ", ".join(f"{key}={value}" for key, value in req.context) + "]"


def verdict_text(ctx: Context, assessment: Assessment | None) -> str:
    if assessment is None:
        return ""
    decision = assessment.verdict.decision.value
    if assessment.rule is None:
        return decision
    level = _level(ctx, assessment)
    if assessment.requirement.state is State.ABSENT:  # one level lower: the manifest does not need it
        level = LOWER[level] if level else None
        return f"{decision} ({level.value if level else ''}, not needed here)"
    return f"{decision} ({assessment.rule} {level.value if level else ''})"


def by_command(req: Requirement) -> dict[str, list[str]]:
    """command -> the operations of it that need the action, in order."""
    out: dict[str, list[str]] = {}
    for need in req.needs:
        ops = out.setdefault(need.command, [])
        if need.operation not in ops:
            ops.append(need.operation)
    return out


def _commands(req: Requirement) -> str:
    return " ".join(f"{c}:{','.join(ops)}" for c, ops in by_command(req).items())


def report_text(ctx: Context, reports: list[ResourceReport], width: int | None = None) -> str:
    lines: list[str] = []
    for report in reports:
        needs = report.needs
        binding, place = needs.binding, needs.place
        what = ", ".join(needs.tables) if needs.tables else f"{binding.cfn_type} via {binding.stackql_name}"
        head = [
            f"{report.stack}: {needs.resource.name} ({what}, {needs.flavour})",
            f"  partition {place.partition}, region {place.region or 'unknown'}, account {place.account or 'unknown'}",
        ]
        if report.unchecked is not None:
            head.append(f"  not checked: {report.unchecked.message}")
        elif report.identity is not None and report.assessments:
            head.append(f"  identity {report.identity.name}: {policy_names(report.identity)}")
        lines += [part for line in head for part in _wrap_line(line, width)]
        numbers = _context_numbers(report)
        rows = [("ACTION", "RESOURCE", "COMMANDS", "CONTEXT", "VERDICT", "WHY")]
        for i, req in enumerate(needs.requirements):
            assessment = report.assessments[i] if report.assessments else None
            used = ",".join(str(numbers[c]) for c in report.contexts[i]) if report.contexts else "-"
            rows.append((req.action, req.arn, _commands(req), used, verdict_text(ctx, assessment) or "-", why(req)))
        lines += _table(rows, indent="  ", width=width)
        # the contexts the CONTEXT column numbers, after the table: what is needed is read first
        lines += [part for line in _context_lines(list(numbers)) for part in _wrap_line(line, width)]
        lines.append("")
    return "\n".join(lines) + ("\n" if lines else "")


GAP = "  "
WRAPPING = (1, 2, 5)  # RESOURCE, COMMANDS and WHY wrap; ACTION, CONTEXT and VERDICT are read whole
NARROWEST = 20  # narrower than this, a wrapping column is hard to read: one block per action instead


def _table(rows: list[tuple[str, ...]], indent: str, width: int | None = None) -> list[str]:
    widths = _widths(rows, None if width is None else width - len(indent))
    if widths is None:
        return _blocks(rows, indent, width or 0)
    out = []
    for row in rows:
        cells = [_wrap_cell(cell, w) for cell, w in zip(row, widths, strict=True)]
        for n in range(max(len(c) for c in cells)):
            parts = [(c[n] if n < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
            out.append((indent + GAP.join(parts)).rstrip())
    return out


def _widths(rows: list[tuple[str, ...]], room: int | None) -> list[int] | None:
    """Each column's width: its longest cell, the widest wrapping column narrowed until the rows fit;
    None when they fit only with a wrapping column narrower than NARROWEST."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    if room is None:
        return widths
    while sum(widths) + len(GAP) * (len(widths) - 1) > room:
        widest = max(WRAPPING, key=lambda i: widths[i])
        if widths[widest] <= NARROWEST:
            return None
        widths[widest] -= 1
    return widths


def _blocks(rows: list[tuple[str, ...]], indent: str, width: int) -> list[str]:
    """For a narrow terminal: each action on a line with its verdict, then its resource, commands and why."""
    out: list[str] = []
    names = [name.lower() for name in rows[0]]
    label = max(len(names[i]) for i in WRAPPING) + 2
    room = max(NARROWEST, width - len(indent) - 4 - label)
    for row in rows[1:]:
        out += _wrap_line(f"{indent}{row[0]}: {row[4]} (context {row[3]})", width)
        for i in WRAPPING:
            lines = _wrap_cell(row[i], room)
            out.append(f"{indent}    {names[i]:<{label}}{lines[0]}")
            out += [f"{indent}    {'':<{label}}{line}" for line in lines[1:]]
    return out


def _wrap_cell(text: str, width: int) -> list[str]:
    """A cell as lines of at most ``width``: broken after a space, `/`, `:` or `,` where one is near the end,
    else at the width (an ARN has no spaces)."""
    lines: list[str] = []
    while len(text) > width:
        cut = max((text.rfind(c, 0, width) for c in " /:,"), default=-1) + 1
        if cut < width // 2:
            cut = width
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*lines, text]


def _wrap_line(line: str, width: int | None) -> list[str]:
    if width is None or len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    return textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [line]


def _context_numbers(report: ResourceReport) -> dict[RequestContext, int]:
    """Each distinct request context of the resource, numbered in the order the requirements use them."""
    numbers: dict[RequestContext, int] = {}
    for group in report.contexts:
        for context in group:
            numbers.setdefault(context, len(numbers) + 1)
    return numbers


def _context_lines(contexts: list[RequestContext]) -> list[str]:
    """The request contexts assumed: the keys all of them share once, then what each one adds or changes."""
    if not contexts:
        return []
    facts = [{f.key: f for f in c.facts()} for c in contexts]
    shared = {k: f for k, f in facts[0].items() if all(k in other and other[k] == f for other in facts[1:])}
    lines = ["  request context assumed (a key not listed is not known before deploying):"]
    lines += [f"    {f.key} = {f.shown()}  ({f.source})" for f in shared.values()]
    for number, (context, own) in enumerate(zip(contexts, facts, strict=True), 1):
        lines.append(f"  context {number}:")
        lines += [f"    {f.key} = {f.shown()}  ({f.source})" for k, f in own.items() if k not in shared]
        lines += [
            f"    {fam.label}: {'no others' if fam.members else 'none'}  ({fam.source})" for fam in context.families
        ]
    return lines


def _context_json(context: RequestContext) -> dict:
    return {
        "keys": {f.key: {"values": _values_json(f), "source": f.source} for f in context.facts()},
        "complete": {fam.label: fam.source for fam in context.families},
    }


def _values_json(fact) -> list[str] | str | None:
    if fact.values is None:
        return None
    if isinstance(fact.values, tuple):
        return list(fact.values)
    return "unknown"


def report_json(ctx: Context, reports: list[ResourceReport], commands: tuple[str, ...]) -> dict:
    stacks: dict[str, list[dict]] = {}
    for report in reports:
        stacks.setdefault(report.stack, []).append(_resource_json(ctx, report))
    return {"commands": list(commands), "stacks": [{"path": p, "resources": r} for p, r in stacks.items()]}


def _resource_json(ctx: Context, report: ResourceReport) -> dict:
    needs = report.needs
    place = needs.place
    out = {
        "name": needs.resource.name,
        "type": None if needs.tables else needs.binding.cfn_type,
        "stackql": ", ".join(needs.tables) if needs.tables else needs.binding.stackql_name,
        "flavour": needs.flavour,
        "place": {"partition": place.partition, "region": place.region, "account": place.account},
        "identity": report.identity.name if report.identity and report.assessments else None,
        "not_checked": report.unchecked.message if report.unchecked else None,
        "requirements": [],
    }
    numbers = _context_numbers(report)
    out["contexts"] = [_context_json(c) for c in numbers]
    for i, req in enumerate(needs.requirements):
        assessment = report.assessments[i] if report.assessments else None
        item = _requirement_json(ctx, req, assessment)
        item["contexts"] = [numbers[c] for c in report.contexts[i]] if report.contexts else []
        out["requirements"].append(item)
    return out


def _requirement_json(ctx: Context, req: Requirement, assessment: Assessment | None) -> dict:
    trigger = req.trigger
    return {
        "action": req.action,
        "resource": "*" if req.wildcard_only else req.arn,
        "wildcard_only": req.wildcard_only,
        "unknown": list(req.unknown),
        "state": req.state.value,
        "context": dict(req.context),
        "commands": by_command(req),
        "origins": sorted(o.value for o in req.origins),
        "why": why(req),
        "trigger": None
        if trigger is None
        else {
            "path": trigger.path,
            "file": trigger.span.path,
            "line": trigger.span.line,
            "col": trigger.span.col,
            "env": trigger.env,
            "overlay": trigger.overlay.id,
            "source": trigger.overlay.source,
        },
        "verdict": None
        if assessment is None
        else {
            "decision": assessment.verdict.decision.value,
            "rule": assessment.rule,
            "text": verdict_text(ctx, assessment),
            "statements": [
                {"policy": m.policy.name, "statement": m.statement.label, "effect": m.effect, "line": m.span.line}
                for m in assessment.verdict.deciding
            ],
            "notes": list(assessment.verdict.notes),
            "unknown_keys": list(assessment.verdict.condition_keys),
        },
    }
