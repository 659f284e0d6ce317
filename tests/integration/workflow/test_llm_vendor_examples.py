"""Issue 14 item 2 with an OpenAI key: the worker puts the known vendor's corrected examples into
the LLM prompt (the same client's hints only: label -> corrected value, where it stood), against
the loopback OpenAI fake; the prompt version says so; another client's examples never go in."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import SecretStr

from core.extraction.pipeline import ExtractionPipeline
from core.extraction.prompts import PROMPT_VERSION
from core.workflow import invoices, processing, reference, review, uploads
from core.workflow.uploads import UploadFile
from tests.fakes.openai_fake import FakeOpenAI, null_responder
from tests.integration.workflow.conftest import as_user, build_test_services, make_pdf

VENDOR = "Kestrel Borough Plumbing Ltd"
VENDORS_CSV = f"vendor_code,name,vat_id\nK1,{VENDOR},GB123456789\n".encode()


def _doc(ref: str, total: str, date: str) -> bytes:
    return make_pdf(
        [
            VENDOR,
            "12 Harbour Street, Leeds LS1 4AB",
            "VAT Reg: GB123456789",
            "INVOICE",
            f"Job sheet {ref}",
            f"Dated {date}",
            "Bill to: Buyer Corp Ltd",
            f"Repair 1 {total} {total}",
            f"Balance payable GBP {total}",
        ]
    )


def _responder(text: str) -> dict:
    """A model that reads the vendor, its VAT id and the total, and misses the invoice number."""
    answer = null_responder(text)

    def put(name: str, value: str, evidence: str) -> None:
        answer[name] = {"value": value, "evidence": evidence, "page": 1}

    put("vendor_name", VENDOR, VENDOR)
    put("vendor_vat_id", "GB123456789", "GB123456789")
    put("currency", "GBP", "GBP")
    if m := re.search(r"Balance payable GBP (\S+)", text):
        put("total", m.group(1), m.group(0))
    return answer


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI(responder=_responder) as server:
        yield server


@pytest.fixture(scope="module")
def llm_services(test_settings, engine, database_url, fake):
    settings = test_settings.model_copy(
        update={
            "openai_api_key": SecretStr("sk-test-loopback"),
            "openai_base_url": fake.base_url,
            "extraction_backend": "openai",
            "openai_vision": False,
            "openai_max_retries": 0,
            "llm_routing_min_confidence": 1.0,  # every document goes to the (fake) model
        }
    )
    svc = build_test_services(
        settings, engine, database_url, extraction=ExtractionPipeline(settings)
    )
    yield svc
    svc.jobs.close()
    svc.close()


def _process(services, user, client_id, name: str, data: bytes, fake):
    before = len(fake.requests)
    result = uploads.upload_files(
        services=services, user=user, client_id=client_id, files=[UploadFile(name, data)],
        process=False,
    )  # fmt: skip
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=invoice_id, user_id=user.id)
    prompts = [_user_prompt(r.body) for r in fake.requests[before:]]
    return invoices.get_invoice(services=services, user=user, invoice_id=invoice_id), prompts


def _user_prompt(body: dict) -> str:
    message = next(m for m in body["messages"] if m["role"] == "user")
    content = message["content"]
    return content if isinstance(content, str) else json.dumps(content)


def _learn(services, user, client_id, fake, ref: str, total: str):
    data = _doc(ref, total, "14/03/2024")
    first, prompts = _process(services, user, client_id, f"{ref}.pdf", data, fake)
    assert first.vendor_id is not None and first.invoice_number is None
    assert len(prompts) == 1 and "corrected by this client" not in prompts[0]
    review.correct_fields(
        services=services,
        user=user,
        invoice_id=first.id,
        changes={"invoice_number": ref},
        expected_version=first.version,
    )
    return first


def test_the_vendors_corrected_examples_go_into_the_prompt_of_its_own_client_only(
    llm_services, role_users, make_user, make_client, fake
) -> None:
    services = llm_services
    a = role_users
    operator_a = as_user(a.members["operator"])
    reference.import_reference(
        services=services, user=operator_a, client_id=a.id, kind="vendors", data=VENDORS_CSV
    )
    owner_b_user = make_user()
    b = make_client(owner_b_user)
    owner_b = as_user(owner_b_user)
    reference.import_reference(
        services=services, user=owner_b, client_id=b.id, kind="vendors", data=VENDORS_CSV
    )

    # each client corrects its own first invoice of the vendor (the model missed the number)
    _learn(services, operator_a, a.id, fake, "KX-4471", "250.00")
    _learn(services, owner_b, b.id, fake, "ZB-7788", "90.00")

    # A's next invoice: read once, the vendor is known, read again with A's examples
    second, prompts = _process(
        services, operator_a, a.id, "a2.pdf", _doc("KX-5120", "410.00", "02/04/2024"), fake
    )
    assert len(prompts) == 2
    assert "corrected by this client" not in prompts[0]
    hinted = prompts[1]
    assert "corrected by this client" in hinted
    assert '"KX-4471"' in hinted and '"job sheet"' in hinted  # A's label -> A's value
    assert "ZB-7788" not in hinted and "90.00" not in hinted  # nothing of B's
    assert second.prompt_version != PROMPT_VERSION
    assert second.prompt_version.startswith(f"{PROMPT_VERSION}+hints.")
    assert second.invoice_number == "KX-5120"  # and the offline hint reads the page

    # B's next invoice carries B's example, never A's
    theirs, prompts = _process(
        services, owner_b, b.id, "b2.pdf", _doc("ZB-7789", "95.00", "03/04/2024"), fake
    )
    assert len(prompts) == 2
    assert '"ZB-7788"' in prompts[1]
    assert "KX-4471" not in prompts[1] and "250.00" not in prompts[1]
    assert theirs.prompt_version.startswith(f"{PROMPT_VERSION}+hints.")
    assert theirs.prompt_version != second.prompt_version  # other examples, another version


def test_no_examples_without_a_known_vendor(llm_services, role_users, fake) -> None:
    services = llm_services
    client = role_users
    operator = as_user(client.members["operator"])
    # no vendor master in this client yet: the vendor is unknown, one plain request
    plain, prompts = _process(
        services, operator, client.id, "u.pdf", _doc("KX-1", "10.00", "01/01/2024"), fake
    )
    assert len(prompts) == 1 and "corrected by this client" not in prompts[0]
    assert plain.prompt_version == PROMPT_VERSION
