"""Straight-through processing with learning from corrections (issue 14).

    make bench-stp        # or: python -m bench.stp_bench [--invoices 600] [--vendors 30]
                          #        [--learning on|off|ladder] [--stream realistic|harsh]
                          #        [--seed 14] [--json out.json] [--log log.json]
                          #        [--no-dev-docs] [--dev-docs N] [--skip-dev] [--dev-only]

Replays a stream of generated invoices (and, when present, the real dev documents and later
invoices of their vendors) through the real workflow on the embedded stack, as one
fresh client: upload (``uploads.upload_files``) -> the worker's processing job
(``processing.process_invoice``, in this process, with the real extraction pipeline) -> a
simulated operator's review -> approval -> export (every 100 invoices). The stream
(``make_stream``, ``--stream``) has, at known rates:

* every input kind: text PDFs (75%), scans read by OCR (15%), e-invoices (CII XML, 10%);
* vendor spellings on the page that differ from the master (a variant, or a trading name the
  matcher cannot know), and vendors whose labels the offline rules do not know (25%);
* PO-backed vendors and vendors that work without purchase orders, and wrong and missing PO
  numbers of the PO-backed ones;
* re-sent files (same bytes) and re-scans (same invoice as a scan) of earlier invoices;
* arithmetic errors (a line whose amount is not quantity x unit price);
* vendors that first appear mid-stream (20% of them, not in the master: the operator adds them);
* the real documents of ``../shared/benchmarks/extraction-dev/multilingual`` as their vendors'
  first invoices, and later invoices of those vendors (see below).

The dev documents in the stream (``insert_dev_docs``; read at run time only when
``../shared/benchmarks`` is present, never copied; absent, or with ``--no-dev-docs``, the stream
is the synthetic one alone, the same items for the same seed): each of the 34 documents is its
vendor's first invoice, one vendor per distinct truth vendor name (two vendors of the set have
two documents each: the later one is then that vendor's next real invoice; a document whose truth
gives no vendor name has its own vendor), in the client's master from the start under that
name (and the truth's VAT id) for a seeded half of them, added by the operator when it first
appears for the others. The documents' first appearances take seeded places in the stream's first
half; each is followed, at seeded later places, by 1-3 later invoices of its vendor: the
document's pages rasterised with the invoice number and date re-printed with other values wherever
they stand (the second-rendering code below), read by OCR, their truth the document's with the
new number and date. A document whose truth gives no invoice number, or whose number is not
found on its page, gets no later invoice: the same number (or none, with the same vendor and
amount) again would be the same invoice, not a later one.
Their amounts stay (a later invoice with the same amounts: a rent, a subscription, the same
basket). The dev items come on top of ``--invoices`` synthetic ones; they are reviewed, counted
and judged like every other item, except that a key field their truth does not give (a receipt's
number, a currency: the truth leaves out what could not be read with certainty) is neither
corrected nor judged; the log lists it (``unknown``) and the goals count auto-approvals with such a
field apart. The ZUGFeRD dev set stays out: its 42 files are e-invoices of a handful of sample
sellers (one seller issues 10 of them), so they are not each a vendor's first invoice, and a
rasterised rendering of an e-invoice is not how that vendor's next invoice arrives (the embedded
XML would be gone); the stream already carries e-invoices of the product's own writer. Why the
dev documents are in the stream at all: the generated invoices come from layouts the offline
rules were written against; real receipts, photos and foreign invoices are where the first
reading is wrong and learning has to earn its keep (the issue asks for them as first invoices).

``--stream realistic`` (the default): about 60% of the vendors are PO-backed (goods); the others
(services, utilities, subscriptions) print no PO number and have no purchase orders in the
client's reference data. A PO-backed vendor's invoice carries a wrong PO number 5% and none 5% of
the time; duplicates 3%; arithmetic errors 2%. ``--stream harsh`` is the first profile, kept
for comparison: every vendor PO-backed, 10% wrong and 10% missing PO numbers, 5% duplicates, 3%
arithmetic errors (the same stream as before for the same seed).

The simulated operator knows the truth: it adds a missing vendor, types a misread PO number as
printed (the PO match runs again), decides the vendor match to the true vendor (override or
confirm a review-band proposal), rejects a PO match that is still not in the auto band (a wrong
PO), rejects duplicates and invoices with an arithmetic error, corrects exactly the fields that
differ from the truth (vendor, number, date, currency, total; the line total the lines check
names), and approves (over the approval policy's blocks when a check still fails). Each field
edit, match decision, rejection, vendor addition and approval is one touch. An invoice the trust
ladder approved (``status.auto_approved`` moves it to ``approved``, exported like any approved
invoice, "Approved by: trust ladder (policy vN)") gets no touch; it is a wrong auto-approval when
its vendor, number, date, currency or total differs from the truth, its vendor match is wrong, or
it duplicates an earlier invoice.

Printed per 100 invoices: straight-through rate, touches per invoice, wrong auto-approvals,
duplicates exported; then the goals (STP >= 70% over the last 300, 0 wrong auto-approvals,
0 duplicates exported, touches/invoice over the last 300 <= 1/3 of the first 100).

``--learning off`` measures the product without issue 14 (no aliases learned, no extraction
hints, the trust ladder off: nothing goes straight through); ``ladder`` keeps only the ladder.
``--json`` writes the summary (with ``not_straight_through_last``: why the last 300 invoices did
not go straight through, ``touch_kinds``, and ``dev``: the dev items' own figures), ``--log``
every invoice's outcome and reasons; every row carries the vendor code (``Dnn``: a dev
document's vendor), the input kind and the PO state, and a dev item's row its file name, step
(0: the document, k: its k-th later invoice) and the fields the operator corrected.

The dev documents are also measured apart (``dev_second_rendering``, the issue's "read exactly
after one correction"): each document is read, the fields that differ from its truth are
corrected (hints learned), then a second rendering of the same page with changed values in those
fields (the page rasterised, the values painted over and re-printed, read by OCR) is read with
the hints: the corrected fields must come out exactly.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.demo.synthetic_content import InvoiceSpec, make_spec
from core.demo.synthetic_invoices import truth_of
from core.demo.synthetic_layouts import render_pdf
from core.demo.synthetic_scans import make_scan
from core.demo.synthetic_stream import next_invoice

KEY_FIELDS = ("invoice_number", "invoice_date", "currency", "total")
ODD_LABELS = {  # an invoice-number label the offline rules do not know
    "en": {"number": "Job sheet"},
    "de": {"number": "Vorgang"},
    "fr": {"number": "Dossier"},
}


# The stream ------------------------------------------------------------------------------------


@dataclass
class Vendor:
    code: str
    base: InvoiceSpec | None  # None: a dev document's vendor (its invoices are not generated)
    master_name: str
    master_vat: str | None
    tier: str  # exact | variant | trading
    first_at: int  # stream position of its first invoice
    in_master: bool = True
    po_backed: bool = True  # False: services, utilities, subscriptions (no purchase orders)


@dataclass
class Item:
    index: int
    vendor: Vendor
    kind: str  # pdf | scan | einvoice
    filename: str
    data: bytes
    truth: dict[str, Any]
    po_number: str | None
    po_state: str  # good | wrong | missing | none (a vendor that works without purchase orders)
    dup_of: int | None = None  # the earlier item this re-sends or re-scans
    resend_bytes: bool = False
    arithmetic_error: bool = False
    dev: str | None = None  # a dev document's file name (its first invoice or a later rendering)
    dev_step: int = 0  # 0: the dev document itself; k: its k-th later rendering
    unknown: tuple[str, ...] = ()  # key fields the dev truth does not give: not corrected, judged


def _variant(name: str) -> str:
    """A master spelling of ``name`` the matcher still finds (legal form dropped, abbreviated)."""
    words = name.split()
    core_words = words[:-1] if len(words) > 2 else words
    return " ".join(w if i else w.upper() for i, w in enumerate(core_words))


def _trading(rng: random.Random) -> str:
    first = rng.choice(("Nordic", "Atlas", "Helix", "Orbit", "Vertex", "Kappa"))
    second = rng.choice(("Holdings", "Trading", "Partners", "Group"))
    return f"{first} {second} {rng.randint(10, 99)}"


def _einvoice(spec: InvoiceSpec) -> bytes:
    """The invoice of ``spec`` as a CII e-invoice (the product's own writer)."""
    from core.workflow.einvoice_export import to_cii
    from core.workflow.einvoice_model import Address, EInvoice, Line, Party, TaxSubtotal

    v, c = spec.vendor, spec.customer
    lines = tuple(
        Line(
            line_no=i,
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            amount=item.amount,
            tax_category="S",
            tax_rate=item.tax_rate,
        )
        for i, item in enumerate(spec.items, start=1)
    )
    breakdown = tuple(TaxSubtotal("S", rate, base, tax) for rate, base, tax in spec.tax_lines)
    doc = EInvoice(
        number=spec.number,
        type_code="380",
        issue_date=spec.invoice_date,
        currency=spec.loc.currency,
        seller=Party(name=v.name, vat_id=v.vat_id, address=Address(country=v.country)),
        buyer=Party(name=c.name, vat_id=c.vat_id, address=Address(country=c.country)),
        line_total=spec.subtotal,
        tax_basis=spec.subtotal,
        tax=spec.tax,
        total=spec.total,
        amount_due=spec.total,
        lines=lines,
        tax_breakdown=breakdown,
        po_number=spec.po_number,
        iban=v.iban,
    )
    return to_cii(doc)


@dataclass(frozen=True)
class StreamProfile:
    """The rates of a stream (see the module docstring)."""

    po_backed: float  # share of vendors that work with purchase orders
    po_wrong: float  # of a PO-backed vendor's invoices: a PO number not in the client's list
    po_missing: float  # of a PO-backed vendor's invoices: no PO number printed
    duplicates: float  # re-sent files and re-scans of earlier invoices
    arithmetic: float  # a line whose amount is not quantity x unit price


PROFILES = {
    # AP practice: about 60% of vendors are PO-backed (goods), the others (services, utilities,
    # subscriptions) print no PO and have none in the client's reference data
    "realistic": StreamProfile(0.6, 0.05, 0.05, 0.03, 0.02),
    # the first profile: every vendor PO-backed, 10% wrong and 10% missing POs, 5% duplicates
    "harsh": StreamProfile(1.0, 0.10, 0.10, 0.05, 0.03),
}


def make_stream(
    n: int, n_vendors: int, seed: int, stream: str = "realistic"
) -> tuple[list[Vendor], list[Item]]:
    """The vendors and the ``n`` stream items (see the module docstring for the rates)."""
    profile = PROFILES[stream]
    rng = random.Random(seed)
    po_rng = random.Random(seed * 7 + 1)  # apart, so that the harsh stream is as it always was
    vendors: list[Vendor] = []
    for i in range(n_vendors):
        base = make_spec(seed * 1000 + i, credit_note=False, n_items=2)
        base = dataclasses.replace(base, show_amount_due=False, prepaid=Decimal("0"))
        if rng.random() < 0.25:  # labels the offline rules do not know
            odd = ODD_LABELS.get(base.loc.lang, ODD_LABELS["en"])
            base = dataclasses.replace(base, labels={**base.labels, **odd})
        tier = rng.choices(("exact", "variant", "trading"), weights=(0.4, 0.3, 0.3))[0]
        name = base.vendor.name
        master = {"exact": name, "variant": _variant(name), "trading": _trading(rng)}[tier]
        new = i >= int(n_vendors * 0.8)
        first_at = rng.randint(int(n * 0.3), int(n * 0.6)) if new else 0
        vendors.append(
            Vendor(
                code=f"V{i:03d}",
                base=base,
                master_name=master,
                master_vat=base.vendor.vat_id if tier == "exact" else None,
                tier=tier,
                first_at=first_at,
                in_master=not new,
                po_backed=profile.po_backed >= 1.0 or po_rng.random() < profile.po_backed,
            )
        )
    items: list[Item] = []
    for index in range(n):
        if index > 10 and rng.random() < profile.duplicates:  # a re-sent file or a re-scan
            original = rng.choice([it for it in items if it.dup_of is None])
            resend = rng.random() < 0.5
            data = original.data if resend else make_scan(
                render_pdf(_spec_of(original)), "scan_png", index
            )  # fmt: skip
            items.append(
                dataclasses.replace(
                    original,
                    index=index,
                    kind=original.kind if resend else "scan",
                    filename=f"{index:04d}-again.{'png' if not resend else original.filename[-3:]}",
                    data=data,
                    dup_of=original.index,
                    resend_bytes=resend,
                )
            )
            continue
        open_vendors = [v for v in vendors if v.first_at <= index]
        vendor = rng.choice(open_vendors)
        spec = next_invoice(vendor.base, seed * 100_000 + index, n_items=rng.choice((1, 2, 3)))
        roll = rng.random()
        wrong_below = 1 - profile.po_wrong - profile.po_missing
        po_state = "good" if roll < wrong_below else (
            "wrong" if roll < 1 - profile.po_missing else "missing"
        )  # fmt: skip
        if not vendor.po_backed:
            po_state = "none"
        po = {"good": f"PO-{index:05d}", "wrong": f"PO-9{index:04d}X"}.get(po_state)
        spec = dataclasses.replace(spec, po_number=po)
        arithmetic = rng.random() < profile.arithmetic
        if arithmetic:  # a line whose amount is not quantity x unit price
            first_item = spec.items[0]
            spec.items[0] = dataclasses.replace(first_item, amount=first_item.amount + 10)
        kind = rng.choices(("pdf", "scan", "einvoice"), weights=(0.75, 0.15, 0.10))[0]
        if arithmetic:
            kind = "pdf"
        truth = truth_of(spec)
        if kind == "einvoice":
            data, filename = _einvoice(spec), f"{index:04d}.xml"
        elif kind == "scan":
            data, filename = make_scan(render_pdf(spec), "scan_png", index), f"{index:04d}.png"
        else:
            data, filename = render_pdf(spec), f"{index:04d}.pdf"
        item = Item(index, vendor, kind, filename, data, truth, po, po_state,
                    arithmetic_error=arithmetic)  # fmt: skip
        item.truth["_spec"] = spec
        items.append(item)
    return vendors, items


def _spec_of(item: Item) -> InvoiceSpec:
    spec = item.truth["_spec"]
    assert isinstance(spec, InvoiceSpec)
    return spec


# The dev documents in the stream -------------------------------------------------------------

DEV_SET = "multilingual"  # (the zugferd set stays out: see the module docstring)
LATER_FIELDS = ("invoice_number", "invoice_date")  # what a vendor's next invoice changes


@dataclass
class DevDoc:
    """One real document of the dev set: read at run time from ``../shared``, never copied."""

    name: str  # its file name in the set (``docs/...``)
    data: bytes
    fields: dict[str, Any]  # its truth row's fields
    kind: str = "pdf"  # pdf (a text layer) | scan (read by OCR)


NO_BENCHMARKS = "no ../shared/benchmarks above this checkout"  # said when it is absent


def load_dev_docs() -> tuple[list[DevDoc], str]:
    """The documents of ``extraction-dev/multilingual`` and where they came from, or none and
    why (no ``../shared/benchmarks`` above this checkout: the stream is the synthetic one)."""
    from bench.dev_sets import benchmarks_dir, load_truth

    root = benchmarks_dir()
    if root is None:
        return [], NO_BENCHMARKS
    folder = root / "extraction-dev" / DEV_SET
    if not (folder / "truth.jsonl").is_file():
        return [], f"{folder / 'truth.jsonl'} missing"
    docs = []
    for row in load_truth(folder):
        path = folder / row["file"]
        if path.is_file():
            kind = "pdf" if str(row.get("input", "")).startswith("text PDF") else "scan"
            docs.append(DevDoc(row["file"], path.read_bytes(), dict(row["fields"]), kind))
    return docs, str(folder)


# (document, step) -> the k-th later rendering's bytes, file suffix and the changed truth values,
# or None when it cannot be made (a value to change is not found on the page)
Renderer = Any


_READ: dict[tuple[str, int], Any] = {}  # (name, hash of the bytes) -> (document, layout) or None


def later_rendering(doc: DevDoc, step: int) -> tuple[bytes, str, dict[str, str]] | None:
    """The document's pages rasterised, with the invoice number and date painted over by other
    values (``step`` apart) wherever they are printed, as the vendor's next invoice; read by OCR.
    None when the truth gives no invoice number or it is not found on the page: a rendering with
    the same number (or none, the same amount and vendor) would be the same invoice again, not a
    later one (a first run made them for receipts without a number: the export counted them as
    duplicates, rightly by their vendor, number and total)."""
    if not doc.fields.get("invoice_number"):
        return None
    from core.extraction.document import load_document
    from core.extraction.hints import layout_of
    from core.extraction.offline_extractor import OfflineExtractor

    key = (doc.name, hash(doc.data))
    if key not in _READ:  # each document is read once for all its renderings
        try:
            loaded = load_document(doc.data, filename=doc.name.rsplit("/", 1)[-1],
                                   max_bytes=50_000_000, max_pages=5)  # fmt: skip
            OfflineExtractor().extract(loaded)  # (OCR of a scan: the words of the layout)
            _READ[key] = (loaded, layout_of(loaded))
        except Exception:
            _READ[key] = None
    if _READ[key] is None:
        return None
    loaded, layout = _READ[key]
    targets = [(f, 0) for f in LATER_FIELDS if doc.fields.get(f)]
    pages = tuple(range(1, min(len(loaded.pages), 5) + 1))
    data, changed = _repaint(loaded, layout, targets, doc.fields, step=step, pages=pages)
    if data is None or "invoice_number" not in changed:
        return None
    return data, ("pdf" if len(pages) > 1 else "png"), changed


def insert_dev_docs(
    vendors: list[Vendor],
    items: list[Item],
    docs: list[DevDoc],
    seed: int,
    render: Renderer = later_rendering,
) -> tuple[list[Vendor], list[Item]]:
    """The stream with each dev document as the first invoice of its vendor and 1-3 later
    renderings of it (``render``) after it; the synthetic items keep their order.

    A vendor per distinct truth vendor name (a document without one has its own vendor): in the
    master from the start (half of them, seeded) or added by the operator when it first appears.
    The documents' first appearances are spread over the stream's first half (seeded slots), their
    later renderings over the slots after them. Items are renumbered by their place in the stream
    (``dup_of`` follows)."""
    from core.matching.normalize import normalize_name

    rng = random.Random(seed * 31 + 7)  # apart: the synthetic stream is the same with or without
    by_name: dict[str, Vendor] = {}
    planned: list[tuple[DevDoc, Vendor, list[tuple[bytes, str, dict[str, str]]]]] = []
    dev_vendors: list[Vendor] = []
    for n_doc, doc in enumerate(docs):
        name = doc.fields.get("vendor_name")
        key = normalize_name(str(name)).key if name else f"#{n_doc}"
        vendor = by_name.get(key)
        if vendor is None:
            vendor = Vendor(
                code=f"D{len(dev_vendors):02d}",
                base=None,
                master_name=str(name or f"Vendor of {doc.name.rsplit('/', 1)[-1]}"),
                master_vat=doc.fields.get("vendor_vat_id"),
                tier="dev",
                first_at=0,
                in_master=rng.random() < 0.5,
                po_backed=False,
            )
            by_name[key] = vendor
            dev_vendors.append(vendor)
        later = []
        for step in range(1, rng.randint(1, 3) + 1):
            made = render(doc, step)
            if made is not None:
                later.append(made)
        planned.append((doc, vendor, later))
    total = len(items) + sum(1 + len(later) for _, _, later in planned)
    free = set(range(total))
    slots: dict[int, tuple[DevDoc, Vendor, int, tuple[bytes, str, dict[str, str]] | None]] = {}
    for doc, vendor, later in planned:
        first = rng.choice(sorted(s for s in free if s < total // 2))
        free.discard(first)
        slots[first] = (doc, vendor, 0, None)
        after = sorted(s for s in free if s > first)
        for step, made in enumerate(later, start=1):
            if not after:
                break
            slot = rng.choice(after)
            after.remove(slot)
            free.discard(slot)
            slots[slot] = (doc, vendor, step, made)
    # later renderings of one document in step order (the slots were drawn at random)
    by_doc: dict[str, list[int]] = {}
    for slot in sorted(slots):
        by_doc.setdefault(slots[slot][0].name, []).append(slot)
    for doc_slots in by_doc.values():
        entries = sorted((slots[s] for s in doc_slots), key=lambda e: e[2])
        for slot, entry in zip(doc_slots, entries, strict=True):
            slots[slot] = entry
    out: list[Item] = []
    new_index: dict[int, int] = {}
    synthetic = iter(items)
    for position in range(total):
        if position not in slots:
            it = next(synthetic)
            new_index[it.index] = position
            out.append(dataclasses.replace(
                it, index=position,
                dup_of=None if it.dup_of is None else new_index[it.dup_of],
            ))  # fmt: skip
            continue
        doc, vendor, step, made = slots[position]
        fields = dict(doc.fields)
        stem = doc.name.rsplit("/", 1)[-1]
        if made is None:
            data, filename, kind = doc.data, f"{position:04d}-{stem}", doc.kind
        else:
            data, suffix, changed = made
            fields.update(changed)
            filename, kind = f"{position:04d}-{stem.rsplit('.', 1)[0]}-{step}.{suffix}", "scan"
        unknown = tuple(f for f in ("vendor_name", *KEY_FIELDS) if not fields.get(f))
        out.append(Item(position, vendor, kind, filename, data, fields, None, "none",
                        dev=doc.name, dev_step=step, unknown=unknown))  # fmt: skip
    first_seen: dict[str, int] = {}
    for it in out:
        if it.dev is not None:
            first_seen.setdefault(it.vendor.code, it.index)
    for v in dev_vendors:
        v.first_at = first_seen.get(v.code, 0)
    return [*vendors, *dev_vendors], out


# The run ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    invoices: int = 0
    straight_through: int = 0
    touches: int = 0
    wrong_auto: int = 0
    duplicates_exported: int = 0
    exported: int = 0  # invoices in this window's export
    exported_by_ladder: int = 0  # of them, approved by the trust ladder (no touch)
    resent_refused: int = 0
    arithmetic_auto: int = 0  # an invoice with a line arithmetic error approved with no touch
    kinds: Counter[str] = field(default_factory=Counter)
    touch_kinds: Counter[str] = field(default_factory=Counter)


def _same(field_name: str, value: Any, truth: Any) -> bool:
    """Equal under the benchmark README's rules (``core.extraction.evaluation``): amounts as
    numbers, dates exactly, numbers and names ignoring case, spaces and punctuation."""
    from core.extraction.evaluation import value_matches

    if truth is None:
        return value in (None, "")
    if isinstance(value, dt.date):
        value = value.isoformat()
    return value_matches(field_name, value, truth)


class Run:
    def __init__(self, learning: str, seed: int) -> None:
        from core.bootstrap import build_services
        from core.config import Settings
        from core.extraction.pipeline import ExtractionPipeline

        settings = Settings().model_copy(
            update={"learning_enabled": learning == "on", "extraction_isolated": False}
        )
        from core.db.engine import database_url
        from core.db.migrate import apply_migrations

        apply_migrations(database_url(settings))  # the embedded stack, as `invoiceflow db up`
        services = build_services(settings)
        self.services = dataclasses.replace(services, extraction=ExtractionPipeline(settings))
        self.learning = learning
        self.seed = seed
        self.user = self._user()
        self.client_id = self._client()
        self.vendor_ids: dict[str, uuid.UUID] = {}
        self.invoice_of: dict[int, uuid.UUID] = {}
        self.exported_keys: set[tuple[str | None, str | None, str | None]] = set()
        self.corrected: list[str] = []  # the fields the last review corrected

    def _user(self) -> Any:
        from core.auth.local_auth import LocalAuthProvider

        auth = LocalAuthProvider(self.services.engine, self.services.settings)
        email = f"stp-{uuid.uuid4().hex[:10]}@bench.test"
        password = uuid.uuid4().hex
        auth.sign_up(email, password)
        return auth.sign_in(email, password).user

    def _client(self) -> uuid.UUID:
        from core.workflow import approval_policy, clients

        client = clients.create_client(
            services=self.services, user=self.user, name=f"STP bench {self.learning}"
        )
        if self.learning != "off":
            approval_policy.save_policy(
                services=self.services,
                user=self.user,
                client_id=client.id,
                policy={"trust_ladder": {"enabled": True, "clean_invoices": 3,
                                         "max_total": "50000.00", "require_po": True}},
                activate=True,
            )  # fmt: skip
        return client.id

    def load_master(self, vendors: list[Vendor], items: list[Item]) -> None:
        self._import_vendors([v for v in vendors if v.in_master])
        self._import_pos(items)

    def _import_vendors(self, vendors: list[Vendor]) -> None:
        import csv

        from core.workflow import reference

        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")  # (a dev vendor's name may hold quotes)
        out.writerow(("vendor_code", "name", "vat_id"))
        for v in vendors:
            out.writerow((v.code, v.master_name, v.master_vat or ""))
        report = reference.import_reference(
            services=self.services,
            user=self.user,
            client_id=self.client_id,
            kind="vendors",
            data=buf.getvalue().encode(),
        )
        assert not report.errors, report.errors[:3]
        rows, _ = reference.list_vendors(
            services=self.services, user=self.user, client_id=self.client_id, limit=200
        )
        self.vendor_ids = {r.vendor_code: r.id for r in rows if r.vendor_code}

    def _import_pos(self, items: list[Item]) -> None:
        from core.workflow import reference

        buf = io.StringIO()
        buf.write("po_number,vendor,currency,total\n")
        for it in items:
            if it.po_state == "good" and it.dup_of is None:
                buf.write(f"{it.po_number},{it.vendor.code},{it.truth['currency']},"
                          f"{it.truth['total']}\n")  # fmt: skip
        data = buf.getvalue().encode()
        reference.import_reference(
            services=self.services,
            user=self.user,
            client_id=self.client_id,
            kind="purchase_orders",
            data=data,
        )
        # POs of vendors not yet in the master are refused now and imported when they appear
        self.pending_pos = data

    def process(self, item: Item, tally: Tally, log: list[dict[str, Any]]) -> None:
        from core.workflow import invoices, processing, uploads

        result = uploads.upload_files(
            services=self.services,
            user=self.user,
            client_id=self.client_id,
            files=[uploads.UploadFile(item.filename, item.data)],
            process=False,
        )
        f = result.files[0]
        row: dict[str, Any] = {"index": item.index, "vendor": item.vendor.code, "kind": item.kind,
                               "po_state": item.po_state}  # fmt: skip
        if item.dev is not None:
            row.update(dev=item.dev, dev_step=item.dev_step, unknown=list(item.unknown))
        if f.status == "duplicate":
            tally.resent_refused += 1  # the same bytes: refused at upload, nothing to do
            log.append({**row, "outcome": "resent_refused", "touches": 0})
            return
        assert f.invoice_id is not None, (f.status, f.error_code)
        self.invoice_of[item.index] = f.invoice_id
        outcome = processing.process_invoice(
            services=self.services, invoice_id=f.invoice_id, user_id=self.user.id
        )
        inv = invoices.get_invoice(services=self.services, user=self.user, invoice_id=f.invoice_id)
        tally.invoices += 1
        tally.kinds[item.kind] += 1
        # the trust ladder's acceptance approves (matched -> approved): exported with no touch
        if outcome == "approved" and inv.status == "approved":
            tally.straight_through += 1
            wrong = self._wrong(item, inv)
            tally.wrong_auto += bool(wrong)
            tally.arithmetic_auto += item.arithmetic_error  # not "wrong" by the issue's rule
            log.append({**row, "outcome": "auto", "touches": 0, "wrong": wrong,
                        "arithmetic_error": item.arithmetic_error})  # fmt: skip
            return
        trail = invoices.audit_log(services=self.services, user=self.user, invoice_id=inv.id)
        routed = next((e for e in trail if e.action == "status.needs_review"), None)
        why = list((routed.meta or {}).get("ladder", [])) if routed else []
        if routed and not why:
            why = ["confidence/match"]
        if "ladder.blocked" in why or "ladder.check_failed" in why:
            from core.workflow import trust_ladder

            for r in trust_ladder.auto_approval_reasons(
                services=self.services, user=self.user, invoice_id=inv.id
            ):
                why += [f"  {c}" for c in r.detail.get("reasons", r.detail.get("checks", []))]
        po_rows = [m for m in inv.matches if m.kind == "purchase_order"]
        touches = self._operator(item, inv, tally)
        log.append(
            {
                **row,
                "outcome": outcome,
                "touches": touches,
                "corrected": self.corrected,
                "why": why,
                "po_match": [(m.band, m.reason) for m in po_rows],
                "confidence": (routed.meta or {}).get("confidence") if routed else None,
                "hints": sorted(
                    next((e.meta or {} for e in trail if e.action == "status.extracted"), {}).get(
                        "hints"
                    )
                    or {}
                ),
            }
        )

    def _truth_vendor(self, item: Item) -> uuid.UUID | None:
        return self.vendor_ids.get(item.vendor.code)

    def _wrong(self, item: Item, inv: Any) -> list[str]:
        # (a key field a dev document's truth does not give is not judged: logged as unknown)
        wrong = [
            f for f in KEY_FIELDS
            if f not in item.unknown and not _same(f, getattr(inv, f), item.truth.get(f))
        ]  # fmt: skip
        if inv.vendor_id != self._truth_vendor(item):
            wrong.append("vendor")
        if item.dup_of is not None:
            wrong.append("duplicate")
        return wrong

    def _touch(self, tally: Tally, kind: str, n: int = 1) -> int:
        tally.touches += n
        tally.touch_kinds[kind] += n
        return n

    def _operator(self, item: Item, inv: Any, tally: Tally) -> int:
        """Review one invoice as a person who knows the truth; returns the touches."""
        from core.errors import ApprovalBlocked
        from core.workflow import invoices, reference, review

        svc, user = self.services, self.user
        touches = 0
        self.corrected = []  # the fields this review corrects (logged)
        if item.dup_of is not None or item.arithmetic_error:
            review.reject_invoice(
                services=svc,
                user=user,
                invoice_id=inv.id,
                reason="duplicate" if item.dup_of is not None else "arithmetic error",
            )
            return self._touch(tally, "reject")
        if not item.vendor.in_master:
            self._import_vendors([item.vendor])
            item.vendor.in_master = True
            reference.import_reference(
                services=svc,
                user=user,
                client_id=self.client_id,
                kind="purchase_orders",
                data=self.pending_pos,
            )
            touches += self._touch(tally, "vendor_added")
        truth_vendor = self._truth_vendor(item)
        inv = invoices.get_invoice(services=svc, user=user, invoice_id=inv.id)
        if item.po_number and not _same("po_number", inv.po_number, item.po_number):
            # the printed PO number was misread: typed as printed (the PO match runs again)
            review.correct_fields(services=svc, user=user, invoice_id=inv.id,
                                  changes={"po_number": item.po_number},
                                  expected_version=inv.version)  # fmt: skip
            touches += self._touch(tally, "field")
            self.corrected.append("po_number")
            inv = invoices.get_invoice(services=svc, user=user, invoice_id=inv.id)
        for match in inv.matches:
            if match.status != "proposed":
                continue
            if match.kind == "vendor":
                if match.vendor_id == truth_vendor and inv.vendor_id == truth_vendor:
                    if match.band == "review":
                        review.decide_match(services=svc, user=user, match_id=match.id,
                                            decision="confirm")  # fmt: skip
                        touches += self._touch(tally, "match")
                else:
                    review.decide_match(services=svc, user=user, match_id=match.id,
                                        decision="override", vendor_id=truth_vendor)  # fmt: skip
                    touches += self._touch(tally, "match")
            elif (
                match.kind == "purchase_order" and match.band != "auto"
            ) or match.kind == "duplicate":
                review.decide_match(services=svc, user=user, match_id=match.id,
                                    decision="reject")  # fmt: skip
                touches += self._touch(tally, "match")
        inv = invoices.get_invoice(services=svc, user=user, invoice_id=inv.id)
        if inv.vendor_id != truth_vendor:  # a match row that was not proposed any more
            inv = review.correct_fields(services=svc, user=user, invoice_id=inv.id,
                                        changes={"vendor_id": str(truth_vendor)},
                                        expected_version=inv.version)  # fmt: skip
            touches += self._touch(tally, "field")
            self.corrected.append("vendor_id")
        changes = {
            f: item.truth.get(f)
            for f in KEY_FIELDS
            if f not in item.unknown and not _same(f, getattr(inv, f), item.truth.get(f))
        }
        # a line total the lines check names (synthetic documents: the net amount)
        net = item.truth.get("subtotal")
        if net is not None and inv.line_total is not None and not _same("total", inv.line_total,
                                                                        net):  # fmt: skip
            changes["line_total"] = net
        if changes:
            self.corrected += sorted(changes)
            inv = review.correct_fields(services=svc, user=user, invoice_id=inv.id,
                                        changes=changes, expected_version=inv.version)  # fmt: skip
            touches += self._touch(tally, "field", len(changes))
        try:
            review.approve_invoice(services=svc, user=user, invoice_id=inv.id,
                                   expected_version=inv.version)  # fmt: skip
        except ApprovalBlocked as exc:
            reasons = ", ".join(e["code"] for e in exc.details.get("errors", []))
            review.approve_invoice(services=svc, user=user, invoice_id=inv.id,
                                   override_reason=f"checked by hand: {reasons}")  # fmt: skip
        touches += self._touch(tally, "approve")
        return touches

    def export(self, invoice_ids: list[uuid.UUID], tally: Tally) -> None:
        """Export the approved invoices of this window (a read), then mark them exported."""
        import csv

        from core.workflow import invoices
        from core.workflow.invoices import InvoiceFilter

        approved = [
            i
            for i in invoice_ids
            if invoices.get_invoice(services=self.services, user=self.user, invoice_id=i).status
            == "approved"
        ]
        if not approved:
            return
        data = invoices.export_invoices(
            services=self.services,
            user=self.user,
            filters=InvoiceFilter(client_id=self.client_id, status=("approved",)),
            fmt="csv",
        )
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        seen = self.exported_keys
        for row in rows:
            key = (row.get("Vendor") or row.get("Vendor name"), row.get("Invoice number"),
                   row.get("Total"))  # fmt: skip
            if key in seen:
                tally.duplicates_exported += 1
            seen.add(key)
            tally.exported += 1
            tally.exported_by_ladder += (row.get("Approved by") or "").startswith("trust ladder")
        invoices.mark_invoices_exported(
            services=self.services, user=self.user, invoice_ids=approved, fmt="csv"
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    vendors, items = make_stream(args.invoices, args.vendors, args.seed, args.stream)
    if args.no_dev_docs:
        print("  (--no-dev-docs: the synthetic stream alone)")
    else:
        docs, where = load_dev_docs()
        docs = docs[: args.dev_docs]
        if not docs:
            print(f"  (dev documents not in the stream: {where}; the synthetic stream alone)")
        else:
            started = time.perf_counter()
            vendors, items = insert_dev_docs(vendors, items, docs, args.seed)
            dev = [it for it in items if it.dev is not None]
            rendered = {it.dev for it in dev if it.dev_step}
            print(
                f"  dev documents in the stream (read from {where}, never copied): {len(docs)}"
                f" as the first invoices of {len({it.vendor.code for it in dev})} vendors, and"
                f" {sum(it.dev_step > 0 for it in dev)} later renderings of"
                f" {len(rendered)} of them (none of a document whose truth gives no invoice"
                f" number or whose number is not found on its page); stream {len(items)} items"
                f" ({time.perf_counter() - started:.0f} s to prepare)",
                flush=True,
            )
    bench = Run(args.learning, args.seed)
    bench.load_master(vendors, items)
    windows: list[Tally] = []
    log: list[dict[str, Any]] = []
    started = time.perf_counter()
    for start in range(0, len(items), 100):
        tally = Tally()
        window: list[uuid.UUID] = []
        for item in items[start : start + 100]:
            bench.process(item, tally, log)
            if item.index in bench.invoice_of:
                window.append(bench.invoice_of[item.index])
        bench.export(window, tally)
        windows.append(tally)
        done = start + len(items[start : start + 100])
        stp = tally.straight_through / max(tally.invoices, 1)
        print(
            f"  invoices {start + 1:4d}-{done:4d}: STP {stp:6.1%}  touches/invoice"
            f" {tally.touches / max(tally.invoices, 1):5.2f}  wrong auto-approvals"
            f" {tally.wrong_auto}  duplicates exported {tally.duplicates_exported}"
            f"  exported {tally.exported} ({tally.exported_by_ladder} by the trust ladder)"
            f"  (invoices {tally.invoices}, re-sent refused at upload {tally.resent_refused},"
            f" {time.perf_counter() - started:5.0f} s)",
            flush=True,
        )
    return {"windows": windows, "log": log, "seconds": time.perf_counter() - started}


def summary(result: dict[str, Any], n: int) -> dict[str, Any]:
    log = [e for e in result["log"] if e["outcome"] != "resent_refused"]
    last = log[-300:] if len(log) >= 300 else log[len(log) // 2 :]
    first = log[:100]
    stp_last = sum(e["outcome"] == "auto" for e in last) / max(len(last), 1)
    t_last = sum(e["touches"] for e in last) / max(len(last), 1)
    t_first = sum(e["touches"] for e in first) / max(len(first), 1)
    windows = result["windows"]
    return {
        "invoices": sum(w.invoices for w in windows),
        "stp_last": stp_last,
        "last_n": len(last),
        "touches_last": t_last,
        "touches_first100": t_first,
        "wrong_auto": sum(w.wrong_auto for w in windows),
        "duplicates_exported": sum(w.duplicates_exported for w in windows),
        "exported": sum(w.exported for w in windows),
        "exported_by_ladder": sum(w.exported_by_ladder for w in windows),
        "arithmetic_auto": sum(w.arithmetic_auto for w in windows),
        "touch_kinds": dict(sum((w.touch_kinds for w in windows), Counter())),
        "kinds": dict(sum((w.kinds for w in windows), Counter())),
        "wrong_examples": [e for e in result["log"] if e.get("wrong")][:5],
        "not_straight_through_last": dict(
            Counter(w for e in last for w in e.get("why", [])).most_common()
        ),
        "seconds": round(result["seconds"]),
        "dev": dev_summary(log),
    }


def dev_summary(log: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The dev documents' items of the stream: their own figures (they count in all the others
    too), and whether the key fields corrected on a document were read exactly on its later
    renderings (the in-stream counterpart of ``dev_second_rendering``)."""
    dev = [e for e in log if e.get("dev")]
    if not dev:
        return None
    out: dict[str, Any] = {}
    for label, rows in (("first", [e for e in dev if not e["dev_step"]]),
                        ("later", [e for e in dev if e["dev_step"]])):  # fmt: skip
        out[label] = {
            "invoices": len(rows),
            "straight_through": sum(e["outcome"] == "auto" for e in rows),
            "touches": sum(e["touches"] for e in rows),
            "wrong_auto": sum(bool(e.get("wrong")) for e in rows),
            "auto_with_unknown_fields": sum(
                e["outcome"] == "auto" and bool(e.get("unknown")) for e in rows
            ),
        }
    skip = {"vendor_id", "po_number"}  # (the vendor and the PO are decided, not read by a hint)
    corrected_first = {e["dev"]: set(e.get("corrected", [])) - skip for e in dev
                       if not e["dev_step"]}  # fmt: skip
    tried = exact = 0
    for e in dev:
        if not e["dev_step"]:
            continue
        for f in corrected_first.get(e["dev"], set()):
            tried += 1
            exact += f not in e.get("corrected", [])
    out["corrected_then_read_exactly"] = [exact, tried]
    out["why_not_straight_through"] = dict(
        Counter(w for e in dev for w in e.get("why", []) if not w.startswith(" ")).most_common()
    )
    return out


def print_goals(s: dict[str, Any]) -> None:
    last = f"last {s['last_n']}"
    ratio = s["touches_last"] / s["touches_first100"] if s["touches_first100"] else float("nan")
    print(f"  STP over the {last}: {s['stp_last']:.1%}   (goal >= 70%)")
    print(f"  wrong auto-approvals: {s['wrong_auto']}   (goal 0)")
    print(f"  duplicates exported: {s['duplicates_exported']}   (goal 0)")
    print(f"  exported: {s['exported']}, approved by the trust ladder: {s['exported_by_ladder']}")
    print(f"  line arithmetic errors approved with no touch: {s['arithmetic_auto']}")
    print(
        f"  touches/invoice: first 100 {s['touches_first100']:.2f}, {last} {s['touches_last']:.2f}"
        f" = {ratio:.2f} of the first   (goal <= 0.33)"
    )
    print(f"  touches by kind: {s['touch_kinds']}; documents by kind: {s['kinds']}")
    print(f"  why not straight through ({last}): {s['not_straight_through_last']}")
    if s["wrong_examples"]:
        print(f"  wrong auto-approvals, first ones: {s['wrong_examples']}")
    dev = s.get("dev")
    if dev:
        for label, what in (("first", "the dev documents (first invoices)"),
                            ("later", "their later renderings")):  # fmt: skip
            d = dev[label]
            n = max(d["invoices"], 1)
            print(
                f"  {what}: {d['invoices']}, straight through {d['straight_through']}"
                f" ({d['straight_through'] / n:.0%}), touches/invoice {d['touches'] / n:.2f},"
                f" wrong auto-approvals {d['wrong_auto']}, auto-approved with a key field the"
                f" truth does not give {d['auto_with_unknown_fields']}"
            )
        exact, tried = dev["corrected_then_read_exactly"]
        print(
            f"  fields corrected on a dev document, read exactly on its later renderings:"
            f" {exact} of {tried}"
        )
        print(f"  why the dev items did not go straight through: {dev['why_not_straight_through']}")


# Dev documents: a second rendering with changed values ---------------------------------------


def dev_second_rendering(limit: int | None = None) -> None:
    """Hints learned from one corrected dev document read its second rendering exactly?"""
    from bench.dev_sets import benchmarks_dir

    root = benchmarks_dir()
    if root is None:
        print("  (dev documents not found: no ../shared/benchmarks above this checkout; skipped)")
        return
    folder = root / "extraction-dev" / "multilingual"
    truth_file = folder / "truth.jsonl"
    if not truth_file.exists():
        print(f"  ({truth_file} missing; skipped)")
        return
    from core.extraction.document import load_document
    from core.extraction.hints import HINT_FIELDS, apply_hints, layout_of, learn_hint
    from core.extraction.offline_extractor import OfflineExtractor

    truths = [json.loads(line) for line in truth_file.read_text().splitlines() if line.strip()]
    docs = corrected = learned = exact = tried = stale = by_hint = 0
    misses: list[str] = []
    for entry in truths[:limit]:
        path = folder / entry["file"]
        if not path.exists():
            continue
        docs += 1
        try:
            doc = load_document(path.read_bytes(), filename=path.name, max_bytes=50_000_000,
                                max_pages=5)  # fmt: skip
            first = OfflineExtractor().extract(doc).to_flat_fields()
        except Exception as exc:
            misses.append(f"{path.name}: {type(exc).__name__}")
            continue
        layout = layout_of(doc)
        truth = entry.get("fields", {})
        wrong = [
            f for f in HINT_FIELDS
            if f in truth and str(first.get(f)) != str(truth[f])
        ]  # fmt: skip
        corrected += len(wrong)
        hints = []
        for f in wrong:
            hint = learn_hint(f, _typed(f, truth[f]), layout)
            if hint is not None:
                hints.append(dataclasses.replace(hint, id=f"{path.name}:{f}"))
        learned += len(hints)
        if not hints:
            continue
        second, changed = _second_rendering(doc, layout, hints, truth)
        if second is None:
            continue
        again = load_document(second, filename="second.png", max_bytes=50_000_000, max_pages=1)
        ex = OfflineExtractor().extract(again)
        ex.layout = layout_of(again)
        read, applied = apply_hints(ex, hints)
        flat = read.to_flat_fields()
        for f, value in changed.items():
            tried += 1
            if learn_hint(f, _typed(f, truth[f]), ex.layout) is not None:
                stale += 1  # the old value still printed: the rendering did not change it
                misses.append(f"{path.name} {f}: the old value {truth[f]!r} is still printed")
            if str(flat.get(f)) == str(value):
                exact += 1
                by_hint += f in applied
            else:
                misses.append(f"{path.name} {f}: read {flat.get(f)!r}, printed {value!r}")
    print(
        f"  dev documents: {docs}; fields corrected on the first reading: {corrected};"
        f" hints learned: {learned}; second renderings: corrected fields read exactly"
        f" {exact} of {tried}, {by_hint} of them read by the hint (old value still printed on"
        f" the second rendering: {stale})"
    )
    for miss in misses[:8]:
        print(f"    miss: {miss}")


def _typed(field_name: str, text: str) -> Any:
    if field_name in ("total", "subtotal", "tax", "amount_due"):
        return Decimal(str(text))
    if field_name.endswith("_date"):
        return dt.date.fromisoformat(str(text))
    return str(text)


def _second_rendering(doc: Any, layout: Any, hints: list[Any], truth: dict[str, Any]
                      ) -> tuple[bytes | None, dict[str, str]]:  # fmt: skip
    """The first page as an image with each hinted value painted over by a changed value."""
    return _repaint(doc, layout, [(h.field, h.page) for h in hints], truth)


def _repaint(
    doc: Any,
    layout: Any,
    targets: list[tuple[str, int]],
    truth: dict[str, Any],
    step: int = 1,
    pages: tuple[int, ...] = (1,),
) -> tuple[bytes | None, dict[str, str]]:
    """The ``pages`` as images with each target field's value (``(field, page)``; page 0: any)
    painted over by a changed value (``step`` apart) wherever it is printed; one page as PNG,
    several as an image-only PDF."""
    from PIL import Image, ImageDraw

    from core.extraction.document import render_page_image

    images = []
    changed: dict[str, str] = {}
    for number in pages:
        try:
            image = render_page_image(doc, number, 150)
        except Exception:
            return None, {}
        if not isinstance(image, Image.Image):
            return None, {}
        image = image.convert("RGB")
        draw = ImageDraw.Draw(image)
        width, height = image.size
        heights = sorted(s.box[3] - s.box[1] for s in layout if s.page == number)
        line_h = heights[len(heights) // 2] if heights else 0.01  # a line's height on this page
        for field_name, page in targets:
            if page not in (0, number) or not truth.get(field_name):
                continue
            old = str(truth[field_name])
            new = _changed(field_name, old, step)
            if new is None:
                continue
            # every place on the page that prints the value changes, as on a vendor's next
            # invoice (a value left standing elsewhere would let the extractor read the old one)
            for seg in layout:
                if seg.page != number:
                    continue
                printed = _printed_like(seg.text, field_name, old, new)
                if printed is None or printed == seg.text:
                    continue
                _paint(draw, seg, printed, width, height, line_h)
                changed[field_name] = new
        images.append(image)
    if not changed:
        return None, {}
    out = io.BytesIO()
    if len(images) == 1:
        images[0].save(out, format="PNG")
    else:
        images[0].save(out, format="PDF", resolution=150.0, save_all=True,
                       append_images=images[1:])  # fmt: skip
    return out.getvalue(), changed


def _paint(draw: Any, seg: Any, printed: str, width: int, height: int, line_h: float) -> None:
    """The segment's box painted white and ``printed`` written in it, each word where the old
    text's words stood (characters' shares of the box), so that words stay apart for the OCR.
    A segment as tall as several lines (a text layer's stacked values) gets its words stacked."""
    from PIL import ImageFont

    x0, y0, x1, y1 = (seg.box[0] * width, seg.box[1] * height, seg.box[2] * width,
                      seg.box[3] * height)  # fmt: skip
    draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), fill="white")
    words = list(re.finditer(r"\S+", printed))
    rows = max(1, min(len(words), round((seg.box[3] - seg.box[1]) / max(line_h, 1e-6))))
    row_h = (y1 - y0) / rows
    size = max(10, int(row_h * 0.9))
    try:
        font = ImageFont.load_default(size=size)
        # one row: the text as wide as the box at most (a wider font glued words together)
        while rows == 1 and size > 10 and draw.textlength(printed, font=font) > x1 - x0:
            size -= 1
            font = ImageFont.load_default(size=size)
    except TypeError:
        font = ImageFont.load_default()
    n = max(len(printed), 1)
    gap = draw.textlength(" ", font=font)
    end = x0 - gap
    for i, m in enumerate(words):
        if rows > 1:  # one row per word, each at the box's left
            draw.text((x0, y0 + row_h * (i * rows // len(words))), m.group(), fill="black",
                      font=font)  # fmt: skip
        else:  # where the old word stood, at least a space after the word before it
            x = max(x0 + (x1 - x0) * m.start() / n, end + gap)
            draw.text((x, y0), m.group(), fill="black", font=font)
            end = x + draw.textlength(m.group(), font=font)


def _changed(field_name: str, old: str, step: int = 1) -> str | None:
    """Another value of the field, ``step`` apart (a date stays in its month: only the printed
    day is re-printed)."""
    if field_name in ("total", "subtotal", "tax", "amount_due"):
        return f"{Decimal(old) + Decimal('11.11') * step:.2f}"
    if field_name.endswith("_date"):
        day = dt.date.fromisoformat(old)
        later = day + dt.timedelta(days=step)
        return (later if later.month == day.month else day - dt.timedelta(days=step)).isoformat()
    digits = [i for i, ch in enumerate(old) if ch.isdigit()]
    if not digits:
        return None
    i = digits[-1]
    return old[:i] + str((int(old[i]) + step) % 10) + old[i + 1 :]


def _printed_like(segment: str, field_name: str, old: str, new: str) -> str | None:
    """The segment's text with the old value replaced by the new one, printed as before."""
    from core.extraction.parsing import find_amounts, find_dates

    if field_name in ("total", "subtotal", "tax", "amount_due"):
        out, last, found = "", 0, False
        for start, end, value in find_amounts(segment):
            if abs(value) == abs(Decimal(old)):
                raw = segment[start:end]
                sep = "," if "," in raw[-3:] else "."
                text = f"{Decimal(new):.2f}".replace(".", sep)
                out, last, found = out + segment[last:start] + text, end, True
        return out + segment[last:] if found else None
    if field_name.endswith("_date"):
        for day_first in (True, False):
            for d in find_dates(segment, day_first):
                if d.value.isoformat() == old:
                    raw = segment[d.start : d.end]
                    new_date = dt.date.fromisoformat(new)
                    text = raw.replace(f"{d.value.day:02d}", f"{new_date.day:02d}", 1)
                    if text == raw:
                        text = raw.replace(str(d.value.day), str(new_date.day), 1)
                    return segment[: d.start] + text + segment[d.end :]
        return None
    return segment.replace(old, new) if old in segment else None


def _plain(value: Any) -> Any:
    """JSON-ready: mapping keys as strings, all the way down."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=600)
    parser.add_argument("--vendors", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--learning", choices=("on", "off", "ladder"), default="on")
    parser.add_argument(
        "--stream",
        choices=tuple(PROFILES),
        default="realistic",
        help="the stream's rates (see the module docstring); harsh: the first profile",
    )
    parser.add_argument(
        "--skip-dev", action="store_true", help="skip the separate dev documents part"
    )
    parser.add_argument(
        "--no-dev-docs",
        action="store_true",
        help="the synthetic stream alone (no dev documents in the stream)",
    )
    parser.add_argument(
        "--dev-docs", type=int, default=None, help="only the first N dev documents in the stream"
    )
    parser.add_argument("--dev-only", action="store_true", help="only the dev documents part")
    parser.add_argument("--json", help="write the summary here")
    parser.add_argument("--log", help="write every invoice's outcome and reasons here (JSON)")
    args = parser.parse_args()
    if args.dev_only:
        print("Dev documents (second rendering with changed values):")
        dev_second_rendering()
        return 0
    print(
        f"STP bench: {args.invoices} invoices, {args.vendors} vendors, seed {args.seed},"
        f" {args.stream} stream, learning {args.learning}"
        " (embedded stack, extraction in this process)"
    )
    result = run(args)
    s = summary(result, args.invoices)
    print(f"Goals ({s['invoices']} invoices processed in {s['seconds']} s):")
    print_goals(s)
    if args.json:
        with open(args.json, "w") as fh:
            per_100 = [  # (asdict would rebuild a Counter from its items)
                {**vars(w), "kinds": dict(w.kinds), "touch_kinds": dict(w.touch_kinds)}
                for w in result["windows"]
            ]
            body = {**s, "learning": args.learning, "stream": args.stream, "per_100": per_100}
            json.dump(_plain(body), fh, default=str, indent=1)
    if args.log:
        with open(args.log, "w") as fh:
            json.dump(_plain(result["log"]), fh, default=str, indent=0)
    if not args.skip_dev:
        print("Dev documents (second rendering with changed values):")
        dev_second_rendering()
    return 0


if __name__ == "__main__":
    sys.exit(main())
