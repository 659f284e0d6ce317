"""Deterministic synthetic vendor masters and invoice queries for the matching benchmark.

Names are multilingual (German, French, Dutch, Italian, Spanish, Nordic, Polish, English) and built
the way real vendor masters look: surname firms, stem + trade firms, place + trade firms,
partnerships, acronyms; near-sibling firms (same stem, other trade or other legal form) are
added on purpose because they are what makes vendor lookup hard. Queries are distinct spellings
of a vendor (typos, OCR confusions, abbreviations, legal-form changes, accent spellings, dropped
generic words, place tails, reordering) plus unknown vendors drawn from the same pools.
"""

from __future__ import annotations

import random
import re

import pandas as pd

SURNAMES = str.split(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
    "Dubois Durand Lefèvre Moreau Laurent Simon Michel Lefebvre Leroy Roux Fournier Girard "
    "Janssen Visser Smit Bakker Dekker Jansen Vermeulen Peeters Maes Rossi Russo Ferrari "
    "Esposito Bianchi Romano Colombo Ricci Marino Greco García Fernández González Rodríguez "
    "López Martínez Sánchez Pérez Gómez Andersson Johansson Karlsson Nilsson Eriksson Larsson "
    "Hansen Jensen Nielsen Pedersen Virtanen Korhonen Nowak Kowalski Wiśniewski Wójcik "
    "Kowalczyk Smith Johnson Williams Brown Jones Taylor Davies Evans Wilson Thomas Roberts "
    "Walker Wright Thompson Robinson Clarke O'Brien Murphy Kelly Novák Svoboda Horváth Nagy"
)
STEMS = str.split(
    "Alpha Nova Terra Vita Sol Lumen Aqua Ferro Agri Bio Eco Tec Medi Pharma Logi Trans Euro "
    "Inter Omni Multi Poly Astra Orion Vega Atlas Helios Nordic Baltic Alpen Rhein Donau Elbe "
    "Maas Seine Loire Tiber Iber Atlant Pacific Delta Sigma Kappa Zenith Apex Summit Crest Peak "
    "Silver Gold Blue Green Red Black White Stern Adler Falke Löwe Bär Eiche Linde Birke Quelle"
)
SUFFIX = str.split("tec tronic plan bau werk data soft med line net star form print pack flex com")
TRADES = {
    "de": str.split(
        "Bau Logistik Elektrotechnik Maschinenbau Metallbau Druckerei Spedition Reinigung "
        "Sanitär Holzbau Dachdeckerei Autohaus Steuerberatung Immobilien Gebäudetechnik"
    ),
    "fr": str.split(
        "Transports Bâtiment Électricité Imprimerie Nettoyage Plomberie Menuiserie Conseil "
        "Distribution Boulangerie Informatique Emballages"
    ),
    "nl": str.split(
        "Bouw Transport Installatietechniek Drukkerij Schoonmaak Techniek Verhuur Advies "
        "Groothandel Metaal"
    ),
    "it": str.split(
        "Costruzioni Trasporti Impianti Elettrici Tipografia Meccanica Arredamenti Servizi "
        "Informatica Alimentari"
    ),
    "es": str.split(
        "Construcciones Transportes Instalaciones Eléctricas Imprenta Limpiezas Ingeniería "
        "Suministros Distribuciones"
    ),
    "en": str.split(
        "Construction Logistics Electrical Printing Cleaning Plumbing Engineering Consulting "
        "Supplies Software Catering Security Packaging Trading Services Solutions Systems"
    ),
    "nordic": str.split("Bygg Transport El Tryck Städ Teknik Konsult Data Maskin"),
    "pl": str.split("Budownictwo Transport Instalacje Drukarnia Usługi Handel Serwis"),
}
LEGAL = {
    "de": ["GmbH", "AG", "GmbH & Co. KG", "KG", "e.K.", "OHG", "UG (haftungsbeschränkt)"],
    "fr": ["SARL", "SAS", "S.A.", "EURL"],
    "nl": ["B.V.", "N.V.", "V.O.F."],
    "it": ["S.r.l.", "S.p.A.", "S.n.c."],
    "es": ["S.L.", "S.A.", "S.L.U."],
    "en": ["Ltd", "Limited", "Inc.", "LLC", "PLC", "Corp.", "Co."],
    "nordic": ["AB", "AS", "Oy", "ApS"],
    "pl": ["Sp. z o.o.", "S.A."],
}
LEGAL_VARIANTS = {
    "GmbH": ["Gmbh", "G.m.b.H.", "GMBH", ""],
    "AG": ["Aktiengesellschaft", "A.G.", ""],
    "GmbH & Co. KG": ["GmbH & Co KG", "GmbH u. Co. KG", "GmbH+Co.KG", ""],
    "Ltd": ["Limited", "Ltd.", "LTD", ""],
    "Limited": ["Ltd", "Ltd.", ""],
    "Inc.": ["Inc", "Incorporated", ""],
    "LLC": ["L.L.C.", "llc", ""],
    "Corp.": ["Corporation", "Corp", ""],
    "B.V.": ["BV", "b.v.", ""],
    "N.V.": ["NV", ""],
    "S.A.": ["SA", "S. A.", ""],
    "SARL": ["S.A.R.L.", "Sarl", ""],
    "SAS": ["S.A.S.", ""],
    "S.r.l.": ["SRL", "s.r.l", ""],
    "S.p.A.": ["SpA", "S.P.A.", ""],
    "S.L.": ["SL", "S.L", ""],
    "AB": ["Aktiebolag", ""],
    "Sp. z o.o.": ["Sp.z o.o.", "sp. z o. o.", ""],
}
ABBREV = {
    "International": "Intl",
    "Services": "Svcs",
    "Engineering": "Eng.",
    "Brothers": "Bros.",
    "Manufacturing": "Mfg",
    "Technologies": "Tech",
    "Gesellschaft": "Ges.",
    "Logistics": "Log.",
}
ALL_LEGAL = [form for forms in LEGAL.values() for form in forms]
CITIES = str.split(
    "Berlin Hamburg München Wien Zürich Paris Lyon Amsterdam Milano Madrid London Dublin"
)
COUNTRY_TAIL = ["Deutschland", "UK", "France", "Nederland", "Italia", "España", "Österreich"]
OCR = {"o": "0", "l": "1", "i": "l", "m": "rn", "e": "c", "S": "5", "B": "8", "ü": "u", "é": "e"}
ACCENT_SPELL = {"ü": "ue", "ö": "oe", "ä": "ae", "é": "e", "ß": "ss", "ó": "o", "í": "i", "ś": "s"}


