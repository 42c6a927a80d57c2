"""The 50 US states and the District of Columbia: how users name them, and what an NDA governed by
each one's law should cite.

Every jurisdiction cites its trade-secret law. Most enacted the Uniform Trade Secrets Act (UTSA),
some under names of their own (Georgia Trade Secrets Act of 1990, Illinois Trade Secrets Act);
New York did not (trade secrets are protected at common law there), North Carolina has its own
Trade Secrets Protection Act, and Alabama's act departs from the uniform text. Where a state limits
what a confidentiality clause may hide or restrain (non-compete bans, harassment and
discrimination carve-outs), that statute is cited too, with the sentence the draft adds to
respect it. Acts are cited by their full section range or, where that range was not certain, by
chapter, never by a guessed section.

``find_jurisdiction`` reads a jurisdiction out of free text: full names case-insensitively (the
longest first, so "West Virginia" is never read as "Virginia" nor "Washington, D.C." as
"Washington"), two-letter codes only when uppercase and standalone, and codes that are also
common words or abbreviations ("IN", "OR", "ME", "OK", "PA", "CO", ...) only next to "law" or
"jurisdiction".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from documents.model import Citation


@dataclass(frozen=True)
class Authority:
    """A cited authority: what it is, where to find it, why the draft cites it and, when the draft
    adds a sentence to respect it, that sentence."""

    authority: str
    citation: str
    reason: str
    clause: str | None = None

    def as_citation(self) -> Citation:
        """The JSON form stored in ``document.citations``."""
        return {"authority": self.authority, "citation": self.citation, "reason": self.reason}


@dataclass(frozen=True)
class Jurisdiction:
    """A US jurisdiction whose law can govern the agreement."""

    code: str
    name: str
    trade_secret: Authority
    extras: tuple[Authority, ...] = ()
    aliases: tuple[str, ...] = ()
    """Other names, matched case-insensitively."""
    abbreviations: tuple[str, ...] = ()
    """Dotted abbreviations, matched case-sensitively (``Calif.``, ``N.Y.``)."""
    commonwealth: bool = False

    @property
    def formal_name(self) -> str:
        """How a governing-law clause names it: "the State of Texas", "the Commonwealth of
        Virginia", "the District of Columbia"."""
        if self.code == "DC":
            return "the District of Columbia"
        return f"the {'Commonwealth' if self.commonwealth else 'State'} of {self.name}"

    @property
    def authorities(self) -> tuple[Authority, ...]:
        """What an NDA governed by this jurisdiction's law cites, besides federal law."""
        return (self.trade_secret, *self.extras)


def _trade_secrets(name: str, act: str, citation: str, *, uniform: bool = True) -> Authority:
    what = "its enactment of the Uniform Trade Secrets Act" if uniform else "its trade-secret act"
    return Authority(
        act,
        citation,
        f"{name} law governs this agreement, and {what} defines trade secrets and the remedies "
        "for their misappropriation, which the confidentiality duties here sit alongside.",
    )


def _state(
    code: str,
    name: str,
    citation: str,
    *,
    act: str | None = None,
    uniform: bool = True,
    extras: tuple[Authority, ...] = (),
    aliases: tuple[str, ...] = (),
    abbreviations: tuple[str, ...] = (),
    commonwealth: bool = False,
) -> Jurisdiction:
    act = act or f"{name} Uniform Trade Secrets Act"
    return Jurisdiction(
        code,
        name,
        _trade_secrets(name, act, citation, uniform=uniform),
        extras,
        aliases,
        abbreviations,
        commonwealth,
    )


def _restraint_of_trade(statute: str, citation: str, state: str) -> Authority:
    return Authority(
        statute,
        citation,
        f"{state} voids contracts that restrain anyone from a lawful profession, trade or business, "
        "so the confidentiality duties must not operate as a non-compete.",
        "Nothing in this Agreement restrains anyone from engaging in a lawful profession, trade or "
        "business, and Confidential Information does not include general skills, knowledge and "
        "experience.",
    )


_NOT_A_NON_COMPETE = (
    "This Agreement is a non-disclosure agreement only: it does not restrict anyone from working "
    "for any person or in any business."
)

