"""The operator's verbs of the `postdesk` command, against the local stack or a deployed stack."""