SYLLABLES = str.split(
    "ka ro ben vi ta lor mar sen dra fel tri no va mi ster gen hol ric ver dan lu ne os tek zu "
    "ber wal fin kor sa li mo ran del pe gra bru cas dor el fa gu ha im jo ke la mu ni ob pi "
    "qua ri so tu ul vel wen xa yo zan brock stein feld"
)


def _brand(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).title()


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(SURNAMES)
    return _brand(rng) + rng.choice(("mann", "son", "sen", "ez", "ini", "ova", "ski", "er", "ens"))


def _base_name(rng: random.Random) -> tuple[str, str]:
    lang = rng.choice(list(TRADES))
    trade = rng.choice(TRADES[lang])
    pattern = rng.random()
    if pattern < 0.3:
        core = f"{_brand(rng)} {trade}" if rng.random() < 0.6 else f"{_surname(rng)} {_brand(rng)}"
    elif pattern < 0.5:
        core = f"{_surname(rng)} {trade}"
    elif pattern < 0.65:
        core = f"{rng.choice(STEMS)}{rng.choice(SUFFIX)} {trade}"
    elif pattern < 0.75:
        core = f"{_surname(rng)} & {_surname(rng)}"
    elif pattern < 0.8:
        core = f"{rng.choice(STEMS)} {rng.choice(['International', 'Group', 'Engineering'])}"
    elif pattern < 0.9:
        core = (
            f"{rng.choice(CITIES)}er {trade}" if lang == "de" else f"{trade} {rng.choice(CITIES)}"
        )
    else:
        core = f"{_surname(rng)} {rng.choice(STEMS)}{rng.choice(SUFFIX)}"
    return f"{core} {rng.choice(LEGAL[lang])}", lang


