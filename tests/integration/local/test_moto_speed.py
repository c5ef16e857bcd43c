"""The endpoint's cheap EC2 lookups, DynamoDB Query and transactions, and serializer,
answer as moto's own code.

Over HTTP with real boto3: the answers of DescribeInstances and Query are compared with
what DescribeTags, a tag-filtered DescribeInstances and Scan (moto's unpatched paths over
the same state) say; a transaction's answer and the table it leaves with what moto's own
transaction gives over a twin table. The serializer's answers are compared byte for
byte, in the endpoint's process, with what moto's own value lookup writes for the same
result.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drsorch.local.server import LocalEndpoint
from support.aws import client

pytestmark = pytest.mark.integration
REGION = "eu-west-3"


def test_the_patches_are_installed(endpoint: LocalEndpoint) -> None:
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415
    from moto.ec2.models.core import TaggedEC2Resource  # noqa: PLC0415

    assert getattr(TaggedEC2Resource.get_tags, "drsorch_fast", False)
    assert getattr(Table.query, "drsorch_fast", False)
    assert getattr(DynamoDBBackend.transact_write_items, "drsorch_fast", False)
    from moto.core.serialize import ResponseSerializer  # noqa: PLC0415
    from moto.ec2.models.instances import InstanceBackend  # noqa: PLC0415

    assert getattr(InstanceBackend.describe_instances, "drsorch_fast", False)
    assert getattr(InstanceBackend.get_reservations_by_instance_ids, "drsorch_fast", False)
    assert getattr(InstanceBackend.get_instance, "drsorch_fast", False)
    assert getattr(InstanceBackend.get_multi_instances_by_id, "drsorch_fast", False)
    from moto.ec2.models.amis import AmiBackend  # noqa: PLC0415

    assert getattr(AmiBackend.describe_images, "drsorch_fast", False)
    assert getattr(ResponseSerializer.get_value, "drsorch_fast", False)
    from moto.core.serialize import EC2Serializer  # noqa: PLC0415

    assert getattr(EC2Serializer._serialize_body, "drsorch_fast", False)


def test_instances_carry_their_own_tags_and_tag_filters_still_select(
    endpoint: LocalEndpoint,
) -> None:
    ec2 = client("ec2", region_name=REGION)
    mark = uuid.uuid4().hex[:8]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids = [
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": "Name", "Value": f"{mark}-{n}"},
                        {"Key": "mark", "Value": mark},
                        *([{"Key": "odd", "Value": "yes"}] if n % 2 else []),
                    ],
                }
            ],
        )["Instances"][0]["InstanceId"]
        for n in range(6)
    ]
    seen = {
        i["InstanceId"]: {t["Key"]: t["Value"] for t in i.get("Tags", [])}
        for r in ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": ids}])[
            "Reservations"
        ]
        for i in r["Instances"]
    }
    listed = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": ids}])["Tags"]
    expected: dict[str, dict[str, str]] = {i: {} for i in ids}
    for tag in listed:
        expected[tag["ResourceId"]][tag["Key"]] = tag["Value"]
    assert seen == expected
    assert all(len(tags) >= 2 for tags in seen.values())
    odd = ec2.describe_instances(
        Filters=[{"Name": "tag:odd", "Values": ["yes"]}, {"Name": "tag:mark", "Values": [mark]}]
    )["Reservations"]
    assert sorted(i["InstanceId"] for r in odd for i in r["Instances"]) == sorted(ids[1::2])


def _reservations(answer: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(r["ReservationId"], r["Instances"]) for r in answer["Reservations"]]


def _launch_marked(ec2: Any, mark: str, counts: list[int]) -> list[str]:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids: list[str] = []
    for count in counts:  # reservations of several instances, so some are picked in part
        answer = ec2.run_instances(
            ImageId=image,
            MinCount=count,
            MaxCount=count,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "mark", "Value": mark}]}
            ],
        )
        ids += [i["InstanceId"] for i in answer["Instances"]]
    return ids


def test_instances_named_by_id_answer_as_moto_selects_them_from_all(
    endpoint: LocalEndpoint,
) -> None:
    ec2 = client("ec2", region_name=REGION)
    mark = uuid.uuid4().hex[:8]
    ids = _launch_marked(ec2, mark, [3, 1, 4, 2])
    ec2.stop_instances(InstanceIds=ids[2:5])
    everything = _reservations(
        ec2.describe_instances(Filters=[{"Name": "tag:mark", "Values": [mark]}])
    )  # moto's own path: no instance named

    def expected(named: list[str], state: str | None = None) -> list[Any]:
        kept = [
            (rid, [i for i in instances if i["InstanceId"] in named])
            for rid, instances in everything
        ]
        kept = [
            (rid, [i for i in instances if state is None or i["State"]["Name"] == state])
            for rid, instances in kept
        ]
        return [(rid, instances) for rid, instances in kept if instances]

    for named in (ids, ids[::-1], ids[1:7], [ids[5]], ids[3::3]):
        assert _reservations(ec2.describe_instances(InstanceIds=named)) == expected(named)
        by_filter = ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": named}])
        assert _reservations(by_filter) == expected(named)
        paged = ec2.describe_instances(
            Filters=[{"Name": "instance-id", "Values": named}], MaxResults=1000
        )
        assert _reservations(paged) == expected(named)
        for state in ("running", "stopped"):
            state_filter = {"Name": "instance-state-name", "Values": [state]}
            assert _reservations(
                ec2.describe_instances(InstanceIds=named, Filters=[state_filter])
            ) == expected(named, state)
            assert _reservations(
                ec2.describe_instances(
                    Filters=[{"Name": "instance-id", "Values": named}, state_filter]
                )
            ) == expected(named, state)
    unknown = "i-0000000000" + uuid.uuid4().hex[:7]
    assert not ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": [unknown]}])[
        "Reservations"
    ]
    assert _reservations(
        ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": [unknown, ids[0]]}])
    ) == expected([ids[0]])
    with pytest.raises(ClientError) as raised:
        ec2.describe_instances(InstanceIds=[ids[0], unknown])
    assert raised.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
    assert unknown in raised.value.response["Error"]["Message"]


def test_instances_and_images_found_by_id_are_those_moto_finds_among_all(
    endpoint: LocalEndpoint,
) -> None:
    from moto.ec2.exceptions import InvalidInstanceIdError  # noqa: PLC0415
    from moto.ec2.models import ec2_backends  # noqa: PLC0415
    from moto.ec2.utils import generic_filter  # noqa: PLC0415

    ec2 = client("ec2", region_name=REGION)
    ids = _launch_marked(ec2, uuid.uuid4().hex[:8], [2, 1, 3])
    account = client("sts", region_name=REGION).get_caller_identity()["Account"]
    backend = ec2_backends[account][REGION]
    everyone = {i.id: i for i in backend.all_instances()}  # moto's own walk
    for instance_id in ids:
        assert backend.get_instance(instance_id) is everyone[instance_id]
    named = [ids[4], ids[0], ids[2], ids[0]]
    assert backend.get_multi_instances_by_id(named) == [everyone[i] for i in named]
    stopped = [{"name": "instance-state-name", "values": ["stopped"]}]
    ec2.stop_instances(InstanceIds=ids[:2])  # through the patched lookup, over HTTP
    assert backend.get_multi_instances_by_id(ids, stopped) == [everyone[i] for i in ids[:2]]
    unknown = "i-0000000000" + uuid.uuid4().hex[:7]
    with pytest.raises(InvalidInstanceIdError):
        backend.get_instance(unknown)
    with pytest.raises(InvalidInstanceIdError):
        backend.get_multi_instances_by_id([ids[0], unknown])
    with pytest.raises(ClientError) as raised:
        ec2.start_instances(InstanceIds=[ids[0], unknown])
    assert raised.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"

    images = list(backend.amis.values())
    for image in images[:5]:
        for wanted in (image.id, [image.id]):
            mine = backend.describe_images(filters={"image-id": wanted})
            assert mine == generic_filter({"image-id": wanted}, images)
    pattern = images[0].id[:-2] + "*"
    assert backend.describe_images(filters={"image-id": pattern}) == generic_filter(
        {"image-id": pattern}, images
    )
    assert backend.describe_images(filters={"image-id": "ami-00000000000000000"}) == []
    launched = everyone[ids[0]]
    assert launched.architecture == backend.amis[launched.image_id].architecture


def _ec2_answers() -> tuple[Any, Any, dict[str, Any], list[str]]:
    """EC2's model, moto's response transformers, and results of a few EC2 operations as
    moto's backend gives them (instances stopped, tagged with text to escape, untagged)."""
    from moto.core.utils import get_service_model  # noqa: PLC0415
    from moto.ec2.models import ec2_backends  # noqa: PLC0415
    from moto.ec2.responses._base_response import EC2BaseResponse  # noqa: PLC0415

    ec2 = client("ec2", region_name=REGION)
    ids = _launch_marked(ec2, uuid.uuid4().hex[:8], [3, 2])
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    untagged = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    ids.append(untagged["InstanceId"])
    ec2.stop_instances(InstanceIds=ids[:1])
    ec2.create_tags(Resources=ids[1:2], Tags=[{"Key": "Name", "Value": 'a & <b> "c" é'}])
    account = client("sts", region_name=REGION).get_caller_identity()["Account"]
    backend = ec2_backends[account][REGION]
    results = {
        "DescribeInstances": {
            "Reservations": backend.get_reservations_by_instance_ids(ids),
            "NextToken": None,
        },
        "DescribeVolumes": {"Volumes": list(backend.describe_volumes()), "NextToken": None},
        "DescribeSubnets": {"Subnets": list(backend.describe_subnets()), "NextToken": None},
        "DescribeImages": {"Images": list(backend.describe_images(owners=["amazon"]))[:20]},
        "StopInstances": {"StoppingInstances": []},
    }
    model = get_service_model("ec2")
    return model, EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER, results, ids


