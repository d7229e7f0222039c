"""Unit tests of the email language: commands, fields, quoted text, and machine-generated mail."""

from __future__ import annotations

import pytest

from tests.support import OFFICER, request
from vanthu.mailflows.commands import Command, fields, parse_subject
from vanthu.mailflows.hygiene import authenticated, machine_generated
from vanthu.mailflows.message import command_part, parse


@pytest.mark.parametrize(
    ("subject", "command", "argument"),
    [
        (
            "Lấy số: Quyết định phê chuẩn khởi tố bị can",
            Command.NUMBER,
            "Quyết định phê chuẩn khởi tố bị can",
        ),
        ("LAY SO: bao cao tong ket", Command.NUMBER, "bao cao tong ket"),
        ("Lay so Quyet dinh", Command.NUMBER, "Quyet dinh"),
        ("Re: Hủy số 15/QĐ-VKSQN", Command.CANCEL, "15/QĐ-VKSQN"),
        ("TRẢ LỜI: Chèn số sau 15/QĐ-VKSQN", Command.INSERT, "sau 15/QĐ-VKSQN"),
        ("Fwd: TL: tro giup", Command.HELP, ""),
        ("Chào anh", None, "Chào anh"),
        ("Lấy sổ tay", None, "Lấy sổ tay"),
    ],
)
def test_subject_commands_with_or_without_diacritics(subject: str, command: Command | None, argument: str) -> None:
    parsed = parse_subject(subject)
    assert parsed.command is command
    assert parsed.argument == argument


def test_subject_tag_is_found_and_removed() -> None:
    parsed = parse_subject("Re: [VT-2026-000123] Hủy số 15/QĐ-VKSQN")
    assert parsed.tag == "VT-2026-000123"
    assert parsed.command is Command.CANCEL


def test_fields_are_keyed_without_diacritics() -> None:
    f = fields("Loại: QĐ\nVụ án: 12/2026/HS\nNGƯỜI KÝ: Lê Văn B\nLý do: trùng số\n")
    assert f == {"loai": "QĐ", "vu an": "12/2026/HS", "nguoi ky": "Lê Văn B", "ly do": "trùng số"}


def test_quoted_text_is_not_part_of_the_command() -> None:
    body = "Lý do: nhầm loại\n\nOn Mon, 5 Oct 2026 at 09:00, Văn thư <vanthu@x.vn> wrote:\n> Lấy số: abc\n"
    assert command_part(body) == "Lý do: nhầm loại"
    outlook = "Xong\n\nFrom: Văn thư <vanthu@x.vn>\nSent: Monday\nSubject: Lấy số\n"
    assert command_part(outlook) == "Xong"


def test_decomposed_text_is_normalised_to_nfc() -> None:
    decomposed = "La\u0302\u0301y so\u0302\u0301: Quye\u0302\u0301t đi\u0323nh"
    msg = parse(request(OFFICER, decomposed, "Loa\u0323i: QĐ").as_bytes())
    assert msg.subject == "Lấy số: Quyết định"
    assert fields(msg.command_text)["loai"] == "QĐ"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Loop": "x"},
        {"List-Unsubscribe": "<mailto:x@y>"},
        {"X-Vanthu-Loop": "vksquangninh.gov.vn"},
        {"Return-Path": "<>"},
    ],
)
def test_machine_generated_mail_is_recognised(headers: dict[str, str]) -> None:
    msg = parse(request(OFFICER, "Lấy số: x", headers=headers).as_bytes())
    assert machine_generated(msg, "vksquangninh.gov.vn") is not None


def test_out_of_office_and_daemons_are_machine_generated() -> None:
    ooo = parse(request(OFFICER, "Trả lời tự động: Vắng mặt").as_bytes())
    assert machine_generated(ooo, "d") == "out-of-office subject"
    bounce = parse(request("MAILER-DAEMON@mx.vn", "Undelivered Mail").as_bytes())
    assert machine_generated(bounce, "d") is not None
    ours = parse(request(OFFICER, "x", message_id="<vt-2026-000001-number-ab@vksquangninh.gov.vn>").as_bytes())
    assert machine_generated(ours, "vksquangninh.gov.vn") == "our own Message-ID"


def test_a_person_writing_is_not_machine_generated() -> None:
    msg = parse(request(OFFICER, "Lấy số: Quyết định", headers={"Auto-Submitted": "no"}).as_bytes())
    assert machine_generated(msg, "vksquangninh.gov.vn") is None


def test_authentication_results_only_from_our_server_count() -> None:
    good = request(OFFICER, "x", headers={"Authentication-Results": "mx.vks.vn; dkim=pass header.d=vks.vn"})
    forged = request(OFFICER, "x", headers={"Authentication-Results": "evil.example; dkim=pass"})
    failed = request(OFFICER, "x", headers={"Authentication-Results": "mx.vks.vn; dkim=fail; spf=softfail"})
    assert authenticated(parse(good.as_bytes()), "mx.vks.vn")
    assert not authenticated(parse(forged.as_bytes()), "mx.vks.vn")
    assert not authenticated(parse(failed.as_bytes()), "mx.vks.vn")


@pytest.mark.parametrize(
    ("subject", "level"),
    [
        ("Gửi tài liệu Tối mật về vụ án", "Tối mật"),
        ("TUYỆT MẬT - gửi VKS", "Tuyệt mật"),
        ("Tài liệu Mật gửi VKS", "Mật"),
        ("Độ mật: Mật", "Mật"),
        ("văn bản mật", "Mật"),
        ("Gửi quyết định (bản có mật khẩu)", ""),
        ("V/v bảo vệ bí mật nhà nước", ""),
        ("Quan hệ mật thiết giữa hai cơ quan", ""),
        ("Lấy số: Báo cáo", ""),
    ],
)
def test_secrecy_markings_in_subjects(subject: str, level: str) -> None:
    from vanthu.mailflows.incoming_meta import SECRECY_LEVELS, marking

    assert marking(subject, SECRECY_LEVELS, capitals_only=False) == level


@pytest.mark.parametrize(
    ("subject", "command"),
    [
        ("Sổ: đến 11/2026", Command.REGISTER),
        ("So: HC 2026", Command.REGISTER),
        ("So sánh số liệu tháng 11", None),
        ("Thống kê: 11/2026", Command.STATS),
        ("thong ke: 2026", Command.STATS),
        ("Tra cuu: 12/2026/HS", Command.SEARCH),
    ],
)
def test_report_commands(subject: str, command: Command | None) -> None:
    assert parse_subject(subject).command is command