def make_vendor_master(n: int, seed: int = 7, sibling_rate: float = 0.15) -> pd.DataFrame:
    """``n`` distinct vendors (``id,name,vat_id,iban,city``), some of them near-siblings."""
    rng = random.Random(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name, lang = _base_name(rng)
        if rng.random() < sibling_rate and names:
            base = rng.choice(names)
            words = base.split()
            if rng.random() < 0.5:  # same firm name, other legal form
                name = " ".join([*words[:-1], rng.choice(ALL_LEGAL)])
            else:  # same stem, other trade
                name = f"{words[0]} {rng.choice(TRADES[lang])} {rng.choice(LEGAL[lang])}"
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    ids = [f"V{i:06d}" for i in range(n)]
    return pd.DataFrame(
        {
            "id": ids,
            "name": names,
            "vat_id": [f"DE{rng.randrange(10**8, 10**9)}" for _ in ids],
            "iban": [f"DE{rng.randrange(10, 99)}{rng.randrange(10**17, 10**18)}" for _ in ids],
            "city": [rng.choice(CITIES) for _ in ids],
        }
    )


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    op = rng.randrange(4)
    if op == 0:
        return text[:i] + text[i + 1 :]
    if op == 1:
        return text[:i] + rng.choice("aeinrst") + text[i:]
    if op == 2:
        return text[:i] + rng.choice("aeinrst") + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def make_variant(rng: random.Random, name: str) -> str:
    """One realistic distinct spelling of ``name`` (1-3 transformations)."""
    for _ in range(10):
        out = name
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            out = _transform(rng, out)
        out = " ".join(out.split())
        if out and out != name:
            return out
    return name.upper()


def _transform(rng: random.Random, name: str) -> str:
    op = rng.randrange(11)
    words = name.split()
    for legal, variants in LEGAL_VARIANTS.items():
        if op <= 1 and name.endswith(" " + legal):
            return f"{name[: -len(legal)]} {rng.choice(variants)}"
    if op == 2:
        return _typo(rng, name)
    if op == 3:
        return "".join(OCR.get(c, c) if rng.random() < 0.1 else c for c in name)
    if op == 4:
        return "".join(ACCENT_SPELL.get(c, c) for c in name) if rng.random() < 0.7 else name.upper()
    if op == 5:
        return " ".join(ABBREV.get(w, w) for w in words).replace(" & ", " and ")
    if op == 6:
        if rng.random() < 0.5 and "(" not in name:
            return f"{name} {rng.choice(CITIES + COUNTRY_TAIL)}"
        return name.lower()
    generic = {"Group", "Services", "International"}
    if op == 7 and len([w for w in words if w not in generic]) > 2:
        return " ".join(w for w in words if w not in generic)
    if op == 8:
        return name.replace(" ", "", 1) if rng.random() < 0.5 else name.replace(" ", "-", 1)
    if op == 9:
        return _typo(rng, _typo(rng, name))
    if rng.random() < 0.5 or "(" in name:
        return name.title()
    return f"{name} ({rng.choice(COUNTRY_TAIL)})"


def make_queries(
    master: pd.DataFrame, n: int, seed: int = 11, unknown_rate: float = 0.2
) -> pd.DataFrame:
    """``n`` invoice queries (``id,name,truth``); ``truth`` is a vendor id or ``""`` (unknown)."""
    rng = random.Random(seed)
    known = set(master["name"].str.lower())
    names = master["name"].tolist()
    ids = master["id"].tolist()
    rows = []
    for i in range(n):
        if rng.random() < unknown_rate:
            while True:
                base, _ = _base_name(rng)
                if base.lower() not in known:
                    break
            rows.append((f"Q{i:06d}", make_variant(rng, base) if rng.random() < 0.5 else base, ""))
        else:
            j = rng.randrange(len(names))
            rows.append((f"Q{i:06d}", make_variant(rng, names[j]), ids[j]))
    return pd.DataFrame(rows, columns=["id", "name", "truth"])


# --- Held-out style company-name lookup --------------------------------------------------------
# A vendor master of companies and invoice spellings of them with the phenomena that make real
# vendor lookup hard: former names, typos and transliterations, acronyms, place tails, spelled-out
# legal forms, spaced/glued letters, dropped words; and unknown vendors that share only generic
# words or a family name with a master vendor. Built from word pools, not from any real list.

GENERIC = str.split(
    "International Holding Group Europe Europa Global Services Solutions Systems Industries "
    "Technologies Trading Partners Consulting Management Logistics Enterprises Worldwide Capital"
)
TRADE_WORDS = str.split(
    "Logistik Bau Transport Energie Chemie Pharma Medical Foods Elektro Maschinen Software "
    "Automotive Textil Papier Glas Stahl Marine Aviation Telecom Media Finance Insurance Retail"
)
SPELLED_LEGAL = {
    "N.V.": "Naamloze Vennootschap",
    "B.V.": "Besloten Vennootschap",
    "GmbH": "Gesellschaft mit beschränkter Haftung",
    "AG": "Aktiengesellschaft",
    "S.A.": "Sociedad Anónima",
    "SA": "Société Anonyme",
    "S.p.A.": "Società per Azioni",
    "S.r.l.": "Società a responsabilità limitata",
    "S.L.": "Sociedad Limitada",
    "Ltd": "Limited",
    "PLC": "Public Limited Company",
    "Inc.": "Incorporated",
    "Corp.": "Corporation",
    "AB": "Aktiebolag",
    "Oy": "Osakeyhtiö",
    "Sp. z o.o.": "Spółka z ograniczoną odpowiedzialnością",
    "s.r.o.": "společnost s ručením omezeným",
    "LLC": "Limited Liability Company",
}
COUNTRY_LEGAL = {
    "nl": ["N.V.", "B.V."],
    "de": ["GmbH", "AG", "GmbH & Co. KG", "KG"],
    "es": ["S.A.", "S.L."],
    "fr": ["SA", "SAS", "SARL"],
    "it": ["S.p.A.", "S.r.l."],
    "uk": ["Ltd", "PLC", "Limited"],
    "us": ["Inc.", "Corp.", "LLC"],
    "se": ["AB"],
    "fi": ["Oy"],
    "pl": ["Sp. z o.o.", "S.A."],
    "cz": ["s.r.o.", "a.s."],
}
PLACE_TAILS = {
    "nl": ["Nederland", "Amsterdam", "Rotterdam"],
    "de": ["Deutschland", "München", "Hamburg", "Berlin"],
    "es": ["España", "Madrid", "Barcelona"],
    "fr": ["France", "Paris", "Lyon"],
    "it": ["Italia", "Milano", "Roma"],
    "uk": ["UK", "London", "Manchester"],
    "us": ["USA", "Chicago", "New York"],
    "se": ["Sverige", "Stockholm"],
    "fi": ["Suomi", "Helsinki"],
    "pl": ["Polska", "Warszawa"],
    "cz": ["Praha", "Česko"],
}
TRANSLIT = {
    "ü": "ue",
    "ö": "oe",
    "ä": "ae",
    "ß": "ss",
    "é": "e",
    "è": "e",
    "ó": "o",
    "í": "i",
    "ś": "s",
    "ł": "l",
    "ø": "oe",
    "å": "aa",
    "ñ": "n",
    "č": "c",
    "ř": "r",
    "š": "s",
}
CYRILLIC = {
    "a": "а",
    "b": "б",
    "v": "в",
    "g": "г",
    "d": "д",
    "e": "е",
    "z": "з",
    "i": "и",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "f": "ф",
    "h": "х",
    "c": "к",
    "y": "й",
    "j": "й",
    "w": "в",
    "x": "кс",
    "q": "к",
}


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4)))).title()


