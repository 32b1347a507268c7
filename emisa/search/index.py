"""Search over encrypted content without plaintext in the database.

Each group has a random index key, stored only sealed by the group key. A
word is indexed as HMAC-SHA256(index key, normalised word)[:16]; the same
word in two groups gives unrelated tokens, and without the group key the
tokens cannot be tested against guessed words. What the database does reveal
within a group: which items share a word and how often words repeat (the
price of any deterministic index); never the words themselves.

A query computes the tokens of its words under each group the caller belongs
to; the database finds the items holding all of them, keeps those the read
rule's SQL twin allows (each kind's ``listing``), orders them newest first and
returns one page. Only that page goes to the resolver of each kind, which loads
the items, asks the access policy again and opens their text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from emisa.crypto import keyring
from emisa.extensions import db
from emisa.search.models import SearchIndexKey, SearchToken
from emisa.search.normalise import query_words, words

TOKEN_BYTES = 16
PER_PAGE = 50
# A query looks at the newest matches of each kind, so a common word costs what a rare one
# does: an exact count of every post holding "the" would read them all.
WINDOW = 500


@dataclass
class SearchHit:
    kind: str
    item_id: int
    group_id: int
    group_name: str
    title: str
    excerpt: str
    url: str
    tlp: str
    when: datetime | None = None


# fn(user, item_ids) -> list[SearchHit] of the items the user may read.
Resolver = Callable[[object, list[int]], list[SearchHit]]
# fn(user, matching ids SELECT) -> SELECT of (item_id, sort_key) the user may read.
Listing = Callable[[object, sa.Select], sa.Select]
_KINDS: dict[str, tuple[Listing, Resolver]] = {}


def register_kind(kind: str, listing: Listing, resolver: Resolver) -> None:
    _KINDS[kind] = (listing, resolver)


def _aad(group_id: int) -> str:
    return f"search-index-key:{group_id}"


class _KeyCache:
    """Unsealed index keys, reused only while their sealed row is unchanged (like the keyring)."""

    def __init__(self, size: int = 512) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        self._size = size

    def get(self, group_id: int, sealed: bytes) -> bytes | None:
        with self._lock:
            entry = self._entries.get(group_id)
            if entry is None or entry[0] != sealed:
                return None
            self._entries.move_to_end(group_id)
            return entry[1]

    def put(self, group_id: int, sealed: bytes, key: bytes) -> None:
        with self._lock:
            self._entries[group_id] = (sealed, key)
            self._entries.move_to_end(group_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def forget(self, group_id: int) -> None:
        with self._lock:
            self._entries.pop(group_id, None)


_cache = _KeyCache()


def _index_key(group_id: int, *, create: bool) -> bytes | None:
    sealed = db.session.scalar(
        sa.select(SearchIndexKey.sealed_key).where(SearchIndexKey.group_id == group_id)
    )
    if sealed is None:
        if not create:
            return None
        key = os.urandom(32)
        sealed = keyring.seal_bytes(group_id, key, _aad(group_id))
        try:
            # A savepoint: two first writers of one group on PostgreSQL race here.
            with db.session.begin_nested():
                db.session.add(SearchIndexKey(group_id=group_id, sealed_key=sealed))
        except IntegrityError:
            return _index_key(group_id, create=False)
        _cache.put(group_id, sealed, key)
        return key
    key = _cache.get(group_id, sealed)
    if key is None:
        key = keyring.open_bytes(group_id, sealed, _aad(group_id))
        _cache.put(group_id, sealed, key)
    return key


def _token(key: bytes, word: str) -> bytes:
    return hmac.new(key, word.encode("utf-8"), hashlib.sha256).digest()[:TOKEN_BYTES]


def index_item(group_id: int, kind: str, item_id: int, text: str) -> None:
    """(Re)index one item's searchable text; the plaintext stays in memory."""
    remove_item(kind, item_id)
    found = words(text)
    if not found:
        return
    key = _index_key(group_id, create=True)
    db.session.execute(
        sa.insert(SearchToken),
        [
            {"group_id": group_id, "kind": kind, "item_id": item_id, "token": _token(key, word)}
            for word in sorted(found)
        ],
    )


def remove_item(kind: str, item_id: int) -> None:
    remove_items(kind, [item_id])


def remove_items(kind: str, item_ids: Iterable[int]) -> None:
    ids = list(item_ids)
    if ids:
        db.session.execute(
            sa.delete(SearchToken).where(SearchToken.kind == kind, SearchToken.item_id.in_(ids))
        )


