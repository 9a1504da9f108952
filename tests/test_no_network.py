"""mplint never uses the network: a full lint of the real stacks of ../shared/corpus, with a deploying policy
and parliament's community auditors, under a socket guard that fails on any connection, send or name
look-up to a non-local address."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mplint.app import LintOptions, lint_paths
from tests.conftest import shared_path

LOCAL = ("127.0.0.1", "::1", "localhost")


@pytest.fixture()
def guarded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def remote(address: object) -> bool:
        if isinstance(address, (str, bytes)):  # AF_UNIX path
            return False
        host = address[0] if isinstance(address, tuple) and address else address
        return str(host) not in LOCAL

    def guard(name: str, real):
        def wrapper(self, address, *args, **kwargs):
            if remote(address):
                attempts.append(f"{name} {address!r}")
                raise OSError(f"network use blocked by the test: {name} {address!r}")
            return real(self, address, *args, **kwargs)

        return wrapper

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, guard(name, getattr(socket.socket, name)))

    def sendto(self, data, *args):
        address = args[-1]
        if remote(address):
            attempts.append(f"sendto {address!r}")
            raise OSError("network use blocked by the test")
        return real_sendto(self, data, *args)

    real_sendto = socket.socket.sendto
    monkeypatch.setattr(socket.socket, "sendto", sendto)

    def lookup(host, *args, **kwargs):
        if str(host) not in LOCAL:
            attempts.append(f"getaddrinfo {host!r}")
            raise OSError("name look-up blocked by the test")
        return real_lookup(host, *args, **kwargs)

    real_lookup = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return attempts


def test_guard_catches_a_connection(guarded: list[str]) -> None:
    with pytest.raises(OSError), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
    assert guarded == ["connect ('192.0.2.1', 443)"]


def test_corpus_lint_with_policy_and_parliament_opens_no_socket(guarded: list[str], tmp_path: Path) -> None:
    corpus = shared_path("corpus", "stackql-deploy")
    policy = shared_path("corpus", "iam", "aws-managed", "sagemaker-focus", "AmazonSageMakerFullAccess.json")
    config = tmp_path / "mplint.yaml"
    config.write_text("parliament:\n  community-auditors: true\n")
    outcome = lint_paths(LintOptions(paths=[corpus, policy], policies=[policy], config=config, base=tmp_path))
    assert outcome.stacks and outcome.policies
    assert any(f.rule_id.startswith("MPL3") for f in outcome.result.findings)  # the policy was evaluated
    assert guarded == []
