"""Reads the MAIL/RCPT answers: does the mailbox exist, or does the answer prove nothing?"""

from __future__ import annotations

from handlers.reply import Finding, Status
from handlers.smtp_probe.say import Say
from handlers.smtp_probe.transcript import Answer, Transcript

_GREY_WORDS = ("greylist", "graylist", "grey-list", "gray-list", "greylisted", "try again later")
_UNKNOWN_WORDS = ("unknown", "no such", "does not exist", "not exist", "invalid recipient")
_POLICY_WORDS = ("blocked", "blacklist", "blocklist", "spamhaus", "client host", "helo", "reverse")


def rcpt_verdict(answer: Answer) -> str:
    """accepted, greylist, temporary, relay, unknown_user, policy or rejected."""
    text = answer.text.lower()
    if 200 <= answer.code < 300:
        return "accepted"
    if 400 <= answer.code < 500:
        return "greylist" if any(w in text for w in _GREY_WORDS) else "temporary"
    if "relay" in text:
        return "relay"
    enhanced = answer.enhanced
    if enhanced.startswith("5.1.") or (
        enhanced == "5.4.1" and "recipient address rejected" in text  # Microsoft 365's DBEB
    ):
        return "unknown_user"
    if enhanced.startswith("5.7."):
        return "policy"
    if enhanced:
        return "rejected"
    if any(w in text for w in _POLICY_WORDS):
        return "policy"
    if any(w in text for w in _UNKNOWN_WORDS):
        return "unknown_user"
    return "rejected"


def recipient_finding(t: Transcript, say: Say) -> Finding | None:
    rcpt = t.rcpt
    if rcpt is None:
        return None
    if t.rcpt_not_ascii:
        return say.finding(Status.FAIL, "SMTPUTF8 -", say("smtp.rcpt.not_ascii", rcpt=rcpt))
    if t.mail is None:
        return None
    steps = [f"MAIL FROM:<> -> {t.mail}"]
    if t.mail.code != 250:
        evidence = "; ".join(steps)
        if 400 <= t.mail.code < 500:
            return say.finding(
                Status.UNKNOWN,
                evidence,
                say("smtp.rcpt.temporary", rcpt=rcpt),
                say("smtp.rcpt.retry_fix"),
            )
        return say.finding(
            Status.WARN, evidence, say("smtp.rcpt.null_sender"), say("smtp.rcpt.null_sender_fix")
        )
    if t.rcpt_answer is None:
        return None
    steps.append(f"RCPT TO:<{rcpt}> -> {t.rcpt_answer}")
    if t.decoy_answer is not None:
        steps.append(f"RCPT TO:<{t.decoy}> -> {t.decoy_answer}")
    evidence = "; ".join(steps)
    domain = rcpt.rpartition("@")[2]
    verdict = rcpt_verdict(t.rcpt_answer)
    if verdict == "accepted":
        decoy = rcpt_verdict(t.decoy_answer) if t.decoy_answer is not None else ""
        if decoy == "accepted":
            return say.finding(
                Status.UNKNOWN, evidence, say("smtp.rcpt.catchall", rcpt=rcpt, decoy=t.decoy)
            )
        if decoy in ("unknown_user", "rejected", "relay"):
            return say.finding(Status.OK, evidence, say("smtp.rcpt.ok", rcpt=rcpt))
        return say.finding(Status.OK, evidence, say("smtp.rcpt.accepted", rcpt=rcpt))
    if verdict in ("greylist", "temporary"):
        return say.finding(
            Status.UNKNOWN,
            evidence,
            say(f"smtp.rcpt.{verdict}", rcpt=rcpt),
            say("smtp.rcpt.retry_fix"),
        )
    if verdict == "relay":
        return say.finding(
            Status.FAIL,
            evidence,
            say("smtp.rcpt.relay", rcpt=rcpt, domain=domain),
            say("smtp.rcpt.relay_fix", domain=domain),
        )
    if verdict == "unknown_user":
        return say.finding(
            Status.FAIL,
            evidence,
            say("smtp.rcpt.unknown_user", rcpt=rcpt),
            say("smtp.rcpt.unknown_user_fix"),
        )
    if verdict == "policy":
        return say.finding(Status.UNKNOWN, evidence, say("smtp.rcpt.policy", rcpt=rcpt))
    return say.finding(Status.FAIL, evidence, say("smtp.rcpt.rejected", rcpt=rcpt))
