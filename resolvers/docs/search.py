"""Doc search: the index (``Document.title``, ``plain_text``, ``search_key``) and ``docSearch``.

The index lags the content by a moment on purpose: every stored edit runs the ``search`` hook,
which queues a ``docs.index`` job ``INDEX_DELAY`` later unless one is queued already
(``index_queued_at``), so a burst of typing costs one job. The job reads the doc as stored,
under its row lock, and writes its title, text and key as of that revision; an edit that
lands after it queues the next one. The doc's Drive item is renamed after its title (made
unique in its folder) by the same job when the title changed (a name given in Drive meanwhile
stays until the next change of the title).

``docSearch`` matches the query as a substring of ``search_key`` (NFKC, case-folded), which
works for languages written without spaces (Chinese, Japanese) where word tokenizers fail;
it sees exactly what ``fileSearch`` sees (the viewer's drive, what they own anywhere, and
what was shared with them, the ``MAX_SEARCH_ROOTS`` most recent shares), newest edit first."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q

from models.docs import Document, DocUpdate
from models.drive import ItemKind
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.core.jobs import JobContext, do_enqueue, job_handler
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction
from resolvers.docs.blocks import plain_text, search_key, title_text
from resolvers.docs.create import drive_name
from resolvers.docs.hooks import DocWritten, on_doc_written
from resolvers.docs.stored import stored_doc
from resolvers.drive import access, names, tree
from resolvers.drive.items import MAX_QUERY, MAX_SEARCH_ROOTS, my_root, top_paths

INDEX_JOB = "docs.index"
INDEX_DELAY = timedelta(seconds=2)
STALE_QUEUED = timedelta(minutes=15)
"""A queued mark this old is taken for a job that died (retries spent): the next edit queues
another, so a doc's index never stops following it."""
SNIPPET_AROUND = 40
"""Characters of context on each side of a match in a snippet."""


@on_doc_written("search")
async def queue_index(tx: Transaction, written: DocWritten) -> None:
    row = written.document
    if row.indexed_revision >= row.revision:
        return
    if row.index_queued_at is not None and now() - row.index_queued_at < STALE_QUEUED:
        return  # one is queued (a mark older than that is a job that died: queue another)
    row.index_queued_at = now()
    await row.save(update_fields=["index_queued_at"])
    await do_enqueue(
        INDEX_JOB,
        {"docId": row.id},
        key=f"{row.id}:{row.revision}",
        run_at=row.index_queued_at + INDEX_DELAY,
        organization_id=row.organization_id,
    )


@job_handler(INDEX_JOB, max_attempts=5)
async def index_doc(ctx: JobContext) -> None:
    await do_index(int(ctx.args["docId"]))


async def do_index(doc_id: int) -> None:
    """Index the doc as stored now, and name its Drive item after its title."""
    async with transaction() as tx:
        row = await Document.select_for_update().filter(id=doc_id).first()
        if row is None:
            return
        ydoc = await stored_doc(row)
        title = " ".join(str(title_text(ydoc)).split())
        retitled = title != row.title
        text = plain_text(ydoc)
        row.title, row.plain_text, row.search_key = title, text, search_key(text)
        row.indexed_revision, row.index_queued_at = row.revision, None
        await row.save(
            update_fields=[
                "title",
                "plain_text",
                "search_key",
                "indexed_revision",
                "index_queued_at",
            ]
        )
        if retitled:  # a name given in Drive stays until the title changes
            await _follow_title(tx, row, title)


async def _follow_title(tx: Transaction, row: Document, title: str) -> None:
    """Rename the doc's Drive item after its title (unique in its folder), if it differs."""
    try:
        wanted = names.check_name(drive_name(title[: names.MAX_NAME]))
    except ValidationFailed:
        return  # a title that makes no valid name (".."): the item keeps its name
    try:
        item = await tree.reload(row.id)
    except NotFound:
        return  # in the trash: it keeps its name
    if item.live_parent_id is None or names.name_key(wanted) == item.name_key:
        return
    name = await names.free_name(item.live_parent_id, wanted, exclude_id=item.id)
    if name == item.name:
        return
    # Named for the newest edit's author (the title is theirs), else the owner.
    authors: list[Any] = (
        await DocUpdate.filter(document_id=row.id, author_id__isnull=False)
        .order_by("-revision")
        .limit(1)
        .values_list("author_id", flat=True)
    )
    await tree.do_file_rename(tx, item, name, int(authors[0] if authors else item.owner_id))


# -- docSearch ------------------------------------------------------------------------------------


@dataclass
class Hit:
    document: Document
    snippet: str


def check_query(query: str) -> str:
    key = search_key(query.strip())
    if not key or len(query.strip()) > MAX_QUERY:
        raise ValidationFailed(f"Search for 1 to {MAX_QUERY} characters.", field="query")
    return key


def snippet(text: str, key: str) -> str:
    """A line of ``text`` around the first place it matches ``key`` (compared as
    ``search_key`` compares), with an ellipsis where it was cut."""
    folded: list[str] = []
    starts: list[int] = []  # for each folded character, the text index it came from
    for i, ch in enumerate(text):
        part = unicodedata.normalize("NFKC", ch).casefold()
        folded.append(part)
        starts.extend([i] * len(part))
    at = "".join(folded).find(key)
    if at < 0:
        begin, end = 0, min(len(text), 2 * SNIPPET_AROUND)
    else:
        first = starts[at]
        last = starts[min(at + len(key), len(starts)) - 1] + 1
        begin, end = max(0, first - SNIPPET_AROUND), min(len(text), last + SNIPPET_AROUND)
    out = " ".join(text[begin:end].split())
    return ("…" if begin > 0 else "") + out + ("…" if end < len(text) else "")


async def search_docs(
    ctx: Context, query: str, *, first: int | None, after: str | None
) -> Page[Hit]:
    """Docs the viewer can see whose title or text contains ``query`` (see the module
    docstring), most recently edited first."""
    principal = require_principal(ctx)
    key = check_query(query)
    root = await my_root(ctx)
    shared = sorted(await access.reachable_roots(ctx), key=lambda i: -i.id)[:MAX_SEARCH_ROOTS]
    where = Q(item__owner_id=principal.user_id)
    for prefix in top_paths([root.path, *(i.path for i in shared)]):
        where |= Q(item__path__startswith=prefix)
    qs = Document.filter(
        organization_id=principal.organization_id,
        search_key__contains=key,
        item__kind=ItemKind.DOC,
        item__trashed_at__isnull=True,
    ).filter(where)
    page = await paginate(qs, order=["-edited_at", "-id"], first=first, after=after)
    return Page(
        items=[Hit(d, snippet(d.plain_text, key)) for d in page.items],
        cursors=page.cursors,
        has_next=page.has_next,
        has_previous=page.has_previous,
    )
