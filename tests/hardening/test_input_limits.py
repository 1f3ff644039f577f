"""Input limits: oversized texts and files, control characters, right-to-left marks, SQL- and
HTML-looking strings, emoji and very long names are stored and shown safely.

The engines send plain text (parse_mode None) unless a Reply says `html=True`; plain text
needs no escaping and must show the person's words as they were, and an HTML reply must
escape them (only Telegram's own tags may remain).
"""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

from sqlalchemy import select

from bot.protocol import Incoming, IncomingFile, Outcome, Reply, Sender
from storage.events_models import Event
from storage.models import Person
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_notices import fill_form, seed
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock

FAILED = "Something went wrong on our side."
HOSTILE = [
    "<b>bold</b> & <a href='javascript:x'>link</a>",
    "' OR 1=1 --; DROP TABLE units;",
    "\u202eevil\u200f مرحبا \u200e",
    "emoji 😀👨‍👩‍👧 🇨🇳",
    "tab\tand\x07bell\x1b[31m",
    "&amp; &lt;script&gt;",
]
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "tg-spoiler", "span", "blockquote", "tg-emoji"}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def shown_safely(reply: Reply, hostile: str) -> bool:
    """Plain text shows the words as they were; HTML carries them escaped."""
    if not reply.html:
        return True
    parser = _Tags()
    parser.feed(reply.text)
    return set(parser.tags) <= TELEGRAM_TAGS and "<b>bold</b> &" not in reply.text


def no_failure(outcome: Outcome) -> bool:
    texts = [r.text for r in outcome.replies] + [outcome.alert or ""]
    return not any(FAILED in t for t in texts) and bool(outcome.replies or outcome.alert)


async def new_event(admin: ChatClient, title: str, place: str) -> None:
    await admin.send("/newevent")
    for answer in (title,):
        await admin.send(answer)
        assert no_failure(admin.last), admin.text
    await admin.press_data("evf:nodesc")
    await admin.send("2027-03-10 09:00 - 11:30")
    await admin.send(place)
    await admin.press_data("evf:nocap")
    await admin.press_data("evf:nowin")
    await admin.press_data("evf:guests:y")
    await admin.press_data("evf:unit:1")
    await admin.press_data("evf:create")


async def test_hostile_event_titles_are_stored_and_shown_as_written(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(flood_burst=1_000_000)
    admin, guest = ChatClient(app, ADMIN_ID), ChatClient(app, 6001)
    for n, text in enumerate(HOSTILE):
        await new_event(admin, f"{text} {n}", f"{text} hall")
        assert no_failure(admin.last), admin.text
    async with app.sessions() as session:
        stored = {e.title: e.place for e in (await session.scalars(select(Event))).all()}
    for n, text in enumerate(HOSTILE):
        title = f"{text} {n}"
        if title in stored:  # stored as written, or refused with a reason: never mangled
            assert stored[title] == f"{text} hall"
    assert stored, "no event could be created at all"
    await guest.send("/events")
    listed = guest.text
    for title in stored:
        assert title[:60] in listed or title[:30] in listed
    for data in [guest.button_data(label) for label in guest.labels]:
        await guest.press_data(data)
        assert no_failure(guest.last)
        assert all(shown_safely(r, "") for r in guest.replies)


async def test_hostile_names_and_corrections(make_app: MakeApp, clock: FakeClock) -> None:
    """A 300-character display name, RTL marks and markup in names are kept and shown."""
    app = await make_app(flood_burst=1_000_000)
    for n, name in enumerate([*HOSTILE, "名" * 300, "x" * 10_000]):
        user = 6100 + n
        sender = Sender(user, user, "en", name)
        outcome = await app.dispatcher.handle(Incoming(f"name:{n}", sender, command="start"))
        assert no_failure(outcome), outcome
        async with app.sessions() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == user))
            assert person is not None and name.startswith(person.display_name)
        client = ChatClient(app, user, name=name)
        await client.send("/join")
        await client.press("I agree")
        for text in (name, name[:200]):
            await client.send(text)
            assert no_failure(client.last), client.text
            assert all(shown_safely(r, name) for r in client.replies)


async def test_oversized_texts_and_files_are_refused_clearly(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(flood_burst=1_000_000)
    limit = app.settings.max_text_length
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/newevent")
    await admin.send("x" * (limit + 1))
    assert admin.text.startswith(f"That message is too long ({limit + 1} characters)")
    await admin.send("A title that fits")  # the form lost nothing
    assert "called" not in admin.text and no_failure(admin.last)

    await admin.send("/cancel")
    await admin.send("/upload")
    size = app.settings.document_max_bytes + 1

    async def fetch() -> bytes:
        raise AssertionError("an oversized file must not be downloaded")

    big = IncomingFile("big", "big.pdf", "application/pdf", size, fetch)
    outcome = await admin.deliver(Incoming("big:1", admin.sender, file=big))
    assert no_failure(outcome) and "MB" in admin.text, admin.text

    guest = ChatClient(app, 6001)
    await guest.send("/join")
    await guest.press("I agree")
    await guest.send_file("form.pdf", b"%PDF-" + b"\x00" * 10)  # a file where a name is asked
    assert no_failure(guest.last), guest.text
    for control in ("\x00", "\u0000\u0001\u0002", "\ufeff", "\ud7ff"):
        await guest.send(control)
        assert no_failure(guest.last), guest.text


async def test_hostile_notice_text_goes_out_escaped_as_telegram_html(make_app: MakeApp) -> None:
    """Typed without Telegram's formatting, a notice's text is escaped into the HTML it is
    sent as: no tag of its own reaches Telegram, and the words read as they were typed."""
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    for hostile in HOSTILE:
        await fill_form(admin, text=hostile)
        preview = next(r for r in admin.replies if r.html)
        assert shown_safely(preview, hostile), preview.text
        assert hostile in unescape(preview.text)
        await admin.press("Cancel")
