"""The parliament adapter: findings, crashes as notifications, the fresher action data, time limits.

The adapter patches parliament once per process, so whatever must be shown about *unpatched*
parliament runs in a child process.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from mplint.findings import Level
from mplint.iam import parliament_adapter as adapter
from mplint.iam.parliament_adapter import FINDING_TYPES, ParliamentResult, analyze_policy

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "iam" / "aws-managed" / "iamtrail" / "documents"
NEW_ACTION = "lambda:CreateCapacityProvider"  # in the bundled catalog, not in parliament 1.6.4's database


def policy(*statements: dict[str, Any], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)}, indent=2)


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def issue_ids(result: ParliamentResult) -> list[str]:
    return [i.issue for i in result.issues]


def run_child(code: str) -> Any:
    """Run code in a fresh interpreter; it must print one JSON value."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, check=True, capture_output=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def parliament() -> Any:
    adapter.prepare()
    return sys.modules["parliament"]


# -- importing ---------------------------------------------------------------------------------------------


def test_importing_the_adapter_does_not_import_parliament() -> None:
    code = """
        import json, sys
        import mplint.iam.parliament_adapter
        print(json.dumps("parliament" in sys.modules))
    """
    assert run_child(code) is False


def test_works_without_pkg_resources() -> None:
    # setuptools >= 82 has no pkg_resources: block it, analyse, and check the stub did not leak.
    code = """
        import importlib.abc, json, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "pkg_resources":
                    raise ModuleNotFoundError("No module named 'pkg_resources'")
        sys.meta_path.insert(0, Block())
        from mplint.iam.parliament_adapter import analyze_policy
        doc = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "*"}}'
        result = analyze_policy(doc)
        try:
            import pkg_resources
            leaked = True
        except ImportError:
            leaked = False
        print(json.dumps([[i.issue for i in result.issues], leaked]))
    """
    assert run_child(code) == [["UNKNOWN_ACTION"], False]


def test_prepare_reports_what_was_added() -> None:
    info = adapter.prepare()
    assert info is adapter.prepare()  # once per process
    assert info.parliament_version.startswith("1.6")
    assert info.services_added > 0 and info.actions_added > info.services_added


# -- findings ------------------------------------------------------------------------------------------------


def test_good_policy_has_no_findings() -> None:
    result = analyze_policy(policy(allow("s3:GetObject", "arn:aws:s3:::my-bucket/*")))
    assert result.issues == [] and result.notifications == []
    assert result.policy_checks_ran


def test_resource_mismatch_is_found_at_the_statement() -> None:
    text = policy(allow("s3:GetObject", "arn:aws:s3:::my-bucket"))
    result = analyze_policy(text)
    assert issue_ids(result) == ["RESOURCE_MISMATCH"]
    issue = result.issues[0]
    assert (issue.title, issue.severity) == ("No resources match for the given action", "MEDIUM")
    assert (issue.line, issue.column) == (4, 5)  # the statement's "{"
    assert text.splitlines()[3][4] == "{"
    assert issue.detail == [{"action": "s3:GetObject", "required_format": "arn:*:s3:::*/*"}]
    assert "filepath" not in issue.location


def test_unknown_action_position_points_at_the_action() -> None:
    text = policy(allow(["s3:GetObject", "s3:GetObjct"]))
    result = analyze_policy(text)
    unknown = [i for i in result.issues if i.issue == "UNKNOWN_ACTION"]
    assert len(unknown) == 1
    line = text.splitlines()[unknown[0].line - 1]
    assert line[unknown[0].column - 1 :].startswith('"s3:GetObjct"')
    assert unknown[0].location == {"string": "s3:GetObjct"}


def test_malformed_json() -> None:
    result = analyze_policy('{"Version": "2012-10-17",\n "Statement": [}')
    assert issue_ids(result) == ["MALFORMED_JSON"]
    assert result.issues[0].line == 2 and result.issues[0].severity == "CRITICAL"
    assert not result.policy_checks_ran


