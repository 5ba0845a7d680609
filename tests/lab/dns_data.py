"""The DNS lab's contents: the lab.test and reverse zones (knot) and the blocklist data (rbldnsd)."""

from __future__ import annotations

# --- authoritative data served by knot -----------------------------------------------------------

LAB_ZONE = """\
$ORIGIN lab.test.
$TTL 300
@                 SOA   ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 5
@                 NS    ns.lab.test.
ns                A     127.0.0.1

; good: 2 MX with matching PTRs, SPF (split TXT strings), DMARC reject, MTA-STS, TLS-RPT, DKIM
good              MX    10 mx1.good.lab.test.
good              MX    20 mx2.good.lab.test.
good              TXT   "v=spf1 mx ip4:127.0.1.0/24 " "-all"
mx1.good          A     127.0.1.1
mx2.good          A     127.0.1.2
_dmarc.good       TXT   "v=DMARC1; p=reject; rua=mailto:dmarc@good.lab.test"
_mta-sts.good     TXT   "v=STSv1; id=20260101T000000;"
mta-sts.good      A     127.0.0.1
_smtp._tls.good   TXT   "v=TLSRPTv1; rua=mailto:tlsrpt@good.lab.test"
default._domainkey.good TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1TaNgLlSyQMNWVLNLvyY/neDgaL2oqQE8T5illKqCgDtFHc8eHVAU+nlcaGmrKmDMw9dbgiGk1ocgZ56NR4ycfUHwQhvQPMUZw0cveel/8EAGoi/UyPmqfcPibytH81NFtTMAxUeM4Op8A6iHkvAMj5qLf4YRNsTkKAV2zv/BpQIDAQAB"
selector1._domainkey.good TXT "v=DKIM1; k=rsa; p="

; bench: like good (same two MX hosts) but without MTA-STS, so checks stay DNS-only (benchmarks)
bench             MX    10 mx1.good.lab.test.
bench             MX    20 mx2.good.lab.test.
bench             TXT   "v=spf1 mx include:i0.spf.lab.test -all"
i0.spf            TXT   "v=spf1 ip4:127.0.1.0/24 -all"
_dmarc.bench      TXT   "v=DMARC1; p=reject; rua=mailto:dmarc@bench.lab.test"
_smtp._tls.bench  TXT   "v=TLSRPTv1; rua=mailto:tlsrpt@bench.lab.test"
default._domainkey.bench TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1TaNgLlSyQMNWVLNLvyY/neDgaL2oqQE8T5illKqCgDtFHc8eHVAU+nlcaGmrKmDMw9dbgiGk1ocgZ56NR4ycfUHwQhvQPMUZw0cveel/8EAGoi/UyPmqfcPibytH81NFtTMAxUeM4Op8A6iHkvAMj5qLf4YRNsTkKAV2zv/BpQIDAQAB"

; null MX (RFC 7505): accepts no mail
nullmx            MX    0 .
nullmx            TXT   "v=spf1 -all"

; MX pointing to a CNAME, to an IP literal, to a name without address
cname-mx          MX    10 alias.lab.test.
alias             CNAME mx1.good.lab.test.
ip-mx             MX    10 127.0.1.1.
noaddr-mx         MX    10 ghost.lab.test.

; no MX: mail goes to the A record (implicit MX)
nomx              A     127.0.1.5

; a listed sender: MX address on zen (XBL) and on barracuda, domain on dbl; PTR mismatch
listed            MX    10 mx.listed.lab.test.
listed            TXT   "v=spf1 ?all"
mx.listed         A     127.0.1.9
badptr            MX    10 mx.badptr.lab.test.
mx.badptr         A     127.0.1.3

; SPF variants
toomany           MX    10 mx1.good.lab.test.
toomany           TXT   "v=spf1 include:i1.spf.lab.test include:i2.spf.lab.test -all"
i1.spf            TXT   "v=spf1 a mx a:x1.lab.test a:x2.lab.test a:x3.lab.test -all"
i2.spf            TXT   "v=spf1 a mx a:x1.lab.test a:x2.lab.test a:x3.lab.test -all"
x1                A     127.0.1.1
x2                A     127.0.1.1
x3                A     127.0.1.1
void              MX    10 mx1.good.lab.test.
void              TXT   "v=spf1 a:nx1.lab.test a:nx2.lab.test a:nx3.lab.test -all"
twospf            MX    10 mx1.good.lab.test.
twospf            TXT   "v=spf1 mx -all"
twospf            TXT   "v=spf1 a -all"
badspf            MX    10 mx1.good.lab.test.
badspf            TXT   "v=spf1 ip4:300.1.1.1 frobnicate -all"
plusall           MX    10 mx1.good.lab.test.
plusall           TXT   "v=spf1 +all"

; DMARC variants
dmarc-none        MX    10 mx1.good.lab.test.
dmarc-none        TXT   "v=spf1 mx -all"
_dmarc.dmarc-none TXT   "v=DMARC1; p=none"
dmarc-pct         MX    10 mx1.good.lab.test.
_dmarc.dmarc-pct  TXT   "v=DMARC1; p=quarantine; pct=50; rua=mailto:d@dmarc-pct.lab.test"
dmarc-two         MX    10 mx1.good.lab.test.
_dmarc.dmarc-two  TXT   "v=DMARC1; p=reject"
_dmarc.dmarc-two  TXT   "v=DMARC1; p=none"
dmarc-bad         MX    10 mx1.good.lab.test.
_dmarc.dmarc-bad  TXT   "v=DMARC1; p=maybe"

; broken delegations: nobody at 127.0.9.8 (lame), a silent socket at 127.0.9.9 (times out)
lame              NS    ns.lame.lab.test.
ns.lame           A     127.0.9.8
slow              NS    ns.slow.lab.test.
ns.slow           A     127.0.9.9

; SMTP probe scenarios (helper H4): <scenario>.probe.lab.test MX -> mx.<scenario>... at 127.0.25.N
"""