def _company(rng: random.Random) -> tuple[list[str], str, str]:
    """(name words without the legal form, legal form, country) of one company."""
    country = rng.choice(list(COUNTRY_LEGAL))
    legal = rng.choice(COUNTRY_LEGAL[country])
    shape = rng.random()
    if shape < 0.2:  # family-name firm
        words = [_surname(rng), rng.choice(TRADE_WORDS)]
    elif shape < 0.35:  # two family names
        words = [_surname(rng), "&", _surname(rng)]
    elif shape < 0.5:  # brand + generic
        words = [_word(rng), rng.choice(GENERIC)]
    elif shape < 0.65:  # three-word descriptive name (acronym-prone)
        words = [_word(rng), rng.choice(TRADE_WORDS), rng.choice(GENERIC)]
    elif shape < 0.75:  # an acronym brand
        words = ["".join(rng.choice("ABCDEFGHKLMNPRSTVW") for _ in range(rng.choice((3, 3, 4))))]
        words += [rng.choice(TRADE_WORDS)] if rng.random() < 0.5 else []
    elif shape < 0.85:  # stem + suffix brand with a trade
        words = [f"{rng.choice(STEMS)}{rng.choice(SUFFIX)}", rng.choice(TRADE_WORDS)]
    else:  # a single brand word
        words = [_word(rng)]
    return words, legal, country


