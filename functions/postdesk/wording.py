"""Page and mail wording, French by default and English on request (`?lang=en`)."""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

LANGUAGES: Final = ("fr", "en")
DEFAULT_LANGUAGE: Final = "fr"

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "app_name": "postdesk",
        "colon": " : ",
        "judicial_risk_title": "Risque judiciaire",
        "urgent_title": "Urgent",
        "alt_shown": "Description",
        "follow_title": "Votre proposition",
        "follow_actions": "Ce que vous pouvez faire",
        "follow_history": "Historique",
        "follow_link": "Suivre ma proposition",
        "propose_another": "Proposer une autre publication",
        "sent_confirmed": "Cette proposition est confirmée. Suivez-la par le lien « Suivre ma proposition » des messages que vous avez reçus.",
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
        "images_again": "Un navigateur ne garde pas les fichiers choisis : joignez à nouveau vos images.",
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
        "confirmed_body_urgent": "Merci. Votre appel à témoins urgent est transmis à la direction : il sera publié dès le second accord, sans attendre le matin.",
        "already_confirmed": "Cette proposition a déjà été confirmée.",
        "expired_confirmation": "Le délai de confirmation est passé : la proposition a expiré. "
        "Vous pouvez la proposer à nouveau.",
        "link_error_title": "Ce lien ne peut pas être utilisé",
        "not_found_title": "Page introuvable",
        "preview": "Aperçu",
        "live_preview": "Aperçu, tel que X l'affichera",
        "weighted_count": "{count} / 280 caractères",
        "yes": "oui",
        "no": "non",
        "status": "État",
        "version": "Version",
        "proposed_by": "Proposé par",
        "mail_confirm_subject": "Confirmez votre proposition : {kind} — {excerpt}",
        "mail_confirm_body": "Vous avez proposé une publication pour le compte X. Pour la transmettre à "
        "la direction, ouvrez ce lien et appuyez sur « Confirmer » :",
        "mail_confirm_expiry": "Ce lien est valable jusqu'au {date}. Si vous n'êtes pas à l'origine de "
        "cette proposition, ignorez ce message.",
        "field_error": "Erreur",
        "switch_language": "English",
        "judicial_risk_short": "risque judiciaire",
        "urgent_short": "urgent : publié dès l'accord obtenu",
        "withdraw_button": "Retirer",
        "approve_button": "Approuver",
        "reject_button": "Rejeter",
        "request_changes_button": "Demander des modifications",
        "edit_button": "Modifier",
        "approve_title": "Approuver cette publication",
        "reject_title": "Rejeter cette publication",
        "request_changes_title": "Demander des modifications",
        "edit_title": "Modifier le texte",
        "withdraw_title": "Retirer votre proposition",
        "approve_intro": "Votre accord vaut pour ce texte exact (version {version}). Pour l'instant : {approvals}.",
        "other_choices": "Ou bien :",
        "reject_intro": "Un rejet met fin à la proposition. Le motif est transmis à son auteur.",
        "request_changes_intro": "La proposition revient à son auteur avec votre commentaire et un lien pour modifier le texte.",
        "edit_intro": "Le texte modifié devient une nouvelle version : les accords déjà donnés ne valent plus, chaque décideur vote à nouveau.",
        "withdraw_intro": "La proposition sera retirée et ne sera pas publiée.",
        "reason": "Motif du rejet",
        "comment": "Ce qu'il faut modifier",
        "new_text": "Nouveau texte",
        "done_title": "C'est fait",
        "approved_vote": "Votre accord est enregistré.",
        "approved_final": "Le quorum est atteint : la publication est approuvée.",
        "approved_final_urgent": "Le quorum est atteint : cet appel à témoins urgent est publié immédiatement.",
        "rejected_done": "La proposition est rejetée ; son auteur en est informé.",
        "changes_done": "La proposition est renvoyée à son auteur.",
        "edited_done": "Nouvelle version enregistrée ; les décideurs vont la recevoir.",
        "withdrawn_done": "Votre proposition est retirée.",
        "self_approval_title": "Vous ne pouvez pas approuver cette publication",
        "mail_review_subject": "À décider : {kind} — {excerpt}",
        "urgent_prefix": "[URGENT] ",
        "desk_link": "Bureau des décideurs",
        "desk_for": "Bureau personnel de {approver}, valable jusqu'au {until}. Ne transférez pas ce lien : chaque action a son propre lien, qui agit une fois.",
        "desk_in_play": "En cours",
        "desk_all_kinds": "Tous les types",
        "desk_filter": "Filtrer",
        "desk_waiting": "En attente de votre décision",
        "desk_others": "Les autres propositions",
        "desk_nothing_waiting": "Rien n'attend votre décision.",
        "desk_nothing_else": "Aucune autre proposition.",
        "desk_open": "Ouvrir",
        "desk_votes": "Qui a décidé quoi (version actuelle)",
        "desk_no_votes": "Personne n'a encore décidé de cette version.",
        "desk_earlier_votes": "{count} décision(s) sur des versions précédentes, qui ne comptent plus.",
        "mail_footer": "Vous recevez ce message de postdesk, l'outil de publication du compte X de {organisation}. Ouvrir un lien ne change rien : chaque lien ouvre une page qui demande de confirmer.",
        "mail_review_body": "Une nouvelle publication attend votre décision. La voici telle qu'elle apparaîtra sur X.",
        "mail_review_own": "Vous êtes l'auteur de ce texte : un autre décideur doit l'approuver. Vous pouvez le rejeter, demander des modifications ou le modifier.",
        "mail_review_version": "Le texte a été modifié (version {version}) : les accords précédents ne valent plus.",
        "mail_links_footer": "Chaque lien ouvre une page qui demande de confirmer : ouvrir un lien ne change rien.",
        "mail_pending_subject": "Transmise à la direction : {kind} — {excerpt}",
        "mail_pending_body": "Votre proposition est confirmée et transmise aux décideurs. Vous serez informé de leur décision ; vous pouvez la suivre, et la retirer tant qu'elle n'est pas publiée, par les liens ci-dessous.",
        "mail_approved_subject": "Approuvée : {kind} — {excerpt}",
        "mail_approved_body": "La publication est approuvée ({approvals}). {next}",
        "mail_rejected_subject": "Rejetée : {kind} — {excerpt}",
        "mail_rejected_body": "{who} a rejeté la publication. Motif : {reason}",
        "mail_changes_subject": "Modifications demandées : {kind} — {excerpt}",
        "mail_changes_body": "{who} demande des modifications : {comment}",
        "mail_changes_edit": "Modifiez le texte par ce lien ; la nouvelle version repartira chez les décideurs.",
        "mail_withdrawn_subject": "Retirée : {kind} — {excerpt}",
        "mail_withdrawn_body": "{who} a retiré sa proposition.",
        "version_stale_title": "Ce lien concerne une ancienne version",
        "audit_title": "Journal",
        "export_csv": "Exporter le journal (CSV)",
        "export_json": "Exporter le journal (JSON)",
        "when": "Quand",
        "who": "Qui",
        "what": "Quoi",
        "via": "Par",
        "approvals": "Accords",
        "mail_published_subject": "Publiée : {kind} — {excerpt}",
        "mail_published_body": "La publication est en ligne depuis le {when}.",
        "see_on_x": "Voir la publication sur X",
        "mail_run_summary_subject": "Publié ce matin : {count} publication(s)",
        "mail_run_summary_body": "La publication du matin a publié :",
        "mail_expired_subject": "Expirée : {kind} — {excerpt}",
        "mail_expired_body": "La date limite de la publication est passée avant qu'elle ne parte : elle ne sera pas publiée.",
        "mail_reconcile_subject": "À vérifier sur X : {kind} — {excerpt}",
        "mail_reconcile_body": "Il faut savoir si cette publication est partie sur X. {reason} Regardez le compte, puis dites-le par l'un de ces liens : elle ne sera jamais republiée sans votre décision.",
        "mail_failed_subject": "Refusée par X : {kind} — {excerpt}",
        "mail_failed_body": "Cette publication n'est pas partie. {reason} Vous pouvez la publier à nouveau (après un refus passager, par exemple) ou l'abandonner.",
        "mail_abandoned_subject": "Abandonnée : {kind} — {excerpt}",
        "mail_abandoned_body": "{who} a abandonné cette publication : elle ne sera pas publiée.",
        "mark_published_button": "Elle a été publiée",
        "publish_again_button": "La publier à nouveau",
        "abandon_button": "L'abandonner",
        "mark_published_title": "Cette publication est bien sur X",
        "publish_again_title": "Publier à nouveau",
        "abandon_title": "Abandonner cette publication",
        "mark_published_intro": "Collez l'adresse de la publication sur X : elle sera enregistrée comme publiée, sans rien republier.",
        "publish_again_intro": "La publication redevient approuvée et partira lors de la prochaine publication du matin. Ne le faites que si vous avez vérifié qu'elle n'est pas déjà sur le compte.",
        "abandon_intro": "La publication ne sera pas publiée. Ce choix est inscrit au journal.",
        "post_url": "Adresse de la publication sur X",
        "marked_published_done": "La publication est enregistrée comme publiée.",
        "publish_again_done": "La publication partira lors de la prochaine publication du matin.",
        "abandoned_done": "La publication est abandonnée.",
    },
    "en": {
        "app_name": "postdesk",
        "colon": ": ",
        "judicial_risk_title": "Judicial risk",
        "urgent_title": "Urgent",
        "alt_shown": "Description",
        "follow_title": "Your proposal",
        "follow_actions": "What you can do",
        "follow_history": "History",
        "follow_link": "Follow my proposal",
        "propose_another": "Propose another post",
        "sent_confirmed": "This proposal is confirmed. Follow it through the “Follow my proposal” link of the messages you received.",
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
        "images_again": "A browser does not keep chosen files: attach your images again.",
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
        "confirmed_body_urgent": "Thank you. Your urgent call for witnesses has gone to the approvers: it goes out as soon as its quorum is reached, without waiting for the morning.",
        "already_confirmed": "This proposal was already confirmed.",
        "expired_confirmation": "The time to confirm has passed: the proposal has expired. "
        "You may propose it again.",
        "link_error_title": "This link cannot be used",
        "not_found_title": "Page not found",
        "preview": "Preview",
        "live_preview": "Preview, as X will show it",
        "weighted_count": "{count} / 280 characters",
        "yes": "yes",
        "no": "no",
        "status": "Status",
        "version": "Version",
        "proposed_by": "Proposed by",
        "mail_confirm_subject": "Confirm your proposal: {kind} — {excerpt}",
        "mail_confirm_body": "You proposed a post for the X account. To send it to the approvers, "
        "open this link and press “Confirm”:",
        "mail_confirm_expiry": "This link is valid until {date}. If you did not make this proposal, "
        "ignore this message.",
        "field_error": "Error",
        "switch_language": "Français",
        "judicial_risk_short": "judicial risk",
        "urgent_short": "urgent: published as soon as approved",
        "withdraw_button": "Withdraw",
        "approve_button": "Approve",
        "reject_button": "Reject",
        "request_changes_button": "Request changes",
        "edit_button": "Edit",
        "approve_title": "Approve this post",
        "reject_title": "Reject this post",
        "request_changes_title": "Request changes",
        "edit_title": "Edit the text",
        "withdraw_title": "Withdraw your proposal",
        "approve_intro": "Your approval is for this exact text (version {version}). So far: {approvals}.",
        "other_choices": "Or else:",
        "reject_intro": "A rejection ends the proposal. The reason goes to its author.",
        "request_changes_intro": "The proposal goes back to its author with your comment and a link to edit the text.",
        "edit_intro": "The edited text becomes a new version: approvals already given no longer count, every approver votes again.",
        "withdraw_intro": "The proposal will be withdrawn and not published.",
        "reason": "Reason for rejecting",
        "comment": "What should change",
        "new_text": "New text",
        "done_title": "Done",
        "approved_vote": "Your approval is recorded.",
        "approved_final": "The quorum is reached: the post is approved.",
        "approved_final_urgent": "The quorum is reached: this urgent call for witnesses is being published now.",
        "rejected_done": "The proposal is rejected; its author is told.",
        "changes_done": "The proposal is back with its author.",
        "edited_done": "New version saved; the approvers will receive it.",
        "withdrawn_done": "Your proposal is withdrawn.",
        "self_approval_title": "You cannot approve this post",
        "mail_review_subject": "To decide: {kind} — {excerpt}",
        "urgent_prefix": "[URGENT] ",
        "desk_link": "Approvers' desk",
        "desk_for": "Personal desk of {approver}, valid until {until}. Do not forward this link: each action has a link of its own, which acts once.",
        "desk_in_play": "In play",
        "desk_all_kinds": "All kinds",
        "desk_filter": "Filter",
        "desk_waiting": "Awaiting your decision",
        "desk_others": "The other proposals",
        "desk_nothing_waiting": "Nothing awaits your decision.",
        "desk_nothing_else": "No other proposal.",
        "desk_open": "Open",
        "desk_votes": "Who decided what (current version)",
        "desk_no_votes": "Nobody has decided on this version yet.",
        "desk_earlier_votes": "{count} decision(s) on earlier versions, which no longer count.",
        "mail_footer": "You receive this message from postdesk, the publishing tool of {organisation}'s X account. Opening a link changes nothing: each link opens a page that asks you to confirm.",
        "mail_review_body": "A new post awaits your decision. Here it is as it will appear on X.",
        "mail_review_own": "You wrote this text: another approver must approve it. You may reject it, request changes or edit it.",
        "mail_review_version": "The text was edited (version {version}): earlier approvals no longer count.",
        "mail_links_footer": "Each link opens a page that asks you to confirm: opening a link changes nothing.",
        "mail_pending_subject": "Gone to the approvers: {kind} — {excerpt}",
        "mail_pending_body": "Your proposal is confirmed and has gone to the approvers. You will be told of their decision; you may follow it, and withdraw it until it is published, through the links below.",
        "mail_approved_subject": "Approved: {kind} — {excerpt}",
        "mail_approved_body": "The post is approved ({approvals}). {next}",
        "mail_rejected_subject": "Rejected: {kind} — {excerpt}",
        "mail_rejected_body": "{who} rejected the post. Reason: {reason}",
        "mail_changes_subject": "Changes requested: {kind} — {excerpt}",
        "mail_changes_body": "{who} requests changes: {comment}",
        "mail_changes_edit": "Edit the text through this link; the new version goes back to the approvers.",
        "mail_withdrawn_subject": "Withdrawn: {kind} — {excerpt}",
        "mail_withdrawn_body": "{who} withdrew their proposal.",
        "version_stale_title": "This link is for an older version",
        "audit_title": "Audit log",
        "export_csv": "Export the audit log (CSV)",
        "export_json": "Export the audit log (JSON)",
        "when": "When",
        "who": "Who",
        "what": "What",
        "via": "Through",
        "approvals": "Approvals",
        "mail_published_subject": "Published: {kind} — {excerpt}",
        "mail_published_body": "The post has been online since {when}.",
        "see_on_x": "See the post on X",
        "mail_run_summary_subject": "Published this morning: {count} post(s)",
        "mail_run_summary_body": "The morning run published:",
        "mail_expired_subject": "Expired: {kind} — {excerpt}",
        "mail_expired_body": "The post's expiry passed before it went out: it will not be published.",
        "mail_reconcile_subject": "To check on X: {kind} — {excerpt}",
        "mail_reconcile_body": "Whether this post went out on X must be found out. {reason} Look at the account, then say so through one of these links: it will never be posted again without your decision.",
        "mail_failed_subject": "Refused by X: {kind} — {excerpt}",
        "mail_failed_body": "This post did not go out. {reason} You may publish it again (after a passing refusal, say) or abandon it.",
        "mail_abandoned_subject": "Abandoned: {kind} — {excerpt}",
        "mail_abandoned_body": "{who} abandoned this post: it will not be published.",
        "mark_published_button": "It was published",
        "publish_again_button": "Publish it again",
        "abandon_button": "Abandon it",
        "mark_published_title": "This post is on X",
        "publish_again_title": "Publish it again",
        "abandon_title": "Abandon this post",
        "mark_published_intro": "Paste the address of the post on X: it is recorded as published, and nothing is posted again.",
        "publish_again_intro": "The post becomes approved again and goes out at the next morning run. Only do this once you have checked that it is not already on the account.",
        "abandon_intro": "The post will not be published. This choice goes into the audit log.",
        "post_url": "Address of the post on X",
        "marked_published_done": "The post is recorded as published.",
        "publish_again_done": "The post will go out at the next morning run.",
        "abandoned_done": "The post is abandoned.",
    },
}