JURISDICTIONS: tuple[Jurisdiction, ...] = (
    _state(
        "AL",
        "Alabama",
        "Ala. Code §§ 8-27-1 to 8-27-6",
        act="Alabama Trade Secrets Act",
        uniform=False,
    ),
    _state("AK", "Alaska", "Alaska Stat. §§ 45.50.910–45.50.945"),
    _state("AZ", "Arizona", "Ariz. Rev. Stat. §§ 44-401 to 44-407"),
    _state(
        "AR", "Arkansas", "Ark. Code Ann. §§ 4-75-601 to 4-75-607", act="Arkansas Trade Secrets Act"
    ),
    _state(
        "CA",
        "California",
        "Cal. Civ. Code §§ 3426–3426.11",
        aliases=("State of California",),
        abbreviations=("Calif.",),
        extras=(
            _restraint_of_trade(
                "California Business and Professions Code § 16600",
                "Cal. Bus. & Prof. Code § 16600",
                "California",
            ),
            Authority(
                "California Government Code § 12964.5",
                "Cal. Gov. Code § 12964.5",
                "Restricts non-disclosure terms that would stop an employee from disclosing "
                "unlawful acts in the workplace, and prescribes the carve-out wording the draft "
                "uses.",
                "Nothing in this Agreement prevents anyone from discussing or disclosing "
                "information about unlawful acts in the workplace, such as harassment or "
                "discrimination or any other conduct that they have reason to believe is unlawful.",
            ),
            Authority(
                "California Code of Civil Procedure § 1001",
                "Cal. Code Civ. Proc. § 1001",
                "Voids settlement-agreement provisions that prevent disclosing factual information "
                "about claims of sexual assault, sexual harassment, or workplace harassment or "
                "discrimination filed in a civil action or an administrative complaint.",
                "Nothing in this Agreement prevents the disclosure of factual information related "
                "to a claim of sexual assault, sexual harassment, or workplace harassment or "
                "discrimination.",
            ),
        ),
    ),
    _state(
        "CO",
        "Colorado",
        "Colo. Rev. Stat. §§ 7-74-101 to 7-74-110",
        extras=(
            Authority(
                "Colorado restrictive-covenant statute",
                "Colo. Rev. Stat. § 8-2-113",
                "Voids most non-competes and limits confidentiality provisions binding workers: "
                "they may not cover general training, knowledge, skill or experience, publicly "
                "available information, or information a worker has a right to disclose as legally "
                "protected conduct.",
                "Confidential Information does not include information that arises from a "
                "worker's general training, knowledge, skill or experience, information that is "
                "readily ascertainable to the public, or information that a worker otherwise has a "
                "right to disclose as legally protected conduct.",
            ),
        ),
    ),
    _state(
        "CT",
        "Connecticut",
        "Conn. Gen. Stat. §§ 35-50 to 35-58",
        abbreviations=("Conn.",),
    ),
    _state("DE", "Delaware", "Del. Code Ann. tit. 6, §§ 2001–2009"),
    _state(
        "DC",
        "District of Columbia",
        "D.C. Code §§ 36-401 to 36-410",
        aliases=("Washington D.C.", "Washington, D.C.", "Washington DC", "Washington, DC"),
        abbreviations=("D.C.",),
    ),
    _state("FL", "Florida", "Fla. Stat. §§ 688.001–688.009", abbreviations=("Fla.",)),
    _state(
        "GA",
        "Georgia",
        "O.C.G.A. §§ 10-1-760 to 10-1-767",
        act="Georgia Trade Secrets Act of 1990",
        uniform=False,
        extras=(
            Authority(
                "Georgia Restrictive Covenants Act",
                "O.C.G.A. §§ 13-8-50 to 13-8-59",
                "Governs the enforceability of restrictive covenants in Georgia contracts, "
                "including covenants not to disclose confidential information.",
            ),
        ),
    ),
    _state("HI", "Hawaii", "Haw. Rev. Stat. ch. 482B", aliases=("Hawai'i", "Hawaiʻi")),
    _state(
        "ID",
        "Idaho",
        "Idaho Code §§ 48-801 to 48-807",
        act="Idaho Trade Secrets Act",
    ),
    _state(
        "IL",
        "Illinois",
        "765 ILCS 1065/1 to 1065/9",
        act="Illinois Trade Secrets Act",
        abbreviations=("Ill.",),
        extras=(
            Authority(
                "Illinois Workplace Transparency Act",
                "820 ILCS 96",
                "Restricts confidentiality clauses that would bar employees from disclosing "
                "alleged unlawful employment practices.",
                "Nothing in this Agreement prevents anyone from making truthful statements or "
                "disclosures about alleged unlawful employment practices.",
            ),
        ),
    ),
    _state("IN", "Indiana", "Ind. Code §§ 24-2-3-1 to 24-2-3-8"),
    _state("IA", "Iowa", "Iowa Code ch. 550"),
    _state("KS", "Kansas", "Kan. Stat. Ann. §§ 60-3320 to 60-3330"),
    _state("KY", "Kentucky", "Ky. Rev. Stat. §§ 365.880–365.900", commonwealth=True),
    _state("LA", "Louisiana", "La. Rev. Stat. §§ 51:1431–51:1439"),
    _state("ME", "Maine", "Me. Rev. Stat. tit. 10, §§ 1541–1548"),
    _state("MD", "Maryland", "Md. Code, Com. Law §§ 11-1201 to 11-1209"),
    _state(
        "MA",
        "Massachusetts",
        "Mass. Gen. Laws ch. 93, §§ 42–42G",
        commonwealth=True,
        abbreviations=("Mass.",),
        extras=(
            Authority(
                "Massachusetts Noncompetition Agreement Act",
                "Mass. Gen. Laws ch. 149, § 24L",
                "Strictly limits employee non-competes and excludes non-disclosure covenants from "
                "them, so the confidentiality duties here must not operate as a non-compete.",
                _NOT_A_NON_COMPETE,
            ),
        ),
    ),
    _state("MI", "Michigan", "Mich. Comp. Laws §§ 445.1901–445.1910", abbreviations=("Mich.",)),
    _state(
        "MN",
        "Minnesota",
        "Minn. Stat. ch. 325C",
        abbreviations=("Minn.",),
        extras=(
            Authority(
                "Minnesota non-compete ban",
                "Minn. Stat. § 181.988",
                "Voids covenants not to compete with employees and independent contractors (it "
                "excludes non-disclosure agreements), so the confidentiality duties here must not "
                "operate as a non-compete.",
                _NOT_A_NON_COMPETE,
            ),
        ),
    ),
    _state("MS", "Mississippi", "Miss. Code Ann. §§ 75-26-1 to 75-26-19"),
    _state("MO", "Missouri", "Mo. Rev. Stat. §§ 417.450–417.467"),
    _state(
        "MT",
        "Montana",
        "Mont. Code Ann. §§ 30-14-401 to 30-14-409",
        extras=(
            _restraint_of_trade(
                "Montana restraint-of-trade statute", "Mont. Code Ann. § 28-2-703", "Montana"
            ),
        ),
    ),
    _state(
        "NE",
        "Nebraska",
        "Neb. Rev. Stat. §§ 87-501 to 87-507",
        act="Nebraska Trade Secrets Act",
    ),
    _state("NV", "Nevada", "Nev. Rev. Stat. ch. 600A"),
    _state("NH", "New Hampshire", "N.H. Rev. Stat. Ann. ch. 350-B", abbreviations=("N.H.",)),
    _state(
        "NJ",
        "New Jersey",
        "N.J. Stat. Ann. §§ 56:15-1 to 56:15-9",
        act="New Jersey Trade Secrets Act",
        abbreviations=("N.J.",),
        extras=(
            Authority(
                "New Jersey Law Against Discrimination, non-disclosure provisions",
                "N.J. Stat. Ann. § 10:5-12.8",
                "Makes provisions in employment contracts and settlement agreements that conceal "
                "the details of discrimination, retaliation or harassment claims unenforceable "
                "against the employee.",
                "Nothing in this Agreement prevents an employee from disclosing details relating "
                "to a claim of discrimination, retaliation or harassment.",
            ),
        ),
    ),
    _state("NM", "New Mexico", "N.M. Stat. Ann. §§ 57-3A-1 to 57-3A-7", abbreviations=("N.M.",)),
    Jurisdiction(
        "NY",
        "New York",
        Authority(
            "New York common law of trade secrets",
            "Ashland Mgt. Inc. v. Janien, 82 N.Y.2d 395 (1993); Restatement (First) of Torts § 757 "
            "cmt. b",
            "New York has not adopted the Uniform Trade Secrets Act: its courts protect trade "
            "secrets at common law, defined by the Restatement factors, alongside the contractual "
            "duties here.",
        ),
        extras=(
            Authority(
                "New York General Obligations Law § 5-336",
                "N.Y. Gen. Oblig. Law § 5-336",
                "Limits non-disclosure terms covering the facts of discrimination, harassment or "
                "retaliation claims, and requires that such terms leave employees free to speak "
                "with the authorities listed in the draft.",
                "Nothing in this Agreement prevents anyone from speaking with law enforcement, the "
                "Equal Employment Opportunity Commission, the New York State Division of Human "
                "Rights, the attorney general, a local commission on human rights, or an attorney, "
                "or from disclosing the facts of a discrimination, harassment or retaliation claim "
                "where New York law protects that disclosure.",
            ),
        ),
        aliases=("New York State", "State of New York"),
        abbreviations=("N.Y.",),
    ),
    _state(
        "NC",
        "North Carolina",
        "N.C. Gen. Stat. §§ 66-152 to 66-162",
        act="North Carolina Trade Secrets Protection Act",
        uniform=False,
        abbreviations=("N.C.",),
    ),
    _state(
        "ND",
        "North Dakota",
        "N.D. Cent. Code ch. 47-25.1",
        abbreviations=("N.D.",),
        extras=(
            _restraint_of_trade(
                "North Dakota restraint-of-trade statute",
                "N.D. Cent. Code § 9-08-06",
                "North Dakota",
            ),
        ),
    ),
    _state("OH", "Ohio", "Ohio Rev. Code §§ 1333.61–1333.69"),
    _state(
        "OK",
        "Oklahoma",
        "Okla. Stat. tit. 78, §§ 85–94",
        abbreviations=("Okla.",),
        extras=(
            _restraint_of_trade(
                "Oklahoma restraint-of-trade statute", "Okla. Stat. tit. 15, § 217", "Oklahoma"
            ),
        ),
    ),
    _state("OR", "Oregon", "Or. Rev. Stat. §§ 646.461–646.475"),
    _state(
        "PA",
        "Pennsylvania",
        "12 Pa. Cons. Stat. §§ 5301–5308",
        commonwealth=True,
        abbreviations=("Penn.",),
    ),
    _state("RI", "Rhode Island", "R.I. Gen. Laws ch. 6-41", abbreviations=("R.I.",)),
    _state(
        "SC",
        "South Carolina",
        "S.C. Code Ann. §§ 39-8-10 to 39-8-130",
        act="South Carolina Trade Secrets Act",
        abbreviations=("S.C.",),
    ),
    _state("SD", "South Dakota", "S.D. Codified Laws ch. 37-29", abbreviations=("S.D.",)),
    _state(
        "TN", "Tennessee", "Tenn. Code Ann. §§ 47-25-1701 to 47-25-1709", abbreviations=("Tenn.",)
    ),
    _state(
        "TX",
        "Texas",
        "Tex. Civ. Prac. & Rem. Code ch. 134A",
        abbreviations=("Tex.",),
        extras=(
            Authority(
                "Texas Covenants Not to Compete Act",
                "Tex. Bus. & Com. Code §§ 15.50–15.52",
                "Sets when a covenant not to compete is enforceable; confidentiality duties that "
                "operate as a restraint on competition would have to meet it.",
                _NOT_A_NON_COMPETE,
            ),
        ),
    ),
    _state("UT", "Utah", "Utah Code Ann. §§ 13-24-1 to 13-24-9"),
    _state("VT", "Vermont", "Vt. Stat. Ann. tit. 9, ch. 143"),
    _state(
        "VA",
        "Virginia",
        "Va. Code Ann. §§ 59.1-336 to 59.1-343",
        commonwealth=True,
        extras=(
            Authority(
                "Virginia Code § 40.1-28.4",
                "Va. Code Ann. § 40.1-28.4",
                "Bars requiring an employee or applicant, as a condition of employment, to keep "
                "claims of sexual assault or sexual harassment confidential.",
                "Nothing in this Agreement prevents an employee or applicant from disclosing or "
                "discussing a claim of sexual assault or sexual harassment.",
            ),
        ),
    ),
    _state(
        "WA",
        "Washington",
        "Wash. Rev. Code ch. 19.108",
        aliases=("Washington State", "State of Washington"),
        abbreviations=("Wash.",),
        extras=(
            Authority(
                "Washington Revised Code § 49.44.210",
                "Wash. Rev. Code § 49.44.210",
                "Bars requiring an employee, as a condition of employment, to sign a "
                "non-disclosure agreement that prevents disclosing sexual harassment or sexual "
                "assault in the workplace.",
            ),
            Authority(
                "Washington Silenced No More Act",
                "Wash. Rev. Code § 49.44.211",
                "Voids provisions in agreements between employers and employees that prevent "
                "disclosing illegal discrimination, harassment, retaliation, wage and hour "
                "violations, sexual assault, or conduct against a clear mandate of public policy.",
                "Nothing in this Agreement prevents an employee from disclosing or discussing "
                "conduct that the employee reasonably believes to be illegal discrimination, "
                "illegal harassment, illegal retaliation, a wage and hour violation, or sexual "
                "assault, or that is recognized as against a clear mandate of public policy.",
            ),
        ),
    ),
    _state(
        "WV",
        "West Virginia",
        "W. Va. Code §§ 47-22-1 to 47-22-10",
        abbreviations=("W. Va.", "W.Va."),
    ),
    _state("WI", "Wisconsin", "Wis. Stat. § 134.90", abbreviations=("Wis.",)),
    _state("WY", "Wyoming", "Wyo. Stat. Ann. §§ 40-24-101 to 40-24-110", abbreviations=("Wyo.",)),
)

