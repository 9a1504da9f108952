"""parliament with its per-statement helpers memoised says what it says with its own helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from mplint.iam import parliament_adapter as adapter
from mplint.iam.parliament_memo import ORIGINALS
from tests.conftest import shared_path

HAND_WRITTEN = [
    {"Effect": "Allow", "NotAction": ["iam:*", "s3:GetObject"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:PutBucketPolicy", "*"], "Resource": "arn:aws:s3:::bucket"},
    {"Effect": "Allow", "Action": ["s3:PutBucketAcl", "nosuch:Thing"], "Resource": "arn:aws:s3:::b"},
    {"Effect": "Allow", "Action": "s3:PutLifecycleConfiguration", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
    {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": ["arn:aws:ec2:*:*:instance/*", 7]},
    {"Effect": "Allow", "Action": ["s3:Get*", {"odd": 1}], "Resource": "*"},
]


def texts() -> list[str]:
    folder: Path = shared_path("corpus", "iam", "aws-managed", "iamtrail", "documents")
    found = [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.json"))[::6]]
    return found + [json.dumps({"Version": "2012-10-17", "Statement": [s]}) for s in HAND_WRITTEN]


def analysed(text: str) -> Any:
    result = adapter.analyze_policy(text, timeout=None)
    return result.issues, [n.message for n in result.notifications], result.policy_checks_ran


def test_memoised_helpers_answer_as_parliaments_own(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter.prepare()
    corpus = texts()
    memoised = [analysed(text) for text in corpus]
    statement = sys.modules["parliament.statement"]
    for name in ("get_arn_format", "is_arn_match", "is_arn_strictly_valid"):
        monkeypatch.setattr(statement, name, ORIGINALS[name])
    monkeypatch.setattr(statement.Statement, "in_actions", ORIGINALS["in_actions"])
    assert [analysed(text) for text in corpus] == memoised
