"""The schema keywords CloudFormation adds to Draft 7, end to end on inline-typed stacks without query files.

One test per case that mplint used to miss (issue 13's list), and one per keyword.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from mplint.app import LintOptions, lint_paths

HEAD = """\
version: 1
name: cases
providers:
  - awscc
resources:
"""


def lint(tmp_path: Path, resources: str, select: tuple[str, ...] = ("MPL",)) -> list[tuple[int, int, str, str]]:
    """(line, col, rule, message) of each finding for the manifest ``HEAD + resources``."""
    (tmp_path / "stackql_manifest.yml").write_text(HEAD + textwrap.dedent(resources), encoding="utf-8")
    outcome = lint_paths(LintOptions(paths=[tmp_path], base=tmp_path, select=list(select)))
    assert not outcome.result.notifications, [n.message for n in outcome.result.notifications]
    return sorted((f.span.line, f.span.col, f.rule_id, f.message) for f in outcome.result.findings)


def rules(found: list[tuple[int, int, str, str]]) -> list[tuple[int, str]]:
    return [(line, rule) for line, _, rule, _ in found]


# -- 1. format ----------------------------------------------------------------------------------------
def test_format_malformed_ids_arns_and_dates(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: web  # mplint: type=AWS::EC2::Instance
          props:
            - name: ImageId
              value: ami-123456
            - name: SubnetId
              value: subnet-12345
        - name: alb  # mplint: type=AWS::ElasticLoadBalancingV2::LoadBalancer
          props:
            - name: Subnets
              value: [subnet-0123abcd, subnet-zz]
        - name: account  # mplint: type=AWS::ApiGateway::Account
          props:
            - name: CloudWatchRoleArn
              value: arn:aws:iam::123456789012:user/deployer
        - name: fn  # mplint: type=AWS::Lambda::Function
          props:
            - name: KmsKeyArn
              value: not-a-key
        - name: schedule  # mplint: type=AWS::Scheduler::Schedule
          props:
            - name: StartDate
              value: "2024-02-30T00:00:00Z"
            - name: EndDate
              value: 2030-01-01 00:00:00
        """,
        select=("MPL211",),
    )
    assert rules(found) == [(9, "MPL211"), (11, "MPL211"), (15, "MPL211"), (19, "MPL211"), (23, "MPL211"),
                            (27, "MPL211"), (29, "MPL211")]  # fmt: skip
    messages = [m for *_, m in found]
    assert "'ami-123456' is not an AMI id" in messages[0]
    assert "`Subnets.1` value 'subnet-zz' is not a subnet id" in messages[2]
    assert "is not an IAM role ARN" in messages[3]
    assert "is not a KMS key or alias ARN" in messages[4]
    assert "is not an RFC 3339 date-time" in messages[5]


def test_format_good_values_and_unchecked_formats_pass(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: web  # mplint: type=AWS::EC2::Instance
          props:
            - name: ImageId
              value: ami-0abcdef1234567890
            - name: SubnetId
              value: subnet-0123abcd
            - name: SecurityGroupIds
              value: [sg-0123456789abcdef0]
        - name: api  # mplint: type=AWS::ApiGatewayV2::Api
          props:
            - name: Name
              value: api
            - name: ProtocolType
              value: HTTP
            - name: Body
              value: "openapi: 3.0.1"
        - name: key  # mplint: type=AWS::KMS::Key
          props:
            - name: KeyPolicy
              value: {Version: "2012-10-17", Statement: []}
        - name: bucket  # mplint: type=AWS::S3::Bucket
          props:
            - name: BucketEncryption
              value:
                ServerSideEncryptionConfiguration:
                  - ServerSideEncryptionByDefault:
                      SSEAlgorithm: aws:kms
                      KMSMasterKeyID: alias/aws/s3
        """,
        select=("MPL211", "MPL210"),
    )
    assert found == []


def test_cidr_blocks(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: sg  # mplint: type=AWS::EC2::SecurityGroup
          props:
            - name: GroupDescription
              value: web
            - name: SecurityGroupIngress
              value:
                - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.1/16}
                - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
                - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: "2001:db8::/300"}
        """,
        select=("MPL211",),
    )
    assert rules(found) == [(12, "MPL211"), (14, "MPL211")]
    assert "no host bits set" in found[0][3]