PROBE_SCENARIOS = ("valid", "unknown", "grey", "catchall", "tarpit", "relay", "expired")

LAB_ZONE += "".join(
    f"{name}.probe  MX 10 mx.{name}.probe.lab.test.\n"
    f'{name}.probe  TXT "v=spf1 mx -all"\n'
    f"mx.{name}.probe  A  127.0.25.{i}\n"
    for i, name in enumerate(PROBE_SCENARIOS, 1)
)

REVERSE_ZONE = """\
$ORIGIN 127.in-addr.arpa.
$TTL 300
@           SOA  ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 5
@           NS   ns.lab.test.
1.0.0       PTR  localhost.
1.1.0       PTR  mx1.good.lab.test.
2.1.0       PTR  mx2.good.lab.test.
3.1.0       PTR  elsewhere.lab.test.
5.1.0       PTR  nomx.lab.test.
9.1.0       PTR  mx.listed.lab.test.
"""
REVERSE_ZONE += "".join(
    f"{i}.25.0  PTR  mx.{name}.probe.lab.test.\n" for i, name in enumerate(PROBE_SCENARIOS, 1)
)

# DMARC policy discovery by RFC 9989's DNS Tree Walk (handlers/mailcheck/dmarc_walk.py).
# co.uk: a real two-label public suffix whose operator publishes a Public Suffix Domain record
# (psd=y): the walk stops there, the organisational domain is the name one label below, and the
# record applies to names whose organisational domain has none (sp= if they exist, np= if not).
# p, sp and np differ so that a test sees which one was taken. Names by label count from the right
# (uk is 1): l10...l4.example has 10, so after it the walk jumps to l7.l6.l5.l4.example.co.uk (7)
# and never reads l8's record. `uk` itself is not served (its _dmarc lookup fails): every walk
# under co.uk stops at co.uk first, so that failure must change nothing.
CO_UK_ZONE = """\
$ORIGIN co.uk.
$TTL 300
@                      SOA   ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 5
@                      NS    ns.lab.test.
_dmarc                 TXT   "v=DMARC1; psd=y; p=reject; sp=none; np=quarantine; rua=mailto:psd@co.uk"
example                MX    10 mx1.good.lab.test.
example                TXT   "v=spf1 mx -all"
_dmarc.example         TXT   "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@example.co.uk"
mail.example           A     127.0.1.1
a.b.c.d.e.example      A     127.0.1.1
l10.l9.l8.l7.l6.l5.l4.example  A    127.0.1.1
_dmarc.l8.l7.l6.l5.l4.example  TXT  "v=DMARC1; p=reject; psd=n"
_dmarc.l7.l6.l5.l4.example     TXT  "v=DMARC1; p=none; psd=n; rua=mailto:dmarc@l7.example.co.uk"
nodmarc                MX    10 mx1.good.lab.test.
sub.nodmarc            A     127.0.1.1
"""

