"""Paths of moto 5.2.5 made as cheap as AWS's, answers unchanged.

moto's cost lands in drsorch's figures wherever the endpoint runs in the same process
(the benchmarks, the tests), and some of its paths grow with the whole estate rather
than with the answer:

- EC2: every resource's tags come from `TagBackend.describe_tags`, which copies and
  regex-matches the tags of *every* resource in the region. A DescribeInstances of 200
  instances in an estate of 2,000 instances matches ~20,000 tag rows 200 times over
  (2.5 s for one call at 1,000 servers). The tags are read here from the backend's own
  map by resource ID, as `describe_tags` filtered by that ID returns them.
- DynamoDB: a Query on a table's key sorts every item of the table, then keeps those of
  the queried partition (0.1-0.4 s a query in a table of a few thousand items). Here the
  sort sees the queried partition only, which is what the filter would keep.
- DynamoDB: TransactWriteItems deep-copies every table it touches before it starts, to
  roll back on failure (~0.1 s per transaction on a table of a few thousand items).
  Here the copy is the table itself, and the rollback puts back the previous state of
  the items the transaction names (a copy of each, or its absence), which are the only
  ones it can write. A table with a stream keeps moto's own copy (its records roll back
  too).
- EC2: a DescribeInstances that names instances (`InstanceIds` or an `instance-id`
  filter) copies only the reservations holding them, not all of the region's, before
  moto's own filters run.
- EC2: each instance moto creates looks its image up with a filter that fnmatches one ID
  against all of moto's ~1,300 images, and attaching a volume, or stopping or starting
  an instance, finds it by copying every reservation first. The 500 launches of one DRS
  round, which the emulator applies at once, took 4.7 s; 0.4 s here. An exact image ID
  is looked up by key, and instances are found without the copies.
- Every request: moto's dispatcher asks whether the host names a moto module by listing
  moto's package directory (a `stat` per module, ~200 of them) under its one lock, and
  its response class lists its own methods by introspection to find the action. Both
  lists are the same for the life of the process; here each is made once. This was a
  third of the endpoint's time for a small request.
- Answers: moto's serializer derives every value's name aliases and checks its path
  against every rewrite rule of the protocol, per value; both are remembered for the
  one answer being written, and the aliases are looked up inline rather than through two
  helper calls each. xmltodict checks each element name character by character;
  a name that passed once is remembered.
- Answers: EC2's XML is written by xmltodict through SAX's generator, a few method
  calls per element (about 40% of a DescribeInstances answer's time). Here the same
  document is written straight into one list of strings, byte for byte as xmltodict
  writes it; any shape this writer does not know (comments, namespaces, bytes, several
  roots) is left to xmltodict.

All are patched once per process, at plugin install; `drsorch_fast` marks a patched
function. moto is pinned exactly (see `local-aws-notes`), and tests/integration/local/
test_moto_speed.py checks the answers against what moto's own code gives.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, MutableMapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_QUERIED = threading.local()  # the (table, partition key) a Query on this thread reads
_TRANSACTIONS_AT_ONCE = threading.Lock()  # see `_fast_transactions`
_TRANSACTION = threading.local()  # the tables a transaction on this thread keeps as they are


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Patch moto's EC2 lookups, DynamoDB table Query and transactions, and its serializer
    (once per process)."""
    _fast_dispatch()
    _fast_ec2_tags()
    _fast_partition_query()
    _fast_transactions()
    _fast_instance_lookup()
    _fast_instance_by_id()
    _fast_image_lookup()
    _fast_value_picking()
    _fast_xml_names()
    _fast_ec2_xml()


def _fast_dispatch() -> None:
    from moto import backends  # noqa: PLC0415 - moto is heavy
    from moto.core import responses  # noqa: PLC0415

    if getattr(backends.list_of_moto_modules, "drsorch_fast", False):
        return
    modules = tuple(backends.list_of_moto_modules())  # moto's package does not change
    # Imported by name into moto's responses module, which calls it from there.
    methods_as_moto_finds = responses.__dict__["method_names_from_class"]
    methods: dict[type, list[str]] = {}

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    def method_names_from_class(clazz: Any) -> list[str]:
        found = methods.get(clazz)
        if found is None:
            found = methods[clazz] = methods_as_moto_finds(clazz)
        return found

    list_of_moto_modules.drsorch_fast = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules
    responses.__dict__["method_names_from_class"] = method_names_from_class


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


