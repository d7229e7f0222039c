"""Reply text → typed commands (mailflows.reply_commands), without a database."""

from __future__ import annotations

import typing

import pytest

from vanthu.mailflows import all_or_nothing, reply_flow
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.reply_commands import (
    Assign,
    Complete,
    DecideExtension,
    Forward,
    GiveBack,
    GiveOpinion,
    LinkCase,
    ReplyCommand,
    RequestExtension,
    parse,
)
from vanthu.mailflows.reply_handlers import HANDLERS, Scope

QUOTE = "\n\nOn Sat, 21 Nov 2026, Văn thư wrote:\n"


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        (
            "Giao: Phạm Thị Lan\nHạn: 05/12\nÝ kiến: Kiểm tra kỹ\nPhối hợp: VP; P3",
            (Assign("Phạm Thị Lan", deadline="05/12", copies="VP; P3", opinion="Kiểm tra kỹ"),),
        ),
        ("GIAO: P2\nhan: 5/12/2026\nPHOI HOP: VP", (Assign("P2", deadline="5/12/2026", copies="VP"),)),
        ("Giao: P2\nThời hạn: 05-12-2026", (Assign("P2", deadline="05-12-2026"),)),
        ("Chuyển: P3\nÝ kiến: nhờ xử lý", (Forward("P3", opinion="nhờ xử lý"),)),
        ("Chuyển tiếp: ksv.binh@vksquangninh.gov.vn", (Forward("ksv.binh@vksquangninh.gov.vn"),)),
        ("Ý kiến: Báo cáo trước ngày 10", (GiveOpinion("Báo cáo trước ngày 10"),)),
        ("Xong", (Complete(),)),
        ("Hoàn thành.\nVăn bản trả lời: 15/BC-VKSQN", (Complete("15/BC-VKSQN"),)),
        ("đã xong!\nSố: 16/BC-VKSQN", (Complete("16/BC-VKSQN"),)),
        ("HOAN THANH", (Complete(),)),
        ("Gia hạn: 30/11/2026\nLý do: chờ giám định", (RequestExtension("30/11/2026", "chờ giám định"),)),
        ("Đồng ý", (DecideExtension(approve=True),)),
        ("dong y", (DecideExtension(approve=True),)),
        ("Không đồng ý", (DecideExtension(approve=False),)),
        ("Từ chối", (DecideExtension(approve=False),)),
        ("Đồng ý\nKhông đồng ý", (DecideExtension(approve=False),)),  # both: the refusal wins
        ("Trả lại: không thuộc thẩm quyền", (GiveBack("không thuộc thẩm quyền"),)),
        ("Vụ án: 12/2026/HS", (LinkCase("12/2026/HS"),)),
        ("Vụ việc: 3/2026/TG", (LinkCase("3/2026/TG"),)),
        # The case link runs first and the actions in a fixed order, whatever the order of the lines.
        ("Giao: P2\nVụ án: 12/2026/HS", (LinkCase("12/2026/HS"), Assign("P2"))),
        ("Trả lại: sai\nXong\nGiao: P2", (Assign("P2"), Complete(), GiveBack("sai"))),
        ("Giao: P2\nGiao: P3", (Assign("P2"),)),  # the first line of a key counts
        # Command words count only on a line of their own.
        ("Tôi đã xong việc này rồi", ()),
        ("Đồng ý với đề xuất", ()),
        ("Giao:", ()),
        ("", ()),
    ],
)
def test_parse(text: str, commands: tuple[ReplyCommand, ...]) -> None:
    assert parse(text + QUOTE).commands == commands


def test_what_the_reply_says_besides_commands() -> None:
    assert parse("Lý do: không rõ").says_something and parse("Lý do: không rõ").commands == ()
    assert parse("Giao:").says_something
    assert not parse("Cảm ơn đồng chí.").says_something
    assert parse("Vụ án: 1/2026/HS\nXong").actions == (Complete(),)


def test_labels_are_what_the_answer_quotes() -> None:
    labels = [c.label for c in parse("Vụ án: 1/2026/HS\nGiao: P2\nChuyển tiếp: P3\nXong\nĐồng ý").commands]
    assert labels == ["Vụ án: 1/2026/HS", "Giao: P2", "Chuyển: P3", "Xong", "Đồng ý"]
    assert DecideExtension(approve=False).label == "Không đồng ý"
    assert GiveBack("sai").label == "Trả lại: sai"
    assert RequestExtension("30/11").label == "Gia hạn: 30/11"
    assert GiveOpinion("x").label == "Ý kiến: x"


def test_commands_are_values() -> None:
    command = Assign("P2", deadline="05/12")
    assert command == Assign("P2", "05/12") and hash(command) == hash(Assign("P2", "05/12"))
    with pytest.raises(AttributeError):
        command.to = "P3"  # type: ignore[misc]


def test_every_command_has_a_handler() -> None:
    assert set(HANDLERS) == set(typing.get_args(ReplyCommand))


def test_a_second_action_is_bound_to_a_refusal() -> None:
    scope = typing.cast(Scope, object())  # the refusal never looks at the scope; the handlers are not run
    bound = reply_flow.bound(parse("Vụ án: 1/2026/HS\nGiao: P2\nXong\nĐồng ý"), scope)
    assert [c.label for c in bound] == ["Vụ án: 1/2026/HS", "Giao: P2", "Xong", "Đồng ý"]
    for second in bound[2:]:
        with pytest.raises(all_or_nothing.CommandFailed) as failed:
            second.action()
        assert failed.value.outcome is Outcome.REPLY_SEVERAL_ACTIONS
        assert failed.value.reason == reply_flow.ONE_ACTION