# suffix.test: a suffix whose operator published DMARC without psd=y. Its record is the highest on
# every walk from below, so suffix.test becomes the organisational domain of the names under it
# and its p=none applies to them, unless a record on the way stops the walk with psd=n (club).
SUFFIX_ZONE = """\
$ORIGIN suffix.test.
$TTL 300
@                 SOA   ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 5
@                 NS    ns.lab.test.
_dmarc            TXT   "v=DMARC1; p=none; rua=mailto:reports@suffix.test"
charity           MX    10 mx1.good.lab.test.
_dmarc.charity    TXT   "v=DMARC1; p=reject; rua=mailto:dmarc@charity.suffix.test"
shop.charity      A     127.0.1.1
club              MX    10 mx1.good.lab.test.
_dmarc.club       TXT   "v=DMARC1; p=reject; sp=quarantine; psd=n"
shop.club         A     127.0.1.1
"""

# Walks from lab.test and suffix.test names end at the top-level label: _dmarc.test has no record
# (NODATA), like _dmarc.com on the Internet. Only that name is served, the rest of test is not.
DMARC_TEST_ZONE = """\
$ORIGIN _dmarc.test.
$TTL 300
@                 SOA   ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 5
@                 NS    ns.lab.test.
"""

KNOT_ZONES = {
    "lab.test": LAB_ZONE,
    "127.in-addr.arpa": REVERSE_ZONE,
    "co.uk": CO_UK_ZONE,
    "suffix.test": SUFFIX_ZONE,
    "_dmarc.test": DMARC_TEST_ZONE,
}

# --- blocklists served by rbldnsd ----------------------------------------------------------------
# zone -> default lines (rbldnsd ip4set / ip6trie / dnset syntax); `:A:TXT` after the entry.

LISTED_TXT = ":127.0.0.2:Listed by the lab, see https://lab.test/lookup?ip=$"

