"""Search over encrypted content without plaintext in the database.

Each group has a random index key, stored only sealed by the group key. A
word is indexed as HMAC-SHA256(index key, normalised word)[:16]; the same
word in two groups gives unrelated tokens, and without the group key the
tokens cannot be tested against guessed words. What the database does reveal
within a group: which items share a word and how often words repeat (the
price of any deterministic index); never the words themselves.

A query computes the tokens of its words under each group the caller belongs
to; the database walks the index entries of the rarest word newest first, keeps
the items holding the other words too that the read rule's SQL twin allows (each
kind's ``readable``) and returns one page. Only that page goes to the resolver
of each kind, which loads the items, asks the access policy again and opens their
text. Hits are ordered by when their text was written (an item's tokens are
written when it is created and rewritten when it is edited): the one order every
kind shares that the index gives without sorting the matches, so a page of a
common word reads a page's worth of entries, not all of them.
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
from sqlalchemy.orm import aliased

from emisa.crypto import keyring
from emisa.extensions import db
from emisa.search.models import SearchIndexKey, SearchToken
from emisa.search.normalise import query_words, words

TOKEN_BYTES = 16
PER_PAGE = 50
# Hits are counted up to this many: an exact count of every post holding "the" would read
# them all, so a common word would cost far more than a rare one. Past it, "more than".
TOTAL_CAP = 500


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
# fn(user, item id column) -> SQL condition: the item with that id is one the user may read
# (the read rule's SQL twin); the policy itself is asked again of the page's items.
Readable = Callable[[object, sa.ColumnElement], sa.ColumnElement[bool]]
_KINDS: dict[str, tuple[Readable, Resolver]] = {}


def register_kind(kind: str, readable: Readable, resolver: Resolver) -> None:
    _KINDS[kind] = (readable, resolver)


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
        # Tokens are never loaded as objects: nothing in the session to synchronise (the
        # default would look through every object the session holds, per call).
        db.session.execute(
            sa.delete(SearchToken).where(SearchToken.kind == kind, SearchToken.item_id.in_(ids)),
            execution_options={"synchronize_session": False},
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


def matching_ids(kind: str, group_ids: Iterable[int], query: str) -> sa.Select | None:
    """A SELECT of the ids of the items of ``kind`` in ``group_ids`` holding every word of
    ``query``, for lists to filter and page on; None when the query has no words to look for.

    Nothing is loaded here: the database matches the tokens on the index of
    (group, token, kind, item).
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
    return (
        sa.select(SearchToken.item_id)
        .where(SearchToken.kind == kind, sa.or_(*in_group))
        .group_by(SearchToken.item_id)
        .having(sa.func.count(sa.distinct(SearchToken.token)) == len(terms))
    )


@dataclass(frozen=True)
class Results:
    """One page of hits and how many there are: exact up to ``TOTAL_CAP``, beyond it only
    known to be more than ``total`` (``capped``)."""

    hits: list[SearchHit]
    total: int
    capped: bool


def _rarest_first(keys: dict[int, bytes], terms: list[str]) -> list[str]:
    """The query's words, the one with the fewest entries first (counted up to the cap in
    one statement): the rarest word drives the scan, the others are looked up per item."""
    if len(terms) < 2:
        return terms
    counted = [
        sa.select(
            sa.literal(number).label("term"),
            sa.select(sa.func.count())
            .select_from(
                sa.select(SearchToken.id)
                .where(SearchToken.group_id == group_id, SearchToken.token == _token(key, term))
                .limit(TOTAL_CAP)
                .subquery()
            )
            .scalar_subquery()
            .label("entries"),
        )
        for number, term in enumerate(terms)
        for group_id, key in keys.items()
    ]
    every = sa.union_all(*counted).subquery()
    entries = dict.fromkeys(range(len(terms)), 0)
    for number, count in db.session.execute(sa.select(every.c.term, every.c.entries)):
        entries[number] += count
    return [terms[number] for number in sorted(entries, key=entries.get)]


def _readable_matches(user, group_id: int, key: bytes, terms: list[str]) -> sa.Select:
    """This group's index entries of the items holding every term that ``user`` may read,
    newest first: read off the index (group, token, id) in that order, so the database stops
    at the statement's limit however many items hold the words."""
    driver, *others = [_token(key, term) for term in terms]
    readable = [
        sa.and_(SearchToken.kind == kind, rule(user, SearchToken.item_id))
        for kind, (rule, _resolver) in _KINDS.items()
    ]
    where = [SearchToken.group_id == group_id, SearchToken.token == driver, sa.or_(*readable)]
    for token in others:
        other = aliased(SearchToken)
        where.append(
            sa.exists().where(
                other.group_id == group_id,
                other.token == token,
                other.kind == SearchToken.kind,
                other.item_id == SearchToken.item_id,
            )
        )
    return (
        sa.select(SearchToken.id, SearchToken.kind, SearchToken.item_id)
        .where(*where)
        .order_by(SearchToken.id.desc())
    )


def _newest(matches: list[sa.Select], limit: int) -> sa.Select:
    """These groups' matches newest first: one group's straight off its index, several
    merged from the newest ``limit`` of each."""
    if len(matches) == 1:
        return matches[0]
    every = sa.union_all(*(sa.select(*m.limit(limit).subquery().c) for m in matches)).subquery()
    return sa.select(*every.c).order_by(every.c.id.desc())


def search(
    user, query: str, group_ids: Iterable[int], page: int = 1, per_page: int = PER_PAGE
) -> Results:
    """One page of the hits in ``group_ids`` for ``query`` that ``user`` may read, the most
    recently written first (an item's tokens are rewritten when its text is), and how many
    there are; only the page's items are loaded and opened.

    No statement keeps more than ``limit`` entries of a group (enough for this page, and one
    beyond the cap), so a common word costs a bounded scan like a rare one; past
    ``TOTAL_CAP`` the total is only said to be larger.
    """
    terms = query_words(query)
    keys = _index_keys(group_ids)
    if not terms or not keys or not _KINDS:
        return Results([], 0, False)
    terms = _rarest_first(keys, terms)
    limit = max(TOTAL_CAP, page * per_page) + 1
    newest = _newest([_readable_matches(user, g, key, terms) for g, key in keys.items()], limit)
    rows = [
        (kind, item_id)
        for _id, kind, item_id in db.session.execute(
            newest.offset((page - 1) * per_page).limit(per_page)
        )
    ]
    found = db.session.scalar(
        sa.select(sa.func.count()).select_from(newest.limit(limit).subquery())
    )
    by_kind: dict[str, list[int]] = {}
    for kind, item_id in rows:
        by_kind.setdefault(kind, []).append(item_id)
    resolved = {
        (hit.kind, hit.item_id): hit
        for kind, ids in by_kind.items()
        for hit in _KINDS[kind][1](user, ids)
    }
    hits = [resolved[row] for row in rows if row in resolved]
    return Results(hits, min(found, limit - 1), found >= limit)


def on_content_changed(_sender, group_id: int, kind: str, item_id: int, text: str, **_extra):
    """Receiver of ``content_changed``: every feature announces its text, none calls the index."""
    index_item(group_id, kind, item_id, text or "")


def on_content_removed(_sender, kind: str, item_id: int, **_extra):
    remove_item(kind, item_id)


def on_group_deleting(_sender, group_id: int, **_extra):
    """Receiver of ``group_deleting``: the group's tokens of every kind and its index key go."""
    remove_group(group_id)
