"""What can be wrong with a mail that was meant as a proposal, said in French and in English.

A problem is either the mail's own (too large, no text, an unknown charset...) or one of the web
form's field errors (the same validation): both are listed in the reply to the sender."""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.errors import FieldError
from postdesk.wording import field_message, strings

MAIL_PROBLEMS: dict[str, dict[str, str]] = {
    "fr": {
        "too_large": "Le message pèse {size} Mo ; {max} Mo au plus (les images : 4 Mo en tout).",
        "too_many_recipients": "Le message est adressé à {count} destinataires : écrivez à l'adresse "
        "des propositions, avec {max} destinataires au plus.",
        "sender_not_allowed": "Seules les adresses de travail ({domains}) peuvent proposer une "
        "publication ; {sender} n'en est pas une.",
        "unknown_charset": "Le texte est écrit dans un encodage inconnu ({charset}) : renvoyez le "
        "message en UTF-8, le réglage par défaut des logiciels de messagerie.",
        "undecodable": "Le texte n'est pas lisible dans l'encodage qu'il annonce ({charset}) : "
        "renvoyez le message en UTF-8.",
        "malformed": "Le message est mal formé (sa structure MIME est illisible) : renvoyez-le depuis "
        "votre messagerie habituelle.",
        "no_text": "Le message ne contient pas de texte : écrivez la publication dans le corps du "
        "message (les pièces jointes autres que des images ne sont pas lues).",
        "alt_without_image": "{count} ligne(s) « Alt: » pour {images} image(s) : une ligne « Alt: » "
        "par image jointe, dans l'ordre des images.",
        "unreadable": "Le message n'a pas pu être lu. Renvoyez-le, ou proposez la publication par le "
        "formulaire.",
    },
    "en": {
        "too_large": "The message weighs {size} MB; {max} MB at most (images: 4 MB in all).",
        "too_many_recipients": "The message is addressed to {count} recipients: write to the "
        "submission address, with {max} recipients at most.",
        "sender_not_allowed": "Only work addresses ({domains}) may propose a post; {sender} is not one.",
        "unknown_charset": "The text is in an unknown character set ({charset}): send the message "
        "again in UTF-8, the default of mail programs.",
        "undecodable": "The text cannot be read in the character set it declares ({charset}): send "
        "the message again in UTF-8.",
        "malformed": "The message is malformed (its MIME structure cannot be read): send it again "
        "from your usual mail program.",
        "no_text": "The message has no text: write the post in the body of the message "
        "(attachments other than images are not read).",
        "alt_without_image": "{count} “Alt:” line(s) for {images} image(s): one “Alt:” line per "
        "attached image, in the order of the images.",
        "unreadable": "The message could not be read. Send it again, or propose the post with the form.",
    },
}


@dataclass(frozen=True)
class MailProblem:
    """One thing the sender must fix. `field` is set for the form's field errors."""

    code: str
    params: tuple[tuple[str, str], ...] = ()
    field: str = ""
    english: str = ""

    @classmethod
    def of(cls, code: str, **params: object) -> MailProblem:
        return cls(code, tuple((name, str(value)) for name, value in params.items()))

    @classmethod
    def from_field_error(cls, error: FieldError) -> MailProblem:
        return cls(error.code, error.params, error.field, error.message)

    def says(self, language: str) -> str:
        """The problem in `language` (fr or en), naming its field as the web form does."""
        if not self.field:
            return MAIL_PROBLEMS[language][self.code].format(**dict(self.params))
        colon = " : " if language == "fr" else ": "
        message = field_message(self.code, self.params, self.english, language)
        return f"{field_label(self.field, language)}{colon}{message}"


def field_label(field: str, language: str) -> str:
    t = strings(language)
    name, _, number = field.rpartition("_")
    if number.isdigit() and name in ("image", "alt"):
        return f"{t[name]} {number}"
    return t.get(field, field)
