"""The fake Bot API behaves like Telegram where our tests lean on it: strict HTML, offsets, tokens."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_html import EntityParseError, check_message, visible_text


@pytest.mark.parametrize(
    "markup",
    [
        "550 <user@example.com> unknown",
        "a & b",
        "x > y",
        "<b>bold",
        "<b><i>crossed</b></i>",
        "<div>not a Telegram tag</div>",
        "<pre><b>no tags in pre</b></pre>",
        "&nbsp; is not supported",
        '<span class="other">x</span>',
        "<a>no href</a>",
    ],
)
def test_markup_telegram_would_refuse_is_refused(markup: str) -> None:
    with pytest.raises(EntityParseError, match="can't parse entities"):
        visible_text(markup)


def test_escaped_text_and_supported_tags_read_as_their_words() -> None:
    markup = '<b>550</b> &lt;a@b&gt; &amp; &quot;x&quot; &#39;y&#x27; <pre><code class="language-text">1 &lt; 2</code></pre> <a href="https://e.example/?a=1&amp;b=2">link</a>'
    assert visible_text(markup) == "550 <a@b> & \"x\" 'y' 1 < 2 link"


def test_plain_text_needs_no_escaping_and_length_counts_utf16_units() -> None:
    assert check_message("a < b & c", None) == "a < b & c"
    with pytest.raises(EntityParseError, match="too long"):
        check_message("😀" * 2049, None)
    with pytest.raises(EntityParseError, match="empty"):
        check_message("<b> </b>", "HTML")


def test_served_from_a_thread_it_answers_getupdates_with_offsets_and_checks_the_token() -> None:
    with FakeTelegramAPI("1:abc").in_thread() as api:
        first = api.deliver(api.message_update("one"))
        second = api.deliver(api.message_update("two"))
        url = api.base_url + "1:abc"
        got = httpx.post(f"{url}/getUpdates", data={"timeout": "0"}).json()["result"]
        assert [u["update_id"] for u in got] == [first["update_id"], second["update_id"]]
        confirm = {"offset": str(second["update_id"]), "timeout": "0"}
        got = httpx.post(f"{url}/getUpdates", data=confirm).json()["result"]
        assert [u["update_id"] for u in got] == [second["update_id"]]
        assert httpx.post(f"{api.base_url}9:wrong/getMe").status_code == 401
