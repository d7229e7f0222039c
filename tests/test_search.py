"""``Tra cứu`` end to end through the real processor, on SQLite and on PostgreSQL.

The case file of 12/2026/HS is built as it happens in an office: the police's decision arrives signed
(registered, routed), the procuracy takes numbers for its own decisions, a second police document
arrives. Deadlines and completions are written straight into the database, since assignment by reply
is not there yet; the clock is frozen on Saturday 21 November 2026, 09:00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.flowkit import documents, replies_to, send
from tests.support import (
    CLERK,
    LEADER,
    OFFICER,
    OFFICER2,
    incoming,
    prepared_app,
    request,
    trust_section,
    vn_time,
    write_config,
)
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.models.clock import FixedClock
from vanthu.models.search import QueryKind, classify, search, searchable_units, timeline
from vanthu.models.tables import Assignment, Document, OutboxMessage, Person, Unit
from vanthu.worker.app import App

POLICE = "pc01@congan.quangninh.gov.vn"
POLICE_NAME = "Cơ quan CSĐT Công an tỉnh Quảng Ninh"
KV1_OFFICER = "ksv.kv1.nam@vksquangninh.gov.vn"
KV1_LEADER = "vientruong.kv1@vksquangninh.gov.vn"
NOW = vn_time(2026, 11, 21, 9, 0)


@pytest.fixture
def search_app(db_url: str, tmp_path: Path, clock: FixedClock, pki: TestPki) -> Iterator[App]:
    """The example deployment with the test PKI trusted, so that signed police documents register."""
    extra = trust_section(pki.root_pem, pki.crl_der)
    application = prepared_app(write_config(tmp_path / "deploy", db_url, extra=extra), clock)
    try:
        yield application
    finally:
        application.close()


def _set_main(app: App, doc_id: int, *, deadline: dt.datetime, done_at: dt.datetime | None = None) -> None:
    """Make ``doc_id``'s main assignment the given one (earlier main assignments are cancelled)."""
    with app.uow() as uow:
        s = uow.session
        s.execute(
            update(Assignment)
            .where(Assignment.document_id == doc_id, Assignment.role == "main")
            .values(status="cancelled")
        )
        p2 = s.execute(select(Unit).where(Unit.code == "P2")).scalar_one()
        s.add(
            Assignment(
                document_id=doc_id,
                unit_id=p2.id,
                role="main",
                status="done" if done_at else "open",
                deadline_at=deadline,
                assigned_at=deadline - dt.timedelta(days=3),
                assigned_by=LEADER,
                done_at=done_at,
                done_by=OFFICER if done_at else "",
            )
        )
        uow.commit()


def _doc(app: App, number_str: str, direction: str) -> Document:
    return next(d for d in documents(app) if d.number_str == number_str and d.direction == direction)


def _build_case_file(app: App, clock: FixedClock, pki: TestPki) -> None:
    """Four documents of 12/2026/HS (met, late, open, open and overdue), one of 13/2026/HS, one secret."""
    clock.set(vn_time(2026, 11, 10, 9, 0))
    [first] = send(app, incoming(POLICE, "Gửi Quyết định khởi tố bị can", [("qd.pdf", pdfkit.valid(pki))]))
    assert first.outcome == "intake.registered"
    clock.set(vn_time(2026, 11, 12, 10, 0))
    send(
        app,
        request(
            OFFICER,
            "Lấy số: Quyết định phê chuẩn quyết định khởi tố bị can",
            "Loại: QĐ\nSổ: TT\nVụ án: 12/2026/HS\nNgười ký: Nguyễn Văn Minh\n",
        ),
    )
    clock.set(vn_time(2026, 11, 13, 8, 0))
    send(app, request(OFFICER2, "Lấy số: Quyết định khởi tố vụ án trộm cắp", "Loại: QĐ\nSổ: TT\nVụ án: 13/2026/HS\n"))
    clock.set(vn_time(2026, 11, 14, 15, 0))
    send(
        app,
        request(
            OFFICER2,
            "Lấy số: Quyết định gia hạn thời hạn tạm giam",
            "Loại: QĐ\nSổ: TT\nVụ án: 12/2026/hs\n",
        ),
    )
    send(app, request(OFFICER, "Lấy số: Báo cáo chuyên đề vụ án", "Loại: BC\nĐộ mật: Mật\nVụ án: 12/2026/HS\n"))
    clock.set(vn_time(2026, 11, 20, 9, 0))
    second = DocText(number="130/QĐ-CSĐT", title="Về việc gia hạn thời hạn điều tra", date=dt.date(2026, 11, 19))
    [later] = send(app, incoming(POLICE, "Gửi quyết định gia hạn", [("gh.pdf", pdfkit.valid(pki, second))]))
    assert later.outcome == "intake.registered"
    clock.set(NOW)

    _set_main(
        app,
        _doc(app, "01", "in").id,
        deadline=vn_time(2026, 11, 13, 23, 59, 59),
        done_at=vn_time(2026, 11, 12, 15, 0),
    )
    _set_main(
        app,
        _doc(app, "01/QĐ-VKSQN", "out").id,
        deadline=vn_time(2026, 11, 14, 23, 59, 59),
        done_at=vn_time(2026, 11, 16, 10, 0),
    )
    _set_main(app, _doc(app, "03/QĐ-VKSQN", "out").id, deadline=vn_time(2026, 11, 25, 23, 59, 59))
    _set_main(app, _doc(app, "02", "in").id, deadline=vn_time(2026, 11, 20, 21, 0))