def pick_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def strings(language: str) -> dict[str, str]:
    return STRINGS[pick_language(language)]


FIELD_ERRORS_FR: dict[str, str] = {
    "required": "ce champ est obligatoire",
    "not_string": "ce champ doit être un texte",
    "not_boolean": "ce champ doit valoir vrai ou faux",
    "bad_datetime": "indiquez une date et une heure, par exemple 2026-12-01T08:00",
    "invalid_characters": "le texte contient des caractères que X refuse (U+FFFE, U+FEFF ou U+FFFF)",
    "text_too_long": "le texte fait {count} caractères comme X les compte ; {max} au plus",
    "unknown_kind": "choisissez l'un de ces types : {kinds}",
    "bad_email": "ce n'est pas une adresse électronique",
    "email_not_allowed": "utilisez votre adresse de travail ({domains})",
    "past": "cette date est déjà passée",
    "time_does_not_exist": "{time} n'existe pas cette nuit-là (au changement d'heure, les horloges la sautent) : choisissez une autre heure",
    "after_expiry": "cette date doit précéder la date limite",
    "too_long": "{max} caractères au plus",
    "agreement_missing": "un appel à témoins exige l'accord du parquet",
    "reference_missing": "un appel à témoins exige la référence du parquet",
    "urgent_only_witness": "seul un appel à témoins peut être urgent",
    "too_many_images": "{count} images jointes ; {max} au plus",
    "not_an_image": "ce fichier n'est pas une image (JPEG, PNG, GIF ou WebP)",
    "image_too_large": "cette image dépasse {mb} Mo",
    "alt_missing": "chaque image doit avoir une description",
    "images_too_heavy": "les images pèsent ensemble plus de {mb} Mo",
    "bad_post_url": "donnez l'adresse de la publication sur X, comme https://x.com/compte/status/123",
    "not_our_account": "ce n'est pas une publication de @{account} : donnez l'adresse de la publication sur la page du compte",
    "control_characters": "ce texte contient des caractères de contrôle ({characters}) ; seuls les retours à la ligne et les tabulations sont admis",
    "broken_characters": "ce texte contient un caractère brisé (une moitié de paire UTF-16 isolée), qui n'est pas du texte",
    "email_characters": "une adresse électronique ne peut pas contenir ces caractères : {characters}",
    "date_out_of_range": "cette date doit être comprise entre le {earliest} et le {latest}",
}


