"""The dev console is a dev tool and says so: `postdesk local` keeps it on this machine unless told in so
many words, and when it is open to the network every one of its pages says so."""

from __future__ import annotations

import pytest

from postdesk_tools.cli import main
from postdesk_tools.local_stack.console import Console, ConsoleRequest, ConsoleResponse
from postdesk_tools.local_stack.stack import ConsoleExposureError, check_exposure, is_loopback


def test_a_developer_asking_for_another_host_without_saying_the_console_may_be_seen_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a developer who wants the stack reachable from their phone
    # When they start it on every address without --expose-console
    code = main(["local", "--host", "0.0.0.0", "--port", "8160", "--state-dir", "unused-state"])

    # Then nothing starts, and they are told why and what to add
    assert code == 2
    said = capsys.readouterr().err
    assert "--host 0.0.0.0" in said and "--expose-console" in said
    assert "every mail sent" in said and "signed links" in said


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_needs_no_flag(host: str) -> None:
    assert is_loopback(host)
    check_exposure(host, expose_console=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "my-laptop.example.org"])
def test_any_other_host_needs_the_flag_and_is_accepted_with_it(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConsoleExposureError):
        check_exposure(host, expose_console=False)
    check_exposure(host, expose_console=True)


def _page(console: Console) -> str:
    console.add("GET", "/_local/", lambda _: ConsoleResponse.html_page("Console", "<p>Le sommaire.</p>"))
    answer = console.handle(ConsoleRequest("GET", "/_local/", {}, {"accept": "text/html"}))
    return answer.body.decode()


def test_an_exposed_console_warns_on_every_page() -> None:
    # Given a console opened to the network, When a person opens one of its pages
    page = _page(Console(exposed_at="0.0.0.0:8160"))

    # Then the warning is the first thing on it, naming where it is open and what it shows
    assert page.index('class="exposed"') < page.index("<main>")
    assert "ouverte au réseau (0.0.0.0:8160)" in page
    assert "les liens signés de chaque décideur" in page


def test_a_console_on_this_machine_only_shows_no_warning() -> None:
    assert 'class="exposed"' not in _page(Console())
