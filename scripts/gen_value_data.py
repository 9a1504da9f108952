#!/usr/bin/env python3
"""Build mplint/data/values.zip: the facts the value checks use, taken from the pinned cfn-lint wheel.

Source: the PINNED wheel cfn-lint==1.58.0 (the one scripts/gen_schemas.py takes the schemas from), fetched
with ``pip download --no-deps`` and checked against its sha256. Its data files hold, beside the schemas:

* per region, the instance types each service offers (gathered by cfn-lint from the pricing API):
  ``cfnlint/data/schemas/extensions/<type>/*_enum.json``;
* RDS engines and engine versions (and the deprecated ones), ElastiCache engines and versions:
  ``extensions/aws_rds_db{instance,cluster}/engine_version*.json``, ``extensions/aws_elasticache_cachecluster/``;
* RDS instance classes per region, engine and license model: ``extensions/aws_rds_db*/db*instanceclass_enum.json``;
* Lambda runtime deprecation dates: ``cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json``;
* the CPU and memory combinations of Fargate tasks: ``extensions/aws_ecs_taskdefinition/fargate_cpu_memory.json``.

Only the facts are kept (values, dates, ranges), in a plain shape the checks read directly; each extraction
asserts the structure it expects, so a new wheel with a different shape fails here, not at lint time.
The output is a zip with one JSON member per kind of fact, and one per family of instance types, so that
a check reads only what it asks about (a SageMaker stack reads 74 KB, not the 2.6 MB of every fact). It is
deterministic (sorted keys and lists, fixed member dates); the provenance goes into
mplint/data/values.meta.json, which `mplint --version` prints.

Usage: python scripts/gen_value_data.py [--wheel PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_schemas import PACKAGE, VERSION, WHEEL_SHA256, checked_wheel, fetch_wheel
from pinned_data import zip_info

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "mplint" / "data" / "values.zip"
EXT = "cfnlint/data/schemas/extensions/"
LAMBDA = "cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json"
# family -> the file listing its instance types per region
INSTANCE_TYPES = {
    "ec2": "aws_ec2_instance/instancetype_enum.json",
    "elasticache": "aws_elasticache_cachecluster/cachenodetype_enum.json",
    "opensearch": "aws_opensearchservice_domain/clusterconfig_instancetype_enum.json",
    "elasticsearch": "aws_elasticsearch_domain/elasticsearchclusterconfig_instancetype_enum.json",
    "sagemaker-hosting": "aws_sagemaker_hosting/instancetype_enum.json",
    "sagemaker-processing": "aws_sagemaker_processing/instancetype_enum.json",
    "sagemaker-transform": "aws_sagemaker_transform/instancetype_enum.json",
    "sagemaker-cluster": "aws_sagemaker_cluster/instancetype_enum.json",
    "redshift": "aws_redshift_cluster/nodetype_enum.json",
    "docdb": "aws_docdb_dbinstance/dbinstanceclass_enum.json",
    "neptune": "aws_neptune_dbinstance/dbinstanceclass_enum.json",
    "emr": "aws_emr_cluster/instancetypeconfig_instancetype_enum.json",
    "mq": "aws_amazonmq_broker/instancetype_enum.json",
    "dax": "aws_dax_cluster/nodetype_enum.json",
}
ENGINE_VERSIONS = {
    "rds-instance": "aws_rds_dbinstance/engine_version.json",
    "rds-cluster": "aws_rds_dbcluster/engine_version.json",
    "elasticache": "aws_elasticache_cachecluster/engine_version.json",
}
DEPRECATED_VERSIONS = {
    "rds-instance": "aws_rds_dbinstance/engine_version_deprecated.json",
    "rds-cluster": "aws_rds_dbcluster/engine_version_deprecated.json",
}
RDS_INSTANCE_CLASSES = "aws_rds_dbinstance/dbinstanceclass_enum.json"
RDS_CLUSTER_CLASSES = "aws_rds_dbcluster/dbclusterinstanceclass_enum.json"
FARGATE = "aws_ecs_taskdefinition/fargate_cpu_memory.json"


def read(wheel: zipfile.ZipFile, name: str) -> Any:
    return json.loads(wheel.read(name if name.startswith("cfnlint/") else EXT + name))


def regional_enums(data: dict) -> dict[str, list[str]]:
    """{region: {"enum": [...]}} -> {region: sorted values}; cfn-lint's `all` entry is not a region."""
    out = {}
    for region, entry in data.items():
        if region in ("all", "description"):
            continue
        assert set(entry) == {"enum"}, (region, set(entry))
        out[region] = sorted(set(entry["enum"]))
    return out


def _const(schema: dict, name: str) -> Any:
    return schema["properties"][name]["const"]