# -- 2. requiredXor -----------------------------------------------------------------------------------
def test_required_xor_none_and_both(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: none  # mplint: type=awscc.ec2.vpcs
          props:
            - name: EnableDnsSupport
              value: true
        - name: both  # mplint: type=awscc.ec2.vpcs
          props:
            - name: CidrBlock
              value: 10.0.0.0/16
            - name: Ipv4IpamPoolId
              value: ipam-pool-0123456789abcdef0
            - name: Ipv4NetmaskLength
              value: 16
        - name: one  # mplint: type=awscc.ec2.vpcs
          props:
            - name: CidrBlock
              value: 10.0.0.0/16
        """,
        select=("MPL212",),
    )
    assert [(line, col, rule) for line, col, rule, _ in found] == [(6, 9, "MPL212"), (14, 13, "MPL212")]
    assert "only one of `CidrBlock`, `Ipv4IpamPoolId` may be set" in found[1][3]


def test_required_xor_in_nested_items(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: sg  # mplint: type=AWS::EC2::SecurityGroup
          props:
            - name: GroupDescription
              value: web
            - name: SecurityGroupIngress
              value:
                - IpProtocol: tcp
                  FromPort: 443
                  ToPort: 443
                - IpProtocol: tcp
                  FromPort: 80
                  ToPort: 80
                  CidrIp: 0.0.0.0/0
                  SourceSecurityGroupId: sg-0123456789abcdef0
        """,
        select=("MPL212",),
    )
    assert rules(found) == [(12, "MPL212"), (19, "MPL212")]


# -- 3. requiredOr ------------------------------------------------------------------------------------
def test_required_or(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: rule  # mplint: type=AWS::Events::Rule
          props:
            - name: Name
              value: nightly
        - name: scheduled  # mplint: type=AWS::Events::Rule
          props:
            - name: ScheduleExpression
              value: rate(1 day)
        - name: subnet  # mplint: type=AWS::EC2::Subnet
          props:
            - name: VpcId
              value: vpc-0123abcd
        """,
        select=("MPL213",),
    )
    assert rules(found) == [(6, "MPL213"), (14, "MPL213")]
    assert "at least one of" in found[0][3]


# -- 4. enumCaseInsensitive ---------------------------------------------------------------------------
def test_enum_case_insensitive(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: bad  # mplint: type=AWS::EC2::Volume
          props:
            - name: AvailabilityZone
              value: us-east-1a
            - name: VolumeType
              value: ZzNotInEnum
        - name: upper  # mplint: type=AWS::EC2::Volume
          props:
            - name: AvailabilityZone
              value: us-east-1a
            - name: VolumeType
              value: GP3
        """,
        select=("MPL203",),
    )
    assert rules(found) == [(11, "MPL203")]
    assert "(in any case)" in found[0][3]


