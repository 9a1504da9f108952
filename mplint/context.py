"""What a check sees: the loaded project, the configuration and the catalogs, with shared analyses computed once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from mplint.catalog.schemas import SchemaCatalog
from mplint.config import Config
from mplint.project import Project, Stack
from mplint.stackql.binding import Binding, bind


@dataclass(eq=False)
class Context:
    project: Project
    envs: tuple[str, ...] = ()
    engine: int | None = None  # stackql-deploy major version to target (1 or 2); None: the stack's own evidence, else 2
    _bindings: dict[int, list[Binding]] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.project.config

    @cached_property
    def schemas(self) -> SchemaCatalog:
        return SchemaCatalog()

    def bindings(self, stack: Stack) -> list[Binding]:
        """One binding per manifest resource, computed once per run."""
        cached = self._bindings.get(id(stack))
        if cached is None:
            cached = self._bindings[id(stack)] = self._bind(stack)
        return cached

    def _bind(self, stack: Stack) -> list[Binding]:
        manifest = stack.manifest
        if manifest is None:
            return []
        envs = self.envs or self.config.envs
        return [
            bind(
                manifest,
                resource,
                stack.queries.get(resource.index),
                self.schemas.cfn_type,
                self.config.resources.get(resource.name or ""),
                envs,
            )
            for resource in manifest.resources
        ]
