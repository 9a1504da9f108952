"""Benchmark: lint generated stacks of N model packages end to end, against cfn-lint on the same resources.

    python benchmarks/bench_lint.py [--sizes 1,100,1000,10000] [--repeat 3] [--cfn-lint PATH | --no-cfn-lint]
                                    [--flavours 100]

For each N it writes a stack (manifest + one shared query file) and the same resources as a CloudFormation
template, then runs `mplint lint --no-cache` (cold: no results cache) and cfn-lint (on PATH, or --cfn-lint;
install it in a separate environment, e.g. `python -m venv /tmp/peer && /tmp/peer/bin/pip install
cfn-lint==1.58.0`) in fresh processes, in turns (mplint, cfn-lint, mplint, ...: a drift in the machine's speed
meets both): the best wall time of --repeat runs (cfn-lint once above N = 1,000, where it takes minutes), its
CPU time and peak memory (benchmarks/measure.py), and the ratio. Also `mplint --version` and the valid
ModelPackage fixture, cold.

Then (--flavours N, 0 to skip) the same N model packages on the native `aws` provider (pinned v26.08, the
query file of fixtures/valid/native-model-package) against `awscc` (the Cloud Control query file with awscc's
names): the native stack is checked against the native catalog, the awscc one against the CloudFormation schema.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from measure import HEADER, Measure, best, load, run, run_interleaved

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "valid"
VALID = FIXTURES / "model-package-stack"
QUERY = VALID / "resources" / "churn_model_package.iql"
NATIVE_QUERY = FIXTURES / "native-model-package" / "resources" / "churn_model_package.iql"
# mplint's default limits (mplint.limits): the manifest of 10,000 resources is 11 MB with 840,000 nodes, over
# them; its stack gets a configuration that raises them, as a team with such a stack would write
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 250_000
NODES_PER_RESOURCE = 84  # YAML nodes write_stack writes for one resource
RAISED_LIMITS = "limits:\n  file-bytes: 100000000\n  nodes: 10000000\n  expanded-nodes: 10000000\n"
PROVIDERS = {"aws": "aws", "native": "aws::v26.08.00112", "awscc": "awscc::v26.03.00379"}


def props(i: int) -> dict:
    """Realistic ModelPackage properties; every 50th resource carries a defect."""
    approval = "Approve" if i % 50 == 7 else "PendingManualApproval"
    url = "model.tar.gz" if i % 50 == 13 else f"s3://acme-ml-artifacts/model-{i}/model.tar.gz"
    return {
        "ModelPackageGroupName": f"group-{i}",
        "ModelPackageDescription": f"Model {i} trained on the nightly snapshot",
        "ModelApprovalStatus": approval,
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/model-{i}:1.0",
                    "ModelDataUrl": url,
                    "Framework": "XGBOOST",
                    "FrameworkVersion": "1.7",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
        },
        "SecurityConfig": {"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
        "MetadataProperties": {"CommitId": f"c{i:07x}", "Repository": "https://git.example.com/ml/models"},
        "Tags": [{"Key": "team", "Value": "growth"}, {"Key": "index", "Value": str(i)}],
    }


SNAKE = {
    "ModelPackageGroupName": "model_package_group_name",
    "ModelPackageDescription": "model_package_description",
    "ModelApprovalStatus": "model_approval_status",
    "InferenceSpecification": "inference_specification",
    "SecurityConfig": "security_config",
    "MetadataProperties": "metadata_properties",
    "Tags": "tags",
}


def awscc_query() -> str:
    """The Cloud Control query file with the names of the `awscc` provider."""
    text = QUERY.read_text().replace("aws.sagemaker.model_packages", "awscc.sagemaker.model_packages")
    return text.replace("data__Identifier", "Identifier").replace("data__PatchDocument", "PatchDocument")


def write_stack(folder: Path, n: int, flavour: str = "aws") -> None:
    import yaml

    resources = []
    for i in range(n):
        p = props(i)
        items = [{"name": SNAKE[k], "value": v} for k, v in p.items() if k != "Tags"]
        items.append({"name": "tags", "value": p["Tags"]})
        resources.append(
            {
                "name": f"model_package_{i}",
                "file": "model_package.iql",
                "props": items,
                "exports": ["model_package_arn"],
            }
        )
    manifest = {
        "version": 1,
        "name": "bench",
        "providers": [PROVIDERS[flavour]],
        "globals": [
            {"name": "region", "value": "{{ AWS_REGION }}"},
            {"name": "account_id", "value": "{{ AWS_ACCOUNT_ID }}"},
        ],
        "resources": resources,
    }
    (folder / "resources").mkdir(parents=True)
    (folder / "stackql_manifest.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    query = {"aws": QUERY.read_text, "native": NATIVE_QUERY.read_text, "awscc": awscc_query}[flavour]()
    (folder / "resources" / "model_package.iql").write_text(query)


def write_template(path: Path, n: int) -> None:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            f"ModelPackage{i}": {"Type": "AWS::SageMaker::ModelPackage", "Properties": props(i)} for i in range(n)
        },
    }
    path.write_text(json.dumps(template, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cfn-lint", default=shutil.which("cfn-lint"), help="the peer [default: cfn-lint on PATH]")
    parser.add_argument("--no-cfn-lint", action="store_true")
    parser.add_argument("--flavours", type=int, default=100, help="resources in the native/awscc comparison")
    args = parser.parse_args()
    mplint = [sys.executable, "-m", "mplint"]
    cfn_lint = None if args.no_cfn_lint else args.cfn_lint
    print(load())
    print(f"{'':28}{HEADER}")
    version = run([*mplint, "--version"], max(args.repeat, 5))
    print(f"{'mplint --version':28}{version.row()}")
    if cfn_lint:
        peer = run([cfn_lint, "--version"], args.repeat)
        print(f"{'cfn-lint --version':28}{peer.row()}   mplint/cfn-lint {version.wall / peer.wall:.2f}")
    valid = run([*mplint, "lint", "--no-cache", str(VALID)], max(args.repeat, 5))
    print(f"{'mplint lint (valid stack)':28}{valid.row()}   exit {valid.code}")
    print(f"\n{'N':>6} {'mplint':>8}{HEADER}  exit {'cfn-lint':>9}{HEADER}  cfn-lint/mplint")
    walls: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            folder = Path(tmp, f"stack{n}")
            write_stack(folder, n)
            if (folder / "stackql_manifest.yml").stat().st_size > MAX_FILE_BYTES or n * NODES_PER_RESOURCE > MAX_NODES:
                (folder / ".mplint.yaml").write_text(RAISED_LIMITS)
                print(f"{n:>6}: the manifest is over mplint's default limits (MPL005): raised in its .mplint.yaml")
            report = Path(tmp, f"report{n}.json")
            cmds = {"mplint": [*mplint, "lint", "--no-cache", str(folder), "--format", "json", "-o", str(report)]}
            if cfn_lint:
                template = Path(tmp, f"template{n}.json")
                write_template(template, n)
                cmds["cfn-lint"] = [cfn_lint, str(template)]
            rounds = args.repeat if n <= 1000 or not cfn_lint else 1  # cfn-lint takes minutes at N = 10,000
            measured = run_interleaved(cmds, rounds)  # in turns: a drift in the machine's speed meets both
            mine = measured["mplint"]
            if rounds < args.repeat:  # best of --repeat at every size: one run of N=10,000 is at the load's mercy
                mine = best([mine, run(cmds["mplint"], args.repeat - rounds)])
            refused = [f["message"] for f in json.loads(report.read_text())["findings"] if f["rule"] == "MPL005"]
            if refused:  # a limit hit: the stack was not linted, and the figure would mean nothing
                sys.exit(f"N={n}: mplint did not lint the stack: {refused[0]}")
            walls[n] = mine.wall
            row = f"{n:>6} {'':>8}{mine.row()}  {mine.code:>4}"
            if cfn_lint:
                theirs = measured["cfn-lint"]
                row += f" {'':>9}{theirs.row()}  {theirs.wall / mine.wall:6.1f}x"
            print(row, flush=True)
    if 1000 in walls and 10000 in walls:
        print(f"\nN=10000 / N=1000 wall: {walls[10000] / walls[1000]:.2f} (linear: 10)")
    if args.flavours:
        with tempfile.TemporaryDirectory() as tmp:
            compare_flavours(Path(tmp), args.flavours, mplint, args.repeat)


def compare_flavours(tmp: Path, n: int, mplint: list[str], repeat: int) -> None:
    """The same N resources on the native `aws` provider and on `awscc`; runs alternate, so that a change in the
    machine's load touches both alike."""
    commands = {}
    for flavour in ("native", "awscc"):
        folder = tmp / f"{flavour}{n}"
        write_stack(folder, n, flavour)
        commands[flavour] = [*mplint, "lint", "--no-cache", str(folder), "--format", "json", "-o", os.devnull]
    best: dict[str, Measure] = {}
    for _ in range(max(repeat, 5)):
        for flavour, cmd in commands.items():
            measured = run(cmd, 1)
            if flavour not in best or measured.wall < best[flavour].wall:
                best[flavour] = measured
    for flavour, measured in best.items():
        print(f"{flavour:>6} N={n}: {measured.row()}   exit {measured.code}", flush=True)
    print(f"native/awscc: {best['native'].wall / best['awscc'].wall:.2f}")


if __name__ == "__main__":
    main()
