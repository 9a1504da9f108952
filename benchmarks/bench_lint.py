"""Benchmark: lint generated stacks of N model packages end to end, against cfn-lint on the same resources.

    python benchmarks/bench_lint.py [--sizes 1,100,1000] [--repeat 3] [--no-cfn-lint] [--flavours 100]

For each N it writes a stack (manifest + one shared query file) and the same
resources as a CloudFormation template, then times `mplint lint` and, when it
is installed, `cfn-lint` in subprocesses, reporting the best wall time of
--repeat runs and the peak resident memory. It also times `mplint --version`.

Then (--flavours N, 0 to skip) the same N model packages on the native `aws` provider (pinned v26.08, the
query file of fixtures/valid/native-model-package) against `awscc` (the Cloud Control query file with awscc's
names): the native stack is checked against the native catalog, the awscc one against the CloudFormation schema.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures/valid"
QUERY = FIXTURES / "model-package-stack/resources/churn_model_package.iql"
NATIVE_QUERY = FIXTURES / "native-model-package/resources/churn_model_package.iql"
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


def timed(cmd: list[str], repeat: int) -> tuple[float, float, int]:
    """Best wall time (s), peak RSS of the children so far (MiB), and the exit code."""
    best, code = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode
        best = min(best, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return best, peak, code


def measure_isolated(cmd: list[str], repeat: int) -> tuple[float, float, int]:
    """Run the timing in a fresh Python so that the peak RSS belongs to this command alone."""
    here = str(Path(__file__).parent)
    code = (
        f"import json,sys;sys.path.insert(0,{here!r});from bench_lint import timed;"
        f"print(json.dumps(timed({cmd!r},{repeat})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    wall, peak, rc = json.loads(out)
    return wall, peak, rc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cfn-lint", action="store_true")
    parser.add_argument("--flavours", type=int, default=100, help="resources in the native/awscc comparison")
    args = parser.parse_args()
    mplint = [sys.executable, "-m", "mplint"]
    cfn_lint = None if args.no_cfn_lint else shutil.which("cfn-lint")
    wall, peak, _ = measure_isolated([*mplint, "--version"], max(args.repeat, 5))
    print(f"mplint --version: {wall:.3f} s, {peak:.0f} MiB")
    if cfn_lint:
        cw, cp, _ = measure_isolated([cfn_lint, "--version"], args.repeat)
        print(f"cfn-lint --version: {cw:.3f} s, {cp:.0f} MiB  (ratio mplint/cfn-lint {wall / cw:.2f})")
    print(f"{'N':>6} {'mplint s':>9} {'MiB':>6} {'exit':>4} {'cfn-lint s':>11} {'MiB':>6} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            folder = Path(tmp, f"stack{n}")
            write_stack(folder, n)
            mw, mp, mc = measure_isolated(
                [*mplint, "lint", str(folder), "--format", "json", "-o", os.devnull], args.repeat
            )
            row = f"{n:>6} {mw:>9.3f} {mp:>6.0f} {mc:>4}"
            if cfn_lint:
                template = Path(tmp, f"template{n}.json")
                write_template(template, n)
                cw, cp, _ = measure_isolated([cfn_lint, str(template)], 1 if n >= 1000 else args.repeat)
                row += f" {cw:>11.3f} {cp:>6.0f} {mw / cw:>6.2f}"
            print(row, flush=True)
        if args.flavours:
            compare_flavours(Path(tmp), args.flavours, mplint, args.repeat)


def compare_flavours(tmp: Path, n: int, mplint: list[str], repeat: int) -> None:
    """The same N resources on the native `aws` provider and on `awscc`; runs alternate, so that a change in the
    machine's load touches both alike."""
    commands = {}
    for flavour in ("native", "awscc"):
        folder = tmp / f"{flavour}{n}"
        write_stack(folder, n, flavour)
        commands[flavour] = [*mplint, "lint", str(folder), "--format", "json", "-o", os.devnull]
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(max(repeat, 5)):
        for flavour, cmd in commands.items():
            best[flavour] = min(best[flavour], timed(cmd, 1)[0])
    for flavour, cmd in commands.items():
        _, peak, code = measure_isolated(cmd, 1)
        print(f"{flavour:>6} N={n}: {best[flavour]:.3f} s, {peak:.0f} MiB, exit {code}", flush=True)
    print(f"native/awscc: {best['native'] / best['awscc']:.2f}")


if __name__ == "__main__":
    main()
