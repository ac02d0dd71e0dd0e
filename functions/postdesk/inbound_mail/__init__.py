"""Reading received mail, and nothing else: SES's event and verdicts, the MIME message, its text and
images, its subject's kind tag, and the problems to tell its sender. Pure: the use case that makes a
proposal of it is `use_cases.emailed_proposals`; the raw message and the outcomes are kept by `store/`."""