def _search(app: App, sender: str, subject: str) -> tuple[str, OutboxMessage]:
    msg = request(sender, subject)
    [result] = send(app, msg)
    [reply] = replies_to(app, msg["Message-ID"])
    return result.outcome, reply


def _numbers_in_order(body: str, *numbers: str) -> bool:
    positions = [body.find(n) for n in numbers]
    return all(p >= 0 for p in positions) and positions == sorted(positions)


def test_case_file_in_date_order_with_deadline_statuses(search_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = search_app
    _build_case_file(app, clock, pki)
    outcome, reply = _search(app, OFFICER, "Tra cứu: 12/2026/HS")
    assert outcome == "search.case"
    assert (reply.kind, reply.to_addr) == ("search", OFFICER)
    assert reply.subject == "Hồ sơ vụ án 12/2026/HS — 4 văn bản"
    body = reply.body_text
    assert "Hồ sơ vụ án 12/2026/HS: 4 văn bản, xếp theo ngày." in body
    assert _numbers_in_order(body, "10/11/2026", "12/11/2026", "14/11/2026", "20/11/2026")
    assert _numbers_in_order(
        body,
        "Văn bản đến số đến 01",
        "Văn bản đi 01/QĐ-VKSQN",
        "Văn bản đi 03/QĐ-VKSQN",
        "Văn bản đến số đến 02",
    )
    assert _numbers_in_order(
        body,
        "23:59 13/11/2026 — đúng hạn",
        "23:59 14/11/2026 — trễ hạn 2 ngày",
        "23:59 25/11/2026 — còn hạn",
        "21:00 20/11/2026 — trễ hạn 12 giờ",
    )
    assert "123/QĐ-CSĐT, ngày 05/04/2026" in body and "130/QĐ-CSĐT, ngày 19/11/2026" in body
    assert "02/QĐ-VKSQN" not in body  # 13/2026/HS
    assert "chuyên đề" not in body and "BC-VKSQN" not in body  # the secret report
    html = reply.body_html
    assert "<table" in html and "trễ hạn 2 ngày" in html and "<script" not in html.lower()
    # Without diacritics and in lower case, the same case file.
    outcome, again = _search(app, OFFICER2, "tra cuu 12/2026/hs")
    assert outcome == "search.case" and again.subject == reply.subject


def test_timeline_rows(search_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = search_app
    _build_case_file(app, clock, pki)
    with app.uow() as uow:
        person = uow.session.execute(select(Person).where(Person.email == OFFICER)).scalar_one()
        found = search(uow.session, person, "12/2026/HS")
        assert (found.kind, found.label, found.total) == (QueryKind.CASE, "12/2026/HS", 4)
        rows = timeline(uow.session, found.documents, NOW)
        capped = search(uow.session, person, "12/2026/HS", limit=2)
        assert capped.total == 4 and [d.number_str for d in capped.documents] == ["03/QĐ-VKSQN", "02"]
    first, late, open_, overdue = rows
    assert (first.direction, first.number, first.orig_number, first.orig_date) == (
        "đến",
        "số đến 01",
        "123/QĐ-CSĐT",
        dt.date(2026, 4, 5),
    )
    assert first.party == "CÔNG AN TỈNH QUẢNG NINH - CƠ QUAN CẢNH SÁT ĐIỀU TRA"
    assert first.status == "đã vào sổ" and first.doc_date == dt.date(2026, 11, 10)
    assert (late.direction, late.number, late.party, late.status) == (
        "đi",
        "01/QĐ-VKSQN",
        "Viện kiểm sát nhân dân tỉnh Quảng Ninh",
        "đã cấp số",
    )
    assert [(r.deadline_status, r.late) for r in rows] == [
        ("đúng hạn", False),
        ("trễ hạn 2 ngày", True),
        ("còn hạn", False),
        ("trễ hạn 12 giờ", True),
    ]
    assert open_.deadline_at == vn_time(2026, 11, 25, 23, 59, 59)
    assert overdue.tag.startswith("VT-2026-")


def test_search_by_number(search_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = search_app
    _build_case_file(app, clock, pki)
    outcome, reply = _search(app, OFFICER, "Tra cứu: 01/QĐ-VKSQN")
    assert outcome == "search.number"
    assert reply.subject == "Kết quả tra cứu «01/QĐ-VKSQN» — 1 văn bản"
    assert "01/QĐ-VKSQN" in reply.body_text and "phê chuẩn quyết định khởi tố bị can" in reply.body_text
    assert "03/QĐ-VKSQN" not in reply.body_text
    # The issuer's number of an incoming document, typed without diacritics and without the leading zero.
    outcome, reply = _search(app, OFFICER, "Tra cuu: 130/qd-csdt")
    assert outcome == "search.number" and reply.subject.endswith("— 1 văn bản")
    assert "số đến 02" in reply.body_text
    outcome, reply = _search(app, CLERK, "Tra cứu: số đến 1")
    assert outcome == "search.number" and "số đến 01" in reply.body_text and "số đến 02" not in reply.body_text


def test_search_by_sender_and_by_words_without_diacritics(search_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = search_app
    _build_case_file(app, clock, pki)
    outcome, reply = _search(app, OFFICER, f"Tra cuu {POLICE.upper()}")
    assert outcome == "search.sender"
    assert reply.subject.endswith("— 2 văn bản")
    assert _numbers_in_order(reply.body_text, "số đến 01", "số đến 02") and "QĐ-VKSQN" not in reply.body_text
    outcome, reply = _search(app, OFFICER, "Tra cuu phe chuan khoi to")
    assert outcome == "search.words"
    assert reply.subject == "Kết quả tra cứu «phe chuan khoi to» — 1 văn bản"
    assert "01/QĐ-VKSQN" in reply.body_text and "Vụ án/vụ việc:     12/2026/HS" in reply.body_text
    outcome, reply = _search(app, OFFICER, "Tìm kiếm: gia hạn")
    assert outcome == "search.words" and reply.subject.endswith("— 2 văn bản")
    assert _numbers_in_order(reply.body_text, "03/QĐ-VKSQN", "số đến 02")


def test_regional_officer_does_not_see_the_province(search_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = search_app
    _build_case_file(app, clock, pki)
    send(
        app, request(KV1_OFFICER, "Lấy số: Quyết định phê chuẩn lệnh tạm giam", "Loại: QĐ\nSổ: TT\nVụ án: 12/2026/HS\n")
    )
    outcome, reply = _search(app, KV1_OFFICER, "Tra cứu: 12/2026/HS")
    assert outcome == "search.case"
    assert reply.subject == "Hồ sơ vụ án 12/2026/HS — 1 văn bản"
    assert "01/QĐ-VKSKV1" in reply.body_text and "VKSQN" not in reply.body_text.split("--")[0]
    _, nothing = _search(app, KV1_OFFICER, f"Tra cứu: {POLICE}")
    assert nothing.subject.endswith("không tìm thấy văn bản")
    # A province officer does not see the regional unit's documents; the province's leader does.
    _, officer = _search(app, OFFICER, "Tra cứu: 12/2026/HS")
    assert officer.subject.endswith("— 4 văn bản") and "VKSKV1" not in officer.body_text
    _, leader = _search(app, LEADER, "Tra cứu: 12/2026/HS")
    assert leader.subject.endswith("— 5 văn bản") and "01/QĐ-VKSKV1" in leader.body_text
    # The regional leader sees the regional unit only.
    _, kv1_leader = _search(app, KV1_LEADER, "Tra cứu: 12/2026/HS")
    assert kv1_leader.subject.endswith("— 1 văn bản")
    with app.uow() as uow:
        s = uow.session
        ids = {u.code: u.id for u in s.execute(select(Unit)).scalars()}
        by_email = {p.email: p for p in s.execute(select(Person)).scalars()}
        assert searchable_units(s, by_email[OFFICER]) == sorted([ids["VKSQN"], ids["VP"], ids["P2"]])
        assert searchable_units(s, by_email[CLERK]) == sorted(ids.values())
        assert searchable_units(s, by_email[KV1_OFFICER]) == [ids["KV1"]]


def test_secret_documents_never_appear(search_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = search_app
    _build_case_file(app, clock, pki)
    send(app, request(OFFICER, "Lấy số: Báo cáo tổng kết năm", "Loại: BC\n"))
    secret = next(d for d in documents(app) if d.secret)
    ordinary = next(d for d in documents(app) if d.number_str == secret.number_str and not d.secret)
    assert secret.number_str == "01/BC-VKSQN"  # the secret register's series looks the same
    assert secret.tag is not None and ordinary.tag is not None
    _, reply = _search(app, LEADER, "Tra cứu: 01/BC-VKSQN")
    assert reply.subject.endswith("— 1 văn bản") and ordinary.tag in reply.body_text
    assert secret.tag not in reply.body_text
    _, reply = _search(app, LEADER, "Tra cứu: văn bản mật trích yếu ghi trên sổ giấy")
    assert reply.subject.endswith("không tìm thấy văn bản")
    _, reply = _search(app, LEADER, f"Tra cứu: {OFFICER}")  # everything this officer asked a number for
    assert secret.tag not in reply.body_text and ordinary.tag in reply.body_text
    # A secret document is left out whatever it matches, the case included.
    with app.uow() as uow:
        uow.session.execute(update(Document).where(Document.number_str == "01/QĐ-VKSQN").values(secret=True))
        uow.commit()
    _, reply = _search(app, LEADER, "Tra cứu: 12/2026/HS")
    assert reply.subject.endswith("— 3 văn bản") and "01/QĐ-VKSQN" not in reply.body_text


def test_empty_query_gets_the_explanation(app: App) -> None:
    for subject in ("Tra cứu", "Tìm kiếm:", "TRA CUU : "):
        outcome, reply = _search(app, OFFICER, subject)
        assert outcome == "search.empty-query"
        assert reply.subject.startswith("Chưa thực hiện được")
        body = reply.body_text
        assert "«Tra cứu: 12/2026/HS»" in body and "«Tra cứu: 15/QĐ-VKSQN»" in body and "số đến 15" in body


def test_nothing_found_is_a_polite_answer(app: App) -> None:
    outcome, reply = _search(app, OFFICER, "Tra cứu: quyết định truy nã")
    assert outcome == "search.words"
    assert reply.kind == "search"
    assert reply.subject == "Kết quả tra cứu «quyết định truy nã» — không tìm thấy văn bản"
    assert "Không tìm thấy văn bản nào khớp với «quyết định truy nã»" in reply.body_text


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("12/2026/HS", QueryKind.CASE),
        ("5/2026/hspt", QueryKind.CASE),
        ("3/2026/LĐ", QueryKind.CASE),
        ("15/QĐ-VKSQN", QueryKind.NUMBER),
        ("01a/BC-VKSQN", QueryKind.NUMBER),
        ("số đến 15", QueryKind.NUMBER),
        ("123/QĐ-CSĐT", QueryKind.NUMBER),
        ("12/VKSQN-VP", QueryKind.NUMBER),
        ("pc01@congan.quangninh.gov.vn", QueryKind.SENDER),
        ("khởi tố bị can", QueryKind.WORDS),
        ("15/QĐ báo cáo", QueryKind.WORDS),
        (" «» ", QueryKind.EMPTY),
    ],
)
def test_classify(query: str, kind: QueryKind) -> None:
    assert classify(query) is kind