def test_old_version_uses_lineno_which_is_normalised() -> None:
    result = analyze_policy(policy(allow("s3:GetObject", "arn:aws:s3:::b/*"), version="2008-10-17"))
    assert issue_ids(result) == ["OLD_VERSION"]
    assert result.issues[0].line == 2 and result.issues[0].column is not None


def test_resource_policy_privilege_escalation() -> None:
    result = analyze_policy(policy(allow("s3:PutBucketPolicy", "arn:aws:s3:::my-bucket")))
    found = [i for i in result.issues if i.issue == "RESOURCE_POLICY_PRIVILEGE_ESCALATION"]
    assert len(found) == 3  # PutObject, GetObject and DeleteObject are not granted
    assert all(i.line is None for i in found)  # policy-level: parliament gives no position


# -- crashes become notifications ------------------------------------------------------------------------

IMAGE_ARNS_POLICY = policy(
    allow(
        "sagemaker:CreateDomain",
        "arn:aws:sagemaker:*:*:domain/*",
        Condition={"ForAnyValue:ArnLike": {"sagemaker:ImageArns": "arn:aws:sagemaker:*:*:image/*"}},
    )
)


def test_parliament_itself_crashes_on_array_of_arn_condition_keys(parliament: Any) -> None:
    with pytest.raises(Exception, match="Unknown data format: ArrayOfARN"):
        parliament.analyze_policy_string(IMAGE_ARNS_POLICY)


def test_a_crash_becomes_a_notification() -> None:
    result = analyze_policy(IMAGE_ARNS_POLICY, path="policies/domain.json")
    assert result.issues == [] and not result.policy_checks_ran
    [note] = result.notifications
    assert note.level is Level.WARNING
    assert "parliament crashed" in note.message and "ArrayOfARN" in note.message
    assert note.span is not None and note.span.path == "policies/domain.json"


