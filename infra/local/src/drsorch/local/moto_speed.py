"""Lookups and answers of moto 5.2.5 made cheaper, answers unchanged.

moto's cost lands in drsorch's figures wherever the endpoint runs in the same process
(the benchmarks, the tests), and some of its lookups grow with the whole estate rather
than with the answer:

- EC2: every resource's tags come from `TagBackend.describe_tags`, which copies and
  regex-matches the tags of *every* resource in the region. A DescribeInstances of 200
  instances in an estate of 2,000 instances matches ~20,000 tag rows 200 times over
  (2.5 s for one call at 1,000 servers). The tags are read here from the backend's own
  map by resource ID, as `describe_tags` filtered by that ID returns them.
- DynamoDB: a Query on a table's key sorts every item of the table, then keeps those of
  the queried partition (0.1-0.4 s a query in a table of a few thousand items). Here the
  sort sees the queried partition only, which is what the filter would keep.

Both are patched once per process, at plugin install; `drsorch_fast` marks a patched
function. moto is pinned exactly (see `local-aws-notes`), and tests/integration/local/
test_moto_speed.py checks the answers against what moto's own code gives.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import MutableMapping
from typing import Any

_QUERIED = threading.local()  # the (table, partition key) a Query on this thread reads


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Patch moto's EC2 lookups, DynamoDB table Query and serializer (once per process)."""
    _fast_ec2_tags()
    _fast_partition_query()
    _fast_instance_lookup()
    _fast_value_picking()
    _fast_xml_names()


def _fast_ec2_tags() -> None:
    from moto.ec2.models.core import TaggedEC2Resource  # noqa: PLC0415 - moto is heavy
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix  # noqa: PLC0415

    if getattr(TaggedEC2Resource.get_tags, "drsorch_fast", False):
        return

    def get_tags(self: Any) -> list[dict[str, str]]:
        resource_id = getattr(self, "id", None)
        if not resource_id:
            return []
        tags: dict[str, str] = self.ec2_backend.tags.get(resource_id) or {}
        kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
        return [
            {"resource_id": resource_id, "key": key, "value": value, "resource_type": kind}
            for key, value in tags.items()
        ]

    get_tags.drsorch_fast = True  # type: ignore[attr-defined]
    TaggedEC2Resource.get_tags = get_tags  # type: ignore[method-assign]


def _fast_partition_query() -> None:
    from moto.dynamodb.models.table import Table  # noqa: PLC0415 - moto is heavy

    if getattr(Table.query, "drsorch_fast", False):
        return
    all_items_as_moto_does = Table.all_items
    query_as_moto_does = Table.query

    def all_items(self: Any) -> list[Any]:
        queried = getattr(_QUERIED, "partition", None)
        if queried is None or queried[0] is not self:
            return all_items_as_moto_does(self)
        # The queried partition only, sorted by range key as moto's sort would leave it.
        partition = self.items.get(queried[1]) or {}
        return sorted(partition.values(), key=lambda item: item.range_key)

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None or hash_key is None or not self.range_key_attr:
            return query_as_moto_does(self, hash_key, *args, **kwargs)
        _QUERIED.partition = (self, hash_key)
        try:
            return query_as_moto_does(self, hash_key, *args, **kwargs)
        finally:
            _QUERIED.partition = None

    all_items.drsorch_fast = True  # type: ignore[attr-defined]
    query.drsorch_fast = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]


