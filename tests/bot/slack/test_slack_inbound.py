"""Slack markup in what users send is undone before handlers see it."""

from __future__ import annotations

import pytest

from bot.slack.inbound import mentions, strip_mention, unescape


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        (
            "550 5.1.1 &lt;<mailto:bob@example.com|bob@example.com>&gt;: User unknown",
            "550 5.1.1 <bob@example.com>: User unknown",
        ),
        ("see <http://example.com|example.com>", "see example.com"),
        ("see <https://mxtoolbox.com/x?a=1&amp;b=2>", "see https://mxtoolbox.com/x?a=1&b=2"),
        ("ask <@U0ABC123> in <#C0XYZ|mail-ops>", "ask @U0ABC123 in #mail-ops"),
        ("<!here> mail is down", "@here mail is down"),
        ("<!subteam^S0123|@postmasters> look", "@postmasters look"),
        ("a &amp;lt; b", "a &lt; b"),
        ("Tom &amp; Jerry &gt; 5", "Tom & Jerry > 5"),
    ],
)
def test_slack_markup_becomes_what_the_user_typed(raw: str, typed: str) -> None:
    assert unescape(raw) == typed


def test_the_bots_mention_is_stripped_and_others_are_kept() -> None:
    raw = "<@U0BOT0001> why did <@U0ALICE> bounce?"
    assert mentions(raw, "U0BOT0001")
    assert not mentions("hello <@U0ALICE>", "U0BOT0001")
    assert strip_mention(raw, "U0BOT0001") == "why did <@U0ALICE> bounce?"
