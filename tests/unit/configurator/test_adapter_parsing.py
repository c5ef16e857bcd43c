"""What the adapters make of AWS's answers: errors sorted into wait or refuse, items parsed."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from drsorch.configurator.adapters.drs import source_server
from drsorch.configurator.adapters.ec2 import target_instance
from drsorch.configurator.adapters.errors import translate
from drsorch.configurator.errors import Refused, Transient
from drsorch.contracts.types import Place

PLACE = Place("111122223333", "eu-west-2")


def client_error(code: str, status: int, **extra: Any) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
        **extra,
    }
    return ClientError(response, "Op")


def test_throttling_waits_for_the_retry_after_drs_sent() -> None:
    error = translate(client_error("ThrottlingException", 429, retryAfterSeconds="7"), "Op", PLACE)
    assert isinstance(error, Transient)
    assert error.retry_after == 7
    assert "Op in 111122223333/eu-west-2" in str(error)


def test_server_faults_and_lost_connections_wait() -> None:
    assert isinstance(
        translate(client_error("InternalServerException", 500), "Op", PLACE), Transient
    )
    lost = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    assert isinstance(translate(lost, "Op", PLACE), Transient)


def test_refusals_reject() -> None:
    for code, status in (("ValidationException", 400), ("ResourceNotFoundException", 404)):
        error = translate(client_error(code, status), "UpdateLaunchConfiguration", PLACE)
        assert isinstance(error, Refused)
        assert code in str(error)


def test_a_source_server_item_is_read_with_its_platform_and_hints() -> None:
    item = {
        "sourceServerID": "s-00000000000000001",
        "tags": {"drsorch:copy-tags": "true"},
        "replicationDirection": "FAILBACK",
        "sourceProperties": {
            "architecture": "arm64",
            "os": {"fullString": "Microsoft Windows Server 2022"},
            "identificationHints": {"awsInstanceID": "i-0123456789abcdef0"},
        },
    }
    server = source_server(item, PLACE)
    assert (server.architecture, server.platform, server.direction) == (
        "arm64",
        "windows",
        "FAILBACK",
    )
    assert server.aws_instance_id == "i-0123456789abcdef0"
    assert source_server({"sourceServerID": "s-00000000000000002"}, PLACE).platform is None


def test_an_ec2_instance_is_linux_unless_ec2_says_windows() -> None:
    item = {
        "InstanceId": "i-0123456789abcdef0",
        "State": {"Name": "stopped"},
        "Architecture": "x86_64",
        "Tags": [{"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}],
    }
    linux = target_instance(item, PLACE)
    assert (linux.platform, linux.state, linux.allows_launch_into) == ("linux", "stopped", True)
    assert target_instance({**item, "Platform": "windows"}, PLACE).platform == "windows"