FIELD_ERRORS_EN: dict[str, str] = {
    "required": "this field is required",
    "not_string": "this field must be text",
    "not_boolean": "this field must be true or false",
    "bad_datetime": "give a date and time, such as 2026-12-01T08:00",
    "invalid_characters": "the text holds characters X refuses (U+FFFE, U+FEFF or U+FFFF)",
    "text_too_long": "the text is {count} characters as X counts them; {max} at most",
    "unknown_kind": "choose one of these kinds: {kinds}",
    "bad_email": "this is not an email address",
    "email_not_allowed": "use your work address ({domains})",
    "past": "this date has already passed",
    "time_does_not_exist": "{time} does not exist that night (the clocks skip it when the time changes): choose another time",
    "after_expiry": "this date must come before the expiry",
    "too_long": "{max} characters at most",
    "agreement_missing": "a call for witnesses needs the prosecutor's office's agreement",
    "reference_missing": "a call for witnesses needs the prosecutor's reference",
    "urgent_only_witness": "only a call for witnesses can be urgent",
    "too_many_images": "{count} images attached; {max} at most",
    "not_an_image": "this file is not an image (JPEG, PNG, GIF or WebP)",
    "image_too_large": "this image is larger than {mb} MB",
    "alt_missing": "every image needs a description",
    "images_too_heavy": "the images together weigh more than {mb} MB",
    "bad_post_url": "give the address of the post on X, such as https://x.com/account/status/123",
    "not_our_account": "this is not a post of @{account}: give the address of the post on the account's own page",
    "control_characters": "this text holds control characters ({characters}); only line breaks and tabs are allowed",
    "broken_characters": "this text holds a broken character (half of a UTF-16 pair alone), which is not text",
    "email_characters": "an email address cannot hold these characters: {characters}",
    "date_out_of_range": "this date must be between {earliest} and {latest}",
    "bad_idempotency_key": "must be printable text of 1 to 200 characters",
    "idempotency_key_reused": "was already used with another body: use a new key",
}


