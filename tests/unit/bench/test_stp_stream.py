"""The STP bench's stream with dev documents in it (``bench.stp_bench.insert_dev_docs``), on
generated stand-in documents (the bench alone reads the real ones, from the benchmarks folder
beside the checkout; no test does)."""

from __future__ import annotations

import dataclasses

import pytest

from bench.stp_bench import (
    LATER_FIELDS,
    NO_BENCHMARKS,
    DevDoc,
    Item,
    insert_dev_docs,
    later_rendering,
    load_dev_docs,
    make_stream,
)
from core.demo.synthetic_content import make_spec
from core.demo.synthetic_invoices import truth_of
from core.demo.synthetic_layouts import render_pdf
from core.extraction.document import load_document
from core.extraction.offline_extractor import OfflineExtractor

pytestmark = pytest.mark.slow  # (documents rendered and read: about half a minute)


def _doc(seed: int, name: str, vendor_name: str | None = None) -> DevDoc:
    spec = make_spec(seed, credit_note=False, n_items=2)
    if vendor_name is not None:
        spec = dataclasses.replace(spec, vendor=dataclasses.replace(spec.vendor, name=vendor_name))
    return DevDoc(f"docs/{name}.pdf", render_pdf(spec), truth_of(spec), "pdf")


def _synthetic() -> tuple[list, list[Item]]:
    return make_stream(40, 5, 2, "harsh")  # (seed 2: three re-sends or re-scans in 40 items)


@pytest.fixture(scope="module")
def stream() -> tuple[list[Item], list[Item], list[DevDoc]]:
    _, items = _synthetic()
    docs = [_doc(901, "a", "Shared Vendor GmbH"), _doc(902, "b", "Shared Vendor GmbH"),
            _doc(903, "c")]  # fmt: skip
    vendors, _ = _synthetic()
    _, out = insert_dev_docs(vendors, items, docs, seed=3)
    return items, out, docs


def test_the_synthetic_items_keep_their_order_and_their_duplicates_point_to_the_same_invoice(
    stream,
) -> None:
    items, out, _ = stream
    assert [it.index for it in out] == list(range(len(out)))
    synthetic = [it for it in out if it.dev is None]
    assert [it.filename for it in synthetic] == [it.filename for it in items]
    assert [it.data for it in synthetic] == [it.data for it in items]
    dups = [it for it in synthetic if it.dup_of is not None]
    assert dups
    for it in dups:
        original = out[it.dup_of]
        assert original.index < it.index and original.dev is None
        assert original.truth["invoice_number"] == it.truth["invoice_number"]


def test_each_dev_document_is_its_vendors_first_invoice_in_the_first_half_then_later_renderings(
    stream,
) -> None:
    _, out, docs = stream
    dev = [it for it in out if it.dev is not None]
    assert len(out) == 40 + len(dev)
    for doc in docs:
        own = [it for it in dev if it.dev == doc.name]
        assert own[0].dev_step == 0 and own[0].data == doc.data and own[0].kind == "pdf"
        assert own[0].index < len(out) // 2
        later = own[1:]
        assert 1 <= len(later) <= 3, "a stand-in prints its number: every rendering is made"
        assert [it.dev_step for it in later] == list(range(1, len(later) + 1))
        for it in later:
            assert it.kind == "scan" and it.data.startswith(b"\x89PNG")
            assert it.po_state == "none" and it.po_number is None
            # a later invoice: another number and date, the rest of the truth as on the page
            assert it.truth["invoice_number"] != doc.fields["invoice_number"]
            assert it.truth["invoice_date"] != doc.fields["invoice_date"]
            kept = {k: v for k, v in it.truth.items() if k not in LATER_FIELDS}
            assert kept == {k: v for k, v in doc.fields.items() if k not in LATER_FIELDS}
    numbers = [it.truth["invoice_number"] for it in dev]
    assert len(set(numbers)) == len(numbers), "no two dev items are the same invoice"
    # one vendor per distinct name: documents a and b are one vendor's, its first is the earlier
    vendor_of = {it.dev: it.vendor for it in dev}
    assert vendor_of["docs/a.pdf"] is vendor_of["docs/b.pdf"]
    assert vendor_of["docs/c.pdf"] is not vendor_of["docs/a.pdf"]
    two_docs = vendor_of["docs/a.pdf"]
    assert two_docs.first_at == min(it.index for it in dev if it.vendor is two_docs)
    assert two_docs.base is None and not two_docs.po_backed and two_docs.tier == "dev"


def test_the_placement_is_seeded_and_the_stream_without_documents_is_the_synthetic_one(
    stream,
) -> None:
    items, out, docs = stream
    vendors, again = _synthetic()
    assert [it.data for it in again] == [it.data for it in items]
    _, alone = insert_dev_docs(vendors, again, [], seed=3)
    assert [it.data for it in alone] == [it.data for it in items]
    _, same = insert_dev_docs(*_synthetic(), docs, seed=3)
    assert [(it.index, it.dev, it.dev_step) for it in same] == [
        (it.index, it.dev, it.dev_step) for it in out
    ]


def test_a_later_rendering_is_read_by_ocr_with_its_new_values() -> None:
    doc = _doc(904, "d")
    made = later_rendering(doc, 2)
    assert made is not None
    data, suffix, changed = made
    assert suffix == "png" and set(changed) == {"invoice_number", "invoice_date"}
    page = load_document(data, filename="later.png", max_bytes=50_000_000, max_pages=1)
    read = OfflineExtractor().extract(page).to_flat_fields()
    assert read["invoice_number"] == changed["invoice_number"]
    assert str(read["invoice_date"]) == changed["invoice_date"]


def test_no_later_rendering_when_the_number_is_not_on_the_page_or_not_known() -> None:
    doc = _doc(905, "e")
    doc.fields["invoice_number"] = "NOT-ON-THE-PAGE-7"
    assert later_rendering(doc, 1) is None
    unknown = _doc(906, "f")
    del unknown.fields["invoice_number"]  # (a receipt whose truth gives no number)
    assert later_rendering(unknown, 1) is None


def test_the_dev_documents_are_read_from_the_benchmarks_folder_or_skipped(
    tmp_path, monkeypatch
) -> None:
    import json

    import bench.dev_sets

    monkeypatch.setattr(bench.dev_sets, "benchmarks_dir", lambda: None)
    docs, why = load_dev_docs()
    assert docs == [] and why == NO_BENCHMARKS
    folder = tmp_path / "extraction-dev" / "multilingual"
    (folder / "docs").mkdir(parents=True)
    monkeypatch.setattr(bench.dev_sets, "benchmarks_dir", lambda: tmp_path)
    docs, why = load_dev_docs()
    assert docs == [] and "truth.jsonl missing" in why
    stand_in = _doc(907, "g")
    (folder / "docs" / "g.pdf").write_bytes(stand_in.data)
    rows = [{"file": "docs/g.pdf", "fields": stand_in.fields, "input": "text PDF"},
            {"file": "docs/h.jpg", "fields": {}, "input": "photo/scan image"}]  # fmt: skip
    (folder / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    docs, where = load_dev_docs()
    assert where == str(folder)
    assert [(d.name, d.kind, d.data) for d in docs] == [("docs/g.pdf", "pdf", stand_in.data)]
    assert docs[0].fields == stand_in.fields
