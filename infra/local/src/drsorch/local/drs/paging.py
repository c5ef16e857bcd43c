"""Pagination: opaque tokens that change on every page; no token after the last page."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from drsorch.local.drs.errors import ValidationError
from drsorch.local.drs.settings import Paging

T = TypeVar("T")


def _fingerprint(scope: str) -> str:
    return hashlib.blake2b(scope.encode(), digest_size=6).hexdigest()


def _encode(scope: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"drsorch|{_fingerprint(scope)}|{offset}".encode()).decode()


def _invalid_token() -> ValidationError:
    return ValidationError(
        "Invalid pagination token", fields=[("nextToken", "is not a token this call returned")]
    )


def _decode(scope: str, token: str) -> int:
    try:
        prefix, fingerprint, offset = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        number = int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise _invalid_token() from error
    if prefix != "drsorch" or fingerprint != _fingerprint(scope) or number < 0:
        raise _invalid_token()
    return number


def page(
    items: Sequence[T],
    params: Mapping[str, Any],
    paging: Paging,
    scope: str,
    *,
    cap: int | None = None,
) -> tuple[list[T], str | None]:
    """One page of `items` for this request's maxResults/nextToken, and the next token.

    `scope` ties a token to the call it came from (operation and filters).
    """
    token = params.get("nextToken")
    offset = _decode(scope, token) if token else 0
    size = min(
        int(params.get("maxResults") or paging.default_page_size), cap or paging.max_page_size
    )
    chunk = list(items[offset : offset + size])
    following = offset + size
    return chunk, (_encode(scope, following) if following < len(items) else None)