def field_message(code: str, params: tuple[tuple[str, str], ...], english: str, language: str) -> str:
    """What is wrong with one field, as a phrase that follows the field's name and a colon."""
    table = FIELD_ERRORS_FR if pick_language(language) == "fr" else FIELD_ERRORS_EN
    template = table.get(code)
    if template is None:
        return english
    try:
        return template.format(**dict(params))
    except (KeyError, IndexError):
        return english


# -- states, in the words of the people who read them ------------------------------------------------
STATES: dict[str, dict[str, str]] = {
    "fr": {
        "AWAITING_CONFIRMATION": "en attente de confirmation par son auteur",
        "PENDING": "en attente de la décision de la direction",
        "APPROVED": "approuvée, en attente de publication",
        "PUBLISHING": "en cours de publication",
        "PUBLISHED": "publiée",
        "REJECTED": "rejetée",
        "CHANGES_REQUESTED": "modifications demandées à son auteur",
        "WITHDRAWN": "retirée par son auteur",
        "EXPIRED": "expirée",
        "FAILED": "refusée par X",
        "ABANDONED": "abandonnée",
        "NEEDS_RECONCILE": "à vérifier sur X",
    },
    "en": {
        "AWAITING_CONFIRMATION": "awaiting its author's confirmation",
        "PENDING": "awaiting the approvers' decision",
        "APPROVED": "approved, waiting to be published",
        "PUBLISHING": "being published",
        "PUBLISHED": "published",
        "REJECTED": "rejected",
        "CHANGES_REQUESTED": "changes requested from its author",
        "WITHDRAWN": "withdrawn by its author",
        "EXPIRED": "expired",
        "FAILED": "refused by X",
        "ABANDONED": "abandoned",
        "NEEDS_RECONCILE": "to be checked on X",
    },
}

# What a link would have done, as a refusal says it ("it can no longer be ...").
DOING: dict[str, dict[str, str]] = {
    "fr": {
        "approved": "approuvée",
        "decided": "décidée",
        "edited": "modifiée",
        "withdrawn": "retirée",
        "marked_published": "enregistrée comme publiée",
        "published_again": "publiée à nouveau",
        "abandoned": "abandonnée",
    },
    "en": {
        "approved": "approved",
        "decided": "decided on",
        "edited": "edited",
        "withdrawn": "withdrawn",
        "marked_published": "recorded as published",
        "published_again": "published again",
        "abandoned": "abandoned",
    },
}