def _fast_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto is heavy
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    if getattr(DynamoDBBackend.transact_write_items, "drsorch_fast", False):
        return
    transact_as_moto_does = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        # One at a time, as DynamoDB isolates transactions from each other: moto's own
        # writes and rollbacks interleave across the server's threads, and a refused
        # transaction's rollback would put back items another one had just changed.
        with _TRANSACTIONS_AT_ONCE:
            _transact(self, transact_items)

    def _transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        names = {op.get("TableName") for entry in transact_items for op in entry.values()}
        tables = [self.tables[name] for name in names if name in self.tables]
        if any(table.stream_shard is not None for table in tables):
            transact_as_moto_does(self, transact_items)
            return
        before = _touched(self, transact_items) if len(transact_items) <= 100 else []
        _TRANSACTION.tables = {id(table) for table in tables}
        try:
            transact_as_moto_does(self, transact_items)
        except Exception:
            _TRANSACTION.tables = ()
            for table, hash_value, range_value, previous in reversed(before):
                _restore(table, hash_value, range_value, previous)
            raise
        finally:
            _TRANSACTION.tables = ()

    _table_deepcopy.drsorch_fast = True  # type: ignore[attr-defined]
    transact_write_items.drsorch_fast = True  # type: ignore[attr-defined]
    transact_write_items.as_moto_does = transact_as_moto_does  # type: ignore[attr-defined]
    Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _table_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
    if id(self) in getattr(_TRANSACTION, "tables", ()):
        return self  # moto's rollback copy: the touched items are put back one by one instead
    clone = object.__new__(type(self))  # what copy.deepcopy does for a plain object
    memo[id(self)] = clone
    clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
    return clone


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(table, hash, range, copy of the item or None) for each item the transaction names."""
    before: list[tuple[Any, ...]] = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName"))
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is not None and isinstance(key, dict):
                before += _previous(table, key)
    return before


def _previous(table: Any, key: dict[str, Any]) -> list[tuple[Any, ...]]:
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415 - moto is heavy

    try:
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    except Exception:  # noqa: BLE001 - moto reads the key the same way: it writes nothing there
        return []
    return [
        (table, hash_value, range_value, copy.deepcopy(_stored(table, hash_value, range_value)))
    ]


def _stored(table: Any, hash_value: Any, range_value: Any) -> Any:
    """The item stored under the key, or None (without adding an empty partition)."""
    partition = table.items.get(hash_value)
    if table.range_key_attr is None or partition is None:
        return partition
    return partition.get(range_value)


def _restore(table: Any, hash_value: Any, range_value: Any, previous: Any) -> None:
    if table.range_key_attr is None:
        if previous is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = previous
    elif previous is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = previous


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


def _fast_instance_by_id() -> None:
    from moto.ec2.exceptions import InvalidInstanceIdError  # noqa: PLC0415 - moto is heavy
    from moto.ec2.models.instances import InstanceBackend  # noqa: PLC0415

    if getattr(InstanceBackend.get_instance, "drsorch_fast", False):
        return

    def get_instance(self: Any, instance_id: str) -> Any:
        # moto's walks `all_instances`, which copies every reservation first.
        for reservation in self.reservations.copy().values():
            for instance in reservation.instances:
                if instance.id == instance_id:
                    return instance
        raise InvalidInstanceIdError(instance_id)

    def get_multi_instances_by_id(
        self: Any, instance_ids: list[str], filters: Any = None
    ) -> list[Any]:
        # moto's own steps, without first copying every reservation.
        everyone = {
            instance.id: instance
            for reservation in self.reservations.copy().values()
            for instance in reservation.instances
        }
        missing = [i for i in instance_ids if i not in everyone]
        if missing:
            raise InvalidInstanceIdError(missing)
        return [everyone[i] for i in instance_ids if everyone[i].applies(filters)]

    get_instance.drsorch_fast = True  # type: ignore[attr-defined]
    get_multi_instances_by_id.drsorch_fast = True  # type: ignore[attr-defined]
    InstanceBackend.get_instance = get_instance  # type: ignore[method-assign]
    InstanceBackend.get_multi_instances_by_id = get_multi_instances_by_id  # type: ignore[method-assign]


_WILDCARDS = frozenset("*?[")


def _fast_image_lookup() -> None:
    from moto.ec2.models.amis import AmiBackend  # noqa: PLC0415 - moto is heavy

    if getattr(AmiBackend.describe_images, "drsorch_fast", False):
        return
    describe_as_moto_does = AmiBackend.describe_images

    def describe_images(
        self: Any,
        ami_ids: list[str] | None = None,
        filters: dict[str, Any] | None = None,
        exec_users: list[str] | None = None,
        owners: list[str] | None = None,
    ) -> list[Any]:
        wanted = (filters or {}).get("image-id")
        if isinstance(wanted, list) and len(wanted) == 1:
            wanted = wanted[0]
        if (
            ami_ids
            or exec_users
            or owners
            or list(filters or {}) != ["image-id"]
            or not isinstance(wanted, str)
            or _WILDCARDS & set(wanted)
        ):
            return describe_as_moto_does(self, ami_ids, filters, exec_users, owners)
        # One exact image ID (every instance moto creates asks so): what moto's filter,
        # an fnmatch of that ID against every image's, keeps.
        image = self.amis.get(wanted)
        return [] if image is None else [image]

    describe_images.drsorch_fast = True  # type: ignore[attr-defined]
    AmiBackend.describe_images = describe_images  # type: ignore[method-assign]


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
        picked = _first_present(value, found, missing, get_value)
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


def _first_present(
    value: Any, keys: tuple[Any, ...], missing: Any, get_value: Callable[..., Any]
) -> Any:
    """The value under the first of `keys` that `value` has, else None: moto's `get_value`
    for each key in turn, inlined (two calls a key, ~140 keys per instance a
    DescribeInstances writes). A dotted key walks (by `get_value`); any other is an item
    or an attribute, as the value offers."""
    indexed = hasattr(value, "__getitem__")
    for key in keys:
        if isinstance(key, str) and "." in key:
            picked = get_value(value, key, missing)
        elif not indexed:
            picked = getattr(value, str(key), missing)
        else:
            try:
                picked = value[key]
            except (KeyError, IndexError, TypeError, AttributeError):
                picked = missing
        if picked is not missing:
            return picked
    return None


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


class UnknownShape(Exception):
    """A shape of answer only xmltodict itself writes."""


def _fast_ec2_xml() -> None:
    from moto.core.serialize import EC2Serializer  # noqa: PLC0415 - loaded with moto

    if getattr(EC2Serializer._serialize_body, "drsorch_fast", False):
        return
    as_moto_writes = EC2Serializer._serialize_body

    def serialize_body(self: Any, body: Any) -> str:
        if self.pretty_print:
            return str(as_moto_writes(self, body))
        try:
            return xml_document(body)
        except UnknownShape:
            return str(as_moto_writes(self, body))

    serialize_body.drsorch_fast = True  # type: ignore[attr-defined]
    setattr(EC2Serializer, "_serialize_body", serialize_body)  # noqa: B010 - a method, for mypy


def xml_document(body: Any) -> str:
    """`xmltodict.unparse(body, full_document=True, short_empty_elements=True)`, the same
    text, for the shapes moto's serializer makes; `UnknownShape` for any other."""
    if not isinstance(body, dict) or len(body) != 1:
        raise UnknownShape
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    for key, value in body.items():
        if isinstance(value, list | tuple) and len(value) > 1:
            raise UnknownShape  # several roots: xmltodict's own error
        _element(key, value, out)
    return "".join(out)