# -- 5. lifecycle pointers at any depth ---------------------------------------------------------------
def test_nested_read_only_is_reported_at_the_nested_key(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: detector  # mplint: type=AWS::FraudDetector::Detector
          props:
            - name: DetectorId
              value: payments
            - name: EventType
              value: {Name: payment, Arn: "arn:aws:frauddetector:us-east-1:123456789012:event-type/payment"}
            - name: Rules
              value:
                - RuleId: high_risk
                  Outcomes:
                    - Name: review
                      Arn: arn:aws:frauddetector:us-east-1:123456789012:outcome/review
        """,
        select=("MPL207",),
    )
    assert [(line, col, rule) for line, col, rule, _ in found] == [(11, 30, "MPL207"), (17, 15, "MPL207")]
    assert "`EventType.Arn` is read-only" in found[0][3]
    assert "`Rules.0.Outcomes.0.Arn` is read-only" in found[1][3]


def test_nested_write_only_and_deprecated(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: broker  # mplint: type=AWS::AmazonMQ::Broker
          props:
            - name: LdapServerMetadata
              value:
                Hosts: [ldap.example.com]
                RoleBase: ou=roles
                RoleSearchMatching: (member=uid={1})
                ServiceAccountUsername: svc
                ServiceAccountPassword: hunter2
                UserBase: ou=users
                UserSearchMatching: (uid={0})
        - name: block  # mplint: type=AWS::AppStream::AppBlock
          props:
            - name: Tags
              value:
                - {TagKey: team, TagValue: data}
        """,
        select=("MPL208", "MPL217"),
    )
    assert [(line, col, rule) for line, col, rule, _ in found] == [
        (14, 9, "MPL208"),  # LdapServerMetadata.ServiceAccountPassword
        (21, 12, "MPL217"),  # Tags.0.TagKey
        (21, 26, "MPL217"),  # Tags.0.TagValue
    ]


def test_read_only_parent_of_a_create_only_part_is_writable(tmp_path: Path) -> None:
    """TransitGatewayConnectPeer calls BgpConfigurations read-only and BgpConfigurations/*/PeerAsn create-only."""
    found = lint(
        tmp_path,
        """\
        - name: peer  # mplint: type=AWS::EC2::TransitGatewayConnectPeer
          props:
            - name: ConnectPeerConfiguration
              value:
                PeerAddress: 10.0.0.10
                BgpConfigurations:
                  - PeerAsn: 65000
        """,
        select=("MPL207",),
    )
    assert found == []


# -- 6. dependentRequired / dependentExcluded / dependencies ------------------------------------------
def test_dependent_required_and_excluded(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: subnet  # mplint: type=AWS::EC2::Subnet
          props:
            - name: VpcId
              value: vpc-0123abcd
            - name: CidrBlock
              value: 10.0.1.0/24
            - name: AvailabilityZone
              value: us-east-1a
            - name: AvailabilityZoneId
              value: use1-az1
            - name: Ipv6NetmaskLength
              value: 64
        - name: asg  # mplint: type=AWS::AutoScaling::AutoScalingGroup
          props:
            - name: InstanceMaintenancePolicy
              value:
                MaxHealthyPercentage: 120
        """,
        select=("MPL214", "MPL215"),
    )
    assert [(line, col, rule) for line, col, rule, _ in found] == [
        (14, 13, "MPL215"),  # the second of two that exclude each other
        (16, 13, "MPL214"),
        (22, 9, "MPL214"),  # `dependencies` in its array form
    ]
    assert "`AvailabilityZoneId` cannot be set together with `AvailabilityZone`" in found[0][3]
    assert "`Ipv6NetmaskLength` requires `Ipv6IpamPoolId`" in found[1][3]
    assert "`MaxHealthyPercentage` requires `MinHealthyPercentage`" in found[2][3]


# -- 7. prefixItems, uniqueKeys, maxUniqueItems -------------------------------------------------------
def test_key_schema_prefix_items_and_unique_keys(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: range_first  # mplint: type=AWS::DynamoDB::Table
          props:
            - name: KeySchema
              value:
                - {AttributeName: sk, KeyType: RANGE}
                - {AttributeName: pk, KeyType: HASH}
        - name: same_name  # mplint: type=AWS::DynamoDB::Table
          props:
            - name: KeySchema
              value:
                - {AttributeName: pk, KeyType: HASH}
                - {AttributeName: pk, KeyType: RANGE}
        - name: good  # mplint: type=AWS::DynamoDB::Table
          props:
            - name: KeySchema
              value:
                - {AttributeName: pk, KeyType: HASH}
                - {AttributeName: sk, KeyType: RANGE}
        """,
        select=("MPL210", "MPL216", "MPL203"),
    )
    assert rules(found) == [(10, "MPL203"), (11, "MPL203"), (17, "MPL216")]  # HASH first, then RANGE
    assert "`KeySchema.0.KeyType` is 'RANGE'; it must be 'HASH'" in found[0][3]
    assert "items 0 and 1 have the same AttributeName='pk'" in found[2][3]


