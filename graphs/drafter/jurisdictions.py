"""The 50 US states and the District of Columbia: names to recognise, and the authorities an NDA
governed by each one's law should cite.

Most states enacted the Uniform Trade Secrets Act (UTSA); New York did not (trade secrets are
common law there), and North Carolina has its own act. Where a state has a statute that limits what
a confidentiality clause may hide or restrain, it is cited too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Authority:
    """A cited authority and why the draft cites it."""

    authority: str
    citation: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"authority": self.authority, "citation": self.citation, "reason": self.reason}


@dataclass(frozen=True)
class Jurisdiction:
    """A US jurisdiction whose law can govern the agreement."""

    code: str
    name: str
    trade_secret_act: str
    trade_secret_citation: str
    aliases: tuple[str, ...] = ()
    extras: tuple[Authority, ...] = field(default=())

    def authorities(self) -> list[Authority]:
        act = Authority(
            self.trade_secret_act,
            self.trade_secret_citation,
            f"Defines and protects trade secrets under {self.name} law, which governs this agreement.",
        )
        return [act, *self.extras]


_UTSA = "Uniform Trade Secrets Act"


def _utsa(name: str) -> str:
    return f"{name} {_UTSA}"


JURISDICTIONS: tuple[Jurisdiction, ...] = (
    Jurisdiction("AL", "Alabama", "Alabama Trade Secrets Act", "Ala. Code §§ 8-27-1 to 8-27-6"),
    Jurisdiction("AK", "Alaska", _utsa("Alaska"), "Alaska Stat. §§ 45.50.910–45.50.945"),
    Jurisdiction("AZ", "Arizona", _utsa("Arizona"), "Ariz. Rev. Stat. §§ 44-401 to 44-407"),
    Jurisdiction("AR", "Arkansas", _utsa("Arkansas"), "Ark. Code Ann. §§ 4-75-601 to 4-75-607"),
    Jurisdiction(
        "CA",
        "California",
        "California Uniform Trade Secrets Act",
        "Cal. Civ. Code §§ 3426–3426.11",
        aliases=("calif.", "cali"),
        extras=(
            Authority(
                "California Business and Professions Code § 16600",
                "Cal. Bus. & Prof. Code § 16600",
                "Voids contracts that restrain anyone from a lawful profession, trade or business: "
                "confidentiality duties must not work as a non-compete in California.",
            ),
            Authority(
                "California Government Code § 12964.5",
                "Cal. Gov. Code § 12964.5",
                "Limits non-disclosure terms that would bar disclosing unlawful acts in the workplace.",
            ),
        ),
    ),
    Jurisdiction("CO", "Colorado", _utsa("Colorado"), "Colo. Rev. Stat. §§ 7-74-101 to 7-74-110"),
    Jurisdiction("CT", "Connecticut", _utsa("Connecticut"), "Conn. Gen. Stat. §§ 35-50 to 35-58"),
    Jurisdiction("DE", "Delaware", _utsa("Delaware"), "Del. Code Ann. tit. 6, §§ 2001–2009"),
    Jurisdiction(
        "DC",
        "District of Columbia",
        _utsa("District of Columbia"),
        "D.C. Code §§ 36-401 to 36-410",
        aliases=(
            "washington dc",
            "washington d.c.",
            "washington, dc",
            "washington, d.c.",
            "d.c.",
            "dc",
        ),
    ),
    Jurisdiction("FL", "Florida", _utsa("Florida"), "Fla. Stat. §§ 688.001–688.009"),
    Jurisdiction(
        "GA",
        "Georgia",
        "Georgia Trade Secrets Act of 1990",
        "Ga. Code Ann. §§ 10-1-760 to 10-1-767",
    ),
    Jurisdiction(
        "HI", "Hawaii", _utsa("Hawaii"), "Haw. Rev. Stat. §§ 482B-1 to 482B-9", aliases=("hawai'i",)
    ),
    Jurisdiction("ID", "Idaho", "Idaho Trade Secrets Act", "Idaho Code §§ 48-801 to 48-807"),
    Jurisdiction(
        "IL",
        "Illinois",
        "Illinois Trade Secrets Act",
        "765 ILCS 1065/1 to 1065/9",
        extras=(
            Authority(
                "Illinois Workplace Transparency Act",
                "820 ILCS 96",
                "Restricts confidentiality clauses covering unlawful employment practices.",
            ),
        ),
    ),
    Jurisdiction("IN", "Indiana", _utsa("Indiana"), "Ind. Code §§ 24-2-3-1 to 24-2-3-8"),
    Jurisdiction("IA", "Iowa", "Iowa Uniform Trade Secrets Act", "Iowa Code ch. 550"),
    Jurisdiction("KS", "Kansas", _utsa("Kansas"), "Kan. Stat. Ann. §§ 60-3320 to 60-3330"),
    Jurisdiction("KY", "Kentucky", _utsa("Kentucky"), "Ky. Rev. Stat. §§ 365.880–365.900"),
    Jurisdiction("LA", "Louisiana", _utsa("Louisiana"), "La. Rev. Stat. §§ 51:1431–51:1439"),
    Jurisdiction("ME", "Maine", _utsa("Maine"), "Me. Rev. Stat. tit. 10, §§ 1541–1548"),
    Jurisdiction("MD", "Maryland", _utsa("Maryland"), "Md. Code, Com. Law §§ 11-1201 to 11-1209"),
    Jurisdiction(
        "MA", "Massachusetts", _utsa("Massachusetts"), "Mass. Gen. Laws ch. 93, §§ 42–42G"
    ),
    Jurisdiction("MI", "Michigan", _utsa("Michigan"), "Mich. Comp. Laws §§ 445.1901–445.1910"),
    Jurisdiction("MN", "Minnesota", _utsa("Minnesota"), "Minn. Stat. ch. 325C"),
    Jurisdiction(
        "MS", "Mississippi", _utsa("Mississippi"), "Miss. Code Ann. §§ 75-26-1 to 75-26-19"
    ),
    Jurisdiction("MO", "Missouri", _utsa("Missouri"), "Mo. Rev. Stat. §§ 417.450–417.467"),
    Jurisdiction("MT", "Montana", _utsa("Montana"), "Mont. Code Ann. §§ 30-14-401 to 30-14-409"),
    Jurisdiction(
        "NE", "Nebraska", "Nebraska Trade Secrets Act", "Neb. Rev. Stat. §§ 87-501 to 87-507"
    ),
    Jurisdiction("NV", "Nevada", _utsa("Nevada"), "Nev. Rev. Stat. ch. 600A"),
    Jurisdiction("NH", "New Hampshire", _utsa("New Hampshire"), "N.H. Rev. Stat. Ann. ch. 350-B"),
    Jurisdiction(
        "NJ", "New Jersey", "New Jersey Trade Secrets Act", "N.J. Stat. Ann. §§ 56:15-1 to 56:15-9"
    ),
    Jurisdiction("NM", "New Mexico", _utsa("New Mexico"), "N.M. Stat. Ann. §§ 57-3A-1 to 57-3A-7"),
    Jurisdiction(
        "NY",
        "New York",
        "New York common law of trade secrets",
        "Restatement (First) of Torts § 757 (as applied by New York courts)",
        aliases=("new york state",),
        extras=(
            Authority(
                "New York General Obligations Law § 5-336",
                "N.Y. Gen. Oblig. Law § 5-336",
                "Limits confidentiality of the facts of discrimination, harassment or retaliation claims.",
            ),
        ),
    ),
    Jurisdiction(
        "NC",
        "North Carolina",
        "North Carolina Trade Secrets Protection Act",
        "N.C. Gen. Stat. §§ 66-152 to 66-162",
    ),
    Jurisdiction("ND", "North Dakota", _utsa("North Dakota"), "N.D. Cent. Code ch. 47-25.1"),
    Jurisdiction("OH", "Ohio", _utsa("Ohio"), "Ohio Rev. Code §§ 1333.61–1333.69"),
    Jurisdiction("OK", "Oklahoma", _utsa("Oklahoma"), "Okla. Stat. tit. 78, §§ 85–94"),
    Jurisdiction("OR", "Oregon", _utsa("Oregon"), "Or. Rev. Stat. §§ 646.461–646.475"),
    Jurisdiction("PA", "Pennsylvania", _utsa("Pennsylvania"), "12 Pa. Cons. Stat. §§ 5301–5308"),
    Jurisdiction("RI", "Rhode Island", _utsa("Rhode Island"), "R.I. Gen. Laws ch. 6-41"),
    Jurisdiction(
        "SC",
        "South Carolina",
        "South Carolina Trade Secrets Act",
        "S.C. Code Ann. §§ 39-8-10 to 39-8-130",
    ),
    Jurisdiction("SD", "South Dakota", _utsa("South Dakota"), "S.D. Codified Laws ch. 37-29"),
    Jurisdiction(
        "TN", "Tennessee", _utsa("Tennessee"), "Tenn. Code Ann. §§ 47-25-1701 to 47-25-1709"
    ),
    Jurisdiction("TX", "Texas", _utsa("Texas"), "Tex. Civ. Prac. & Rem. Code ch. 134A"),
    Jurisdiction("UT", "Utah", _utsa("Utah"), "Utah Code Ann. §§ 13-24-1 to 13-24-9"),
    Jurisdiction("VT", "Vermont", "Vermont Trade Secrets Act", "Vt. Stat. Ann. tit. 9, ch. 143"),
    Jurisdiction("VA", "Virginia", _utsa("Virginia"), "Va. Code Ann. §§ 59.1-336 to 59.1-343"),
    Jurisdiction(
        "WA",
        "Washington",
        _utsa("Washington"),
        "Wash. Rev. Code ch. 19.108",
        aliases=("washington state",),
        extras=(
            Authority(
                "Washington Silenced No More Act",
                "Wash. Rev. Code § 49.44.211",
                "Voids non-disclosure terms that bar employees from disclosing illegal workplace conduct.",
            ),
        ),
    ),
    Jurisdiction(
        "WV", "West Virginia", _utsa("West Virginia"), "W. Va. Code §§ 47-22-1 to 47-22-10"
    ),
    Jurisdiction("WI", "Wisconsin", "Wisconsin trade secrets statute", "Wis. Stat. § 134.90"),
    Jurisdiction("WY", "Wyoming", _utsa("Wyoming"), "Wyo. Stat. Ann. §§ 40-24-101 to 40-24-110"),
)

BY_CODE: dict[str, Jurisdiction] = {j.code: j for j in JURISDICTIONS}

#: Authorities every NDA cites, whatever law governs it.
FEDERAL_AUTHORITIES: tuple[Authority, ...] = (
    Authority(
        "Defend Trade Secrets Act of 2016 — whistleblower immunity notice",
        "18 U.S.C. § 1833(b)",
        "An agreement governing confidential information must give individuals notice of this "
        "immunity, or the employer loses exemplary damages and attorney fees against them; the "
        "draft includes the notice.",
    ),
    Authority(
        "Defend Trade Secrets Act of 2016 — civil action",
        "18 U.S.C. § 1836",
        "Gives a federal civil remedy for misappropriation of trade secrets, alongside state law.",
    ),
    Authority(
        "Speak Out Act",
        "42 U.S.C. §§ 19401–19404",
        "Pre-dispute non-disclosure clauses are unenforceable against sexual assault and sexual "
        "harassment disputes; the draft carves them out.",
    ),
)
