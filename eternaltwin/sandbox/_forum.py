"""The sandbox's forum: sections, threads, posts, role grants and announcements, in memory.

:class:`Forum` holds them (``store.forum``); :func:`seed_forum` fills it at start-up: the sections (from
the config or ``_choices.FORUM_DEFAULT_SECTIONS``), a few demo threads when the demo users exist, and, with
``--population N``, ``N // FORUM_USERS_PER_THREAD`` generated threads. A generated post keeps only a seed:
its text and revisions are drawn from it when it is served (:func:`post_revisions`), which keeps start-up
fast. This module imports nothing of the store at run time (the store imports it).
"""

from __future__ import annotations

import html
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._records import User

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Announcement",
    "Forum",
    "ForumPost",
    "ForumSection",
    "ForumThread",
    "Revision",
    "RoleGrant",
    "SectionSeed",
    "default_sections",
    "is_forum_key",
    "post_revisions",
    "render_marktwin",
    "seed_forum",
]

_KEY = re.compile(_choices.FORUM_KEY_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_forum_key(value: str) -> bool:
    """Whether ``value`` is a section or thread key the sandbox accepts (``_choices.FORUM_KEY_PATTERN``)."""
    return _KEY.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class SectionSeed:
    """A section to create at start-up: ``[seed.forum_section.KEY]`` or a default one."""

    key: str
    display_name: str
    locale: str | None


@dataclass(slots=True, eq=False)
class RoleGrant:
    """A forum role given to a user in a section."""

    role: str
    user: User
    start_time: datetime
    granted_by: User


@dataclass(slots=True, eq=False)
class ForumSection:
    """A section; ``threads`` are kept in listing order (last post first)."""

    id: str
    key: str | None
    display_name: str
    ctime: datetime
    locale: str | None
    threads: list[ForumThread] = field(default_factory=list)
    grants: list[RoleGrant] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ForumThread:
    """A thread; ``posts`` are kept oldest first."""

    id: str
    key: str | None
    title: str
    section: ForumSection
    ctime: datetime
    is_pinned: bool = False
    is_locked: bool = False
    posts: list[ForumPost] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ForumPost:
    """A post. ``text`` is the Marktwin of a demo post; a generated post draws its text from ``seed``.

    ``revisions`` counts its versions; ``fate`` says what its last one did: ``""`` (an edit, or the first
    version), ``"deleted"`` (removed the text) or ``"moderated"`` (a moderator's note).
    """

    id: str
    thread: ForumThread
    ctime: datetime
    author: User
    seed: int
    revisions: int = 1
    fate: str = ""
    text: str | None = None


@dataclass(slots=True, eq=False)
class Announcement:
    """A thread put forward as an announcement."""

    id: str
    thread: ForumThread
    created_at: datetime
    locale: str


@dataclass(frozen=True, slots=True)
class Revision:
    """One version of a post, as served (drawn from the post's seed)."""

    id: str
    time: datetime
    marktwin: str | None
    moderation: str | None
    comment: str | None
    by_role: str | None  # the anonymous role of a moderation, else None (the post's author)


class Forum:
    """Every section, thread, post and announcement, with their indexes."""

    __slots__ = (
        "announcements",
        "posts",
        "sections",
        "sections_by_id",
        "sections_by_key",
        "threads_by_id",
        "threads_by_key",
    )

    def __init__(self) -> None:
        self.sections: list[ForumSection] = []
        self.sections_by_id: dict[str, ForumSection] = {}
        self.sections_by_key: dict[str, ForumSection] = {}
        self.threads_by_id: dict[str, ForumThread] = {}
        self.threads_by_key: dict[str, ForumThread] = {}
        self.posts: dict[str, ForumPost] = {}
        self.announcements: list[Announcement] = []

    def add_section(self, section: ForumSection) -> ForumSection:
        """Register a section."""
        self.sections.append(section)
        self.sections_by_id[section.id] = section
        if section.key is not None:
            self.sections_by_key[section.key] = section
        return section

    def add_thread(self, thread: ForumThread) -> ForumThread:
        """Register a thread (its posts too); :meth:`sort` puts it in place."""
        thread.section.threads.append(thread)
        self.threads_by_id[thread.id] = thread
        if thread.key is not None:
            self.threads_by_key[thread.key] = thread
        for post in thread.posts:
            self.posts[post.id] = post
        return thread

    def sort(self) -> None:
        """Put threads and announcements in listing order (see ``_choices``)."""
        for section in self.sections:
            section.threads.sort(key=lambda thread: (thread.posts[-1].ctime, thread.id), reverse=True)
        self.announcements.sort(key=lambda item: (item.created_at, item.id), reverse=True)

    def section(self, reference: str) -> ForumSection | None:
        """A section by id or key."""
        return self.sections_by_id.get(reference) or self.sections_by_key.get(reference)

    def thread(self, reference: str) -> ForumThread | None:
        """A thread by id or key."""
        return self.threads_by_id.get(reference) or self.threads_by_key.get(reference)

    def announcement(self, announcement_id: str) -> Announcement | None:
        """An announcement by id."""
        for item in self.announcements:
            if item.id == announcement_id:
                return item
        return None


# -- text -------------------------------------------------------------------------------------------

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def render_marktwin(text: str) -> str:
    """The HTML of the small Marktwin subset the sandbox writes: paragraphs (blank lines), line breaks
    and ``**strong**``; everything else is escaped text."""
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = _BOLD.sub(r"<strong>\1</strong>", html.escape(block, quote=False))
        paragraphs.append("<p>" + escaped.replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


# Sentences and titles by language (the section's locale picks one; anything else is English).
_SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "I finally reached level 50 after a whole week of tries.",
        "Does anyone know where the **golden key** is hidden?",
        "The archive still has my old profile, which made my day.",
        "We should organise a tournament for the anniversary.",
        "My dinoz learnt a new skill this morning.",
        "Thanks for the help, it works now.",
        "I disagree: the second strategy is much faster.",
        "Welcome to everyone who joined this month!",
    ),
    "fr": (
        "J'ai enfin atteint le niveau 50 après une semaine d'essais.",
        "Quelqu'un sait où se cache la **clé dorée** ?",
        "Les archives ont gardé mon vieux profil, quelle joie.",
        "On devrait organiser un tournoi pour l'anniversaire.",
        "Mon dinoz a appris une nouvelle compétence ce matin.",
        "Merci pour l'aide, ça marche maintenant.",
        "Je ne suis pas d'accord : la deuxième méthode est bien plus rapide.",
        "Bienvenue à toutes celles et ceux qui nous ont rejoints ce mois-ci !",
    ),
    "es": (
        "Por fin llegué al nivel 50 tras una semana de intentos.",
        "¿Alguien sabe dónde está la **llave dorada**?",
        "El archivo todavía guarda mi viejo perfil.",
        "Deberíamos organizar un torneo para el aniversario.",
        "Mi dinoz aprendió una habilidad nueva esta mañana.",
        "Gracias por la ayuda, ya funciona.",
    ),
    "de": (
        "Endlich Level 50 nach einer ganzen Woche Versuche.",
        "Weiß jemand, wo der **goldene Schlüssel** versteckt ist?",
        "Das Archiv hat mein altes Profil noch, wie schön.",
        "Wir sollten zum Jubiläum ein Turnier veranstalten.",
        "Mein Dinoz hat heute Morgen eine neue Fähigkeit gelernt.",
        "Danke für die Hilfe, jetzt klappt es.",
    ),
    "eo": (
        "Fine mi atingis la nivelon 50 post tuta semajno da provoj.",
        "Ĉu iu scias, kie kaŝiĝas la **ora ŝlosilo**?",
        "La arkivo ankoraŭ havas mian malnovan profilon.",
        "Ni organizu turniron por la datreveno.",
        "Dankon pro la helpo, nun ĝi funkcias.",
    ),
}
_TITLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Question about", "Ideas for", "Memories of", "Help with", "Bug in", "All about"),
        ("level 50", "my first dinoz", "the next event", "trading items", "quests", "the tournament"),
    ),
    "fr": (
        ("Question sur", "Idées pour", "Souvenirs de", "Aide pour", "Bug dans", "Tout sur"),
        ("le niveau 50", "mon premier dinoz", "le prochain événement", "les échanges", "les quêtes"),
    ),
    "es": (
        ("Pregunta sobre", "Ideas para", "Recuerdos de", "Ayuda con", "Error en"),
        ("el nivel 50", "mi primer dinoz", "el próximo evento", "las misiones", "el torneo"),
    ),
    "de": (
        ("Frage zu", "Ideen für", "Erinnerungen an", "Hilfe bei", "Fehler in"),
        ("Level 50", "meinem ersten Dinoz", "dem nächsten Event", "den Quests", "dem Turnier"),
    ),
    "eo": (
        ("Demando pri", "Ideoj por", "Memoroj pri", "Helpo pri"),
        ("la nivelo 50", "mia unua dinozo", "la venonta evento", "la serĉoj"),
    ),
}
_EDIT_NOTES: dict[str, str] = {
    "en": "Edit: fixed a typo.",
    "fr": "Édit : faute de frappe corrigée.",
    "es": "Editado: corregida una errata.",
    "de": "Bearbeitet: Tippfehler korrigiert.",
    "eo": "Redaktita: korektita tajperaro.",
}
_MODERATION = "This post was moderated: please stay on topic."