def remove_group(group_id: int) -> None:
    db.session.execute(sa.delete(SearchToken).where(SearchToken.group_id == group_id))
    db.session.execute(sa.delete(SearchIndexKey).where(SearchIndexKey.group_id == group_id))
    _cache.forget(group_id)


def reseal_index_key(group_id: int, _old_versions: list[int], _new_version: int) -> None:
    """Group key rotation hook: the index key itself (and so every token) stays the same."""
    row = db.session.get(SearchIndexKey, group_id)
    if row is not None:
        row.sealed_key = keyring.reseal(group_id, row.sealed_key, _aad(group_id))
        db.session.flush()


def _index_keys(group_ids: Iterable[int]) -> dict[int, bytes]:
    """The index keys of these groups (those that have one), in one statement."""
    rows = db.session.execute(
        sa.select(SearchIndexKey.group_id, SearchIndexKey.sealed_key).where(
            SearchIndexKey.group_id.in_(sorted(set(group_ids)))
        )
    )
    keys = {}
    for group_id, sealed in rows:
        key = _cache.get(group_id, sealed)
        if key is None:
            key = keyring.open_bytes(group_id, sealed, _aad(group_id))
            _cache.put(group_id, sealed, key)
        keys[group_id] = key
    return keys


def matching_ids(
    kind: str, group_ids: Iterable[int], query: str, window: int | None = None
) -> sa.Select | None:
    """A SELECT of the ids of the items of ``kind`` in ``group_ids`` holding every word of
    ``query`` (only the newest ``window`` of them, if given), for lists to filter and page
    on; None when the query has no words to look for.

    Nothing is loaded here: the database matches the tokens on the index of
    (group, token, kind, item), newest item first.
    """
    terms = set(query_words(query))
    if not terms:
        return None
    keys = _index_keys(group_ids)
    if not keys:
        return sa.select(SearchToken.item_id).where(sa.false())
    # A word's token differs from group to group: each token is looked for in its own group.
    in_group = [
        sa.and_(
            SearchToken.group_id == group_id,
            SearchToken.token.in_([_token(key, term) for term in sorted(terms)]),
        )
        for group_id, key in keys.items()
    ]
    found = (
        sa.select(SearchToken.item_id)
        .where(SearchToken.kind == kind, sa.or_(*in_group))
        .group_by(SearchToken.item_id)
        .having(sa.func.count(sa.distinct(SearchToken.token)) == len(terms))
    )
    return found if window is None else found.order_by(SearchToken.item_id.desc()).limit(window)


def search(
    user, query: str, group_ids: Iterable[int], page: int = 1, per_page: int = PER_PAGE
) -> tuple[list[SearchHit], int]:
    """One page of the hits in ``group_ids`` for ``query`` that ``user`` may read, newest
    first, and how many there are among the newest ``WINDOW`` matches of each kind; only the
    page's items are loaded and opened."""
    groups = sorted(set(group_ids))
    parts = []
    for kind, (listing, _resolver) in _KINDS.items():
        found = matching_ids(kind, groups, query, WINDOW)
        if found is None:
            return [], 0
        parts.append(listing(user, found).add_columns(sa.literal(kind).label("kind")))
    if not parts:
        return [], 0
    every = sa.union_all(*parts).subquery()
    rows = db.session.execute(
        sa.select(every.c.kind, every.c.item_id)
        .order_by(every.c.sort_key.desc(), every.c.item_id.desc(), every.c.kind)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(every))
    by_kind: dict[str, list[int]] = {}
    for kind, item_id in rows:
        by_kind.setdefault(kind, []).append(item_id)
    resolved = {
        (hit.kind, hit.item_id): hit
        for kind, ids in by_kind.items()
        for hit in _KINDS[kind][1](user, ids)
    }
    return [resolved[row] for row in map(tuple, rows) if row in resolved], total


# Threads and posts are indexed by the discussions feature itself, as it writes them.
_INDEXED_BY_THEIR_FEATURE = {"thread", "post"}


def on_content_changed(_sender, group_id: int, kind: str, item_id: int, text: str, **_extra):
    """Receiver of ``content_changed``: index what another feature announces (documents)."""
    if kind not in _INDEXED_BY_THEIR_FEATURE:
        index_item(group_id, kind, item_id, text or "")


def on_content_removed(_sender, kind: str, item_id: int, **_extra):
    if kind not in _INDEXED_BY_THEIR_FEATURE:
        remove_item(kind, item_id)