def test_answers_are_serialized_as_moto_serializes_them(endpoint: LocalEndpoint) -> None:
    from moto.core.serialize import EC2Serializer, XFormedAttributePicker  # noqa: PLC0415

    class AsMotoPicks(XFormedAttributePicker):
        """Not moto's class exactly: the serializer looks values up with moto's own code."""

    model, transformers, results, ids = _ec2_answers()
    for operation, result in results.items():
        bodies = [
            EC2Serializer(
                operation_model=model.operation_model(operation),
                value_picker=picker(response_transformers=transformers),
            ).serialize(result)["body"]
            for picker in (XFormedAttributePicker, AsMotoPicks)
        ]
        assert bodies[0] == bodies[1], operation
        assert ids[1] in bodies[0] or operation != "DescribeInstances"


def _as_xmltodict_writes(body: Any) -> str:
    import xmltodict  # type: ignore[import-untyped]  # noqa: PLC0415

    return str(xmltodict.unparse(body, full_document=True, short_empty_elements=True))


def test_ec2_answers_are_written_byte_for_byte_as_xmltodict_writes_them(
    endpoint: LocalEndpoint,
) -> None:
    from moto.core.serialize import EC2Serializer, XFormedAttributePicker  # noqa: PLC0415

    from drsorch.local.moto_speed import UnknownShape, xml_document  # noqa: PLC0415

    bodies: list[Any] = []

    class Keeping(EC2Serializer):
        def _serialize_body(self, body: Any) -> str:
            bodies.append(body)
            return ""

    model, transformers, results, _ = _ec2_answers()
    for operation, result in results.items():
        Keeping(
            operation_model=model.operation_model(operation),
            value_picker=XFormedAttributePicker(response_transformers=transformers),
        ).serialize(result)
    assert len(bodies) == len(results)
    made_up = [
        {"R": {"@a": None, "@b": 'q"<&>', "#text": 7, "x": [None, "", 0, 1.5, True, False]}},
        {"R": {"e": [], "f": {"#text": None}, "g": {"#text": "t", "h": "u"}, "i": ["j", {}]}},
        {"R": None},
        {"R": []},
        {"R": ["only"]},
    ]
    for body in [*bodies, *made_up]:
        assert xml_document(body) == _as_xmltodict_writes(body)
    namespaces = {"R": {"@xmlns": {"a": "urn:a"}}}
    unusual_shapes = ({"R": {"#comment": "c"}}, {"R": b"x"}, {"R": {"s": ()}}, namespaces)
    for unusual in (*unusual_shapes, {"R": [1, 2]}):
        with pytest.raises(UnknownShape):
            xml_document(unusual)
    # The serializer writes what xmltodict writes for those too: it leaves them to it.
    serializer = EC2Serializer(operation_model=model.operation_model("StopInstances"))
    for unusual in unusual_shapes:
        assert serializer._serialize_body(unusual) == _as_xmltodict_writes(unusual)