def _fast_instance_lookup() -> None:
    from moto.ec2.exceptions import InvalidInstanceIdError  # noqa: PLC0415 - moto is heavy
    from moto.ec2.models.instances import InstanceBackend  # noqa: PLC0415
    from moto.ec2.utils import filter_reservations  # noqa: PLC0415

    if getattr(InstanceBackend.describe_instances, "drsorch_fast", False):
        return
    describe_as_moto_does = InstanceBackend.describe_instances

    def holding(backend: Any, wanted: set[str]) -> list[Any]:
        """Copies of the reservations holding a wanted instance, in moto's order."""
        return [
            copy.copy(reservation)
            for reservation in backend.reservations.copy().values()
            if any(instance.id in wanted for instance in reservation.instances)
        ]

    def describe_instances(self: Any, filters: Any = None) -> list[Any]:
        named = (filters or {}).get("instance-id")
        if not named:
            return describe_as_moto_does(self, filters)
        # The `instance-id` filter matches IDs exactly (moto's `instance_value_in_filter_
        # values`): a reservation without a named instance would be filtered out whole.
        return filter_reservations(holding(self, set(named)), filters)

    def get_reservations_by_instance_ids(
        self: Any, instance_ids: list[str], filters: Any = None
    ) -> list[Any]:
        # moto's own steps, over the reservations holding a named instance only.
        wanted = set(instance_ids)
        reservations = holding(self, wanted)
        for reservation in reservations:
            reservation.instances = [i for i in reservation.instances if i.id in wanted]
        found_instance_ids = [i.id for r in reservations for i in r.instances]
        if len(found_instance_ids) != len(instance_ids):
            # As moto: IndexError for a repeated ID, too.
            missing = list(set(instance_ids).difference(set(found_instance_ids)))
            invalid_id = missing[0]
            raise InvalidInstanceIdError(invalid_id)
        if filters is not None:
            reservations = filter_reservations(reservations, filters)
        return reservations

    describe_instances.drsorch_fast = True  # type: ignore[attr-defined]
    get_reservations_by_instance_ids.drsorch_fast = True  # type: ignore[attr-defined]
    InstanceBackend.describe_instances = describe_instances  # type: ignore[method-assign]
    InstanceBackend.get_reservations_by_instance_ids = get_reservations_by_instance_ids  # type: ignore[method-assign]


def _fast_value_picking() -> None:
    from moto.core import serialize  # noqa: PLC0415 - moto is heavy
    from moto.core.constants import MISSING as missing  # noqa: PLC0415, N811
    from moto.core.utils import get_value  # noqa: PLC0415

    serializer = serialize.ResponseSerializer
    if getattr(serializer.get_value, "drsorch_fast", False):
        return
    get_value_as_moto_does = serializer.get_value
    no_transform = object()

    def get_value_remembered(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        if type(picker) is not serialize.XFormedAttributePicker:
            return get_value_as_moto_does(self, value, key, shape)
        memo = picker.__dict__.get("drsorch_memo")
        if memo is None:
            memo = ({}, {})
            picker.__dict__["drsorch_memo"] = memo
        aliases: dict[tuple[Any, ...], tuple[str, ...]] = memo[0]
        transforms: dict[str, Any] = memo[1]
        key_path = ".".join(self.path)
        # The shapes themselves (hashed by identity) are in the key, so kept alive.
        parent = getattr(shape, "parent", None)
        found = aliases.get((type(value), key, shape, parent))
        if found is None:
            context = serialize.AttributePickerContext(
                obj=value,
                key=key,
                shape=shape,
                operation_model=self.operation_model,
                service_model=self.operation_model.service_model,
                key_path=key_path,
            )
            try:
                found = tuple(picker.get_possible_keys(context))
            except Exception:  # noqa: BLE001 - moto stops at the first alias that answers
                return get_value_as_moto_does(self, value, key, shape)
            aliases[(type(value), key, shape, parent)] = found
        for possible_key in found:
            picked = get_value(value, possible_key, missing)
            if picked is not missing:
                break
        else:
            picked = None
        full_path = f"{key_path}.{key}"
        transform: Any = transforms.get(full_path)
        if transform is None:
            transform = next(
                (
                    function
                    for path, function in picker.response_transformers.items()
                    if full_path.endswith(path)
                ),
                no_transform,
            )
            transforms[full_path] = transform
        return picked if transform is no_transform else transform(picked)

    get_value_remembered.drsorch_fast = True  # type: ignore[attr-defined]
    serializer.get_value = get_value_remembered  # type: ignore[method-assign]


def _fast_xml_names() -> None:
    import xmltodict  # type: ignore[import-untyped]  # noqa: PLC0415 - loaded with moto

    if getattr(xmltodict._validate_name, "drsorch_fast", False):
        return
    validate_as_xmltodict_does = xmltodict._validate_name
    passed: set[tuple[str, str]] = set()

    def validate_name(value: Any, kind: str) -> None:
        if type(value) is str and (value, kind) in passed:
            return
        validate_as_xmltodict_does(value, kind)  # raises ValueError if the name is not valid
        if type(value) is str and len(passed) < 10_000:  # model names; a bound all the same
            passed.add((value, kind))

    validate_name.drsorch_fast = True  # type: ignore[attr-defined]
    xmltodict._validate_name = validate_name
