"""The ``forum`` sub-client, defined once for the sync and async clients."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from eternaltwin.clients import _calls
from eternaltwin.clients._operations import operation
from eternaltwin.clients.abc._base import SubClientABC

if TYPE_CHECKING:
    from eternaltwin.clients._flows import Flow
    from eternaltwin.forum import ForumPost, ForumSection, ForumThread, ListingRecords, Page

__all__ = ["ForumClientABC"]


class ForumClientABC(SubClientABC):
    """The forum: ``client.forum.sections()``, ``.section(id_or_key)``, ``.thread(id_or_key)``, ``.post(id)``.

    They answer the dataclasses of :mod:`eternaltwin.forum`. A section or thread is named by its id (a
    UUID, any letter case) or by its key (``"en_main"``); a post only by its id. What cannot name one, and
    an ``offset`` or ``limit`` outside 0..65535, raise before any request
    (:class:`~eternaltwin.exceptions.InvalidForumIdError`,
    :class:`~eternaltwin.exceptions.InvalidArgumentError`); an unknown one raises
    :class:`~eternaltwin.exceptions.NotFoundError` (``code`` ``"SectionNotFound"``...).
    """

    __slots__ = ()

    @operation
    def sections(self) -> Flow[Page[ForumSection]]:
        """Every forum section (``GET /api/v1/forum/sections``), each with its thread count.

        Returns
        -------
        Page of ForumSection
            Iterable like a list; its sections' ``threads`` are None (fetch one with :meth:`section`).
        """
        return self._flow(_calls.forum_sections())

    @operation
    def section(self, id_or_key: str | uuid.UUID, offset: int = 0, limit: int = 20) -> Flow[ForumSection]:
        """One section with a page of its threads, most recently active first.

        Parameters
        ----------
        id_or_key : str or uuid.UUID
            Its id or its key (``"en_main"``).
        offset : int
            Index of the first thread (0).
        limit : int
            Threads per page (20; a listing holds at most 100).

        Returns
        -------
        ForumSection
            With ``threads``, a :class:`~eternaltwin.forum.Page` (``count``, ``next_offset``...).
        """
        return self._flow(_calls.forum_section(id_or_key, offset, limit))

    @operation
    def thread(self, id_or_key: str | uuid.UUID, offset: int = 0, limit: int = 10) -> Flow[ForumThread]:
        """One thread with a page of its posts, oldest first.

        Parameters
        ----------
        id_or_key : str or uuid.UUID
            Its id or its key.
        offset : int
            Index of the first post (0).
        limit : int
            Posts per page (10; a listing holds at most 100).

        Returns
        -------
        ForumThread
            With ``posts``, a :class:`~eternaltwin.forum.Page`, and its ``section``.
        """
        return self._flow(_calls.forum_thread(id_or_key, offset, limit))

    @operation
    def post(self, post_id: str | uuid.UUID) -> Flow[ForumPost]:
        """One post with its revisions and its thread (``GET /api/v1/forum/posts/{id}``).

        Parameters
        ----------
        post_id : str or uuid.UUID

        Returns
        -------
        ForumPost
            With ``revisions`` and ``thread`` set.
        """
        return self._flow(_calls.forum_post(post_id))

    @operation
    def threads_records(self, section: str | uuid.UUID, offset: int, limit: int) -> Flow[ListingRecords]:
        """A page of a section's threads as checked JSON records, not objects (for bulk readers, which
        build their own rows: see :mod:`eternaltwin.pandas`).

        Returns
        -------
        ListingRecords
        """
        return self._flow(_calls.forum_threads_records(section, offset, limit))

    @operation
    def posts_records(self, thread: str | uuid.UUID, offset: int, limit: int) -> Flow[ListingRecords]:
        """A page of a thread's posts as checked JSON records (for bulk readers).

        Returns
        -------
        ListingRecords
            Its ``owner_id`` is the thread's id, even when asked by key.
        """
        return self._flow(_calls.forum_posts_records(thread, offset, limit))