BY_CODE: dict[str, Jurisdiction] = {j.code: j for j in JURISDICTIONS}

#: Authorities every NDA cites, whatever law governs it.
FEDERAL_AUTHORITIES: tuple[Authority, ...] = (
    Authority(
        "Defend Trade Secrets Act of 2016, whistleblower immunity notice",
        "18 U.S.C. § 1833(b)",
        "Individuals are immune for disclosing trade secrets in confidence to officials or "
        "attorneys to report suspected violations of law, or under seal in court; an employer "
        "whose agreement with an employee, contractor or consultant omits notice of this immunity "
        "cannot recover exemplary damages or attorney fees from them (§ 1833(b)(3)), so the draft "
        "includes the notice.",
    ),
    Authority(
        "Defend Trade Secrets Act of 2016, civil action",
        "18 U.S.C. § 1836",
        "Gives the owner of a misappropriated trade secret a federal civil action, including "
        "injunctions, which the remedies clause preserves.",
    ),
    Authority(
        "Speak Out Act",
        "42 U.S.C. §§ 19401–19404",
        "Pre-dispute non-disclosure clauses are unenforceable in sexual assault and sexual "
        "harassment disputes; the permitted-disclosures clause carves those disputes out.",
    ),
    Authority(
        "SEC whistleblower rule 21F-17",
        "17 C.F.R. § 240.21F-17",
        "No one may impede a person from communicating with the SEC about a possible securities "
        "law violation, including by enforcing a confidentiality agreement; the draft preserves "
        "reports to government agencies.",
    ),
)