# Every refusal a person may meet, by its reason: what happened and what to do next.
ERRORS: dict[str, dict[str, str]] = {
    "fr": {
        "forged": "Ce lien n'est pas valide : il a été modifié, ou il ne vient pas de postdesk. Utilisez le lien tel qu'il figure dans le message reçu.",
        "link_expired": "Ce lien a expiré. Les liens de décision valent quatorze jours ; ceux du bureau des décideurs, un jour : ouvrez le plus récent message.",
        "link_used": "Ce lien a déjà servi : chaque lien n'agit qu'une fois. Rien d'autre n'a changé.",
        "stale_version": "Le texte a changé depuis l'envoi de ce lien (lien pour la version {link_version}, la proposition en est à la version {version}) : il ne fait plus rien. Utilisez les liens du message le plus récent.",
        "not_an_approver": "{actor} ne fait plus partie des décideurs : ce lien ne fonctionne plus.",
        "no_longer_an_approver": "Le destinataire de ce lien ne fait plus partie des décideurs : ce lien ne fonctionne plus.",
        "self_proposed": "Vous avez proposé cette publication : un autre décideur doit l'approuver. Vous pouvez encore la rejeter, demander des modifications ou la modifier.",
        "self_edited": "Vous avez écrit cette version du texte : un autre décideur doit l'approuver.",
        "not_open": "Cette proposition est {state} : elle ne peut plus être {doing}.",
        "changed_meanwhile": "La proposition a changé entre-temps : elle est maintenant {state}. Rien n'a été fait ; rouvrez-la pour voir où elle en est.",
        "already_approved": "Vous avez déjà approuvé cette version.",
        "too_many_votes": "Plusieurs décideurs ont voté au même instant : appuyez à nouveau sur le bouton.",
        "not_a_settle_link": "Ce lien ne sert pas à régler une publication.",
        "settle_approvers_only": "Seuls les décideurs règlent une publication que la publication du matin n'a pas pu mener à bien.",
        "duplicate_cannot_publish_again": "X a refusé ce texte comme un doublon : le publier à nouveau serait refusé de même. Vérifiez s'il est déjà sur le compte, puis dites-le ou abandonnez-le.",
        "abandoned_already": "Cette publication a été abandonnée : elle reste ainsi.",
        "withdraw_not_yours": "Ce lien de retrait n'est pas celui de l'auteur de cette proposition.",
        "not_a_review_link": "Ce lien ne sert pas à décider d'une proposition.",
        "not_a_follow_link": "Cette page est celle de l'auteur d'une autre proposition.",
        "shows_only": "Cette page ne fait que montrer : il n'y a rien à envoyer.",
        "unknown_action": "Ce lien demande une action que postdesk ne connaît pas (ou plus). Rien n'a été fait ; utilisez les liens d'un message récent.",
        "not_a_list_link": "Ce lien n'ouvre pas le bureau des décideurs.",
        "not_a_form_token": "Ce formulaire n'est pas un formulaire de proposition : rouvrez le formulaire et envoyez-le à nouveau.",
        "form_expired": "Ce formulaire a expiré : vérifiez vos réponses et envoyez-le à nouveau.",
        "not_a_confirm_link": "Ce lien n'est pas le lien de confirmation de cette proposition.",
        "confirm_expired": "Le délai de confirmation est passé : la proposition a expiré. Vous pouvez la proposer à nouveau.",
        "already_confirmed": "Cette proposition a déjà été confirmée.",
        "cannot_confirm": "Cette proposition ne peut plus être confirmée : elle est {state}.",
        "no_such_proposal": "Cette proposition n'existe pas (ou plus).",
        "no_such_export": "Le journal s'exporte en audit.csv ou audit.json.",
        "illegal_transition": "Cette proposition est {state} : cette action n'est plus possible.",
        "body_too_large": "L'envoi pèse {size} octets ; {max} au plus (images : 4 Mo en tout).",
        "body_not_utf8": "Le contenu envoyé n'est pas du texte UTF-8.",
        "malformed_json": "Le JSON envoyé est mal formé ({detail}, ligne {line}, colonne {column}).",
        "not_an_object": "Le JSON envoyé doit être un objet.",
        "json_too_deep": "Le JSON envoyé est imbriqué sur plus de {max} niveaux.",
        "json_number_too_long": "Le JSON envoyé contient un nombre de plus de {max} caractères.",
        "json_not_finite": "Le JSON envoyé contient {name}, qui n'est pas un nombre JSON (un nombre doit être fini).",
        "no_boundary": "Un envoi multipart/form-data doit indiquer sa « boundary ».",
        "malformed_multipart": "Le formulaire envoyé est mal formé.",
        "field_not_utf8": "Le champ {field} n'est pas du texte UTF-8.",
        "unsupported_type": "Type de contenu non pris en charge : envoyez du JSON, multipart/form-data ou un formulaire urlencoded.",
        "idempotency_in_progress": "Une demande avec cette clé Idempotency-Key est encore en cours : réessayez dans un instant.",
        "bad_request": "La demande est mal formée.",
        "not_found": "Page introuvable.",
        "invalid_link": "Ce lien ne peut pas être utilisé.",
        "conflict": "La proposition a changé : rouvrez-la pour voir où elle en est.",
        "forbidden": "Vous n'avez pas accès à cette action.",
        "configuration_error": "postdesk est mal configuré ; l'exploitant est prévenu.",
    },
    "en": {
        "forged": "This link is not valid: it was altered, or it did not come from postdesk. Use the link as it is in the message you received.",
        "link_expired": "This link has expired. Decision links last fourteen days, approvers' desk links one day: open the newest message.",
        "link_used": "This link has already been used: each link acts once. Nothing else changed.",
        "stale_version": "The text changed since this link was sent (link for version {link_version}, the proposal is at version {version}): it does nothing. Use the links of the newest message.",
        "not_an_approver": "{actor} is no longer an approver: this link no longer works.",
        "no_longer_an_approver": "This link's reader is no longer an approver: this link no longer works.",
        "self_proposed": "You proposed this post: another approver must approve it. You may still reject it, request changes or edit it.",
        "self_edited": "You wrote this version of the text: another approver must approve it.",
        "not_open": "This proposal is {state}: it can no longer be {doing}.",
        "changed_meanwhile": "The proposal changed meanwhile: it is now {state}. Nothing was done; open it again to see where it stands.",
        "already_approved": "You have already approved this version.",
        "too_many_votes": "Several approvers voted at the same moment: press the button again.",
        "not_a_settle_link": "This link does not settle a post.",
        "settle_approvers_only": "Only approvers settle a post the morning run could not see through.",
        "duplicate_cannot_publish_again": "X refused this text as a duplicate: publishing it again would be refused the same way. Check whether it is already on the account, then say so or abandon it.",
        "abandoned_already": "This post was abandoned: it stays so.",
        "withdraw_not_yours": "This withdrawal link is not the author's of this proposal.",
        "not_a_review_link": "This link does not decide on a proposal.",
        "not_a_follow_link": "This page belongs to the author of another proposal.",
        "shows_only": "This page only shows: there is nothing to send.",
        "unknown_action": "This link asks for an action postdesk does not know (or no longer knows). Nothing was done; use the links of a recent message.",
        "not_a_list_link": "This link does not open the approvers' desk.",
        "not_a_form_token": "This form is not a proposal form: open the form again and send it again.",
        "form_expired": "This form has expired: check your answers and send it again.",
        "not_a_confirm_link": "This link is not this proposal's confirmation link.",
        "confirm_expired": "The time to confirm has passed: the proposal has expired. You may propose it again.",
        "already_confirmed": "This proposal was already confirmed.",
        "cannot_confirm": "This proposal can no longer be confirmed: it is {state}.",
        "no_such_proposal": "This proposal does not exist (or no longer does).",
        "no_such_export": "The audit log exports as audit.csv or audit.json.",
        "illegal_transition": "This proposal is {state}: this action is no longer possible.",
        "body_too_large": "The body is {size} bytes; {max} at most (images: 4 MB in all).",
        "body_not_utf8": "The body is not UTF-8 text.",
        "malformed_json": "The body is malformed JSON ({detail} at line {line} column {column}).",
        "not_an_object": "The body must be a JSON object.",
        "json_too_deep": "The body is JSON nested deeper than {max} levels.",
        "json_number_too_long": "The body holds a number longer than {max} characters.",
        "json_not_finite": "The body holds {name}: {name} is not JSON (a number must be finite).",
        "no_boundary": "A multipart/form-data body must give its boundary.",
        "malformed_multipart": "The form sent is malformed.",
        "field_not_utf8": "The field {field} is not UTF-8 text.",
        "unsupported_type": "Unsupported Content-Type: send JSON, multipart/form-data or an urlencoded form.",
        "idempotency_in_progress": "A request with this Idempotency-Key is still being handled: try again in a moment.",
        "bad_request": "The request is malformed.",
        "not_found": "Page not found.",
        "invalid_link": "This link cannot be used.",
        "conflict": "The proposal changed: open it again to see where it stands.",
        "forbidden": "You may not do this.",
        "configuration_error": "postdesk is misconfigured; its operator is told.",
    },
}


def state_name(state: str, language: str, *, abandoned: bool = False) -> str:
    """A state in words; an abandoned post (kept FAILED: `domain.states.is_abandoned`) is said to be
    abandoned."""
    names = STATES[pick_language(language)]
    if abandoned:
        return names["ABANDONED"]
    return names.get(state, state)


