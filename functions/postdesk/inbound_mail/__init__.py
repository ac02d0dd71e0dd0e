"""Proposals by email: SES receives a mail for the submission address, keeps the raw message in S3 and
invokes the inbound function, which judges the receipt's verdicts, reads the message and makes it a
proposal awaiting its author's confirmation, or refuses it with a recorded reason.

The modules that read events and messages (ses_event, authentication, reading, html_text, cleaning,
subject_tags, problems) are pure; raw_mail and records hold the S3 and DynamoDB access; intake is the
use case; completion is what the confirmation page of such a proposal asks for."""