# Codes that are also everyday words or abbreviations (OK, IN, OR, ME, "Co.", "PA", "MD", "VA"):
# uppercase alone is not enough for them, they must sit next to "law" or "jurisdiction".
_WORDLIKE_CODES = frozenset(
    [
        "AL",
        "AR",
        "CO",
        "DE",
        "GA",
        "HI",
        "ID",
        "IN",
        "LA",
        "MA",
        "MD",
        "ME",
        "MO",
        "MS",
        "MT",
        "NE",
        "OH",
        "OK",
        "OR",
        "PA",
        "VA",
    ]
)
_LAW_BEFORE = re.compile(
    r"(?:\blaws?\s+of|\bgoverned\s+by|\bjurisdiction(?:\s+(?:to|is|of|as))?|"
    r"\bgoverning\s+law(?:\s+(?:to|is|of|as))?)\s*:?\s+(?:the\s+state\s+of\s+)?$",
    re.IGNORECASE,
)
_LAW_AFTER = re.compile(r"\s+(?:law|laws|jurisdiction|governing\s+law)\b", re.IGNORECASE)
# A name right after these is not the law the user wants ("Texas instead of California",
# "change it from California to Texas"), and one before these names an entity's home state
# ("Acme, a Delaware corporation").
_NEGATED = re.compile(
    r"\b(?:instead\s+of|rather\s+than|not|from|other\s+than|except)\s+"
    r"(?:the\s+)?(?:(?:state|laws?|commonwealth)\s+of\s+)?$",
    re.IGNORECASE,
)
_ENTITY = re.compile(
    r"\s+(?:corporation|corp\b|company|limited\s+liability\s+company|llc\b|limited\s+"
    r"partnership|partnership|entity|resident|citizen|nonprofit|non-profit)",
    re.IGNORECASE,
)