def _language(locale: str | None) -> str:
    language = (locale or "en").split("-")[0]
    return language if language in _SENTENCES else "en"


def _generated_text(rng: random.Random, language: str) -> str:
    sentences = _SENTENCES[language]
    paragraphs = []
    for _ in range(rng.randrange(1, 3)):
        paragraphs.append(" ".join(rng.choice(sentences) for _ in range(rng.randrange(1, 4))))
    return "\n\n".join(paragraphs)


def post_revisions(post: ForumPost) -> list[Revision]:
    """The revisions of ``post``, oldest first, drawn from its seed (the same every time)."""
    rng = random.Random(post.seed)
    language = _language(post.thread.section.locale)
    text = post.text if post.text is not None else _generated_text(rng, language)
    revisions = []
    time = post.ctime
    for number in range(post.revisions):
        last = number == post.revisions - 1
        if number:
            time += timedelta(seconds=rng.randrange(60, 30 * 86_400))
        marktwin: str | None = text
        moderation = comment = role = None
        if last and post.fate == "deleted" and number:
            marktwin, comment = None, "Deleted by its author."
        elif last and post.fate == "moderated" and number:
            moderation, role = _MODERATION, "Moderator"
        elif number:
            text = marktwin = f"{text}\n\n{_EDIT_NOTES[language]}"
        revision_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        revisions.append(Revision(revision_id, time, marktwin, moderation, comment, role))
    return revisions


