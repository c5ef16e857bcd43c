"""The round trip's and drills' records on the configurator's table deployed from the
template: a record larger than one DynamoDB item holds (a 3,000-server drill's evidence or
clean-up) is stored and read back whole, and a claim of it still lands only once."""

from __future__ import annotations

import json
import uuid

import pytest
from aiobotocore.session import get_session

from drsorch.configurator.adapters.roundtrip import PART_CHARS, RoundTripDynamo
from drsorch.local.server import LocalEndpoint
from support.aws import deploy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("x14store").configurator.table_name


def _evidence(servers: int, mark: str) -> str:
    """A record the size of a drill's evidence pack: about 300 bytes per server."""
    return json.dumps(
        {
            "mark": mark,
            "instances": [
                {
                    "source_server_id": f"s-{n:017x}",
                    "ec2_instance_id": f"i-{n:017x}",
                    "snapshot_id": f"pit-{n:017x}",
                    "instance_running_at": "2026-12-04T21:00:00+00:00",
                    "recovery_seconds": 251,
                    "check": "passed",
                    "note": "ü" * 40,  # multi-byte characters count more than one byte
                }
                for n in range(servers)
            ],
        }
    )


async def test_a_record_past_one_item_is_kept_and_read_whole(table: str) -> None:
    request_id = f"req-{uuid.uuid4().hex[:8]}"
    big = _evidence(3000, "first")
    assert len(big.encode()) > 400_000 and len(big) > 3 * PART_CHARS
    async with get_session().create_client("dynamodb") as dynamodb:
        store = RoundTripDynamo(dynamodb, table)
        assert await store.load(request_id, "drill-verified") is None
        assert await store.claim(request_id, "drill-verified", big)
        assert await store.load(request_id, "drill-verified") == big
        # A second claim (a redelivery with evidence gathered again) does not land, and
        # the first one's parts are still what is read.
        assert not await store.claim(request_id, "drill-verified", _evidence(3000, "second"))
        assert await store.load(request_id, "drill-verified") == big
        # A save replaces a large record with a small one and back.
        await store.save(request_id, "drill-cleanup", big)
        assert await store.load(request_id, "drill-cleanup") == big
        await store.save(request_id, "drill-cleanup", '{"small": true}')
        assert await store.load(request_id, "drill-cleanup") == '{"small": true}'