def _before(text: str, start: int) -> str:
    """The few words before ``start``, where the phrases that qualify a mention sit."""
    return text[max(0, start - 60) : start]


def _name_pattern(name: str, *, case_sensitive: bool) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(word) for word in name.split())
    return re.compile(rf"(?<![\w.]){words}(?!\w)", 0 if case_sensitive else re.IGNORECASE)


# Longest first: a matched span is blanked before shorter names are tried, so "West Virginia"
# never also counts as "Virginia", nor "Washington, D.C." as "Washington".
_NAME_PATTERNS: list[tuple[re.Pattern[str], str]] = sorted(
    [
        (_name_pattern(name, case_sensitive=False), j.code)
        for j in JURISDICTIONS
        for name in (j.name, *j.aliases)
    ]
    + [
        (_name_pattern(abbreviation, case_sensitive=True), j.code)
        for j in JURISDICTIONS
        for abbreviation in j.abbreviations
    ],
    key=lambda item: len(item[0].pattern),
    reverse=True,
)
_CODE = re.compile(r"(?<![\w.])([A-Z]{2})(?![\w]|\.\w)")


def _mentions(text: str) -> list[tuple[int, int, str]]:
    """Every jurisdiction named in ``text``: ``(start, end, code)``."""
    found: list[tuple[int, int, str]] = []
    remaining = text
    for pattern, code in _NAME_PATTERNS:

        def blank(match: re.Match[str], code: str = code) -> str:
            found.append((match.start(), match.end(), code))
            return " " * (match.end() - match.start())

        remaining = pattern.sub(blank, remaining)
    for match in _CODE.finditer(remaining):
        code = match[1]
        if code not in BY_CODE:
            continue
        if code in _WORDLIKE_CODES and not (
            _LAW_BEFORE.search(_before(text, match.start())) or _LAW_AFTER.match(text, match.end())
        ):
            continue
        found.append((match.start(), match.end(), code))
    return found


def find_jurisdiction(text: str) -> str | None:
    """The code of the jurisdiction ``text`` asks for (the last one named), or None.

    Mentions that are negated ("instead of Texas", "from California") or that describe an
    entity ("a Delaware corporation") do not count.
    """
    wanted = [
        (start, code)
        for start, end, code in _mentions(text)
        if not _NEGATED.search(_before(text, start)) and not _ENTITY.match(text, end)
    ]
    return max(wanted)[1] if wanted else None


def find_jurisdictions(text: str) -> list[str]:
    """Every distinct jurisdiction ``text`` asks for, in the order named (negated mentions and
    entity descriptions left out, as in ``find_jurisdiction``): two or more is a choice for the
    user to make ("California or Delaware law")."""
    wanted = sorted(
        (start, code)
        for start, end, code in _mentions(text)
        if not _NEGATED.search(_before(text, start)) and not _ENTITY.match(text, end)
    )
    return list(dict.fromkeys(code for _, code in wanted))


def resolve_jurisdiction(value: str | None) -> str | None:
    """A code for a configured or model-given value: a code in any case ("ca"), a name
    ("California", "Washington, D.C."), or None when it is neither."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.upper() in BY_CODE:
        return value.upper()
    return find_jurisdiction(value)