def error_text(reason: str, params: dict[str, str], language: str, fallback: str = "") -> str:
    """The sentence for a refusal, in `language`: its state and action named in words too."""
    language = pick_language(language)
    template = ERRORS[language].get(reason)
    if template is None:
        return fallback or ERRORS[language]["bad_request"]
    values = dict(params)
    if "state" in values:
        values["state"] = state_name(values["state"], language)
    if "doing" in values:
        values["doing"] = DOING[language].get(values["doing"], values["doing"])
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return fallback or template


def french_typography(text: str) -> str:
    """French spacing: a no-break space before a colon and inside guillemets, a narrow one before ; ! ?,
    so that no line ever starts with the punctuation ("Confirmer" and "»" stay together)."""
    return (
        text.replace(" :", "\u00a0:")
        .replace(" ;", "\u202f;")
        .replace(" !", "\u202f!")
        .replace(" ?", "\u202f?")
        .replace("« ", "«\u00a0")
        .replace(" »", "\u00a0»")
    )


for _table in (STRINGS["fr"], FIELD_ERRORS_FR, ERRORS["fr"], STATES["fr"], DOING["fr"]):
    for _key, _value in _table.items():
        _table[_key] = french_typography(_value)


# -- what happens next, and what happened: the follow-up page, the desk, the mails ------------------
NEXT: dict[str, dict[str, str]] = {
    "fr": {
        "confirm": "Ouvrez le lien du message envoyé à {email} et appuyez sur « Confirmer » avant le {date} : la proposition ira alors à la direction, qui décide chaque matin.",
        "decision": "La direction décide de ce qui est publié ; pour l'instant : {approvals}.",
        "decision_urgent": "Appel à témoins urgent : il sera publié dès que le quorum sera atteint, sans attendre le matin ; pour l'instant : {approvals}.",
        "run": "Elle partira lors de la publication du {when}.",
        "run_held": "Elle partira lors de la publication du {when} : chaque publication du matin en publie {cap} au plus, et d'autres, approuvées avant elle, passent d'abord.",
        "run_embargo": "Elle partira lors de la publication du {when}, la première après son embargo.",
        "expires_first": "Sa date limite ({expiry}) tombe avant la prochaine publication du matin qui pourrait la publier : elle expirera sans être publiée.",
        "no_run": "Aucune publication du matin ne la publiera dans l'année qui vient : parlez-en à la direction.",
        "urgent_now": "Appel à témoins urgent : il est publié dès maintenant.",
        "edit": "La direction demande des modifications : modifiez le texte par le lien « Modifier » ; la nouvelle version repartira chez les décideurs.",
        "publishing": "Elle est en cours de publication.",
        "published": "Elle est en ligne depuis le {when}.",
        "reconcile": "postdesk ne peut pas dire si elle est partie sur X : la direction vérifie et décide.",
        "failed": "X l'a refusée ; la direction décide de la publier à nouveau ou de l'abandonner.",
        "ended": "Elle ne sera pas publiée.",
    },
    "en": {
        "confirm": "Open the link in the message sent to {email} and press “Confirm” before {date}: the proposal then goes to the approvers, who decide each morning.",
        "decision": "The approvers decide what goes out; so far: {approvals}.",
        "decision_urgent": "Urgent call for witnesses: it goes out as soon as its quorum is reached, without waiting for the morning; so far: {approvals}.",
        "run": "It goes out at the morning run of {when}.",
        "run_held": "It goes out at the morning run of {when}: each morning run publishes {cap} at most, and others, approved before it, go first.",
        "run_embargo": "It goes out at the morning run of {when}, the first after its embargo.",
        "expires_first": "Its expiry ({expiry}) comes before the next morning run that could publish it: it will expire without being published.",
        "no_run": "No morning run will publish it within the coming year: talk to the approvers.",
        "urgent_now": "Urgent call for witnesses: it is being published now.",
        "edit": "The approvers ask for changes: edit the text through the “Edit” link; the new version goes back to them.",
        "publishing": "It is being published.",
        "published": "It has been online since {when}.",
        "reconcile": "postdesk cannot tell whether it went out on X: the approvers check and decide.",
        "failed": "X refused it; the approvers decide to publish it again or to abandon it.",
        "ended": "It will not be published.",
    },
}

JOURNAL: dict[str, dict[str, str]] = {
    "fr": {
        "submitted": "Proposée",
        "confirmed": "Confirmée par son auteur",
        "approved": "Approuvée",
        "quorum reached": "Quorum atteint",
        "rejected": "Rejetée",
        "changes requested": "Modifications demandées",
        "edited": "Texte modifié",
        "withdrawn": "Retirée",
        "expired": "Expirée",
        "claimed": "Prise par une publication du matin",
        "published": "Publiée",
        "publish deferred": "Publication reportée",
        "failed": "Refusée par X",
        "needs reconcile": "À vérifier sur X",
        "held for a check": "Mise de côté le temps de vérifier sur X",
        "marked published": "Enregistrée comme publiée",
        "publish again": "Remise à publier",
        "abandoned": "Abandonnée",
        "mail_failed": "Message non envoyé (il sera renvoyé)",
        "mail_bounced": "Message non distribué",
        "mail_complaint": "Message signalé comme indésirable",
        "mail_rejected": "Message refusé par SES",
        "refused": "Lien refusé ({action})",
    },
    "en": {
        "submitted": "Proposed",
        "confirmed": "Confirmed by its author",
        "approved": "Approved",
        "quorum reached": "Quorum reached",
        "rejected": "Rejected",
        "changes requested": "Changes requested",
        "edited": "Text edited",
        "withdrawn": "Withdrawn",
        "expired": "Expired",
        "claimed": "Taken by a morning run",
        "published": "Published",
        "publish deferred": "Publication put off",
        "failed": "Refused by X",
        "needs reconcile": "To be checked on X",
        "held for a check": "Held while X is checked",
        "marked published": "Recorded as published",
        "publish again": "Set to publish again",
        "abandoned": "Abandoned",
        "mail_failed": "Mail not sent (it will be sent again)",
        "mail_bounced": "Mail not delivered",
        "mail_complaint": "Mail reported as spam",
        "mail_rejected": "Mail refused by SES",
        "refused": "Link refused ({action})",
    },
}

_MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def zone_name(time_zone: str, language: str) -> str:
    """ "heure de Paris" / "Paris time", from the zone's city."""
    city = time_zone.rsplit("/", 1)[-1].replace("_", " ")
    return f"heure de {city}" if pick_language(language) == "fr" else f"{city} time"


