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


def test_it_serves_getfile_and_the_file_path_only_with_the_bots_token() -> None:
    with FakeTelegramAPI("1:abc").in_thread() as api:
        document = api.add_document(b"550 5.1.1 user unknown", "bounce.txt", "text/plain")
        got = httpx.post(f"{api.base_url}1:abc/getFile", data={"file_id": document["file_id"]})
        path = got.json()["result"]["file_path"]
        files = f"http://127.0.0.1:{api.port}/file/bot"
        assert httpx.get(f"{files}1:abc/{path}").content == b"550 5.1.1 user unknown"
        assert httpx.get(f"{files}9:wrong/{path}").status_code == 401
        assert httpx.get(f"{files}1:abc/documents/nothing.txt").status_code == 404
        unknown = httpx.post(f"{api.base_url}1:abc/getFile", data={"file_id": "nope"})
        assert unknown.status_code == 400
