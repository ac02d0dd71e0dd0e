"""The local gateway's logs never hold a signed link's token."""

from __future__ import annotations

from postdesk_tools.local_stack.gateway import _loggable


def test_a_link_token_is_never_logged() -> None:
    assert _loggable("/l/eyJhIjoiYiJ9.c2lnbmF0dXJl") == "/l/<token>"
    assert _loggable("/l/eyJhIjoiYiJ9.c2ln/audit.csv") == "/l/<token>/audit.csv"
    assert _loggable("/proposals/new") == "/proposals/new"
