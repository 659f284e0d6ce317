"""Word lists the name normalizer uses: legal forms, generic words, abbreviations, place tails.

Legal forms are given as token sequences *after* punctuation handling (``"B.V."`` -> ``bv``,
``"S. p. A."`` -> ``s p a``) mapped to a canonical family. Two names whose legal forms fall in
different families are likely different companies ("Deutsche Bank AG" vs "Deutsche Bank GmbH"),
so the family is kept as a signal after it is stripped from the scoring key.
"""

from __future__ import annotations

# family -> spellings (space separated token sequences, already lower case and accent folded)
_LEGAL_FAMILIES: dict[str, tuple[str, ...]] = {
    # German-speaking
    "gmbh": (
        "gmbh",
        "mbh",
        "gesellschaft mit beschrankter haftung",
        "gesellschaft mbh",
        "ges m b h",
        "gesmbh",
    ),
    "gmbh_co_kg": (
        "gmbh co kg",
        "gmbh and co kg",
        "gmbh u co kg",
        "gmbh cokg",
        "gmbh co kg aa",
        "ag co kg",
    ),
    "ag": ("ag", "aktiengesellschaft", "a g"),
    "kg": ("kg", "kommanditgesellschaft", "kgaa"),
    "ohg": ("ohg", "offene handelsgesellschaft"),
    "ug": ("ug", "ug haftungsbeschrankt"),
    "ek": ("e k", "ek", "e kfm", "eingetragener kaufmann"),
    "gbr": ("gbr",),
    "se": ("se", "societas europaea"),
    # Dutch / Belgian
    "bv": (
        "bv",
        "b v",
        "besloten vennootschap",
        "besloten vennootschap met beperkte aansprakelijkheid",
        "bvba",
        "srl bv",
    ),
    "nv": ("nv", "n v", "naamloze vennootschap"),
    "vof": ("vof", "vennootschap onder firma", "cv", "commanditaire vennootschap"),
    # French / Belgian / Swiss / Luxembourg
    "sarl": ("sarl", "s a r l", "eurl", "societe a responsabilite limitee"),
    "sas": (
        "sas",
        "s a s",
        "sasu",
        "societe par actions simplifiee",
        "societe par actions simplifiee unipersonnelle",
    ),
    "sa": (
        "sa",
        "s a",
        "societe anonyme",
        "sociedad anonima",
        "sociedade anonima",
        "spolka akcyjna",
        "anonim sirketi",
    ),
    "sca": ("sca", "scs", "snc", "societe en nom collectif", "societe en commandite"),
    # Southern Europe
    "spa": ("spa", "s p a", "societa per azioni"),
    "srl": (
        "srl",
        "s r l",
        "societa a responsabilita limitata",
        "societa a responsabilita limitata semplificata",
        "srls",
        "sociedad de responsabilidad limitada",
        "societate cu raspundere limitata",
    ),
    "sl": (
        "sl",
        "s l",
        "sociedad limitada",
        "sociedad limitada unipersonal",
        "slu",
        "lda",
        "ltda",
        "limitada",
        "sociedade limitada",
        "sociedade por quotas",
    ),
    # Nordics
    "ab": ("ab", "aktiebolag", "publ ab", "ab publ"),
    "as": ("as", "a s", "asa", "aksjeselskap", "aktieselskab", "allmennaksjeselskap"),
    "aps": ("aps", "a p s", "anpartsselskab"),
    "ou": ("ou",),
    "oy": ("oy", "oyj", "osakeyhtio", "julkinen osakeyhtio"),
    # Central / Eastern Europe
    "sro": (
        "sro",
        "s r o",
        "spol s r o",
        "spolecnost s rucenim omezenym",
        "spolocnost s rucenim obmedzenym",
    ),
    "sp_zoo": ("sp z o o", "sp zoo", "spolka z ograniczona odpowiedzialnoscia"),
    "kft": ("kft", "zrt", "nyrt", "korlatolt felelossegu tarsasag"),
    "doo": ("doo", "d o o", "drustvo s ogranicenom odgovornoscu"),
    "ooo": ("ooo", "obshchestvo s ogranichennoi otvetstvennostiu"),
    "ao": ("zao", "oao", "pao", "akcionernoe obshchestvo"),
    # English-speaking
    "ltd": (
        "ltd",
        "limited",
        "pty ltd",
        "pty limited",
        "pty",
        "proprietary limited",
        "co ltd",
        "company limited",
        "private limited",
        "pvt ltd",
    ),
    "plc": ("plc", "public limited company"),
    "llc": ("llc", "l l c", "limited liability company", "lc"),
    "llp": ("llp", "l l p", "lp", "l p", "limited partnership", "limited liability partnership"),
    "inc": (
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co inc",
        "co",
        "company",
        "and co",
        "and company",
        "cie",
        "and cie",
    ),
}

