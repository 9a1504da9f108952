"""Changed files, as pre-commit passes them, turned into what to lint: the files mplint reads, and every stack whose
deploying identity a changed policy belongs to (its configuration's `policies`/`boundary`/`scps`, `identities`,
`resource-identities`), so that a commit editing only the deploy policy still lints the stacks it must allow."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from mplint.config import CONFIG_NAMES, Config, IdentityConfig, find_config, load_config
from mplint.discovery import MANIFEST_NAMES, classify, discover
from mplint.source import LoadError, Mapping, Sequence, load_yaml, read_source
from mplint.suppress import SUPPRESSIONS_FILE

# Policies found by name alone (as the hook always has): `*policy*.json`, or in a `policy/` or `policies/` folder.
POLICY_NAME = re.compile(r"(^|/)polic(y|ies)/[^/]+\.(json|ya?ml)$|polic(y|ies)[^/]*\.json$", re.IGNORECASE)
SETTINGS_NAMES = (*CONFIG_NAMES, "pyproject.toml", SUPPRESSIONS_FILE)  # a change can change every stack below


def identity_files(config: Config, extra: tuple[Path, ...] = ()) -> dict[Path, set[str]]:
    """Each policy file the configuration names (and ``extra`` ones, given with --policy), resolved, with the
    identities it belongs to."""
    identities: dict[str, IdentityConfig] = {"default": config.identity, **config.identities}
    owners: dict[Path, set[str]] = {path.resolve(): {"default"} for path in extra}
    for name, identity in identities.items():
        files = [*identity.policies, *identity.scps, *([identity.boundary] if identity.boundary else [])]
        for path in files:
            owners.setdefault(path.resolve(), set()).add(name)
    return owners


def changed_paths(
    paths: list[Path], root: Path, config: Path | None = None, policies: tuple[Path, ...] = ()
) -> list[Path]:
    """What to lint for these changed files: manifests and query files as they are (a query file is linted with its
    stack), policies known by name, and the stacks under ``root`` that a changed identity policy, configuration or
    suppressions file concerns. Each stack is judged by its own configuration (``config``: one for all). Other
    files (workflows, package.json, ...) are left out."""
    out: list[Path] = []
    policy_changes: set[Path] = set()
    settings: list[Path] = []
    for path in paths:
        if path.is_dir() or path.name in MANIFEST_NAMES or path.suffix.lower() == ".iql":
            out.append(path)
        elif path.name in SETTINGS_NAMES and _mplint_settings(path):
            settings.append(path.resolve())
        elif POLICY_NAME.search(path.as_posix()) and classify(path) == "policy":
            out.append(path)
            policy_changes.add(path.resolve())
        else:
            policy_changes.add(path.resolve())  # a stack's configuration may name it as an identity's policy
    if settings or policy_changes:
        out += _concerned(root, config, policies, settings, policy_changes)
    return list(dict.fromkeys(out))


def _concerned(
    root: Path, config: Path | None, policies: tuple[Path, ...], settings: list[Path], changed: set[Path]
) -> list[Path]:
    """The manifests under ``root`` below a changed settings file, or deployed by an identity a changed file is a
    policy of."""

    @cache
    def config_of(folder: Path) -> Config:
        return load_config(config or find_config(folder))

    manifests, _ = discover([root], lambda folder: any(folder.match(p) for p in config_of(folder.resolve()).exclude))
    out = []
    for manifest in manifests:
        folder = manifest.parent.resolve()
        if any(folder.is_relative_to(s.parent) for s in settings):
            out.append(manifest)
            continue
        settings_of = config_of(folder)
        owners = identity_files(settings_of, policies)
        identities = set().union(*(owners.get(path, set()) for path in changed))
        if identities & _deployers(manifest, settings_of):
            out.append(manifest)
    return out


def _deployers(manifest: Path, config: Config) -> set[str]:
    """The identities that deploy the manifest's resources: `resource-identities`, else the default one. A
    manifest that cannot be read counts for all (linting it reports why). It is read within the limits, as
    linting reads it."""
    try:
        root = load_yaml(read_source(manifest, manifest.as_posix(), config.limits)).root
        resources = root.get("resources") if isinstance(root, Mapping) else None
        resources = resources.to_python() if isinstance(resources, Sequence) else []
        names = [r.get("name") for r in resources if isinstance(r, dict)]
    except (LoadError, AttributeError, TypeError):
        return {"default", *config.identities}
    return {config.resource_identities.get(str(name), "default") for name in names}


def _mplint_settings(path: Path) -> bool:
    if path.name != "pyproject.toml":
        return True
    try:
        return "[tool.mplint" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