@pytest.mark.parametrize(
    "name", ["SageMakerStudioEMRContainersSystemNamespaceRolePolicy.json", "SageMakerStudioProjectUserRolePolicy.json"]
)
def test_real_managed_policies_that_crash_parliament(name: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus not present: {path}")
    result = analyze_policy(path.read_text(), path=name)
    assert [n.message for n in result.notifications] == [
        "parliament crashed, its checks were skipped: Exception: Unknown data format: ArrayOfARN"
    ]


def test_an_exception_parliament_catches_itself_is_a_notification_too() -> None:
    # The sensitive-access auditor expands its configured actions and raises on an unknown one;
    # parliament records that as an EXCEPTION finding.
    overrides = {"SENSITIVE_ACCESS": {"resources": [{"nosuch:Thing": ["arn:aws:s3:::b"]}]}}
    text = policy(allow("s3:GetObject", "arn:aws:s3:::b/*"))
    result = analyze_policy(text, include_community_auditors=True, config_overrides=overrides)
    assert "EXCEPTION" not in issue_ids(result)
    assert any("sensitive_access" in n.message and "nosuch" in n.message for n in result.notifications)


def test_parliament_missing_is_a_notification(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise ModuleNotFoundError("No module named 'parliament'")

    monkeypatch.setattr(adapter, "_prepared", broken)
    result = analyze_policy(policy(allow("s3:GetObject")))
    assert result.issues == [] and "parliament unavailable" in result.notifications[0].message


# -- the fresher action data -----------------------------------------------------------------------------

PRIVESC_POLICY = policy(
    allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction", NEW_ACTION]),
    allow("s3:PutBucketPolicy", "arn:aws:s3:::my-bucket"),
)


def test_the_new_action_is_unknown_to_parliaments_own_database() -> None:
    spec = importlib.util.find_spec("parliament")
    assert spec is not None and spec.origin is not None
    shipped = json.loads((Path(spec.origin).parent / "iam_definition.json").read_text())
    names = {f"{e['prefix']}:{p['privilege']}" for e in shipped for p in e["privileges"]}
    assert "lambda:CreateFunction" in names and NEW_ACTION not in names


def test_plain_parliament_switches_privilege_escalation_checks_off_on_a_new_action() -> None:
    code = f"""
        import json
        from mplint.iam.parliament_adapter import _import_parliament
        p = _import_parliament()  # imports only: no patch
        policy = p.analyze_policy_string({PRIVESC_POLICY!r}, include_community_auditors=True)
        print(json.dumps(sorted({{f.issue for f in policy.findings}})))
    """
    assert run_child(code) == ["UNKNOWN_ACTION"]


def test_a_new_action_does_not_switch_privilege_escalation_checks_off() -> None:
    result = analyze_policy(PRIVESC_POLICY, include_community_auditors=True)
    ids = issue_ids(result)
    assert "UNKNOWN_ACTION" not in ids
    assert result.policy_checks_ran and result.notifications == []
    assert "RESOURCE_POLICY_PRIVILEGE_ESCALATION" in ids  # core check
    privesc = [i for i in result.issues if i.issue == "PRIVILEGE_ESCALATION"]  # community auditor
    assert {i.location["type"] for i in privesc} == {"PassExistingRoleToNewLambdaThenInvoke"}
    assert privesc[0].severity == "HIGH" and privesc[0].title == "Privilege escalation"


def test_community_auditors_are_opt_in() -> None:
    ids = issue_ids(analyze_policy(PRIVESC_POLICY))
    assert "PRIVILEGE_ESCALATION" not in ids and "RESOURCE_POLICY_PRIVILEGE_ESCALATION" in ids


def test_an_action_unknown_to_both_says_the_checks_were_skipped() -> None:
    result = analyze_policy(policy(allow(["iam:PassRole", "lambda:CreateFunktion"])), path="p.json")
    assert "UNKNOWN_ACTION" in issue_ids(result) and not result.policy_checks_ran
    [note] = result.notifications
    assert note.level is Level.NOTE and "lambda:CreateFunktion" in note.message


def test_an_invalid_arn_also_switches_the_checks_off_and_says_so() -> None:
    result = analyze_policy(policy(allow(["iam:PassRole", "lambda:CreateFunction"], "arn:aws:lambda:us-east-1:x")))
    assert "INVALID_ARN" in issue_ids(result) and not result.policy_checks_ran
    [note] = result.notifications
    assert "INVALID_ARN arn:aws:lambda:us-east-1:x" in note.message


def test_an_empty_statement_list_is_not_reported_as_skipped() -> None:
    result = analyze_policy(policy())
    assert result.policy_checks_ran and result.notifications == []


def test_sensitive_access_config_is_per_call(parliament: Any) -> None:
    overrides = {"SENSITIVE_ACCESS": {"resources": [{"s3:GetObject": ["arn:aws:s3:::secrets/*"]}]}}
    text = policy(allow("s3:GetObject", "arn:aws:s3:::secrets/*"))
    with_config = analyze_policy(text, include_community_auditors=True, config_overrides=overrides)
    assert "SENSITIVE_ACCESS" in issue_ids(with_config)
    assert parliament.config["SENSITIVE_ACCESS"]["resources"] == []  # process-wide config untouched
    assert "SENSITIVE_ACCESS" not in issue_ids(analyze_policy(text, include_community_auditors=True))


def test_indexed_lookups_match_parliaments_own(parliament: Any) -> None:
    original = adapter.ORIGINAL_LOOKUPS["expand_action"].__wrapped__  # bypass its cache
    patterns = ["*", "*:*", "*:GetObject", "s3:*", "S3:Get*", "s3:Get?bject", "s3:[gp]ut*", "iq:*", "nosuch:*"]
    patterns += ["s3:GetObjct", "a:b:c", "sagemaker:*ModelPackage*", NEW_ACTION, "lambda:*", "ec2:Describe*"]
    for pattern in patterns:
        for raising in (True, False):
            assert outcome(parliament.expand_action, pattern, raising) == outcome(original, pattern, raising), pattern
    info = adapter.ORIGINAL_LOOKUPS["get_privilege_info"]
    statement = sys.modules["parliament.statement"]
    for prefix, name in [("s3", "GetObject"), ("lambda", "CreateCapacityProvider"), ("s3", "getobject")]:
        assert outcome(statement.get_privilege_info, prefix, name) == outcome(info, prefix, name)


def test_what_parliament_reads_of_its_database_is_as_in_its_file(parliament: Any) -> None:
    """The adapter drops the descriptions and dependent actions and shares strings: every field parliament's
    code reads is as in iam_definition.json (the extension only appends)."""
    spec = importlib.util.find_spec("parliament")
    assert spec is not None and spec.origin is not None
    shipped = json.loads((Path(spec.origin).parent / "iam_definition.json").read_text(encoding="utf-8"))
    loaded = parliament.iam_definition
    assert len(loaded) > len(shipped)  # the services parliament does not know were added after its own

    def privilege(p: dict[str, Any]) -> Any:
        return (
            p["privilege"],
            p["access_level"],
            [(r["resource_type"], r["condition_keys"]) for r in p["resource_types"]],
        )

    for before, after in zip(shipped, loaded, strict=False):
        assert (after["prefix"], after["service_name"]) == (before["prefix"], before["service_name"])
        for field, read in (
            ("privileges", privilege),
            ("resources", lambda r: (r["resource"], r["arn"], r["condition_keys"])),
            ("conditions", lambda c: (c["condition"], c["type"])),
        ):
            own = after[field][: len(before[field])]
            assert [read(x) for x in own] == [read(x) for x in before[field]], (before["prefix"], field)
    assert not any("description" in p for entry in loaded for p in entry["privileges"])


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:
        return type(exc).__name__, str(exc)


# -- time limit ------------------------------------------------------------------------------------------


def spin(*args: Any, **kwargs: Any) -> Any:
    while True:
        try:
            while True:
                pass
        except Exception:  # as parliament's community-auditor loop does: must not swallow the time limit
            continue


def test_time_limit_on_the_main_thread(parliament: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parliament, "analyze_policy_string", spin)
    before = signal.getsignal(signal.SIGALRM)
    started = time.perf_counter()
    result = analyze_policy(policy(allow("s3:GetObject")), timeout=0.2, path="slow.json")
    assert time.perf_counter() - started < 2
    assert "did not finish within 0.2 s" in result.notifications[0].message
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_time_limit_off_the_main_thread(parliament: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parliament, "analyze_policy_string", spin)
    box: dict[str, ParliamentResult] = {}
    worker = threading.Thread(target=lambda: box.update(r=analyze_policy(policy(allow("s3:GetObject")), timeout=0.2)))
    worker.start()
    worker.join(5)
    assert not worker.is_alive()
    assert "did not finish" in box["r"].notifications[0].message
    time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name == "mplint-parliament"]  # the analysis was stopped


def test_slow_community_auditors_do_not_lose_the_core_findings(
    parliament: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import parliament.community_auditors.privilege_escalation as auditor

    monkeypatch.setattr(auditor, "audit", spin)
    result = analyze_policy(
        policy(allow("s3:GetObject", "arn:aws:s3:::my-bucket")), include_community_auditors=True, timeout=0.3
    )
    assert issue_ids(result) == ["RESOURCE_MISMATCH"]
    [note] = result.notifications
    assert "community auditors did not finish within 0.3 s; only its core checks ran" in note.message


def test_results_off_the_main_thread_are_the_same() -> None:
    text = policy(allow("s3:GetObject", "arn:aws:s3:::my-bucket"))
    box: dict[str, ParliamentResult] = {}
    worker = threading.Thread(target=lambda: box.update(r=analyze_policy(text)))
    worker.start()
    worker.join(10)
    assert box["r"].issues == analyze_policy(text).issues


# -- the finding-type table ------------------------------------------------------------------------------


def test_finding_type_table_covers_every_parliament_finding(parliament: Any) -> None:
    base = Path(parliament.__file__).parent
    core = yaml.safe_load((base / "config.yaml").read_text())
    community = yaml.safe_load((base / "community_auditors" / "config_override.yaml").read_text())
    assert set(FINDING_TYPES) == set(core) | set(community)
    for name, settings in (core | community).items():
        entry = FINDING_TYPES[name]
        assert entry.origin == ("community" if name in community else "core")
        assert entry.severity == settings["severity"] and entry.group == settings["group"], name
        assert settings["title"].startswith(entry.title.split(",")[0]), name
        assert entry.positioned in {"always", "mostly", "never"}