def _initials(words: list[str]) -> str:
    return "".join(w[0].upper() for w in words if w[0].isalpha() and w not in ("&", "und"))


def make_lookup_set(
    n_masters: int, seed: int, *, unknown_rate: float = 0.22, per_master: float = 5.4
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Vendor master (``id,name,aliases``) and queries (``id,name,truth,kind``).

    About a fifth of the vendors changed their name: the master lists most former names in
    ``aliases`` (separated by ``|``), some not (those queries can only go to review or reject).
    """
    rng = random.Random(seed)
    masters: list[dict[str, object]] = []
    seen: set[str] = set()
    while len(masters) < n_masters:
        words, legal, country = _company(rng)
        if rng.random() < 0.12 and masters:  # a sibling of an earlier company
            other = masters[rng.randrange(len(masters))]
            words = [str(other["words"][0]), rng.choice(TRADE_WORDS)]  # type: ignore[index]
        expansion: list[str] = []
        core_words = [w for w in words if w != "&"]
        if len(core_words) >= 3 and rng.random() < 0.3:  # the master holds the acronym only
            expansion, words = core_words, [_initials(core_words)]
        name = " ".join([*words, legal])
        flat = re.sub(r"[^a-z0-9]", "", name.lower())
        if name.lower() in seen or flat in seen:  # "X S.A." and "X SA" are one company
            continue
        seen.update((name.lower(), flat))
        masters.append(
            {
                "words": words,
                "expansion": expansion,
                "legal": legal,
                "country": country,
                "name": name,
                "former": _former_name(rng, words, legal) if rng.random() < 0.2 else "",
            }
        )
        masters[-1]["listed"] = bool(masters[-1]["former"]) and rng.random() < 0.7
    ids = [f"M{i:04d}" for i in range(n_masters)]
    master = pd.DataFrame(
        {
            "id": ids,
            "name": [m["name"] for m in masters],
            "aliases": [m["former"] if m["listed"] else "" for m in masters],
        }
    )
    rows: list[tuple[str, str, str, str]] = []
    n_known = int(n_masters * per_master * (1 - unknown_rate))
    for _ in range(n_known):
        j = rng.randrange(n_masters)
        spelling, kind = _spelling(rng, masters[j])
        rows.append((f"Q{len(rows):05d}", spelling, ids[j], kind))
    n_unknown = int(n_known * unknown_rate / (1 - unknown_rate))
    for _ in range(n_unknown):
        spelling, kind = _unknown(rng, masters, seen)
        rows.append((f"Q{len(rows):05d}", spelling, "", kind))
    rng.shuffle(rows)
    return master, pd.DataFrame(rows, columns=["id", "name", "truth", "kind"])


FORMER_PREFIX = ["Koninklijke", "Royal", "Deutsche", "Groupe", "Grupo", "Vereinigte"]


def _former_name(rng: random.Random, words: list[str], legal: str) -> str:
    """A former name: an unrelated one (rebranding), or a longer form of this one."""
    if rng.random() < 0.6:
        other, other_legal, _ = _company(rng)
        return " ".join([*other, other_legal])
    extra = rng.choice([*TRADE_WORDS, *GENERIC])
    return f"{rng.choice(FORMER_PREFIX)} {' '.join(words)} {extra} {legal}"


def _spelling(rng: random.Random, m: dict[str, object]) -> tuple[str, str]:
    words = list(m["words"])  # type: ignore[call-overload]
    legal, country = str(m["legal"]), str(m["country"])
    if m["former"] and rng.random() < 0.45:
        return str(m["former"]), "former name"
    kind = rng.choice(
        [
            "typo",
            "transliteration",
            "acronym",
            "tail",
            "spelled legal form",
            "spaced letters",
            "dropped word",
            "legal form variant",
            "case and punctuation",
        ]
    )
    if kind == "typo":
        out = _typo(rng, " ".join([*words, legal]))
        return (_typo(rng, out) if rng.random() < 0.3 else out), kind
    if kind == "transliteration":
        text = " ".join([*words, legal])
        if rng.random() < 0.4:
            cyr = "".join(CYRILLIC.get(c, c) for c in " ".join(words).lower())
            return cyr.title(), kind
        folded = "".join(TRANSLIT.get(c, c) for c in text)
        return (folded if folded != text else _typo(rng, text)), kind
    if kind == "acronym" and m["expansion"]:  # the master is the acronym: spell it out
        return f"{' '.join(m['expansion'])} {legal}", kind  # type: ignore[arg-type]
    if kind == "acronym":
        core = [w for w in words if w != "&"]
        if len(core) >= 3:
            return f"{_initials(core)} {legal}", kind
        if len(core[0]) <= 4 and core[0].isupper():
            return f"{' '.join(core[0])} {legal}", "spaced letters"
        kind = "tail"
    if kind == "tail":
        tail = rng.choice(PLACE_TAILS[country])
        shape = rng.random()
        if shape < 0.4:
            return f"{' '.join(words)} {legal} {tail}", kind
        if shape < 0.7:
            return f"{' '.join(words)} {legal} ({tail})", kind
        return f"{' '.join(words)} - {tail}", kind
    if kind == "spelled legal form" and legal in SPELLED_LEGAL:
        return f"{' '.join(words)} {SPELLED_LEGAL[legal]}", kind
    if kind == "spaced letters":
        first = words[0]
        if first.isupper() and len(first) <= 4:
            return " ".join(
                [rng.choice([" ".join(first), ".".join(first) + "."]), *words[1:], legal]
            ), kind
        if len(words) >= 2 and words[1] != "&":
            return " ".join([words[0] + words[1].lower(), *words[2:], legal]), "glued words"
        if len(first) >= 6:
            cut = len(first) // 2
            return " ".join([first[:cut], first[cut:].title(), *words[1:], legal]), "split word"
    if kind == "dropped word" and len([w for w in words if w != "&"]) >= 2:
        keep = [w for w in words if w != "&"]
        keep.pop(rng.randrange(1, len(keep)))
        return " ".join([*keep, legal]), kind
    variants = LEGAL_VARIANTS.get(legal, [legal.upper(), ""])
    out = f"{' '.join(words)} {rng.choice(variants)}".strip()
    if rng.random() < 0.5:
        out = out.upper() if rng.random() < 0.5 else out.replace(" & ", " and ")
    return out, "legal form variant"


def _unknown(
    rng: random.Random, masters: list[dict[str, object]], seen: set[str]
) -> tuple[str, str]:
    shape = rng.random()
    other = masters[rng.randrange(len(masters))]
    if 0.35 <= shape < 0.6:  # a family-name firm: its name says which trade it is in
        named = [m for m in masters if len(m["words"]) >= 2 and m["words"][1] != "&"]  # type: ignore[arg-type,index]
        other = named[rng.randrange(len(named))] if named else other
    words = list(other["words"])  # type: ignore[call-overload]
    if shape < 0.35:  # shares only generic words (and perhaps the legal form)
        generic = [w for w in words if w in GENERIC] or [rng.choice(GENERIC)]
        name = " ".join([_word(rng), *generic, str(other["legal"])])
        kind = "unknown, generic words only"
    elif shape < 0.6:  # same family name, another company
        surname = next(
            (
                w
                for w in words
                if w[:1].isupper() and w not in GENERIC and w not in TRADE_WORDS and w != "&"
            ),
            _surname(rng),
        )
        trade = rng.choice([t for t in TRADE_WORDS if t not in words])
        name = f"{surname} {trade} {rng.choice(COUNTRY_LEGAL[str(other['country'])])}"
        kind = "unknown, family name only"
    else:
        w, legal, _ = _company(rng)
        name = " ".join([*w, legal])
        kind = "unknown, new company"
    if name.lower() in seen:
        name = f"{_word(rng)} {name}"
    return (make_variant(rng, name) if rng.random() < 0.3 else name), kind
