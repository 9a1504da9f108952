"""MPL135 on RFC 6902 patch paths at or below a nested create-only pointer (`ComputeResources/SpotIamFleetRole`)."""

from __future__ import annotations

from pathlib import Path

from mplint.app import LintOptions, lint_paths

MANIFEST = """\
version: 1
name: batch
providers:
  - awscc
globals:
  - name: region
    value: us-east-1
resources:
  - name: compute
    props:
      - name: compute_arn
        value: arn:aws:batch:us-east-1:123456789012:compute-environment/spot
"""
QUERY = """\
/*+ update */
UPDATE awscc.batch.compute_environments
SET data__PatchDocument = string('[
  {{"op": "replace", "path": "/ComputeResources/SpotIamFleetRole", "value": "arn:aws:iam::123456789012:role/f"}},
  {{"op": "replace", "path": "/ComputeResources/MaxvCpus", "value": 64}},
  {{"op": "add", "path": "/{extra}", "value": "x"}}
]')
WHERE region = '{{{{ region }}}}'
AND data__Identifier = '{{{{ compute_arn }}}}';
"""


def lint(tmp_path: Path, extra: str) -> list[tuple[int, str, str]]:
    (tmp_path / "resources").mkdir(exist_ok=True)
    (tmp_path / "stackql_manifest.yml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "resources" / "compute.iql").write_text(QUERY.format(extra=extra), encoding="utf-8")
    outcome = lint_paths(LintOptions(paths=[tmp_path], base=tmp_path, select=["MPL135"]))
    return sorted((f.span.line, f.rule_id, f.message) for f in outcome.result.findings)


def test_nested_create_only_path_in_a_patch(tmp_path: Path) -> None:
    found = lint(tmp_path, "State")
    assert [(line, rule) for line, rule, _ in found] == [(4, "MPL135")]  # MaxvCpus and State are updatable
    assert "changes `ComputeResources/SpotIamFleetRole`, which is create-only" in found[0][2]


def test_top_level_create_only_path_still_reported(tmp_path: Path) -> None:
    found = lint(tmp_path, "ComputeEnvironmentName")
    assert [(line, rule) for line, rule, _ in found] == [(4, "MPL135"), (6, "MPL135")]
