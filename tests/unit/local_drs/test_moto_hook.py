"""The hook into moto's server that DRS depends on. moto declined a plugin system, so a
moto upgrade that breaks any of these fails here first, loudly, with the reason."""

from __future__ import annotations

import json
from typing import Any

import moto
import pytest
from moto.core.responses import BaseResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from drsorch.local.drs.wire import DRS_BACKEND, DrsResponse, register
from drsorch.local.server import EndpointApp


def _signed(
    service: str, region: str = "eu-west-1", key: str = "AKIAIOSFODNN7EXAMPLE"
) -> dict[str, str]:
    scope = f"{key}/20250101/{region}/{service}/aws4_request"
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
    }


def test_moto_is_the_version_the_hook_was_written_for() -> None:
    assert moto.__version__ == "5.2.5", "re-check drsorch.local.drs.wire against the new moto"


def test_the_dispatcher_still_routes_by_backend_url_patterns_and_app_instances() -> None:
    dispatcher = DomainDispatcherApplication(create_backend_app)
    assert isinstance(dispatcher.backend_url_patterns, list), "moto changed backend_url_patterns"
    assert isinstance(dispatcher.app_instances, dict), "moto changed app_instances"
    assert dispatcher.get_backend_for_host("drs.eu-west-1.amazonaws.com") is None, (
        "moto has a drs backend now"
    )

    register(dispatcher)

    environ = {"PATH_INFO": "/DescribeJobs", "HTTP_AUTHORIZATION": _signed("drs")["Authorization"]}
    assert dispatcher.get_application(environ) is dispatcher.app_instances[DRS_BACKEND]
    ec2 = {"PATH_INFO": "/", "HTTP_AUTHORIZATION": _signed("ec2")["Authorization"]}
    assert dispatcher.get_application(ec2) is not dispatcher.app_instances[DRS_BACKEND]


def test_register_leaves_moto_s_own_pattern_list_alone() -> None:
    first = DomainDispatcherApplication(create_backend_app)
    register(first)
    register(first)
    second = DomainDispatcherApplication(create_backend_app)
    assert [name for name, _ in first.backend_url_patterns].count(DRS_BACKEND) == 1
    assert DRS_BACKEND not in [name for name, _ in second.backend_url_patterns]


def test_base_response_still_offers_what_drs_response_uses() -> None:
    for name in (
        "setup_class",
        "_get_action",
        "_get_action_from_method_and_request_uri",
        "dispatch",
    ):
        assert hasattr(BaseResponse, name), f"moto's BaseResponse lost {name}"
    response = DrsResponse()
    assert response.service_name == "drs"
    assert response.automated_parameter_parsing is True


@pytest.fixture
def client() -> Client:
    from drsorch.local.drs import install  # noqa: PLC0415

    return Client(EndpointApp([install]))


def _post(
    client: Client, path: str, body: dict[str, Any], **headers: str
) -> tuple[int, dict[str, str], Any]:
    answer = client.post(
        path, data=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    return answer.status_code, dict(answer.headers), answer.get_json(silent=True)


def test_a_signed_request_reaches_the_emulator_with_moto_s_account_and_the_signed_region(
    client: Client,
) -> None:
    headers = _signed("drs", "ap-southeast-2") | {"x-moto-account-id": "444455556666"}
    status, answer_headers, _ = _post(client, "/DescribeSourceServers", {}, **headers)
    assert status == 400
    assert answer_headers["x-amzn-ErrorType"] == "UninitializedAccountException"
    from drsorch.local.drs.emulator import default_emulator  # noqa: PLC0415

    last = default_emulator().calls.records()[-1]
    assert (last.account_id, last.region, last.operation) == (
        "444455556666",
        "ap-southeast-2",
        "DescribeSourceServers",
    )


def test_tags_routes_are_matched_with_the_arn_percent_decoded(client: Client) -> None:
    arn = "arn:aws:drs:eu-west-1:123456789012:source-server/s-12345678901234567"
    encoded = arn.replace(":", "%3A").replace("/", "%2F")
    answer = client.get(f"/tags/{encoded}", headers=_signed("drs"))
    assert answer.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert answer.get_json()["resourceId"] == "s-12345678901234567"


def test_an_unparseable_body_is_a_validation_error(client: Client) -> None:
    answer = client.post(
        "/DescribeJobs",
        data="{not json",
        headers=_signed("drs") | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.get_json()["reason"] == "cannotParse"
