"""classify_text never raises and stays fast on random and hostile text (a property test)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.bounce import BounceReport, classify_text

PIECES = st.sampled_from(
    [
        "550 ",
        "5.1.1 ",
        "<a@b.example>",
        "@",
        "a" * 50,
        ".",
        "-" * 30,
        " ",
        "\n",
        "\r",
        "\t",
        'Content-Type: multipart/report; boundary="x"\n',
        "--x\n",
        "Final-Recipient: rfc822; ",
        "Status: ",
        "Diagnostic-Code: smtp; ",
        "host mx[1.2.3.4] said: ",
        "=?utf-8?B?",
        "?=",
        "in reply to RCPT TO command",
        "listed in ",
        "From: ",
        "\n\n",
        ">>> DATA\n",
        "<<< ",
        "status=bounced (",
        "to=<",
        "信箱已滿",
        "\x00",
        "%%%%",
        "((((",
        "[[[[",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=400))
def test_built_from_bounce_fragments(parts: list[str]) -> None:
    report = classify_text("".join(parts))
    assert isinstance(report, BounceReport)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000) | st.binary(max_size=3000))
def test_random_text_and_bytes(data: str | bytes) -> None:
    assert isinstance(classify_text(data), BounceReport)


def test_long_pathological_lines_finish_quickly() -> None:
    hostile = [
        "a" * 200_000 + "@",
        "@" * 200_000,
        "550 " * 100_000,
        "<" * 100_000 + "a@b.example",
        "host " * 50_000 + "[",
        ("a." * 100_000) + "example",
        "=?" * 100_000,
        "Content-Type: multipart/mixed; boundary=x\n\n" + "--x\n" * 50_000,
        # the stage, transcript and provider-code patterns
        "rcpt to " * 50_000 + "<<< 550",
        "rcpt to:<" + "a" * 100_000 + " <<< 550",
        ">>> MAIL From:<a@b.example>\n<<< 550 x\n" * 20_000,
        "554 <a@b.example>... Remote protocol error\n" * 20_000,
        "aup#" * 100_000 + "1310",
        "lpn" * 100_000 + "_416",
        "71 " * 100_000,
    ]
    for text in hostile:
        assert isinstance(classify_text(text), BounceReport)
