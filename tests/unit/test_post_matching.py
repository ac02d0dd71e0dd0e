"""A post on the account is recognised as ours from its text as X gives it back, never by posting again."""

from __future__ import annotations

import pytest

from postdesk.domain.post_matching import normalised, same_post


@pytest.mark.parametrize(
    ("as_x_returns_it", "as_sent"),
    [
        ("Vols &amp; cambriolages : &lt;prudence&gt;", "Vols & cambriolages : <prudence>"),
        ("Conseils : https://t.co/AbCdEf1234", "Conseils : https://www.example.org/conseils-securite"),
        ("Avis de recherche https://t.co/Xyz0987654", "Avis de recherche"),  # the link X adds to the media
        ("Ligne 1\nLigne 2", "Ligne 1\r\n  Ligne 2 "),
        ("Café", "Cafe\u0301"),  # the same letter, composed or not
    ],
)
def test_a_post_is_ours_whatever_x_did_to_its_text(as_x_returns_it: str, as_sent: str) -> None:
    assert same_post(as_x_returns_it, as_sent)


@pytest.mark.parametrize(
    ("posted", "proposal"),
    [
        ("Fermez à clé", "Fermez à clé !"),
        ("Appel à témoins n°1", "Appel à témoins n°2"),
        ("", "Un texte"),
    ],
)
def test_another_text_is_not_ours(posted: str, proposal: str) -> None:
    assert not same_post(posted, proposal)


def test_the_normal_form_keeps_words_and_drops_links() -> None:
    assert normalised("  A &amp; B\n\nhttps://t.co/x  C ") == "A & B C"
