#!/usr/bin/env python3
"""Benchmark: deriving what a stack of N model packages needs, native `aws` provider against `awscc`.

    .venv/bin/python benchmarks/bench_native_permissions.py [--resources 100] [--repeat 5] [--json]

Both stacks hold the same N versioned model packages with the same props; the native one is the query file of
fixtures/permissions/native-model-package (one API call per statement), the awscc one the same resource through
Cloud Control (`awscc.sagemaker.model_packages`, Identifier, PatchDocument). Each run loads the project and
derives every resource's requirements for all three commands (Context.needs); runs alternate between the
flavours, best of --repeat (after one untimed run of each, which loads the catalogs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mplint.app import LintOptions, resolve_config  # noqa: E402
from mplint.context import Context  # noqa: E402
from mplint.project import load_project  # noqa: E402

SOURCE = ROOT / "fixtures" / "permissions" / "native-model-package"
AWSCC_QUERY = """/*+ exists */
SELECT COUNT(*) as count
FROM awscc.sagemaker.model_packages
WHERE region = '{{ region }}'
AND Identifier = '{{ model_package_version_arn }}';

/*+ create */
INSERT INTO awscc.sagemaker.model_packages (
 ModelPackageGroupName, ModelPackageDescription, ModelApprovalStatus, InferenceSpecification, SecurityConfig,
 ValidationSpecification, Tags, region
)
SELECT
 'churn-models', '{{ model_package_description }}', '{{ model_approval_status }}', '{{ inference_specification }}',
 '{{ security_config }}', '{{ validation_specification }}', '{{ package_tags }}', '{{ region }}';

/*+ update */
UPDATE awscc.sagemaker.model_packages
SET PatchDocument = string('{{ { "ModelApprovalStatus": model_approval_status } | generate_patch_document }}')
WHERE region = '{{ region }}'
AND Identifier = '{{ model_package_version_arn }}';

/*+ exports */
SELECT model_package_arn
FROM awscc.sagemaker.model_packages
WHERE region = '{{ region }}'
AND Identifier = '{{ model_package_version_arn }}';

/*+ delete */
DELETE FROM awscc.sagemaker.model_packages
WHERE region = '{{ region }}'
AND Identifier = '{{ model_package_version_arn }}';
"""


def build_stack(root: Path, n: int, flavour: str) -> Path:
    stack = root / flavour
    (stack / "resources").mkdir(parents=True)
    manifest = (SOURCE / "stackql_manifest.yml").read_text(encoding="utf-8")
    head, rest = manifest.split("resources:\n", 1)
    package = rest[rest.index("  - name: churn_model_package\n") :]
    if flavour == "awscc":
        head = head.replace("aws::v26.08.00412", "awscc::v26.03.00379")
        query = AWSCC_QUERY
    else:
        query = (SOURCE / "resources" / "churn_model_package.iql").read_text(encoding="utf-8")
    body = "".join(package.replace("churn_model_package", f"churn_model_package_{i}") for i in range(n))
    (stack / "stackql_manifest.yml").write_text(head + "resources:\n" + body, encoding="utf-8")
    for i in range(n):
        (stack / "resources" / f"churn_model_package_{i}.iql").write_text(query, encoding="utf-8")
    return stack


def derive(stack: Path) -> tuple[float, int]:
    start = time.perf_counter()
    options = LintOptions(paths=[stack], base=stack, account="123456789012")
    project = load_project(options.paths, resolve_config(options), stack)
    ctx = Context(project)
    count = sum(len(n.requirements) for s in project.stacks for n in ctx.needs(s))
    return time.perf_counter() - start, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mplint-bench-native-"))
    try:
        stacks = {flavour: build_stack(tmp, args.resources, flavour) for flavour in ("awscc", "native")}
        for stack in stacks.values():
            derive(stack)  # loads the catalogs
        runs: dict[str, list[tuple[float, int]]] = {flavour: [] for flavour in stacks}
        for _ in range(args.repeat):  # alternating, so that a change in the machine's load hits both
            for flavour, stack in stacks.items():
                runs[flavour].append(derive(stack))
        results = {f: {"seconds": min(r[0] for r in rs), "requirements": rs[0][1]} for f, rs in runs.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = results["native"]["seconds"] / results["awscc"]["seconds"]
    if args.json:
        print(json.dumps({"resources": args.resources, **results, "ratio": ratio}, indent=2))
    else:
        for flavour, r in results.items():
            print(f"{flavour:7} {args.resources} resources: {r['seconds']:.3f} s, {r['requirements']} requirements")
        print(f"native / awscc: {ratio:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
