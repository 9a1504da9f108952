"""The value checks (MPL220-MPL239): the edges the fixtures do not show."""

from __future__ import annotations

from pathlib import Path

from mplint.catalog import values
from mplint.checks.fargate import _size
from tests.test_schema_cases import lint, rules


def test_region_known_unknown_and_not_covered(tmp_path: Path) -> None:
    instance = """\
    - name: web  # mplint: type=AWS::EC2::Instance
      props:
        - name: InstanceType
          value: {itype}
    """
    # p4de.24xlarge is offered in some regions only
    only_some = sorted(r for r in values.regions("ec2") if "p4de.24xlarge" not in values.instance_types("ec2", r))
    assert only_some, "the data changed: pick another instance type offered in some regions only"
    absent_in = only_some[0]

    def run(region: str | None, itype: str) -> list[tuple[int, str]]:
        (tmp_path / "stackql_manifest.yml").unlink(missing_ok=True)
        return rules(lint(tmp_path, _with_region(region, instance.format(itype=itype)), select=("MPL220",)))

    assert run(absent_in, "p4de.24xlarge") != []
    assert run(None, "p4de.24xlarge") == []  # offered somewhere: cannot tell without the region
    assert run(None, "p4de.mega") != []  # offered nowhere
    assert run("xx-nowhere-1", "p4de.mega") == []  # a region the data does not cover is not judged
    assert run(None, "{{ instance_type }}") == []  # a template is not judged


def _with_region(region: str | None, resources: str) -> str:
    """The resources, preceded by a closing of HEAD's `resources:` and a `globals:` with the region."""
    return resources if region is None else resources.rstrip() + f"\nglobals:\n  - name: region\n    value: {region}\n"


def test_a_schema_enum_is_left_to_the_schema_check(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: endpoint  # mplint: type=AWS::SageMaker::EndpointConfig
          props:
            - name: ProductionVariants
              value:
                - {VariantName: all, ModelName: churn, InitialInstanceCount: 1, InstanceType: ml.m5.mega}
        """,
        select=("MPL203", "MPL224"),
    )
    assert [rule for _, rule in rules(found)] == ["MPL203"]


def test_rds_class_depends_on_engine_and_license(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: express  # mplint: type=AWS::RDS::DBInstance
          props:
            - name: Engine
              value: sqlserver-ex
            - name: LicenseModel
              value: license-included
            - name: DBInstanceClass
              value: db.r6i.32xlarge
        - name: postgres  # mplint: type=AWS::RDS::DBInstance
          props:
            - name: Engine
              value: postgres
            - name: DBInstanceClass
              value: db.r6i.32xlarge
        """,
        select=("MPL221",),
    )
    assert rules(found) == [(13, "MPL221")]
    assert "RDS for sqlserver-ex (license-included)" in found[0][3]


def test_engine_versions_major_alone_and_case(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: a  # mplint: type=AWS::RDS::DBInstance
          props:
            - {name: Engine, value: MySQL}
            - {name: EngineVersion, value: "8.0"}
        - name: b  # mplint: type=AWS::RDS::DBInstance
          props:
            - {name: Engine, value: mysql}
            - {name: EngineVersion, value: "8.9"}
        - name: c  # mplint: type=AWS::RDS::DBInstance
          props:
            - {name: Engine, value: oracle-ee}
            - {name: EngineVersion, value: "19.0.0.0.ru-2024-01.rur-2024-01.r1"}
        - name: d  # mplint: type=AWS::ElastiCache::CacheCluster
          props:
            - {name: Engine, value: redis}
            - {name: EngineVersion, value: 7.x}
        """,
        select=("MPL231", "MPL233"),
    )
    assert rules(found) == [(13, "MPL231")]  # only 8.9; Oracle's versions are not listed


def test_lambda_runtime_as_of(tmp_path: Path) -> None:
    resources = """\
    - name: fn  # mplint: type=AWS::Lambda::Function
      props:
        - {name: Runtime, value: python3.9}
    """

    def run(as_of: str) -> list[str]:
        (tmp_path / ".mplint.yaml").write_text(f"as-of: {as_of}\n", encoding="utf-8")
        return [rule for _, rule in rules(lint(tmp_path, resources, select=("MPL234", "MPL235")))]

    facts = values.lambda_runtime("python3.9")
    assert facts and facts["deprecated"] == "2025-12-15" and facts["create-block"] == "2027-02-01"
    assert run("2025-12-14") == []
    assert run("2025-12-15") == ["MPL234"]
    assert run("2027-02-01") == ["MPL235"]


def test_fargate_sizes_are_read_in_every_form() -> None:
    assert _size(1024, "vcpu") == 1024
    assert _size("1024", "vcpu") == 1024
    assert _size("1 vCPU", "vcpu") == 1024
    assert _size(".25 vcpu", "vcpu") == 256
    assert _size("0.5GB", "gb") == 512
    assert _size("2 GB", "gb") == 2048
    assert _size("2 GB", "vcpu") is None
    assert _size("1.5", "gb") is None
    assert _size(True, "gb") is None


def test_fargate_only_for_fargate_tasks(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: ec2_task  # mplint: type=AWS::ECS::TaskDefinition
          props:
            - {name: RequiresCompatibilities, value: [EC2]}
            - {name: Cpu, value: "256"}
            - {name: Memory, value: "4096"}
        - name: fargate_task  # mplint: type=AWS::ECS::TaskDefinition
          props:
            - {name: RequiresCompatibilities, value: [FARGATE]}
            - {name: Cpu, value: "4096"}
            - {name: Memory, value: "30 GB"}
        """,
        select=("MPL238",),
    )
    assert found == []


def test_dynamodb_pay_per_request_index_with_throughput(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: t  # mplint: type=AWS::DynamoDB::Table
          props:
            - {name: BillingMode, value: PAY_PER_REQUEST}
            - {name: KeySchema, value: [{AttributeName: pk, KeyType: HASH}]}
            - name: GlobalSecondaryIndexes
              value:
                - IndexName: by_x
                  KeySchema: [{AttributeName: x, KeyType: HASH}]
                  Projection: {ProjectionType: ALL}
                  ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
                - IndexName: by_y
                  KeySchema: [{AttributeName: y, KeyType: HASH}]
                  Projection: {ProjectionType: ALL}
                  ProvisionedThroughput: {ReadCapacityUnits: 0, WriteCapacityUnits: 0}
        - name: templated  # mplint: type=AWS::DynamoDB::Table
          props:
            - {name: BillingMode, value: "{{ billing_mode }}"}
            - {name: KeySchema, value: [{AttributeName: pk, KeyType: HASH}]}
        """,
        select=("MPL239",),
    )
    assert rules(found) == [(15, "MPL239")]
    assert "index `by_x`" in found[0][3]


def test_service_lifecycle_from_the_schema(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: mesh  # mplint: type=AWS::AppMesh::Mesh
          props:
            - {name: MeshName, value: main}
        - name: vpc  # mplint: type=awscc.ec2.vpcs
          props:
            - {name: CidrBlock, value: 10.0.0.0/16}
        """,
        select=("MPL236", "MPL237"),
    )
    assert rules(found) == [(6, "MPL237")]
    assert "sunsetting (its shutdown date is 2026-09-30)" in found[0][3]