def test_xml_names_are_still_checked(endpoint: LocalEndpoint) -> None:
    import xmltodict  # noqa: PLC0415

    for _ in range(2):  # the second time from what was remembered
        assert "<ok>1</ok>" in xmltodict.unparse({"ok": 1})
        for bad in ("a b", "a<b", "!a"):
            with pytest.raises(ValueError, match="Invalid element name"):
                xmltodict.unparse({bad: 1})


def test_dispatch_finds_modules_and_actions_as_moto_lists_them(endpoint: LocalEndpoint) -> None:
    import inspect  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    import moto  # noqa: PLC0415
    from moto import backends  # noqa: PLC0415
    from moto.core import responses  # noqa: PLC0415
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415

    assert getattr(backends.list_of_moto_modules, "drsorch_fast", False)
    root = Path(moto.__file__).parent
    listed = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("__"))
    assert list(backends.list_of_moto_modules()) == listed
    assert "dynamodb" in listed
    for _ in range(2):  # the second time from what was remembered
        found = responses.__dict__["method_names_from_class"](DynamoHandler)
        assert found == [n for n, _ in inspect.getmembers(DynamoHandler, inspect.isfunction)]
        assert "put_item" in found
    # Over HTTP: a request is still routed to its service and its action.
    dynamodb = client("dynamodb", region_name=REGION)
    assert "TableNames" in dynamodb.list_tables()


