"""Name normalization: accents, legal forms, tails, abbreviations; properties with hypothesis."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.matching.normalize import fold_accents, normalize_name, normalize_text

LATIN = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzäöüßéèàçñøåæ ABCDEFGHÜÖÄ.,-&'()/")),
    max_size=40,
)


def test_accented_letters_fold_instead_of_disappearing() -> None:
    keys = {normalize_name(n).key for n in ("Müller GmbH", "Mueller GmbH", "Muller GmbH")}
    assert keys == {"muller"}
    assert normalize_name("Müller GmbH").display == "müller gmbh"


def test_legal_form_is_stripped_but_kept_as_family() -> None:
    ag, gmbh = normalize_name("Deutsche Bank AG"), normalize_name("Deutsche Bank GmbH")
    assert ag.key == gmbh.key == "deutsche bank"
    assert (ag.legal_family, gmbh.legal_family) == ("ag", "gmbh")


def test_dotted_and_spaced_legal_forms_are_recognised() -> None:
    for name, family in [
        ("Fiat S.p.A.", "spa"),
        ("Philips N.V.", "nv"),
        ("Shell B.V.", "bv"),
        ("Acme Sp. z o.o.", "sp_zoo"),
        ("Acme Sp.z o.o.", "sp_zoo"),
        ("Acme S. A. R. L.", "sarl"),
        ("Acme GmbH & Co. KG", "gmbh_co_kg"),
        ("Acme Pty Ltd", "ltd"),
        ("Acme Oy", "oy"),
        ("AB Volvo", "ab"),
        ("Acme Limited Liability Company", "llc"),
    ]:
        result = normalize_name(name)
        assert result.legal_family == family, name
        assert result.key in {"acme", "fiat", "philips", "shell", "volvo"}, name


def test_place_tails_are_cut_after_a_separator_or_legal_form() -> None:
    assert normalize_name("Acme GmbH (Deutschland)").key == "acme"
    assert normalize_name("Acme Ltd - UK").tail == "uk"
    assert normalize_name("Siemens AG Österreich").key == "siemens"
    # a place that is part of the name stays
    assert normalize_name("Bank of America").key == "bank america"


def test_abbreviations_expand_and_acronyms_are_computed() -> None:
    assert (
        normalize_name("Acme Intl. Mfg").key
        == normalize_name("Acme International Manufacturing").key
    )
    assert normalize_name("International Business Machines Corp").acronym == "ibm"


def test_a_name_made_only_of_a_legal_form_is_kept() -> None:
    assert normalize_name("GmbH").key == "gmbh"
    assert normalize_name("").key == ""


@settings(max_examples=300, deadline=None)
@given(LATIN)
def test_normalization_never_fails_and_keys_are_clean(text: str) -> None:
    result = normalize_name(text)
    assert result.key == result.key.strip()
    assert "  " not in result.key
    assert result.key == result.key.lower()
    assert result.key.isascii()
    assert all(ch.isalnum() or ch == " " for ch in result.key)


@settings(max_examples=300, deadline=None)
@given(LATIN)
def test_case_does_not_change_the_key(text: str) -> None:
    assert normalize_name(text.upper()).key == normalize_name(text.lower()).key


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12))
def test_adding_a_legal_form_keeps_the_key(word: str) -> None:
    base = normalize_name(f"{word} zentrale")
    with_form = normalize_name(f"{word} zentrale GmbH")
    assert with_form.key == base.key
    assert with_form.legal_family == "gmbh"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
@example("\U0001f110")  # PARENTHESIZED LATIN CAPITAL LETTER A: NFKD gives "(A)", upper case
def test_folding_is_idempotent(text: str) -> None:
    once = fold_accents(text)
    assert fold_accents(once) == once
    assert isinstance(normalize_text(text), str)
