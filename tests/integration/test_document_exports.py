"""The exports a lawyer sends, through the real server: marking a version final (owner only,
audited) takes the DRAFT marking off its Word and PDF files, the redline between two versions
carries Word's tracked changes, the citations memo comes apart from the agreement, and someone
else's document answers 404 on every one of these routes."""

from __future__ import annotations

import io

import docx
import httpx
import psycopg
import pytest
from docx.oxml.ns import qn

from tests.accounts import make_user
from tests.documents import pdf_text
from tests.integration.test_account_management import audit_rows
from tests.integration.test_mirror import wait_for_mirror

pytestmark = pytest.mark.integration
SEED = ["I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
async def drafted(server, module_database_url):
    """A user with a three-version draft, and a second user."""
    owner, other = make_user(module_database_url), make_user(module_database_url)
    sdk = owner.client(server.url)
    thread_id = (await sdk.threads.create())["thread_id"]
    for text in SEED:
        await sdk.runs.wait(
            thread_id, "drafter", input={"messages": [{"role": "user", "content": text}]}
        )
    wait_for_mirror(module_database_url)
    async with httpx.AsyncClient(base_url=server.url, headers=owner.headers, timeout=60) as http:
        versions = (await http.get(f"/api/v1/conversations/{thread_id}/documents")).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert all(v["final_at"] is None for v in versions)
    return owner, other, [v["id"] for v in versions]


@pytest.fixture
async def clients(server, drafted):
    owner, other, ids = drafted
    async with (
        httpx.AsyncClient(base_url=server.url, headers=owner.headers, timeout=60) as mine,
        httpx.AsyncClient(base_url=server.url, headers=other.headers, timeout=60) as theirs,
    ):
        yield mine, theirs, ids


def _word(response: httpx.Response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    return docx.Document(io.BytesIO(response.content))


async def test_marking_a_version_final_removes_the_draft_marking(clients, module_database_url):
    http, _, (_, _, v3) = clients
    draft = _word(await http.get(f"/api/v1/documents/{v3}/download"))
    assert draft.sections[0].header.paragraphs[0].text.startswith("DRAFT — version 3")
    draft_pdf = await http.get(f"/api/v1/documents/{v3}/download", params={"format": "pdf"})
    assert "DRAFT" in pdf_text(draft_pdf.content)
    clause = next(p for p in draft.paragraphs if p.style.name == "Heading 1")
    assert clause._p.pPr.numPr is not None and clause.text == "Definitions"

    marked = await http.post(f"/api/v1/documents/{v3}/final")
    assert marked.status_code == 200, marked.text
    final_at = marked.json()["final_at"]
    assert final_at is not None and marked.json()["version"] == 3
    again = await http.post(f"/api/v1/documents/{v3}/final")
    assert again.json()["final_at"] == final_at  # marked once, when first marked
    assert (await http.get(f"/api/v1/documents/{v3}")).json()["final_at"] == final_at

    final = _word(await http.get(f"/api/v1/documents/{v3}/download"))
    assert "DRAFT" not in final.sections[0].header._element.xml
    pdf = await http.get(f"/api/v1/documents/{v3}/download", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "(Mutual Non-Disclosure Agreement)" in text and "DRAFT" not in text

    entries = audit_rows(module_database_url, "document.finalized", f"document:{v3}")
    assert len(entries) == 1 and entries[0][1] == {"version": 3}

    reopened = await http.delete(f"/api/v1/documents/{v3}/final")
    assert reopened.status_code == 200 and reopened.json()["final_at"] is None
    assert len(audit_rows(module_database_url, "document.reopened", f"document:{v3}")) == 1
    redraft = _word(await http.get(f"/api/v1/documents/{v3}/download"))
    assert "DRAFT" in redraft.sections[0].header.paragraphs[0].text


async def test_redline_between_two_versions_has_tracked_changes(clients):
    http, _, (v1, _, v3) = clients
    response = await http.get(f"/api/v1/documents/{v3}/redline", params={"against": v1})
    document = _word(response)
    assert 'filename="nda-v3-redline-from-1.docx"' in response.headers["content-disposition"]
    body = document.element.body

    def changed(tag: str) -> list[str]:
        return [
            "".join(t.text or "" for t in c.iter(qn("w:t"), qn("w:delText")))
            for c in body.iter(qn(tag))
        ]

    inserted, deleted = changed("w:ins"), changed("w:del")
    assert "two (2) years (24 months)" in inserted and "[term]" in deleted
    assert "California Law Requirements" in inserted
    assert "[governing law]" in deleted
    assert all(c.get(qn("w:author")) for c in body.iter(qn("w:ins"), qn("w:del")))

    missing = await http.get(f"/api/v1/documents/{v3}/redline")
    assert missing.status_code == 422 and "against" in missing.text


async def test_the_citations_memo_and_the_pdf(clients):
    http, _, (_, _, v3) = clients
    citations = (await http.get(f"/api/v1/documents/{v3}/citations")).json()
    agreement = "\n".join(
        p.text for p in _word(await http.get(f"/api/v1/documents/{v3}/download")).paragraphs
    )
    memo_response = await http.get(f"/api/v1/documents/{v3}/memo")
    assert 'filename="nda-v3-memo.docx"' in memo_response.headers["content-disposition"]
    memo = "\n".join(p.text for p in _word(memo_response).paragraphs)
    for citation in citations:
        assert citation["reason"] in memo and citation["reason"] not in agreement
    assert agreement.rstrip().endswith("Date: ______________________________")

    pdf = await http.get(f"/api/v1/documents/{v3}/memo", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "California Uniform Trade Secrets Act" in pdf_text(pdf.content)
    bad = await http.get(f"/api/v1/documents/{v3}/download", params={"format": "rtf"})
    assert bad.status_code == 422


async def test_another_users_document_is_not_found_anywhere(clients, module_database_url):
    mine, theirs, (v1, _, v3) = clients
    for method, path, params in [
        ("POST", f"/api/v1/documents/{v3}/final", {}),
        ("DELETE", f"/api/v1/documents/{v3}/final", {}),
        ("GET", f"/api/v1/documents/{v3}/redline", {"against": v1}),
        ("GET", f"/api/v1/documents/{v3}/memo", {}),
        ("GET", f"/api/v1/documents/{v3}/memo", {"format": "pdf"}),
        ("GET", f"/api/v1/documents/{v3}/download", {"format": "pdf"}),
    ]:
        response = await theirs.request(method, path, params=params)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"] == f"document {v3} not found"
    # nor through one's own document: the other version must be the caller's too
    with psycopg.connect(module_database_url) as conn:
        (final_at,) = conn.execute("SELECT final_at FROM documents WHERE id = %s", (v3,)).fetchone()
    assert final_at is None
    denied = audit_rows(module_database_url, "access.denied", f"document:{v3}")
    assert len(denied) >= 6
    unknown = await mine.post("/api/v1/documents/99999999/final")
    assert unknown.status_code == 404
    # a redline needs both versions to be the caller's
    against = await mine.get(f"/api/v1/documents/{v3}/redline", params={"against": 99999999})
    assert against.status_code == 404 and "99999999" in against.json()["detail"]