LEGAL_FORMS: dict[tuple[str, ...], str] = {
    tuple(spelling.split()): family
    for family, spellings in _LEGAL_FAMILIES.items()
    for spelling in spellings
}
MAX_LEGAL_TOKENS = max(len(k) for k in LEGAL_FORMS)
# The same forms with the spaces removed: "Sp.z o.o." and "S. A. R. L." tokenize in many ways.
LEGAL_JOINED: dict[str, str] = {"".join(k): f for k, f in LEGAL_FORMS.items()}

# Words that inflate similarity between unrelated firms; scored with a reduced weight.
GENERIC_WORDS = frozenset(
    str.split(
        """
    group groupe gruppe grupo gruppo holding holdings holdco trading trade handel handels
    services service dienstleistungen dienstleistung servicios servizi solutions solution
    systems system systeme technologies technology tech technik international
    global europe european euro industries industry industrie industrial enterprises
    enterprise partners partner associates management consulting consultants beratung
    logistics logistik products produkte manufacturing mfg company firma societe
    development worldwide network networks media digital software import export
    invest investments capital ventures energy bau verwaltung vertrieb
    """
    )
)

STOPWORDS = frozenset({"the", "and", "und", "et", "en", "y", "of", "der", "die", "das", "le", "la"})

# Abbreviation -> expansion (both sides get the same expansion, so it only has to be consistent).
ABBREVIATIONS: dict[str, str] = {
    "intl": "international",
    "int": "international",
    "internat": "international",
    "mfg": "manufacturing",
    "manuf": "manufacturing",
    "svc": "services",
    "svcs": "services",
    "serv": "services",
    "srvs": "services",
    "techn": "technologies",
    "technol": "technologies",
    "tech": "technologies",
    "technology": "technologies",
    "bros": "brothers",
    "natl": "national",
    "nat": "national",
    "assoc": "associates",
    "assn": "association",
    "mgmt": "management",
    "mgt": "management",
    "ctr": "center",
    "centre": "center",
    "zentrum": "center",
    "ind": "industries",
    "inds": "industries",
    "industry": "industries",
    "sys": "systems",
    "system": "systems",
    "eng": "engineering",
    "engg": "engineering",
    "grp": "group",
    "hldgs": "holdings",
    "hldg": "holdings",
    "holding": "holdings",
    "univ": "university",
    "dept": "department",
    "dist": "distribution",
    "distr": "distribution",
    "elec": "electric",
    "electrical": "electric",
    "comm": "communications",
    "comms": "communications",
    "sol": "solutions",
    "solns": "solutions",
    "solution": "solutions",
    "service": "services",
    "svcs.": "services",
    "prod": "products",
    "prods": "products",
    "product": "products",
    "labs": "laboratories",
    "lab": "laboratories",
    "pharma": "pharmaceuticals",
    "pharm": "pharmaceuticals",
    "chem": "chemicals",
    "chemical": "chemicals",
    "mktg": "marketing",
    "fin": "financial",
    "invest": "investments",
    "ins": "insurance",
    "constr": "construction",
    "equip": "equipment",
    "transp": "transport",
    "st": "saint",
    "ste": "sainte",
    "mt": "mount",
    "ges": "gesellschaft",
    "ver": "vereinigte",
}

COUNTRIES = frozenset(
    str.split(
        """
    germany deutschland allemagne austria osterreich oesterreich switzerland schweiz suisse
    svizzera france frankreich belgium belgique belgie netherlands nederland holland
    luxembourg luxemburg italy italia italien spain espana spanien portugal ireland uk
    gb england scotland wales usa us america canada australia poland polska czech
    cesko slovakia hungary magyarorszag denmark danmark sweden sverige norway norge finland
    suomi estonia latvia lithuania greece romania bulgaria croatia slovenia europe emea
    benelux nordic dach
    """
    )
)

CITIES = frozenset(
    str.split(
        """
    berlin hamburg munchen munich koln cologne frankfurt stuttgart dusseldorf leipzig
    dresden hannover nurnberg bremen essen dortmund wien vienna graz linz salzburg zurich
    geneve genf basel bern lausanne paris lyon marseille toulouse lille nantes bordeaux
    strasbourg nice bruxelles brussel brussels antwerpen anvers gent amsterdam rotterdam
    utrecht eindhoven denhaag milano milan roma rome torino napoli madrid barcelona
    valencia sevilla lisboa lisbon porto dublin london manchester birmingham glasgow
    edinburgh leeds newyork nyc chicago boston sydney melbourne toronto stockholm goteborg
    oslo kobenhavn copenhagen helsinki warszawa warsaw krakow praha prague bratislava
    budapest bucuresti bucharest sofia athens athina istanbul ankara riga tallinn vilnius
    ljubljana zagreb beograd belgrade luxemburg monaco bilbao malaga zaragoza genova bologna
    firenze florence venezia venice antwerp liege gothenburg malmo aarhus odense tampere
    losangeles sanfrancisco sandiego lasvegas newyorkcity washington seattle atlanta houston
    dallas miami philadelphia denver detroit montreal vancouver tokyo singapore hongkong
    shanghai beijing mumbai delhi dubai
    """
    )
)