def _all(call: Any, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = call(**params)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_query_reads_its_partition_as_a_scan_of_the_table_would(
    endpoint: LocalEndpoint,
) -> None:
    dynamodb = client("dynamodb", region_name=REGION)
    table = f"speed-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for p in range(4):
        for s in (9, 3, 12, 0, 7):
            dynamodb.put_item(
                TableName=table,
                Item={
                    "pk": {"S": f"p{p}"},
                    "sk": {"S": f"{'ab'[s % 2]}#{s:02d}"},
                    "g": {"S": f"g{s % 3}"},
                },
            )
    everything = _all(dynamodb.scan, TableName=table)
    for forward in (True, False):
        for prefix in ("", "a#", "b#"):
            condition = "pk = :pk" + (" AND begins_with(sk, :p)" if prefix else "")
            values = {":pk": {"S": "p2"}, **({":p": {"S": prefix}} if prefix else {})}
            got = _all(
                dynamodb.query,
                TableName=table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                ScanIndexForward=forward,
                Limit=2,
            )
            want = sorted(
                (i for i in everything if i["pk"]["S"] == "p2" and i["sk"]["S"].startswith(prefix)),
                key=lambda i: i["sk"]["S"],
                reverse=not forward,
            )
            assert got == want
    by_index = _all(
        dynamodb.query,
        TableName=table,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "g0"}},
    )
    assert len(by_index) == sum(1 for i in everything if i["g"]["S"] == "g0") == 16
    assert not _all(
        dynamodb.query,
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "nobody"}},
    )