def engine_versions(data: dict) -> tuple[list[str], dict[str, list[str]]]:
    """The engine enum and, per engine, its versions (allOf of if Engine const -> then EngineVersion enum)."""
    engines: list[str] = []
    versions: dict[str, list[str]] = {}
    for rule in data["allOf"]:
        cond, then = rule["if"], rule["then"]["properties"]
        if set(cond["required"]) == {"Engine"}:
            engines = sorted(then["Engine"]["enum"])
        else:
            assert set(cond["required"]) == {"Engine", "EngineVersion"}, cond
            versions[_const(cond, "Engine")] = sorted(map(str, then["EngineVersion"]["enum"]))
    assert engines and versions
    return engines, versions


def deprecated_versions(data: dict) -> dict[str, list[str]]:
    out = {}
    for rule in data["allOf"]:
        assert rule["then"] is False, rule["then"]
        out[_const(rule["if"], "Engine")] = sorted(map(str, rule["if"]["properties"]["EngineVersion"]["enum"]))
    return out


def rds_instance_classes(data: dict) -> dict[str, dict[str, dict[str, list[str]]]]:
    """region -> engine -> license model ("" when none is given) -> classes."""
    out: dict[str, dict[str, dict[str, list[str]]]] = {}
    for region, entry in data.items():
        for rule in entry["allOf"]:
            cond = rule["if"]["properties"]
            license_model = cond["LicenseModel"]
            key = "" if license_model is False else license_model["const"]
            engine = cond["Engine"]["const"]
            classes = rule["then"]["properties"]["DBInstanceClass"]["enum"]
            out.setdefault(region, {}).setdefault(engine, {})[key] = sorted(classes)
    return out


def rds_cluster_classes(data: dict) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for region, entry in data.items():
        for rule in entry["allOf"]:
            engine = rule["if"]["properties"]["Engine"]["const"]
            classes = rule["then"]["properties"]["DBClusterInstanceClass"]["enum"]
            out.setdefault(region, {})[engine] = sorted(classes)
    return out


def lambda_runtimes(data: dict) -> dict[str, dict[str, str | None]]:
    keys = {"deprecated", "create-block", "update-block", "successor"}
    for runtime, facts in data.items():
        assert set(facts) == keys, (runtime, facts)
    return {runtime: dict(sorted(facts.items())) for runtime, facts in sorted(data.items())}


def fargate(data: dict) -> list[dict[str, Any]]:
    """[{cpu: units, memory: [MiB, ...]}]: each CPU size with every memory size it allows."""
    out = []
    for option in data["then"]["anyOf"]:
        cpu = option["properties"]["Cpu"]["then"]["enum"]
        memory = option["properties"]["Memory"]["then"]
        assert len(cpu) == 1, cpu
        if "enum" in memory:
            sizes = sorted(memory["enum"])
        else:
            sizes = list(range(memory["minimum"], memory["maximum"] + 1, memory["multipleOf"]))
        out.append({"cpu": int(cpu[0]), "memory": sizes})
    return sorted(out, key=lambda o: o["cpu"])


def build(wheel_path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel_path) as wheel:
        instance_types = {family: regional_enums(read(wheel, path)) for family, path in INSTANCE_TYPES.items()}
        engines, versions = {}, {}
        for family, path in ENGINE_VERSIONS.items():
            engines[family], versions[family] = engine_versions(read(wheel, path))
        return {
            "instance_types": instance_types,
            "rds_instance_classes": rds_instance_classes(read(wheel, RDS_INSTANCE_CLASSES)),
            "rds_cluster_instance_classes": rds_cluster_classes(read(wheel, RDS_CLUSTER_CLASSES)),
            "engines": engines,
            "engine_versions": versions,
            "deprecated_engine_versions": {
                family: deprecated_versions(read(wheel, path)) for family, path in DEPRECATED_VERSIONS.items()
            },
            "lambda_runtimes": lambda_runtimes(read(wheel, LAMBDA)),
            "fargate_cpu_memory": fargate(read(wheel, FARGATE)),
            "schema_date": json.loads(wheel.read("cfnlint/data/schemas/version.json")).get("schema_date"),
        }


def members(data: dict[str, Any]) -> dict[str, Any]:
    """The zip's members: `<kind>.json`, and `instance_types/<family>.json`."""
    out = {f"{kind}.json": value for kind, value in data.items() if kind != "instance_types"}
    out.update({f"instance_types/{family}.json": v for family, v in data["instance_types"].items()})
    return out


def write(out: Path, data: dict[str, Any]) -> dict[str, Any]:
    meta = {"source": PACKAGE, "version": VERSION, "sha256": WHEEL_SHA256, "schema_date": data.pop("schema_date")}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        for name, value in sorted(members(data).items()):
            archive.writestr(zip_info(name), json.dumps(value, sort_keys=True, separators=(",", ":")), compresslevel=9)
    out.with_name("values.meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use an already downloaded cfn-lint wheel")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = build(checked_wheel(args.wheel or fetch_wheel(Path(tmp))))
    write(args.out, data)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