def when(moment: datetime, language: str, time_zone: str, *, weekday: bool = True) -> str:
    """A moment as people say it, in the organisation's zone, with the zone named:
    "mardi 1 décembre 2026 à 08:00 (heure de Paris)", "Tuesday 1 December 2026 at 08:00 (Paris time)"."""
    language = pick_language(language)
    local = moment.astimezone(ZoneInfo(time_zone))
    day = _WEEKDAYS[language][local.weekday()] + " " if weekday else ""
    month = _MONTHS[language][local.month - 1]
    at = "à" if language == "fr" else "at"
    zone_label = zone_name(time_zone, language)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():  # a time that happens twice
        offset = local.utcoffset()
        hours = int(offset.total_seconds() // 3600) if offset is not None else 0
        zone_label += f", UTC{hours:+d}"
    text = f"{day}{local.day} {month} {local.year} {at} {local:%H:%M} ({zone_label})"
    return text


def approvals_count(count: int, quorum: int, language: str) -> str:
    """ "1 accord sur 2", "2 accords sur 2"; "1 of 2 approvals"."""
    if pick_language(language) == "fr":
        return f"{count} accord{'s' if count > 1 else ''} sur {quorum}"
    return f"{count} of {quorum} approval{'s' if quorum > 1 else ''}"


def journal_action(action: str, language: str) -> str:
    """An audit line's action in words."""
    words = JOURNAL[pick_language(language)]
    if action.startswith("refused "):
        button = strings(language).get(f"{action.removeprefix('refused ')}_button", action)
        return words["refused"].format(action=button)
    return words.get(action, action)


for _table in (NEXT["fr"], JOURNAL["fr"]):
    for _key, _value in _table.items():
        _table[_key] = french_typography(_value)


def next_text(
    code: str,
    language: str,
    time_zone: str,
    *,
    run_at: datetime | None = None,
    approvals: int = 0,
    quorum: int = 0,
    email: str = "",
    cap: int = 0,
    expiry: datetime | None = None,
) -> str:
    """What happens next to a proposal, in words, with the run that will publish it named."""
    language = pick_language(language)
    template = NEXT[language].get(code, "")
    return template.format(
        when=when(run_at, language, time_zone) if run_at else "",
        date=when(run_at, language, time_zone) if run_at else "",
        approvals=approvals_count(approvals, quorum, language),
        email=email,
        cap=cap,
        expiry=when(expiry, language, time_zone) if expiry else "",
    )


# -- the operator's alerts and the approvers' digest -------------------------------------------------
ALERTS: dict[str, dict[str, str]] = {
    "fr": {
        "no_credentials_subject": "Publication bloquée : pas d'identifiants X ({waiting} en attente)",
        "no_credentials_body": "Rien ne peut être publié : aucun identifiant X n'est configuré, ou le secret qui les contient est vide ou illisible ({reason}). Renseignez-les avec « postdesk secrets set-x-credentials » ; les publications approuvées partiront à la publication suivante.",
        "credentials_refused_subject": "Publication bloquée : X refuse les identifiants ({waiting} en attente)",
        "credentials_refused_body": "X a refusé les identifiants du compte ({reason}). Vérifiez l'application X (droits en lecture et écriture, jetons générés après ce réglage) et le secret des identifiants ; les publications approuvées attendent.",
        "unreachable_subject": "Publication arrêtée : X injoignable ({waiting} en attente)",
        "unreachable_body": "X n'a pas pu être joint ({reason}). La publication du matin s'est arrêtée sans rien publier deux fois ; la suivante vérifiera d'abord sur le compte ce qui a pu partir.",
        "rate_limited_subject": "Publication suspendue : limite d'X atteinte ({waiting} en attente)",
        "rate_limited_body": "X limite les publications du compte jusqu'au {until} ({reason}). Rien ne partira avant ; les publications approuvées attendent.",
        "waiting_line": "En attente : {count} publication(s) approuvée(s).",
        "cleared_hint": "Ce message n'est envoyé qu'une fois par problème, jusqu'à ce qu'il soit résolu.",
    },
    "en": {
        "no_credentials_subject": "Publishing blocked: no X credentials ({waiting} waiting)",
        "no_credentials_body": "Nothing can be published: no X credentials are configured, or their secret is empty or unreadable ({reason}). Set them with “postdesk secrets set-x-credentials”; approved posts go out at the next run.",
        "credentials_refused_subject": "Publishing blocked: X refuses the credentials ({waiting} waiting)",
        "credentials_refused_body": "X refused the account's credentials ({reason}). Check the X app (read and write permissions, tokens generated after setting them) and the credentials secret; approved posts wait.",
        "unreachable_subject": "Publishing stopped: X unreachable ({waiting} waiting)",
        "unreachable_body": "X could not be reached ({reason}). The morning run stopped without posting anything twice; the next one first checks the account for anything that may have gone out.",
        "rate_limited_subject": "Publishing paused: X's limit reached ({waiting} waiting)",
        "rate_limited_body": "X limits the account's posts until {until} ({reason}). Nothing goes out before; approved posts wait.",
        "waiting_line": "Waiting: {count} approved post(s).",
        "cleared_hint": "This message is sent once per problem, until it is solved.",
    },
}

DIGEST: dict[str, dict[str, str]] = {
    "fr": {
        "subject": "Bulletin du {date} : {decide} à décider, {going} à publier",
        "subject_quiet": "Bulletin du {date} : rien à décider ni à publier",
        "title": "Bulletin du matin — {date}",
        "to_decide": "À décider ({count})",
        "to_decide_none": "Rien n'attend votre décision.",
        "going_out": "Publication du {when} ({count})",
        "going_out_none": "Rien ne partira lors de la prochaine publication du matin ({when}).",
        "going_out_blocked": "La publication est bloquée : rien ne partira tant que le problème n'est pas résolu.",
        "held": "En attente ({count})",
        "held_cap": "Partira le {when} : la publication du matin est limitée à {cap} par matin.",
        "held_embargo": "Embargo jusqu'au {embargo} : partira le {when}.",
        "held_expires": "Sa date limite ({expiry}) tombe avant la prochaine publication possible : elle expirera.",
        "held_approvals": "Attend un autre accord : {approvals}.",
        "held_confirmation": "Attend la confirmation de son auteur depuis le {since}.",
        "held_changes": "Modifications demandées à son auteur.",
        "attention": "À régler ({count})",
        "attention_reconcile": "On ne sait pas si elle est partie sur X : dites-le par ses liens.",
        "attention_failed": "Refusée par X : publiez-la à nouveau ou abandonnez-la.",
        "blocked": "Publication bloquée : {what} (depuis le {since}). L'exploitant est prévenu.",
        "published": "Publié depuis le dernier bulletin ({count})",
        "quiet": "Rien à décider ni à publier aujourd'hui : c'est une journée normale. Ce message le confirme, pour que vous sachiez que le bulletin fonctionne.",
        "no_credentials": "pas d'identifiants X",
        "credentials_refused": "X refuse les identifiants",
        "unreachable": "X injoignable",
        "rate_limited": "limite d'X atteinte jusqu'au {until}",
        "off": "la publication est désactivée (CHANNEL=none)",
    },
    "en": {
        "subject": "Digest of {date}: {decide} to decide, {going} to publish",
        "subject_quiet": "Digest of {date}: nothing to decide or publish",
        "title": "Morning digest — {date}",
        "to_decide": "To decide ({count})",
        "to_decide_none": "Nothing awaits your decision.",
        "going_out": "Morning run of {when} ({count})",
        "going_out_none": "Nothing goes out at the next morning run ({when}).",
        "going_out_blocked": "Publishing is blocked: nothing goes out until the problem is solved.",
        "held": "Waiting ({count})",
        "held_cap": "Goes out on {when}: each morning run publishes {cap} at most.",
        "held_embargo": "Embargo until {embargo}: goes out on {when}.",
        "held_expires": "Its expiry ({expiry}) comes before the next run that could publish it: it will expire.",
        "held_approvals": "Awaits another approval: {approvals}.",
        "held_confirmation": "Awaits its author's confirmation since {since}.",
        "held_changes": "Changes requested from its author.",
        "attention": "To settle ({count})",
        "attention_reconcile": "Nobody can tell whether it went out on X: say so through its links.",
        "attention_failed": "Refused by X: publish it again or abandon it.",
        "blocked": "Publishing is blocked: {what} (since {since}). The operator is told.",
        "published": "Published since the last digest ({count})",
        "quiet": "Nothing to decide or publish today: a normal day. This message says so, so that you know the digest works.",
        "no_credentials": "no X credentials",
        "credentials_refused": "X refuses the credentials",
        "unreachable": "X unreachable",
        "rate_limited": "X's limit reached until {until}",
        "off": "publishing is switched off (CHANNEL=none)",
    },
}

for _table in (ALERTS["fr"], DIGEST["fr"]):
    for _key, _value in _table.items():
        _table[_key] = french_typography(_value)


def short_date(moment: datetime, language: str, time_zone: str) -> str:
    """ "mardi 1 décembre" / "Tuesday 1 December", in the organisation's zone."""
    language = pick_language(language)
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{_WEEKDAYS[language][local.weekday()]} {local.day} {_MONTHS[language][local.month - 1]}"


# -- flood limits (issue 11): the 429's page and refusals ----------------------------------------------
_FLOOD_STRINGS = {
    "fr": {"too_many_title": "Trop de propositions"},
    "en": {"too_many_title": "Too many proposals"},
}
_FLOOD_ERRORS = {
    "fr": {
        "too_many_for_address_hour": "Trop de propositions pour cette adresse en une heure ({most} au plus) : rien n'a été enregistré ni envoyé. Cette limite empêche d'inonder une boîte de messages de confirmation. Réessayez après {time}.",
        "too_many_for_address_day": "Trop de propositions pour cette adresse aujourd'hui ({most} au plus) : rien n'a été enregistré ni envoyé. Cette limite empêche d'inonder une boîte de messages de confirmation. Réessayez demain.",
        "too_many_for_network_hour": "Trop de propositions envoyées depuis votre réseau en une heure ({most} au plus) : rien n'a été enregistré ni envoyé. Réessayez après {time}.",
        "too_many_for_network_day": "Trop de propositions envoyées depuis votre réseau aujourd'hui ({most} au plus) : rien n'a été enregistré ni envoyé. Réessayez demain.",
        "too_many_requests": "Trop de demandes : rien n'a été enregistré ni envoyé. Réessayez plus tard.",
        "invalid_request": "Un paramètre de l'adresse demandée n'est pas valable (donné deux fois, par exemple).",
    },
    "en": {
        "too_many_for_address_hour": "Too many proposals for this address in one hour ({most} at most): nothing was stored or sent. This limit keeps a mailbox from being flooded with confirmation mails. Try again after {time}.",
        "too_many_for_address_day": "Too many proposals for this address today ({most} at most): nothing was stored or sent. This limit keeps a mailbox from being flooded with confirmation mails. Try again tomorrow.",
        "too_many_for_network_hour": "Too many proposals sent from your network in one hour ({most} at most): nothing was stored or sent. Try again after {time}.",
        "too_many_for_network_day": "Too many proposals sent from your network today ({most} at most): nothing was stored or sent. Try again tomorrow.",
        "too_many_requests": "Too many requests: nothing was stored or sent. Try again later.",
        "invalid_request": "A parameter of the address asked for is not valid (given twice, say).",
    },
}
for _language in LANGUAGES:
    _typography = french_typography if _language == "fr" else str
    STRINGS[_language].update({k: _typography(v) for k, v in _FLOOD_STRINGS[_language].items()})
    ERRORS[_language].update({k: _typography(v) for k, v in _FLOOD_ERRORS[_language].items()})
FIELD_ERRORS_FR["bad_parameter"] = "cette valeur n'est pas valable"
FIELD_ERRORS_EN["bad_parameter"] = "this value is not valid"


# Why a post needs a person (settling), in words; the technical detail follows.
SETTLE_REASONS: dict[str, dict[str, str]] = {
    "fr": {
        "duplicate_content": "X a refusé le texte comme un doublon : il est peut-être déjà sur le compte (parti sans que postdesk le sache), ou un texte identique y a été publié avant. Le publier à nouveau serait refusé de la même façon.",
        "unknown_outcome": "postdesk n'a pas pu savoir si la publication est partie : X n'a pas répondu clairement, puis son compte n'a pas pu être lu.",
        "lost_claim": "La publication du matin qui l'envoyait s'est arrêtée avant d'en enregistrer le résultat, et aucune publication de ce texte n'est sur le compte depuis.",
        "refused": "X a refusé la publication.",
        "too_long": "Le texte dépasse 280 caractères comme X les compte.",
        "why": "Pourquoi",
        "detail": "Détail technique",
        "account_only": "Seule une publication du compte @{account} peut être enregistrée ici.",
    },
    "en": {
        "duplicate_content": "X refused the text as a duplicate: it may already be on the account (gone out unseen by postdesk), or the same text was posted before. Publishing it again would be refused the same way.",
        "unknown_outcome": "postdesk could not tell whether the post went out: X did not answer clearly, then the account could not be read.",
        "lost_claim": "The morning run that was posting it stopped before recording the outcome, and no post of this text is on the account since.",
        "refused": "X refused the post.",
        "too_long": "The text is longer than 280 characters as X counts them.",
        "why": "Why",
        "detail": "Technical detail",
        "account_only": "Only a post of the account @{account} can be recorded here.",
    },
}
for _key, _value in SETTLE_REASONS["fr"].items():
    SETTLE_REASONS["fr"][_key] = french_typography(_value)