def _twin_tables(dynamodb: Any, *, range_key: bool) -> list[str]:
    """Two tables holding the same items: one for the patched path, one for moto's own."""
    names = [f"tx-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
        if range_key:
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
            attributes.append({"AttributeName": "sk", "AttributeType": "S"})
        dynamodb.create_table(
            TableName=name,
            KeySchema=keys,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(300):  # enough items that a table copy would show
            dynamodb.put_item(TableName=name, Item=_item(n, "old", range_key=range_key))
    return names


def _item(n: int, owner: str, *, range_key: bool) -> dict[str, Any]:
    return {
        "pk": {"S": f"k{n:03d}"},
        **({"sk": {"S": "claim"}} if range_key else {}),
        "held_by": {"S": owner},
        "n": {"N": str(n)},
    }


def _key(n: int, *, range_key: bool) -> dict[str, Any]:
    return {"pk": {"S": f"k{n:03d}"}, **({"sk": {"S": "claim"}} if range_key else {})}


def _transactions(table: str, *, range_key: bool) -> list[list[dict[str, Any]]]:
    """Transactions to replay on both twins, in order: successes and failures of each kind."""
    owned = {
        "ConditionExpression": "held_by = :me",
        "ExpressionAttributeValues": {":me": {"S": "old"}},
    }
    fresh = {"ConditionExpression": "attribute_not_exists(pk)"}
    put, delete, update, check = "Put", "Delete", "Update", "ConditionCheck"

    def op(kind: str, n: int, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"TableName": table, **extra}
        if kind == put:
            body["Item"] = _item(n, "new", range_key=range_key)
        else:
            body["Key"] = _key(n, range_key=range_key)
        return {kind: body}

    set_owner = {
        "UpdateExpression": "SET #o = :new",
        "ExpressionAttributeNames": {"#o": "held_by"},
        "ExpressionAttributeValues": {":new": {"S": "upd"}, ":me": {"S": "old"}},
        "ConditionExpression": "#o = :me",
    }
    return [
        # all pass: puts over old items and new ones, deletes, updates, a check
        [
            op(put, 1, **owned),
            op(put, 400, **fresh),
            op(delete, 2, **owned),
            op(update, 3, **set_owner),
            op(check, 4, **owned),
        ],
        # the last fails: everything before it is undone
        [
            op(put, 10, **owned),
            op(put, 401, **fresh),
            op(delete, 11, **owned),
            op(update, 12, **set_owner),
            op(put, 1, **owned),
        ],
        # failures in the middle, with and without the old item returned
        [
            op(put, 20, **owned),
            op(delete, 2, **owned, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
            op(put, 21, **fresh, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
            op(delete, 22),
        ],
        # the same item twice: a ValidationException, nothing written
        [op(put, 30, **owned), op(delete, 31), op(delete, 30)],
        # a key that does not match the schema: a ValidationException, nothing written
        [op(delete, 40), {"Delete": {"TableName": table, "Key": {"pk": {"N": "1"}}}}],
        # a hundred puts, one refused
        [op(put, 100 + n, **owned) for n in range(99)] + [op(put, 1, **owned)],
        # a hundred deletes, all pass
        [op(delete, 100 + n, **owned) for n in range(100)],
    ]


def _outcome(dynamodb: Any, items: list[dict[str, Any]]) -> tuple[str, Any]:
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except ClientError as error:
        return error.response["Error"]["Code"], error.response.get("CancellationReasons")
    return "ok", None


@pytest.mark.parametrize("range_key", [True, False])
def test_a_transaction_answers_and_rolls_back_as_moto_does(
    endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch, range_key: bool
) -> None:
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415

    dynamodb = client("dynamodb", region_name=REGION)
    fast, moto_own = _twin_tables(dynamodb, range_key=range_key)
    patched = DynamoDBBackend.transact_write_items
    as_moto_does = patched.as_moto_does  # type: ignore[attr-defined]
    outcomes: dict[str, list[tuple[str, Any]]] = {fast: [], moto_own: []}
    states: dict[str, list[list[dict[str, Any]]]] = {fast: [], moto_own: []}
    for table, path in ((fast, patched), (moto_own, as_moto_does)):
        monkeypatch.setattr(DynamoDBBackend, "transact_write_items", path)
        for items in _transactions(table, range_key=range_key):
            outcomes[table].append(_outcome(dynamodb, items))
            states[table].append(
                sorted(_all(dynamodb.scan, TableName=table), key=lambda i: i["pk"]["S"])
            )
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", patched)
    assert outcomes[fast] == outcomes[moto_own]
    assert states[fast] == states[moto_own]
    codes = [code for code, _ in outcomes[fast]]
    assert codes == [
        "ok",
        "TransactionCanceledException",
        "TransactionCanceledException",
        "ValidationException",
        # moto checks a key's types against the schema only where it has a range key
        "ValidationException" if range_key else "ok",
        "TransactionCanceledException",
        "ok",
    ]
    reasons = outcomes[fast][2][1]
    assert [r["Code"] for r in reasons] == [
        "None",
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "None",
    ]
    assert reasons[2]["Item"]["held_by"] == {"S": "old"}
    deleted = 1 + 100 + (0 if range_key else 1)  # and k040 where the odd key passed
    assert len(states[fast][-1]) == 300 + 1 - deleted


def test_a_table_copied_outside_a_transaction_is_a_whole_copy(endpoint: LocalEndpoint) -> None:
    import copy  # noqa: PLC0415

    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

    dynamodb = client("dynamodb", region_name=REGION)
    name, _ = _twin_tables(dynamodb, range_key=True)
    table = dynamodb_backends[
        endpoint.account_id if hasattr(endpoint, "account_id") else "123456789012"
    ][REGION].tables[name]
    clone = copy.deepcopy(table)
    assert clone is not table
    assert clone.items is not table.items
    assert {h: dict(p) for h, p in clone.items.items()} == {
        h: dict(p) for h, p in table.items.items()
    }