IP_ZONES: dict[str, list[str]] = {
    "zen.spamhaus.org": [
        "127.0.0.2 :127.0.0.2:SBL test point",
        "127.0.0.2 :127.0.0.4:XBL test point",
        "127.0.0.2 :127.0.0.10:PBL test point",
        "127.0.1.9 :127.0.0.4:XBL: exploited host, see https://check.spamhaus.org/",
        "127.0.1.10 :127.0.0.10:PBL: end-user range",
        "127.0.1.10 :127.0.0.4:XBL: infected",
        "::ffff:7f00:2 :127.0.0.2:SBL test point (IPv6)",
        "2001:db8:bad::/48 :127.0.0.2:SBL: IPv6 spam source",
    ],
    # answers "query via public resolver" to everything, as Spamhaus does for Google/Cloudflare
    "sbl.spamhaus.org": [
        f"{half}/1 :127.255.255.254:Query refused: public resolver"
        for half in ("0.0.0.0", "128.0.0.0")
    ],
    "xbl.spamhaus.org": ["127.0.0.2 :127.0.0.4:XBL test point", "127.0.1.9 :127.0.0.4:XBL"],
    "pbl.spamhaus.org": ["127.0.0.2 :127.0.0.10:PBL test point", "127.0.1.10 :127.0.0.10:PBL"],
    "b.barracudacentral.org": ["127.0.0.2", "127.0.1.9"],
    "bl.spamcop.net": ["127.0.0.2"],
    "dnsbl-1.uceprotect.net": ["127.0.0.2"],
    "dnsbl-2.uceprotect.net": ["127.0.0.2"],
    "dnsbl-3.uceprotect.net": ["127.0.0.2"],
    "psbl.surriel.com": ["127.0.0.2"],
    "bl.mailspike.net": ["127.0.0.2"],
    "z.mailspike.net": ["127.0.0.2"],
    "bl.spameatingmonkey.net": ["127.0.0.2"],
    "backscatter.spameatingmonkey.net": ["127.0.0.2"],
    "ips.backscatterer.org": ["127.0.0.2"],
    "cbl.abuseat.org": ["127.0.0.2"],
    # an allowlist: every answer is a trust level, never a listing; 127.0.0.255 = resolver blocked
    "list.dnswl.org": [
        "127.0.0.2 :127.0.10.0:dnswl test point",
        "127.0.1.1 :127.0.3.2:https://dnswl.org/s/?s=1",
        "127.0.1.9 :127.0.0.255:query blocked",
    ],
    # a reputation scale: L5..L3 (.10-.12) are listings, .13 and up are not
    "rep.mailspike.net": [
        "127.0.0.2 :127.0.0.10:test point",
        "127.0.1.1 :127.0.0.18:good reputation",
        "127.0.1.9 :127.0.0.11:very bad reputation",
    ],
    # generic lab lists (names unknown to the knowledge base)
    "bl1.dnsbl.lab.test": ["127.0.0.2"],
    "bl2.dnsbl.lab.test": ["127.0.0.2"],
    "bl3.dnsbl.lab.test": ["127.0.0.2"],
    "bl4.dnsbl.lab.test": ["127.0.0.2"],
    # a broken list that lists every address (like bl.spamcop.net's parked domain in 2021)
    "everything.dnsbl.lab.test": [
        f"{half}/1 :127.0.0.2:listed" for half in ("0.0.0.0", "128.0.0.0")
    ],
}

DOMAIN_ZONES: dict[str, list[str]] = {
    "dbl.spamhaus.org": [
        "test :127.0.1.2:DBL test point",
        "dbltest.com :127.0.1.2:DBL test point",
        "listed.lab.test :127.0.1.2:DBL: spam domain, see https://check.spamhaus.org/",
        "phish.lab.test :127.0.1.4:DBL: phishing",
    ],
    "multi.uribl.com": [
        "test :127.0.0.2:URIBL test point",
        "listed.lab.test :127.0.0.2:URIBL black",
        "refused.lab.test :127.0.0.1:Query refused: resolver over limit",
        "bulk.lab.test :127.0.0.6:URIBL black and grey",
    ],
    # bitmask answers: 80 = MW + ABUSE, 4 = DM only (informational), 3 = no documented bit,
    # 136 = PH + CR; a parked answer outside 127/8
    "multi.surbl.org": [
        "test :127.0.0.80:SURBL test point",
        "phish.lab.test :127.0.0.8:phishing",
        "malware.lab.test :127.0.0.80:MW and ABUSE, see https://www.surbl.org/surbl-analysis",
        "throwaway.lab.test :127.0.0.4:disposable mail",
        "oddbits.lab.test :127.0.0.3:no documented bit",
        "cracked.lab.test :127.0.0.136:PH and CR",
        "parked.lab.test :198.51.100.7:parked",
    ],
    "uribl.spameatingmonkey.net": ["test :127.0.0.2:test point"],
}

# 20 IP lists that behave (used by the benchmarks): the blocklists above, without the broken one,
# the allowlist and the reputation scale
NOT_BENCHED = ("everything.dnsbl.lab.test", "list.dnswl.org", "rep.mailspike.net")
BENCH_IP_ZONES = tuple(z for z in IP_ZONES if z not in NOT_BENCHED)
