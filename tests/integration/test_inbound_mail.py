"""Proposals by email: a corpus of real-world-shaped messages, each received as SES receives it (raw
message in the bucket, then the receiving event to the real handler on moto), gives the expected
proposal or the expected refusal; every mail ends with a recorded outcome and its raw message kept."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from postdesk.domain.states import Status
from postdesk.handlers.wiring import get_services
from tests.integration.conftest import Stack
from tests.integration.inbound_steps import (
    SUBMISSION,
    corpus,
    invoke,
    keep_raw,
    new_message_id,
    raw_is_kept,
    receive,
    recorded,
    ses_event,
)
from tests.integration.review_steps import DEPUTY1, DIRECTOR, last_mail, link_in, open_page, press
from tests.integration.sample_handler import PNG_BYTES

DUPONT = "agent.dupont@example.org"


@dataclass(frozen=True)
class Proposed:
    sender: str
    kind: str | None  # None: no tag, the confirmation page asks
    text: str
    alts: tuple[str, ...] = ()


ACCEPTED = {
    "gmail_alternative_qp_utf8.eml": Proposed(
        DUPONT,
        "prevention",
        "Vols à la roulotte : ne laissez rien de visible dans votre véhicule, même pour quelques minutes. "
        "Un sac sur un siège suffit à attirer un voleur. 🚗\n\n#prévention",
    ),
    "html_only_iso8859_1_qp.eml": Proposed(
        "c.martin@example.org",
        "recruitment",
        "Journée portes ouvertes du commissariat le samedi 12 décembre, de 10\xa0h à 17\xa0h.\n"
        "Venez découvrir nos métiers et rencontrer les équipes\xa0!\n\n"
        "Inscriptions sur notre site (https://www.example.org/recrutement).",
    ),
    "apple_mail_base64_split_image.eml": Proposed(
        "l.bernard@example.org",
        "advice",
        "Démarchage à domicile : un faux technicien du gaz sévit dans le quartier. Ne laissez entrer "
        "personne sans avoir vérifié son identité auprès de son employeur.",
        ("Un homme en gilet orange sonne à une porte d'immeuble",),
    ),
    "thunderbird_flowed_iso8859_1.eml": Proposed(
        "r.lefevre@example.org",
        "service_focus",
        "Ce mois-ci, l'unité cynophile est à l'honneur : six maîtres-chiens et leurs compagnons veillent "
        "sur la ville jour et nuit. Merci à eux !",
    ),
    "inline_images_related.eml": Proposed(
        DUPONT,
        "witness_appeal",
        "Appel à témoins : Mme Jeanne Roux, 82 ans, a quitté son domicile du quartier des Halles hier "
        "vers 15 h. Elle porte un manteau rouge. Toute information au 17.",
        (
            "Portrait de Jeanne Roux, cheveux blancs, lunettes",
            "Plan du quartier des Halles, le domicile marqué d'une croix",
        ),
    ),
    "forwarded_inline_gmail.eml": Proposed(
        DUPONT,
        "solved_case",
        "Cambriolages en série : deux suspects interpellés ce matin grâce au travail des enquêteurs et "
        "aux signalements des riverains. Merci à tous !",
    ),
    "forwarded_as_attachment.eml": Proposed(
        DUPONT,
        None,
        "Les permanences d'accueil des victimes ont lieu chaque mercredi de 14 h à 18 h, sans rendez-vous.",
    ),
    "reply_quoted_fr.eml": Proposed(
        DUPONT,
        "advice",
        "Voici le texte corrigé : les objets trouvés se réclament désormais à l'accueil du commissariat, "
        "du lundi au vendredi de 9 h à 17 h.",
    ),
    "reply_outlook_en.eml": Proposed(
        "j.smith@example.org",
        "advice",
        "Corrected text: police stations will be closed on 25 December; dial 17 for any emergency.",
    ),
    "outlook_windows_1252.eml": Proposed(
        "s.petit@example.org",
        "prevention",
        "Arnaque au faux conseiller bancaire : votre banque ne vous demandera jamais vos codes. Un "
        "préjudice moyen de 2 000 € par victime l’an dernier.",
    ),
    "octet_stream_image.eml": Proposed(
        DUPONT,
        "recruitment",
        "Le concours de gardien de la paix est ouvert jusqu'au 15 janvier : inscrivez-vous !",
        ("L'affiche du concours, un gardien de la paix devant un fourgon",),
    ),
}

# reason recorded, and what the reply says (in French; the English follows it)
REFUSED_WITH_A_REPLY = {
    "unknown_charset.eml": ("unknown_charset", "encodage inconnu (x-klingon-1)"),
    "malformed_mime.eml": ("malformed", "structure MIME est illisible"),
    "no_text_only_signature.eml": ("no_text", "ne contient pas de texte"),
    "only_attachments.eml": ("no_text", "pièces jointes autres que des images"),
    "hundreds_of_recipients.eml": ("too_many_recipients", "adressé à 301 destinataires"),
    "text_too_long.eml": ("invalid", "le texte fait 348 caractères comme X les compte"),
    "outside_sender.eml": ("sender_not_allowed", "Seules les adresses de travail (@example.org)"),
    "five_images.eml": ("invalid", "5 images jointes\u202f; 4 au plus"),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_a_mail_becomes_a_proposal_awaiting_its_authors_confirmation(stack: Stack, name: str) -> None:
    # Given a colleague's mail to the submission address, When SES receives it
    expected = ACCEPTED[name]
    message_id = new_message_id()
    outcome = receive(corpus(name), message_id=message_id)

    # Then it is a proposal awaiting confirmation, with the text, kind and images read from the mail
    assert outcome["outcome"] == "accepted", outcome
    proposal = stack.proposal(outcome["proposalId"])
    assert proposal.status is Status.AWAITING_CONFIRMATION
    assert proposal.source == "email"
    assert proposal.proposer_email == expected.sender
    assert proposal.text == expected.text
    assert proposal.kind.value == (expected.kind or "other")
    assert tuple(image.alt for image in proposal.images) == expected.alts
    # and its author gets the same confirmation mail as from the web form
    confirmation = last_mail(stack, expected.sender, "Confirmez")
    assert link_in(confirmation, "Confirmer")
    # and the outcome is recorded against the message id, the raw message kept
    assert recorded(message_id)["outcome"] == "accepted"
    assert recorded(message_id)["proposal_id"] == proposal.id
    assert raw_is_kept(message_id)


@pytest.mark.parametrize("name", sorted(REFUSED_WITH_A_REPLY))
def test_a_mail_that_cannot_be_a_proposal_gets_a_reply_saying_why(stack: Stack, name: str) -> None:
    reason, says = REFUSED_WITH_A_REPLY[name]
    message_id = new_message_id()

    outcome = receive(corpus(name), message_id=message_id)

    assert (outcome["outcome"], outcome["reason"]) == ("refused", reason), outcome
    assert outcome["replied"] is True
    sender = "jean.dupont.perso@gmail.com" if name == "outside_sender.eml" else DUPONT
    reply = last_mail(stack, sender, "Proposition non enregistrée")
    assert says in reply.text
    assert "— English —" in reply.text
    assert not [mail for mail in stack.mails_to(sender) if "Confirmez" in mail.subject]
    assert recorded(message_id)["reason"] == reason
    assert raw_is_kept(message_id)


def test_a_refusal_in_english_lists_the_same_problems_below_the_french(stack: Stack) -> None:
    receive(corpus("text_too_long.eml"))

    reply = last_mail(stack, DUPONT, "Proposal not recorded")
    french, english = reply.text.split("— English —")
    assert "le texte fait 348 caractères comme X les compte\u202f; 280 au plus" in french
    assert "Text of the post: the text is 348 characters as X counts them; 280 at most" in english
    assert "Rappel : les objets trouvés" in english  # the text as read, to fix it


def test_an_automatic_reply_is_refused_without_a_reply(stack: Stack) -> None:
    message_id = new_message_id()

    outcome = receive(corpus("auto_reply.eml"), message_id=message_id)

    assert (outcome["outcome"], outcome["reason"], outcome["replied"]) == ("refused", "automatic", False)
    assert stack.mails_to(DUPONT) == []
    assert raw_is_kept(message_id)


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [
        ({"spam": "FAIL"}, "spam"),
        ({"virus": "FAIL"}, "virus"),
        ({"dmarc": "FAIL", "spf": "FAIL", "dkim": "FAIL"}, "not_authenticated"),
        ({"dmarc": "GRAY", "spf": "GRAY", "dkim": "GRAY"}, "not_authenticated"),
    ],
)
def test_spam_viruses_and_spoofed_senders_are_refused_silently(
    stack: Stack, verdicts: dict[str, str], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = new_message_id()

    outcome = receive(corpus("gmail_alternative_qp_utf8.eml"), message_id=message_id, verdicts=verdicts)

    assert (outcome["outcome"], outcome["reason"], outcome["replied"]) == ("refused", reason, False)
    assert stack.mails() == []  # no reply: it would go to someone who did not write
    assert recorded(message_id)["reason"] == reason
    assert raw_is_kept(message_id)
    logged = [record for record in caplog.records if record.getMessage() == "inbound mail refused"]
    assert [getattr(record, "reason", None) for record in logged] == [reason]


def test_one_aligned_spf_pass_is_enough_when_a_gateway_broke_dkim(stack: Stack) -> None:
    # Given DMARC failing because a gateway's footer broke the DKIM signature, SPF passing for the
    # From domain itself
    outcome = receive(
        corpus("gmail_alternative_qp_utf8.eml"), verdicts={"dmarc": "FAIL", "dkim": "FAIL", "spf": "PASS"}
    )

    assert outcome["outcome"] == "accepted"


def test_a_from_that_differs_from_the_envelope_sender_counts_when_dkim_signs_for_the_from_domain(
    stack: Stack,
) -> None:
    # Given a mail relayed by a list server: envelope sender at its domain, SPF passing for it only,
    # DMARC not evaluated, DKIM passing with the From domain's signature (d=example.org)
    outcome = receive(
        corpus("gmail_alternative_qp_utf8.eml"),
        envelope_sender="bounces+1234@lists.example.net",
        verdicts={"dmarc": "GRAY", "spf": "PASS", "dkim": "PASS"},
    )

    # Then the From address is the proposer, and the confirmation goes there
    assert outcome["outcome"] == "accepted"
    assert stack.proposal(outcome["proposalId"]).proposer_email == DUPONT
    assert last_mail(stack, DUPONT, "Confirmez")
    assert stack.mails_to("bounces+1234@lists.example.net") == []


def test_a_from_that_differs_from_the_envelope_sender_without_an_aligned_pass_is_refused(
    stack: Stack,
) -> None:
    # Given the same relay, but the DKIM signature is the relay's (d=lists.example.net) and the From
    # header claims example.org
    raw = corpus("outside_sender.eml").replace(
        b"From: Jean Dupont <jean.dupont.perso@gmail.com>", b"From: Agent Dupont <agent.dupont@example.org>"
    )
    raw = b"DKIM-Signature: v=1; a=rsa-sha256; d=lists.example.net; s=k1; b=AAAA\r\n" + raw

    outcome = receive(
        raw,
        envelope_sender="bounces@lists.example.net",
        verdicts={"dmarc": "FAIL", "spf": "PASS", "dkim": "PASS"},
    )

    assert (outcome["outcome"], outcome["reason"]) == ("refused", "not_authenticated")
    assert stack.mails() == []


def test_the_same_message_delivered_twice_makes_one_proposal(stack: Stack) -> None:
    # Given a mail SES delivers twice (the same message id), as an at-least-once service may
    raw = corpus("gmail_alternative_qp_utf8.eml")
    message_id = new_message_id()
    keep_raw(message_id, raw)
    event = ses_event(raw, message_id=message_id)

    first = invoke(event)
    second = invoke(event)

    # Then one proposal, one confirmation mail, and the second delivery answers the first's outcome
    assert first["outcome"] == "accepted" and first["duplicate"] is False
    assert second["duplicate"] is True and second["proposalId"] == first["proposalId"]
    assert len([p for p in get_services().store.all() if p.source == "email"]) == 1
    assert len(stack.mails_to(DUPONT)) == 1


def test_a_refused_message_delivered_twice_is_answered_once(stack: Stack) -> None:
    raw = corpus("text_too_long.eml")
    message_id = new_message_id()
    keep_raw(message_id, raw)
    event = ses_event(raw, message_id=message_id)

    invoke(event)
    again = invoke(event)

    assert again["duplicate"] is True and again["reason"] == "invalid"
    assert len(stack.mails_to(DUPONT)) == 1


def test_an_enormous_mail_is_refused_with_a_reply_and_kept(stack: Stack) -> None:
    # Given an 11 MB message (a scanned poster, say): SES takes up to 40 MB
    raw = corpus("gmail_alternative_qp_utf8.eml") + b"\r\n" + b"x" * (11 * 1024 * 1024)
    message_id = new_message_id()

    outcome = receive(raw, message_id=message_id)

    assert (outcome["outcome"], outcome["reason"]) == ("refused", "too_large")
    assert "10 Mo au plus" in last_mail(stack, DUPONT, "Proposition non enregistrée").text
    assert raw_is_kept(message_id)


def test_a_message_missing_from_the_bucket_is_refused_and_its_sender_asked_to_send_it_again(
    stack: Stack,
) -> None:
    # Given a receipt rule that did not keep the message (a misconfigured S3 action)
    message_id = new_message_id()

    outcome = invoke(ses_event(corpus("gmail_alternative_qp_utf8.eml"), message_id=message_id))

    assert (outcome["outcome"], outcome["reason"]) == ("refused", "raw_missing")
    assert "Renvoyez-le" in last_mail(stack, DUPONT, "Proposition non enregistrée").text


def test_an_event_that_is_not_from_ses_is_an_error_for_lambdas_retries(stack: Stack) -> None:
    from postdesk.inbound_mail.ses_event import NotAnSesEvent

    with pytest.raises(NotAnSesEvent):
        invoke({"Records": [{"eventSource": "aws:sqs"}]})


# -- the confirmation page of a proposal made by email ------------------------------------------------


def _mail(subject: str, text: str, *, images: int = 0, sender: str = DUPONT) -> bytes:
    message = EmailMessage()
    message["From"] = f"Agent <{sender}>"
    message["To"] = SUBMISSION
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(text)
    for number in range(images):
        message.add_attachment(
            PNG_BYTES + bytes([number]), maintype="image", subtype="png", filename=f"{number}.png"
        )
    return message.as_bytes()


def _proposal_without_tag_with_an_image(stack: Stack) -> tuple[str, str]:
    raw = _mail("Démarchage", "Démarchage à domicile : méfiez-vous des faux techniciens du gaz.", images=1)
    outcome = receive(raw)
    assert outcome["outcome"] == "accepted", outcome
    return outcome["proposalId"], link_in(last_mail(stack, DUPONT, "Confirmez"), "Confirmer")


def test_the_confirmation_page_asks_for_what_the_mail_left_out_before_confirm_acts(stack: Stack) -> None:
    # Given a proposal by email with no kind tag and an image without an alt text
    proposal_id, confirm = _proposal_without_tag_with_an_image(stack)
    assert stack.proposal(proposal_id).images[0].alt == ""

    # When its author opens the confirmation link
    page = open_page(stack, confirm)

    # Then the page shows the proposal as read, and asks for the kind and the alt text
    assert page.status == 200
    assert "méfiez-vous des faux techniciens" in page.body
    assert "Choisissez le type" in page.body
    assert 'name="alt_1"' in page.body
    assert page.body.count("<form") == 1
    assert stack.proposal(proposal_id).status is Status.AWAITING_CONFIRMATION

    # When they confirm without answering, Then nothing changes and each missing answer is named
    refused = press(stack, confirm, {"kind": "", "alt_1": ""})
    assert refused.status == 422
    assert "est obligatoire" in refused.body
    assert "chaque image doit avoir une description" in refused.body
    assert stack.proposal(proposal_id).status is Status.AWAITING_CONFIRMATION

    # When they answer, judicial risk and an embargo included
    done = press(
        stack,
        confirm,
        {
            "kind": "advice",
            "alt_1": "Un faux technicien devant une porte",
            "judicial_risk": "true",
            "not_before": "2026-12-05T08:00",
        },
    )

    # Then the answers and the confirmation are saved together, and the approvers are asked
    assert done.status == 200, done.body
    proposal = stack.proposal(proposal_id)
    assert proposal.status is Status.PENDING
    assert proposal.kind.value == "advice"
    assert proposal.images[0].alt == "Un faux technicien devant une porte"
    assert proposal.judicial_risk is True
    assert proposal.quorum == 2
    assert proposal.not_before is not None and proposal.not_before.isoformat() == "2026-12-05T07:00:00+00:00"
    review = last_mail(stack, DIRECTOR, "À décider")
    assert "Conseil" in review.subject
    assert "Un faux technicien devant une porte" in review.text
    assert last_mail(stack, DEPUTY1, "À décider")


def test_a_witness_appeal_by_email_needs_the_prosecutors_agreement_and_reference_to_be_confirmed(
    stack: Stack,
) -> None:
    outcome = receive(corpus("inline_images_related.eml"))
    confirm = link_in(last_mail(stack, DUPONT, "Confirmez"), "Confirmer")
    page = open_page(stack, confirm)
    assert '<option value="witness_appeal" selected>' in page.body  # read from [témoins]
    answers = {"kind": "witness_appeal", "alt_1": "Portrait", "alt_2": "Plan"}

    refused = press(stack, confirm, answers)
    assert refused.status == 422
    assert "exige l&#39;accord du parquet" in refused.body
    assert "exige la référence du parquet" in refused.body

    done = press(
        stack,
        confirm,
        {
            **answers,
            "prosecutor_agreement": "true",
            "prosecutor_reference": "PARQUET-2026-1234",
            "urgent": "true",
        },
    )
    assert done.status == 200, done.body
    proposal = stack.proposal(outcome["proposalId"])
    assert proposal.status is Status.PENDING
    assert proposal.prosecutor_reference == "PARQUET-2026-1234"
    assert proposal.urgent is True
    assert proposal.quorum == 2


def test_a_confirmation_link_of_a_proposal_by_email_acts_once(stack: Stack) -> None:
    outcome = receive(corpus("gmail_alternative_qp_utf8.eml"))
    confirm = link_in(last_mail(stack, DUPONT, "Confirmez"), "Confirmer")
    assert press(stack, confirm, {"kind": "prevention"}).status == 200

    again = press(stack, confirm, {"kind": "solved_case", "judicial_risk": "true"})

    assert again.status == 409
    proposal = stack.proposal(outcome["proposalId"])
    assert (proposal.kind.value, proposal.judicial_risk) == ("prevention", False)


def test_the_confirmation_page_of_a_web_proposal_asks_nothing_more(stack: Stack) -> None:
    created = stack.post_json(
        "/proposals", {"text": "Fermez à clé !", "kind": "prevention", "proposer_email": DUPONT}
    )
    assert created.status == 201

    page = open_page(stack, link_in(last_mail(stack, DUPONT, "Confirmez"), "Confirmer"))

    assert page.status == 200
    assert 'name="kind"' not in page.body


@pytest.mark.parametrize("name", ["gmail_alternative_qp_utf8.eml", "text_too_long.eml"])
def test_two_deliveries_at_the_same_moment_still_make_one_outcome(
    stack: Stack, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a first delivery done, and a second one that started before the first recorded its outcome
    # (it looked, found nothing, and goes on)
    from postdesk.store import inbound_records as records

    raw = corpus(name)
    message_id = new_message_id()
    keep_raw(message_id, raw)
    event = ses_event(raw, message_id=message_id)
    first = invoke(event)
    looked = records.recorded_outcome
    calls = iter([None])
    monkeypatch.setattr(records, "recorded_outcome", lambda mid: next(calls, looked(mid)))

    # When the second one writes, Then the conditional write on the message id stops it
    second = invoke(event)

    assert second["duplicate"] is True
    assert (second["outcome"], second["proposalId"]) == (first["outcome"], first["proposalId"])
    assert len([p for p in get_services().store.all() if p.source == "email"]) == (
        1 if first["proposalId"] else 0
    )
    assert len(stack.mails_to(DUPONT)) == 1