_XML_NAMES: set[str] = set()
"""Element names xmltodict's check passed (moto's model names: a small set)."""


def _name(key: Any) -> str:
    if key not in _XML_NAMES:
        import xmltodict  # noqa: PLC0415 - loaded with moto

        if type(key) is not str or key == "#comment":
            raise UnknownShape
        xmltodict._validate_name(key, "element")  # raises ValueError, as xmltodict does
        if len(_XML_NAMES) < 10_000:
            _XML_NAMES.add(key)
    return str(key)


def _element(key: Any, value: Any, out: list[str]) -> None:
    key = _name(key)
    if isinstance(value, list | tuple):
        if isinstance(value, tuple) and not value:
            raise UnknownShape  # xmltodict leaves its parent's start tag open: "/>"
        items = value
    elif hasattr(value, "__iter__") and not isinstance(value, str | bytes | dict):
        raise UnknownShape
    else:
        items = (value,)
    for item in items:
        if isinstance(item, str):
            out.append(f"<{key}>{_escaped(item)}</{key}>" if item else f"<{key}/>")
        elif item is None:
            out.append(f"<{key}/>")
        elif isinstance(item, dict):
            _one(key, item, out)
        elif isinstance(item, bytes | bytearray | memoryview) or hasattr(item, "__iter__"):
            raise UnknownShape
        else:
            text = _text(item)
            out.append(f"<{key}>{_escaped(text)}</{key}>" if text else f"<{key}/>")


def _one(key: str, item: dict[Any, Any], out: list[str]) -> None:
    import xmltodict  # noqa: PLC0415 - loaded with moto

    cdata: str | None = None
    start = ["<", key]
    children: list[tuple[Any, Any]] = []
    for name, value in item.items():
        if name == "#text":
            cdata = None if value is None else _text(value)
        elif type(name) is str and name.startswith("@"):
            if name == "@xmlns" and isinstance(value, dict):
                raise UnknownShape  # namespace declarations
            attribute = name[1:]
            xmltodict._validate_name(attribute, "attribute")
            start.append(f" {attribute}={quoteattr('' if value is None else _text(value))}")
        elif not (isinstance(value, list) and not value):
            children.append((name, value))
    out.append("".join(start))
    if not children and not cdata:
        out.append("/>")
        return
    out.append(">")
    for name, value in children:
        if type(value) is str and name in _XML_NAMES:  # most of an answer: a leaf's text
            out.append(f"<{name}>{_escaped(value)}</{name}>" if value else f"<{name}/>")
        else:
            _element(name, value, out)
    if cdata:
        out.append(escape(cdata))
    out.append(f"</{key}>")


def _escaped(text: str) -> str:
    return escape(text) if "&" in text or "<" in text or ">" in text else text


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        raise UnknownShape
    return str(value)
