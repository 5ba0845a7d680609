"""The shipped knowledge base loads complete, and a broken file is named with its problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from knowledge.loader import REASONS, ROOT, KnowledgeBase, KnowledgeError, load, load_from
from knowledge.model import SIDES
from tests.lab.binaries import shared_dir

# reasons with no reply text of their own: they are what is left when nothing else matched
NO_REAL_EXAMPLES = {"onhold", "undefined"}
SPAMHAUS_ERRORS = {"127.255.255.252", "127.255.255.254", "127.255.255.255"}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load()


def test_every_reason_is_shipped_under_its_own_name(kb: KnowledgeBase) -> None:
    assert list(kb.reasons) == REASONS
    assert all(r.name == name for name, r in kb.reasons.items())


def test_every_reason_speaks_both_languages_with_fix_steps_and_phrases(kb: KnowledgeBase) -> None:
    for reason in kb.reasons.values():
        assert reason.title.en and reason.title.zh_tw, reason.name
        assert reason.summary.en and reason.summary.zh_tw, reason.name
        assert reason.fix.en and len(reason.fix.en) == len(reason.fix.zh_tw), reason.name
        assert reason.side in SIDES, reason.name
        if reason.name != "undefined":
            assert reason.phrases, reason.name


def test_phrases_include_chinese_wording_for_every_bounce_reason(kb: KnowledgeBase) -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for reason in kb.reasons.values():
        if reason.name != "undefined":
            assert any(cjk.search(p) for p in reason.phrases), reason.name


def test_phrases_are_lower_case_so_they_match_a_lowered_bounce(kb: KnowledgeBase) -> None:
    for reason in kb.reasons.values():
        assert all(p == p.lower() for p in reason.phrases), reason.name


def test_the_chinese_texts_are_traditional_not_simplified(kb: KnowledgeBase) -> None:
    simplified = set("邮这个为们时发务应设网络无对请删码认证误户过滤")
    for reason in kb.reasons.values():
        shown = reason.title.zh_tw + reason.summary.zh_tw + "".join(reason.fix.zh_tw)
        assert not simplified & set(shown), (reason.name, simplified & set(shown))


def test_every_reason_that_real_servers_say_has_real_examples(kb: KnowledgeBase) -> None:
    for reason in kb.reasons.values():
        if reason.name not in NO_REAL_EXAMPLES:
            assert reason.examples, reason.name
            assert all(e.reason == reason.name and e.source for e in reason.examples)


def test_status_code_lookup_reads_the_registry_form(kb: KnowledgeBase) -> None:
    dmarc = kb.status("5.7.26")
    assert dmarc is not None and dmarc.code == "X.7.26" and dmarc.reason == "authfailure"
    assert kb.status("4.2.2") is not None and kb.status("4.2.2").reason == "mailboxfull"  # type: ignore[union-attr]
    null_mx = kb.status("5.7.27")
    assert null_mx is not None and "null MX" in null_mx.meaning.en


def test_an_unregistered_detail_falls_back_to_its_subject_then_its_class(kb: KnowledgeBase) -> None:
    assert kb.status("5.7.999").code == "X.7"  # type: ignore[union-attr]
    assert kb.status("4.9.1").code == "4.X.X"  # type: ignore[union-attr]
    assert kb.status("5.7") is None
    assert kb.status("not.a.code") is None


def test_the_whole_iana_registry_is_present(kb: KnowledgeBase) -> None:
    details = {
        "0": 0, "1": 10, "2": 4, "3": 6, "4": 7, "5": 6, "6": 10, "7": 30,
    }  # fmt: skip
    for subject, last in details.items():
        for detail in range(last + 1):
            assert f"X.{subject}.{detail}" in kb.status_codes, f"X.{subject}.{detail}"
    assert {"2.X.X", "4.X.X", "5.X.X"} <= set(kb.status_codes)


def test_every_basic_rfc5321_reply_code_is_explained(kb: KnowledgeBase) -> None:
    basic = "211 214 220 221 250 251 252 354 421 450 451 452 455 500 501 502 503 504 550 551 552 553 554 555"
    assert set(basic.split()) <= set(kb.reply_codes)


def test_provider_markers_name_known_reasons_and_cover_the_big_providers(
    kb: KnowledgeBase,
) -> None:
    assert len(kb.provider_codes) >= 60
    providers = {p.provider for p in kb.provider_codes}
    assert {"Gmail", "Microsoft", "Yahoo", "Apple iCloud", "NetEase", "QQ Mail"} <= providers
    assert all(p.reason in kb.reasons and p.marker for p in kb.provider_codes)


def test_no_closed_blocklist_is_shipped(kb: KnowledgeBase) -> None:
    closed = ("sorbs.net", "dsbl.org", "njabl.org", "wpbl.info", "msrbl.net")
    assert not [z for z in kb.blocklists if z.endswith(closed)]


def test_every_spamhaus_list_knows_its_refusal_codes(kb: KnowledgeBase) -> None:
    spamhaus = [b for b in kb.blocklists.values() if "spamhaus" in b.zone]
    assert len(spamhaus) >= 5
    for bl in spamhaus:
        assert {c.code for c in bl.error_codes} >= SPAMHAUS_ERRORS, bl.zone
        assert not SPAMHAUS_ERRORS & {c.code for c in bl.codes}, bl.zone


def test_an_error_code_is_never_also_a_listing(kb: KnowledgeBase) -> None:
    for bl in kb.blocklists.values():
        assert not {c.code for c in bl.codes} & {c.code for c in bl.error_codes}, bl.zone


def test_about_a_dozen_free_lists_are_queried_by_default(kb: KnowledgeBase) -> None:
    default = [b for b in kb.blocklists.values() if b.default]
    assert 8 <= len(default) <= 25
    assert "zen.spamhaus.org" in kb.blocklists and kb.blocklists["zen.spamhaus.org"].default


def test_a_bitmask_answer_names_each_flag(kb: KnowledgeBase) -> None:
    uribl = kb.blocklists["multi.uribl.com"]
    assert [c.code for c in uribl.meanings("127.0.0.10")] == ["127.0.0.2", "127.0.0.8"]
    assert uribl.meanings("127.0.0.1") == ()
    assert [c.code for c in kb.blocklists["zen.spamhaus.org"].meanings("127.0.0.4")] == [
        "127.0.0.4"
    ]


def test_reputation_and_allowlist_answers_are_not_listings(kb: KnowledgeBase) -> None:
    assert not kb.blocklists["list.dnswl.org"].meaning("127.0.15.3").listed  # type: ignore[union-attr]
    rep = kb.blocklists["rep.mailspike.net"]
    assert rep.meaning("127.0.0.10").listed and not rep.meaning("127.0.0.18").listed  # type: ignore[union-attr]


# --- the seed documents are represented -------------------------------------------------


def _seed(prefix: str) -> str:
    return next((shared_dir() / "seeds").glob(prefix + "_*.txt")).read_text(encoding="utf-8")


def test_every_reply_code_in_the_seed_tables_has_an_entry(kb: KnowledgeBase) -> None:
    for prefix in ("000", "003"):
        text = _seed(prefix)
        codes = set(re.findall(r"(?<![\d.])([2-5]\d\d)(?![\d.])", text))
        codes -= {"263"}  # 263.net, a provider's name in seed 003
        assert codes - {"263"} <= set(kb.reply_codes), codes - set(kb.reply_codes)


def test_every_dsn_code_in_the_seed_table_has_an_entry(kb: KnowledgeBase) -> None:
    text = _seed("003")
    for cls, subject, detail in re.findall(r"\b([245X]) ?\. ?([0-7])\.([0-9X])\b", text):
        if detail == "X":
            key = f"{cls}.X.X" if cls != "X" else f"X.{subject}"
        else:
            key = f"X.{subject}.{detail}"
        assert key in kb.status_codes, key


def test_the_seed_bounce_categories_all_have_a_home(kb: KnowledgeBase) -> None:
    categories = {r.category for r in kb.reasons.values()}
    seed_004 = {
        "user-unknown", "mailbox-disabled", "mailbox-full", "filtered", "dns-error",
        "bad-command", "too-large", "rejected", "connection-failure",
        "too-many-recipients", "blacklist", "reverse-dns",
    }  # fmt: skip
    assert seed_004 <= categories


def test_the_seed_examples_are_examples_of_the_right_reason(kb: KnowledgeBase) -> None:
    texts = {e.text: r.name for r in kb.reasons.values() for e in r.examples}
    greylist = "421 forcartex.com.tw Service unavailable - try again later (greylist enable)"
    assert texts[greylist] == "greylisted"
    user_unknown = next(t for t in texts if "User unknown in virtual mailbox table" in t)
    assert texts[user_unknown] == "userunknown"


# --- broken files are named with the problem ---------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _fails(root: Path, *fragments: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        load_from(root)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_an_untouched_copy_loads(copy: Path) -> None:
    assert len(load_from(copy).reasons) == len(REASONS)


def test_a_file_that_is_not_toml_is_named(copy: Path) -> None:
    (copy / "reasons" / "vacation.toml").write_text("name = \n", encoding="utf-8")
    _fails(copy, "vacation.toml", "not valid TOML")


def test_a_missing_reason_file_is_named(copy: Path) -> None:
    (copy / "reasons" / "speeding.toml").unlink()
    _fails(copy, "speeding.toml", "missing")


def test_a_missing_translation_is_named(copy: Path) -> None:
    path = copy / "reasons" / "mailboxfull.toml"
    _edit(path, 'zh-TW = "收件人信箱已滿"', "")
    _fails(copy, "mailboxfull.toml", "title", "zh-TW")


def test_a_side_that_is_not_a_side_is_named(copy: Path) -> None:
    _edit(copy / "reasons" / "blocked.toml", 'side = "sender"', 'side = "somebody"')
    _fails(copy, "blocked.toml", "side", "somebody")


def test_a_name_that_differs_from_the_file_name_is_named(copy: Path) -> None:
    _edit(copy / "reasons" / "expired.toml", 'name = "expired"', 'name = "expiry"')
    _fails(copy, "expired.toml", "expiry", "does not match")


def test_fix_steps_of_unequal_length_are_named(copy: Path) -> None:
    _edit(copy / "reasons" / "hasmoved.toml", '    "更新通訊錄與郵寄名單中的地址。",\n', "")
    _fails(copy, "hasmoved.toml", "fix", "steps")


def test_an_unknown_reason_in_the_status_codes_is_named(copy: Path) -> None:
    _edit(copy / "status_codes.toml", 'reason = "mailboxfull"', 'reason = "boxfull"')
    _fails(copy, "status_codes.toml", "boxfull")


def test_an_unknown_reason_in_the_provider_codes_is_named(copy: Path) -> None:
    _edit(copy / "providers.toml", 'reason = "spamdetected"', 'reason = "spammy"')
    _fails(copy, "providers.toml", "spammy")


def test_an_extra_reason_file_is_named(copy: Path) -> None:
    shutil.copy(copy / "reasons" / "vacation.toml", copy / "reasons" / "holiday.toml")
    _fails(copy, "holiday")


def test_a_blocklist_of_unknown_type_is_named(copy: Path) -> None:
    _edit(copy / "dnsbl.toml", 'type = "domain"', 'type = "url"')
    _fails(copy, "dnsbl.toml", "url")


def test_a_key_under_the_wrong_table_is_named(copy: Path) -> None:
    path = copy / "reasons" / "vacation.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\nphrasez = ["x"]\n', encoding="utf-8")
    _fails(copy, "vacation.toml", "phrasez")


def test_a_blocklist_answer_outside_127_is_named(copy: Path) -> None:
    _edit(copy / "dnsbl.toml", 'code = "127.0.0.2"', 'code = "10.0.0.2"')
    _fails(copy, "dnsbl.toml", "10.0.0.2")


def test_a_status_code_not_in_registry_form_is_named(copy: Path) -> None:
    _edit(copy / "status_codes.toml", 'code = "X.2.2"', 'code = "5.2.2"')
    _fails(copy, "status_codes.toml", "5.2.2")


def test_every_keyword_of_the_seed_bounce_categories_is_a_phrase(kb: KnowledgeBase) -> None:
    text = _seed("004").replace("\u2019", "'")
    phrases = [p for r in kb.reasons.values() for p in r.phrases]
    blocks = re.findall(r"可能出現的關鍵字：(.*?)解決方法：", text, re.S)
    assert len(blocks) == 12
    for block in blocks:
        for keyword in re.split(r"[、\n/]", block):
            # the seed writes placeholders as runs of * and × (and "xx"): match a literal piece
            pieces = [s.strip() for s in re.split(r"[*×]+|\bxx\b", keyword.lower()) if s.strip()]
            if pieces:
                assert any(x in p or (len(p) > 8 and p in x) for x in pieces for p in phrases), (
                    keyword
                )


def test_provider_markers_are_found_in_a_reply_whatever_the_case(kb: KnowledgeBase) -> None:
    reply = "421 4.7.0 [tss04] Messages from 192.0.2.10 temporarily deferred"
    assert [(p.provider, p.reason) for p in kb.providers_in(reply)] == [("Yahoo", "badreputation")]
    netease = "554 DT:SPM 163 smtp7,C8CowABHjxxxx 1590000000, please see http://mail.163.com/"
    assert kb.providers_in(netease)[0].reason == "spamdetected"
    assert kb.providers_in("250 2.0.0 Ok: queued as 48F675E8077") == ()


def test_a_provider_marker_in_an_example_names_the_example_s_reason(kb: KnowledgeBase) -> None:
    for reason in kb.reasons.values():
        for example in reason.examples:
            for marker in kb.providers_in(example.text)[:1]:
                assert marker.reason == reason.name, (marker.marker, example.text)


def test_a_reason_that_is_always_temporary_or_permanent_has_examples_to_match(
    kb: KnowledgeBase,
) -> None:
    for reason in kb.reasons.values():
        if reason.temporary is None:
            continue
        for example in reason.examples:
            code = re.match(r"\D{0,80}?\b([245])\d\d[ -]", example.text)
            if code:
                assert (code.group(1) == "4") == reason.temporary, (reason.name, example.text)


def test_no_example_is_claimed_by_two_reasons(kb: KnowledgeBase) -> None:
    owners: dict[str, str] = {}
    for reason in kb.reasons.values():
        for example in reason.examples:
            assert owners.setdefault(example.text, reason.name) == reason.name, example.text


def test_a_zone_that_is_not_a_dns_name_is_named(copy: Path) -> None:
    _edit(copy / "dnsbl.toml", 'zone = "bl.spamcop.net"', 'zone = "<key>.bl.spamcop.net"')
    _fails(copy, "dnsbl.toml", "<key>.bl.spamcop.net")