# -- seeding ----------------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stable_uuid(label: str) -> str:
    return _uuid(random.Random(f"eternaltwin-sandbox-forum:{label}"))


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def default_sections() -> tuple[SectionSeed, ...]:
    """The sections seeded when the configuration names none."""
    return tuple(SectionSeed(key, name, locale) for key, name, locale in _choices.FORUM_DEFAULT_SECTIONS)


def seed_forum(
    forum: Forum,
    sections: Sequence[SectionSeed],
    users: Sequence[User],
    *,
    demo: Sequence[User] = (),
    now: datetime,
    population: int = 0,
) -> None:
    """Fill ``forum``.

    Parameters
    ----------
    forum : Forum
        An empty forum.
    sections : sequence of SectionSeed
        The sections, in order.
    users : sequence of User
        Who writes the generated threads and posts (seeded users first, then the population, in
        generation order: the same users always give the same forum).
    demo : sequence of User
        The demo users alice, bob and charlie, when they exist: they get a few threads (dated ``now``),
        announcements and a moderator.
    now : datetime
        The start-up time.
    population : int
        The generated population's size (``population // FORUM_USERS_PER_THREAD`` threads).
    """
    ctime = _instant(_choices.FORUM_SECTIONS_CTIME)
    for n, seed in enumerate(sections):
        forum.add_section(
            ForumSection(
                id=_stable_uuid(f"section:{seed.key}"),
                key=seed.key,
                display_name=seed.display_name,
                ctime=ctime + timedelta(milliseconds=n),
                locale=seed.locale,
            )
        )
    if forum.sections and len(demo) >= 3:
        _demo_content(forum, demo, now)
    threads = population // _choices.FORUM_USERS_PER_THREAD
    if forum.sections and users and threads:
        _generate(forum, users, threads)
    forum.sort()


def _section_for(forum: Forum, locale: str) -> ForumSection:
    """The first section of ``locale``, else the first section."""
    for section in forum.sections:
        if section.locale == locale:
            return section
    return forum.sections[0]


def _demo_thread(
    forum: Forum,
    section: ForumSection,
    key: str,
    title: str,
    posts: Sequence[tuple[User, str, int]],
    when: datetime,
    *,
    pinned: bool = False,
    locked: bool = False,
) -> ForumThread:
    thread = ForumThread(
        id=_stable_uuid(f"thread:{key}"),
        key=key,
        title=title,
        section=section,
        ctime=when,
        is_pinned=pinned,
        is_locked=locked,
    )
    for n, (author, text, revisions) in enumerate(posts):
        thread.posts.append(
            ForumPost(
                id=_stable_uuid(f"post:{key}:{n}"),
                thread=thread,
                ctime=when + timedelta(minutes=5 * n),
                author=author,
                seed=n,
                revisions=revisions,
                text=text,
            )
        )
    return forum.add_thread(thread)


