"""Page and mail wording, French by default and English on request (`?lang=en`)."""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("fr", "en")
DEFAULT_LANGUAGE: Final = "fr"

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "app_name": "postdesk",
        "propose_title": "Proposer une publication",
        "propose_intro": "Tout collègue peut proposer une publication pour le compte X. "
        "La direction décide de ce qui est publié, chaque matin.",
        "text": "Texte de la publication",
        "text_help": "280 caractères au plus, comptés comme X les compte (un lien compte 23, "
        "certains caractères comme € comptent 2).",
        "kind": "Type de publication",
        "judicial_risk": "Risque judiciaire : demande l'accord de deux décideurs",
        "urgent": "Urgent : publier dès l'accord obtenu, sans attendre le matin (appel à témoins)",
        "not_before": "Ne pas publier avant (embargo)",
        "expires_at": "Ne plus publier après",
        "prosecutor_agreement": "Le parquet a donné son accord (obligatoire pour un appel à témoins)",
        "prosecutor_reference": "Référence du parquet",
        "images": "Images (4 au plus, 4 Mo en tout, chacune avec sa description)",
        "image": "Image",
        "alt": "Description de l'image (texte alternatif)",
        "proposer_email": "Votre adresse de travail",
        "submit": "Envoyer la proposition",
        "errors_title": "La proposition n'a pas été envoyée. Corrigez :",
        "submitted_title": "Vérifiez votre boîte mail",
        "submitted_body": "Un message vient d'être envoyé à {email}. Ouvrez le lien qu'il contient "
        "et confirmez : votre proposition sera alors soumise à la direction.",
        "confirm_title": "Confirmer votre proposition",
        "confirm_intro": "Vérifiez la publication telle qu'elle apparaîtra, puis confirmez.",
        "confirm_button": "Confirmer",
        "confirmed_title": "Proposition confirmée",
        "confirmed_body": "Merci. Votre proposition est transmise à la direction, qui décide chaque matin.",
        "already_confirmed": "Cette proposition a déjà été confirmée.",
        "expired_confirmation": "Le délai de confirmation est passé : la proposition a expiré. "
        "Vous pouvez la proposer à nouveau.",
        "link_error_title": "Ce lien ne peut pas être utilisé",
        "not_found_title": "Page introuvable",
        "preview": "Aperçu",
        "weighted_count": "{count} / 280 caractères",
        "yes": "oui",
        "no": "non",
        "status": "État",
        "version": "Version",
        "proposed_by": "Proposé par",
        "mail_confirm_subject": "Confirmez votre proposition de publication",
        "mail_confirm_body": "Vous avez proposé une publication pour le compte X. Pour la transmettre à "
        "la direction, ouvrez ce lien et appuyez sur « Confirmer » :",
        "mail_confirm_expiry": "Ce lien est valable jusqu'au {date}. Si vous n'êtes pas à l'origine de "
        "cette proposition, ignorez ce message.",
        "field_error": "Erreur",
        "switch_language": "English",
    },
    "en": {
        "app_name": "postdesk",
        "propose_title": "Propose a post",
        "propose_intro": "Any colleague may propose a post for the X account. "
        "The director's office decides what goes out, each morning.",
        "text": "Text of the post",
        "text_help": "280 characters at most, counted as X counts them (a link counts 23, "
        "some characters such as € count 2).",
        "kind": "Kind of post",
        "judicial_risk": "Judicial risk: needs the approval of two approvers",
        "urgent": "Urgent: publish as soon as approved, without waiting for the morning (call for witnesses)",
        "not_before": "Do not publish before (embargo)",
        "expires_at": "Do not publish after",
        "prosecutor_agreement": "The prosecutor's office agreed (required for a call for witnesses)",
        "prosecutor_reference": "Prosecutor's reference",
        "images": "Images (4 at most, 4 MB in all, each with its description)",
        "image": "Image",
        "alt": "Image description (alt text)",
        "proposer_email": "Your work email address",
        "submit": "Send the proposal",
        "errors_title": "The proposal was not sent. Please fix:",
        "submitted_title": "Check your mailbox",
        "submitted_body": "A message was just sent to {email}. Open the link in it and confirm: "
        "your proposal will then go to the approvers.",
        "confirm_title": "Confirm your proposal",
        "confirm_intro": "Check the post as it will appear, then confirm.",
        "confirm_button": "Confirm",
        "confirmed_title": "Proposal confirmed",
        "confirmed_body": "Thank you. Your proposal has gone to the approvers, who decide each morning.",
        "already_confirmed": "This proposal was already confirmed.",
        "expired_confirmation": "The time to confirm has passed: the proposal has expired. "
        "You may propose it again.",
        "link_error_title": "This link cannot be used",
        "not_found_title": "Page not found",
        "preview": "Preview",
        "weighted_count": "{count} / 280 characters",
        "yes": "yes",
        "no": "no",
        "status": "Status",
        "version": "Version",
        "proposed_by": "Proposed by",
        "mail_confirm_subject": "Confirm your proposed post",
        "mail_confirm_body": "You proposed a post for the X account. To send it to the approvers, "
        "open this link and press “Confirm”:",
        "mail_confirm_expiry": "This link is valid until {date}. If you did not make this proposal, "
        "ignore this message.",
        "field_error": "Error",
        "switch_language": "Français",
    },
}


def pick_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def strings(language: str) -> dict[str, str]:
    return STRINGS[pick_language(language)]

FIELD_ERRORS_FR: dict[str, str] = {
    "required": "est obligatoire",
    "not_string": "doit être un texte",
    "not_boolean": "doit valoir vrai ou faux",
    "bad_datetime": "doit être une date et une heure, par exemple 2026-12-01T08:00",
    "invalid_characters": "contient des caractères que X refuse (U+FFFE, U+FEFF ou U+FFFF)",
    "text_too_long": "fait {count} caractères comme X les compte ; {max} au plus",
    "unknown_kind": "doit être l'un de : {kinds}",
    "bad_email": "n'est pas une adresse électronique",
    "email_not_allowed": "doit être une adresse de travail ({domains})",
    "past": "est déjà passée",
    "after_expiry": "doit précéder la date limite",
    "too_long": "dépasse {max} caractères",
    "agreement_missing": "un appel à témoins exige l'accord du parquet",
    "reference_missing": "un appel à témoins exige la référence du parquet",
    "urgent_only_witness": "seul un appel à témoins peut être urgent",
    "too_many_images": "{count} images jointes ; {max} au plus",
    "not_an_image": "n'est pas une image (JPEG, PNG, GIF ou WebP)",
    "image_too_large": "dépasse {mb} Mo",
    "alt_missing": "chaque image doit avoir une description",
    "images_too_heavy": "les images pèsent ensemble plus de {mb} Mo",
}


def field_message(code: str, params: tuple[tuple[str, str], ...], english: str, language: str) -> str:
    if pick_language(language) == "fr" and code in FIELD_ERRORS_FR:
        return FIELD_ERRORS_FR[code].format(**dict(params))
    return english
