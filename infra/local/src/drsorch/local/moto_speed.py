"""Two lookups of moto 5.2.5 made as cheap as AWS's, answers unchanged.

moto's cost lands in drsorch's figures wherever the endpoint runs in the same process
(the benchmarks, the tests), and two of its lookups grow with the whole estate rather
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

import threading
from collections.abc import MutableMapping
from typing import Any

_QUERIED = threading.local()  # the (table, partition key) a Query on this thread reads


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Patch moto's EC2 tag lookup and DynamoDB table Query (once per process)."""
    _fast_ec2_tags()
    _fast_partition_query()


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