def _demo_content(forum: Forum, demo: Sequence[User], now: datetime) -> None:
    alice, bob, charlie = demo[0], demo[1], demo[2]
    when = now.replace(microsecond=now.microsecond // 1000 * 1000)
    english = _section_for(forum, "en-US")
    french = _section_for(forum, "fr-FR")
    welcome = _demo_thread(
        forum,
        english,
        "en_welcome",
        "Welcome to the sandbox forum",
        (
            (alice, "Welcome! This forum lives in the **sandbox**: nothing here leaves your machine.", 1),
            (bob, "Hello everyone.\n\nI am the moderator of this section.", 1),
            (charlie, "Thanks! First post here.", 2),
            (alice, "Marktwin is shown as text: <script>alert(1)</script> stays harmless.", 1),
        ),
        when,
        pinned=True,
    )
    _demo_thread(
        forum,
        english,
        "en_rules",
        "Forum rules",
        ((alice, "Be kind.\nStay on topic.\nNo spoilers in titles.", 1),),
        when - timedelta(minutes=1),
        pinned=True,
        locked=True,
    )
    bienvenue = _demo_thread(
        forum,
        french,
        "fr_welcome",
        "Bienvenue sur le forum du bac à sable",
        (
            (alice, "Bienvenue ! Ce forum tourne dans le **bac à sable**.", 1),
            (bob, "Bonjour à toutes et à tous.", 1),
        ),
        when + timedelta(minutes=1),
        pinned=True,
    )
    others = (("es-SP", bob, "Hola desde el arenero"), ("de-DE", charlie, "Hallo aus dem Sandkasten"))
    for n, (locale, author, title) in enumerate(others):
        section = _section_for(forum, locale)
        if section.locale == locale:
            key = f"{locale[:2]}_hello"
            _demo_thread(forum, section, key, title, ((author, title + ".", 1),), when + timedelta(seconds=n))
    english.grants.append(RoleGrant("Moderator", bob, when, alice))
    for thread in (welcome, bienvenue):
        forum.announcements.append(
            Announcement(
                id=_stable_uuid(f"announcement:{thread.key}"),
                thread=thread,
                created_at=thread.ctime + timedelta(hours=1),
                locale=thread.section.locale or "en-US",
            )
        )


_LOCALE_WEIGHTS = {"en-US": 30, "fr-FR": 35, "es-SP": 15, "de-DE": 12, "eo": 8}


def _generate(forum: Forum, users: Sequence[User], count: int) -> None:
    """``count`` threads with their posts, drawn from one seeded generator."""
    rng = random.Random(_choices.FORUM_SEED)
    random_ = rng.random
    randrange = rng.randrange
    expovariate = rng.expovariate
    getrandbits = rng.getrandbits
    sections = forum.sections
    weights = [_LOCALE_WEIGHTS.get(section.locale or "", 10) for section in sections]
    first = _ms(_choices.POPULATION_FIRST_YEAR)
    end = _ms(_choices.POPULATION_LAST_YEAR)
    population = len(users)
    pinned: list[ForumThread] = []
    day = 86_400_000
    for _ in range(count):
        section = rng.choices(sections, weights)[0]
        language = _language(section.locale)
        openings, subjects = _TITLES[language]
        start = randrange(first, end - day)
        thread = ForumThread(
            id=_uuid(rng),
            key=None,
            title=f"{rng.choice(openings)} {rng.choice(subjects)}",
            section=section,
            ctime=_EPOCH,
            is_pinned=random_() < _choices.FORUM_PINNED_RATE,
            is_locked=random_() < _choices.FORUM_LOCKED_RATE,
        )
        if random_() < _choices.FORUM_LONG_THREAD_RATE:
            size = randrange(101, 350)
        else:
            size = 1 + min(int(expovariate(1 / 6)), 60)
        time = start
        posts = thread.posts
        for _ in range(size):
            author = users[int(population * random_() ** 3)]
            revisions, fate = 1, ""
            roll = random_()
            if roll < _choices.FORUM_EDITED_RATE:
                revisions = 2 + (randrange(1, 4) if random_() < 0.2 else 0)
            roll = random_()
            if roll < _choices.FORUM_DELETED_RATE:
                revisions, fate = revisions + 1, "deleted"
            elif roll < _choices.FORUM_DELETED_RATE + _choices.FORUM_MODERATED_RATE:
                revisions, fate = revisions + 1, "moderated"
            posts.append(
                ForumPost(
                    id=_uuid(rng),
                    thread=thread,
                    ctime=_EPOCH + timedelta(milliseconds=time),
                    author=author,
                    seed=getrandbits(32),
                    revisions=revisions,
                    fate=fate,
                )
            )
            time = min(time + int(expovariate(1 / (2 * day))), end - 1)
        thread.ctime = posts[0].ctime
        forum.add_thread(thread)
        if thread.is_pinned:
            pinned.append(thread)
    wanted = max(1, len(users) // _choices.FORUM_USERS_PER_ANNOUNCEMENT)
    for thread in rng.sample(pinned, min(wanted, len(pinned))):
        forum.announcements.append(
            Announcement(
                id=_uuid(rng),
                thread=thread,
                created_at=thread.ctime + timedelta(hours=1),
                locale=thread.section.locale or "en-US",
            )
        )


def _ms(year: int) -> int:
    return int((datetime(year, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds() * 1000)