def test_max_unique_items(tmp_path: Path) -> None:
    actions = ", ".join(f"arn:aws:sns:us-east-1:123456789012:topic{i}" for i in range(6))
    found = lint(
        tmp_path,
        f"""\
        - name: alarm  # mplint: type=AWS::CloudWatch::Alarm
          props:
            - name: ComparisonOperator
              value: GreaterThanThreshold
            - name: EvaluationPeriods
              value: 1
            - name: MetricName
              value: Errors
            - name: Namespace
              value: AWS/Lambda
            - name: Period
              value: 60
            - name: Statistic
              value: Sum
            - name: Threshold
              value: 1
            - name: AlarmActions
              value: [{actions}]
            - name: OKActions
              value: [{", ".join([actions.split(", ")[0]] * 6)}]
        """,
        select=("MPL205",),
    )
    assert rules(found) == [(23, "MPL205")]
    assert "6 different items; the maximum is 5" in found[0][3]


# -- 8. one finding per fault ------------------------------------------------------------------------
def test_wrong_type_is_one_finding(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: logs  # mplint: type=AWS::Logs::LogGroup
          props:
            - name: RetentionInDays
              value: '90'
        """,
    )
    assert rules(found) == [(9, "MPL202")]


# -- 9. block scalars: Java `$` ------------------------------------------------------------------------
def test_block_scalar_ending_in_a_newline_matches_dollar(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: folded  # mplint: type=AWS::Logs::LogGroup
          props:
            - name: LogGroupName
              value: |
                /app/web
        - name: two_lines  # mplint: type=AWS::Logs::LogGroup
          props:
            - name: LogGroupName
              value: |
                /app/web
                /app/api
        - name: quoted  # mplint: type=AWS::Logs::LogGroup
          props:
            - name: LogGroupName
              value: "/app/web\\n"
        """,
        select=("MPL204",),
    )
    # `^[.\\-_/#A-Za-z0-9]+$`: Java's `$` accepts the block's final newline, not one inside; a quoted
    # string keeps ECMA-262 semantics.
    assert rules(found) == [(14, "MPL204"), (20, "MPL204")]


# -- 10. MPL110 for inline-typed stacks ----------------------------------------------------------------
def test_no_query_file_finding_when_the_type_is_given(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: vpc  # mplint: type=awscc.ec2.vpcs
          props:
            - name: CidrBlock
              value: 10.0.0.0/16
        - name: untyped
          props:
            - name: cidr
              value: 10.0.0.0/16
        """,
        select=("MPL110",),
    )
    assert rules(found) == [(10, "MPL110")]


def test_no_query_file_finding_when_the_type_is_in_config(tmp_path: Path) -> None:
    (tmp_path / ".mplint.yaml").write_text("resources:\n  vpc: {type: aws.ec2.vpcs}\n", encoding="utf-8")
    found = lint(
        tmp_path,
        """\
        - name: vpc
          props:
            - name: CidrBlock
              value: 10.0.0.0/16
        """,
        select=("MPL110",),
    )
    assert found == []


def test_numeric_ranges_and_lengths(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        """\
        - name: queue  # mplint: type=AWS::SQS::Queue
          props:
            - name: DelaySeconds
              value: 1000
            - name: MessageRetentionPeriod
              value: 59
            - name: QueueName
              value: jobs
        """,
        select=("MPL205",),
    )
    assert [(line, rule) for line, _, rule, _ in found] == [(9, "MPL205"), (11, "MPL205")]
    assert "`DelaySeconds` is 1000; the maximum is 900" in found[0][3]
