"""Reading a mail as a proposal: the text the proposer wrote (without quotes, attributions, forwards'
headers, signatures), the alt texts, the kind tag, the images, and a clear problem for what cannot be
read, never an exception."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postdesk.domain.kinds import Kind
from postdesk.inbound_mail.cleaning import clean_body, unflow
from postdesk.inbound_mail.html_text import html_to_text
from postdesk.inbound_mail.reading import read_message
from postdesk.inbound_mail.subject_tags import bare_subject, kind_of_subject

CORPUS = sorted((Path(__file__).parent.parent / "events" / "mail").glob("*.eml"))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
JPEG = b"\xff\xd8\xff\xe0" + bytes(32)


def _mail(text: str, *, subject: str = "Sujet", charset: str = "utf-8") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "agent@example.org"
    message["Subject"] = subject
    message.set_content(text, charset=charset)
    return message


# -- subject tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("[prévention] Vols", Kind.PREVENTION),
        ("[PREVENTION] Vols", Kind.PREVENTION),
        ("[Prevention] Vols", Kind.PREVENTION),
        ("Vols [conseil]", Kind.ADVICE),
        ("[advice] Tips", Kind.ADVICE),
        ("[recrutement] Concours", Kind.RECRUITMENT),
        ("[Recruitment] Open day", Kind.RECRUITMENT),
        ("[témoins] Accident", Kind.WITNESS_APPEAL),
        ("[temoins] Accident", Kind.WITNESS_APPEAL),
        ("[Witnesses] Crash", Kind.WITNESS_APPEAL),
        ("[appel à témoins] Accident", Kind.WITNESS_APPEAL),
        ("[affaire résolue] Interpellation", Kind.SOLVED_CASE),
        ("[Affaire Resolue] Interpellation", Kind.SOLVED_CASE),
        ("[solved case] Arrest", Kind.SOLVED_CASE),
        ("[Service à l’honneur] Brigade", Kind.SERVICE_FOCUS),
        ("[service_focus] Brigade", Kind.SERVICE_FOCUS),
        ("Re: TR: [conseil] Objets trouvés", Kind.ADVICE),
        ("[EXTERNE] [conseil] Objets", Kind.ADVICE),
    ],
)
def test_a_tag_in_the_subject_sets_the_kind_in_french_or_english_whatever_its_accents(
    subject: str, kind: Kind
) -> None:
    assert kind_of_subject(subject) is kind


@pytest.mark.parametrize(
    "subject", ["Vols à la roulotte", "[EXTERNE] Note", "[prévention] [témoins] Deux", ""]
)
def test_no_tag_or_tags_naming_different_kinds_leave_the_kind_to_the_confirmation_page(subject: str) -> None:
    assert kind_of_subject(subject) is None


def test_the_bare_subject_drops_reply_prefixes_and_kind_tags_but_keeps_other_tags() -> None:
    assert bare_subject("RE: TR: [conseil]  Objets [EXTERNE] trouvés") == "Objets [EXTERNE] trouvés"


# -- text -----------------------------------------------------------------------------------------------


def test_quoted_lines_and_the_french_attribution_line_go_even_when_wrapped() -> None:
    body = "Mon texte.\n\nLe mar. 1 déc. 2026 à 09:12, postdesk <\npostdesk@example.org> a écrit :\n> cité\n"
    assert clean_body(body).text == "Mon texte."


def test_the_english_attribution_and_outlooks_original_message_go() -> None:
    assert (
        clean_body("Text.\n\nOn Tue, Dec 1, 2026 at 9:12 AM Jane <j@example.org> wrote:\n> q\n").text
        == "Text."
    )
    assert clean_body("Texte.\n\n-----Message d'origine-----\nDe : X\n\nancien").text == "Texte."
    assert clean_body("Texte.\n\n-----Original Message-----\nFrom: X\n\nold").text == "Texte."


def test_a_line_that_merely_looks_like_an_attribution_but_has_no_date_stays() -> None:
    assert clean_body("Le suspect a écrit :\nà la main.").text == "Le suspect a écrit :\nà la main."


def test_the_signature_and_a_mobile_signature_go() -> None:
    assert clean_body("Texte.\n\n-- \nAgent Dupont\n01 02 03").text == "Texte."
    assert clean_body("Texte.\n--\nAgent").text == "Texte."
    assert clean_body("Texte.\n\nEnvoyé de mon iPhone").text == "Texte."
    assert clean_body("Text.\n\nSent from my Galaxy").text == "Text."


def test_a_forwarded_message_is_the_text_only_when_nothing_is_written_above_it() -> None:
    forwarded = (
        "---------- Forwarded message ---------\nFrom: Chef <c@example.org>\nDate: Mon, 30 Nov 2026\n"
        "Subject: Note\nTo: <a@example.org>\n\nLe texte transféré.\n"
    )
    alone = clean_body("\n" + forwarded)
    assert (alone.text, alone.from_forward) == ("Le texte transféré.", True)
    assert clean_body("Ma note au-dessus.\n\n" + forwarded).text == "Ma note au-dessus."
    apple = clean_body("Début du message réexpédié :\n\nDe: Chef <c@example.org>\nObjet: X\n\nTexte Apple.")
    assert apple.text == "Texte Apple."


def test_outlooks_block_is_a_forward_under_a_forwarded_subject_and_a_reply_otherwise() -> None:
    body = "\n________________________________\nDe : X <x@example.org>\nEnvoyé : lundi\nObjet : Y\n\nCorps."
    assert clean_body(body, forwarded_subject=True).text == "Corps."
    assert clean_body("Ma réponse." + body).text == "Ma réponse."
    assert clean_body(body).text == ""


def test_alt_lines_give_the_alt_texts_in_order_or_by_number_and_leave_the_text() -> None:
    clean = clean_body("Texte.\nAlt: première\nALT 3 : troisième\nTexte alternatif : deuxième\n")
    assert clean.text == "Texte."
    assert clean.alt_texts == ("première", "deuxième")
    assert clean.numbered_alt_texts == ((3, "troisième"),)


def test_control_characters_never_reach_the_text() -> None:
    assert clean_body("Tex\x00te\x07 ok\tici").text == "Texte ok\tici"


def test_format_flowed_lines_are_joined_and_a_signature_separator_is_not() -> None:
    assert unflow("Une phrase \ncoupée.\n-- \nsig") == "Une phrase coupée.\n-- \nsig"
    assert unflow("Un mot cou \npé", delsp=True) == "Un mot coupé"
    assert unflow("  indenté \nsuite") == " indenté suite"  # space-stuffed


def test_html_becomes_lines_with_links_kept_and_scripts_dropped() -> None:
    markup = (
        "<html><head><title>t</title><style>p{}</style><script>alert(1)</script></head><body>"
        '<p class=MsoNormal>Ligne&nbsp;1</p><p class=MsoNormal>Voir <a href="https://ex.org/a">ici</a></p>'
        '<p>Para</p><p>Para 2 <a href="https://ex.org/b">https://ex.org/b</a></p>'
        "<ul><li>un</li><li>deux</li></ul><blockquote>cité<br>encore</blockquote><pre>a\n  b</pre></body></html>"
    )
    assert html_to_text(markup) == (
        "Ligne\xa01\nVoir ici (https://ex.org/a)\n\nPara\n\nPara 2 https://ex.org/b\n- un\n- deux\n"
        "> cité\n> encore\na\n  b"
    )


# -- messages ---------------------------------------------------------------------------------------------


def test_plain_text_is_preferred_to_html() -> None:
    message = _mail("Le texte brut.")
    message.add_alternative("<p>Le texte <b>HTML</b>.</p>", subtype="html")
    assert read_message(message.as_bytes()).text == "Le texte brut."


def test_html_is_read_when_the_plain_part_is_empty() -> None:
    message = _mail("\n")
    message.add_alternative("<p>Le texte HTML.</p>", subtype="html")
    assert read_message(message.as_bytes()).text == "Le texte HTML."


def test_an_unknown_charset_is_a_problem_not_an_exception() -> None:
    raw = b"From: a@example.org\r\nContent-Type: text/plain; charset=x-mac-klingon\r\n\r\ncaf\xe9\r\n"
    read = read_message(raw)
    assert [(p.code, dict(p.params)) for p in read.problems] == [
        ("unknown_charset", {"charset": "x-mac-klingon"})
    ]


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib"])
def test_a_charset_that_names_a_python_codec_but_not_a_text_encoding_is_unknown(charset: str) -> None:
    raw = f"From: a@example.org\r\nContent-Type: text/plain; charset={charset}\r\n\r\nabc\r\n".encode()
    assert [p.code for p in read_message(raw).problems] == ["unknown_charset"]


def test_bytes_not_in_the_declared_charset_are_a_problem() -> None:
    raw = b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncaf\xe9\r\n"
    assert [p.code for p in read_message(raw).problems] == ["undecodable"]


def test_eight_bit_text_without_a_charset_is_read_as_utf8_then_windows_1252() -> None:
    assert read_message(b"From: a@example.org\r\n\r\ncaf\xc3\xa9\r\n").text == "café"
    assert read_message(b"From: a@example.org\r\n\r\n2 000 \x80\r\n").text == "2 000 €"


def test_images_attached_inline_or_as_octet_stream_become_images_and_other_files_are_ignored() -> None:
    message = _mail("Texte.\nAlt: une\nAlt: deux")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="a.png")
    message.add_attachment(JPEG, maintype="application", subtype="octet-stream", filename="b.jpg")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="note.pdf")
    message.add_attachment("notes", filename="notes.txt")

    read = read_message(message.as_bytes())

    assert [(i.content_type, i.alt, i.field) for i in read.images] == [
        ("image/png", "une", "image_1"),
        ("image/jpeg", "deux", "image_2"),
    ]
    assert read.ignored_attachments == ("note.pdf", "notes.txt")
    assert read.text == "Texte."


def test_more_alt_lines_than_images_is_a_problem() -> None:
    message = _mail("Texte.\nAlt: une\nAlt: deux")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="a.png")
    assert [p.code for p in read_message(message.as_bytes()).problems] == ["alt_without_image"]


def test_a_mail_of_attachments_only_has_no_text_and_says_so() -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    read = read_message(message.as_bytes())
    assert [p.code for p in read.problems] == ["no_text"]
    assert read.ignored_attachments == ("a.pdf",)


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_every_message_of_the_corpus_is_read_without_an_exception(path: Path) -> None:
    read = read_message(path.read_bytes())
    assert read.text or read.problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_no_bytes_at_all_make_reading_raise(raw: bytes) -> None:
    read_message(raw)


_SAMPLES = [path.read_bytes() for path in CORPUS]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SAMPLES), st.data())
def test_corrupted_real_messages_never_make_reading_raise(raw: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    noise = data.draw(st.binary(max_size=64))
    read_message(raw[:cut] + noise + raw[cut + len(noise) :])
