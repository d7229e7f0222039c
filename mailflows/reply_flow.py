"""Handling a document by replying to vanthu's mail: Giao, Phối hợp, Hạn, Ý kiến, Chuyển, Xong, Gia hạn,
Đồng ý / Không đồng ý, Trả lại, Vụ án.

The reply's own lines are parsed into typed commands (:mod:`mailflows.reply_commands`); each command
has its handler (:mod:`mailflows.reply_handlers`). Every refusal says why; every step is audited by the
domain, and the processed message by the dispatcher.

The commands of one reply are all or nothing (:mod:`mailflows.all_or_nothing`): if one cannot be
carried out, none changes anything, and the answer lists every command with what failed and why.
"""

from __future__ import annotations

from vanthu.mailflows import all_or_nothing
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.mailflows.reply_commands import Reply, ReplyCommand, is_action, parse
from vanthu.mailflows.reply_handlers import HANDLERS, Scope, confirm
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Document, Person

ONE_ACTION = (
    "Mỗi thư trả lời chỉ mang một lệnh xử lý (Giao, Chuyển, Xong, Gia hạn, Đồng ý/Không đồng ý, Trả lại, "
    "Ý kiến); lệnh này cần gửi trong một thư riêng."
)
NOT_INCOMING = "Chỉ văn bản đến mới được giao, chuyển, gia hạn hay hoàn thành qua thư."
NOTHING_SAID = "Thư trả lời không có lệnh nào. Gửi «Trợ giúp» để xem các lệnh."
NO_COMMAND = (
    "Thư trả lời không có lệnh nào (các lệnh viết ở đầu thư: «Giao: …», «Hạn: …», «Chuyển: …», «Xong», "
    "«Gia hạn: …», «Đồng ý», «Trả lại: …»)."
)


def carry_out(ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document) -> Outcome:
    """Carry out the commands of ``person``'s reply about ``doc``; return the outcome.

    Guarantees: only an incoming document is handled by reply (``reply.not-incoming`` otherwise, or
    ``reply.no-command`` for a reply that says nothing). A reply with no command is answered with the
    list of commands (``reply.no-command``). Otherwise the commands run through
    :func:`mailflows.all_or_nothing.run` in the order :func:`~mailflows.reply_commands.parse` gives (the
    case link, then at most one action; every further action fails with ``reply.several-actions``).
    If every one works, their writes and notices stay and the outcome is the last command's. If any
    fails, nothing of any of them stays — no database write, audit entry or notice — the sender gets one
    answer (listing every command with what failed and why when there were several), and the outcome is
    the first failure's.
    """
    reply = parse(msg.command_text)
    if doc.direction != "in":
        if reply.says_something:
            return _refuse(ctx, msg, person, doc, NOT_INCOMING, Outcome.REPLY_NOT_INCOMING)
        return _refuse(ctx, msg, person, doc, NOTHING_SAID, Outcome.REPLY_NO_COMMAND)
    if not reply.commands:
        return _refuse(ctx, msg, person, doc, NO_COMMAND, Outcome.REPLY_NO_COMMAND)
    scope = Scope.of(ctx, msg, person, doc)
    batch = all_or_nothing.run(ctx.uow.session, bound(reply, scope))
    if not batch.ok:
        first = batch.failures[0]
        if len(batch.results) == 1:
            return _refuse(ctx, msg, person, doc, first.reason, Outcome(first.outcome))
        _list_failures(ctx, msg, person, doc, batch)
        return Outcome(first.outcome)
    outcomes = [Outcome(r.outcome) for r in batch.results]
    if outcomes == [Outcome.CASE_LINKED]:
        confirm(scope, person, "case", scope.done_lines)
    return outcomes[-1]


def bound(reply: Reply, scope: Scope) -> list[all_or_nothing.Command]:
    """The reply's commands, each bound to its handler and the scope, in the order they run.

    A reply may carry one action command; each further one is bound to a refusal (so the reply changes
    nothing and the answer names it) rather than being silently ignored.
    """
    commands: list[all_or_nothing.Command] = []
    actions = 0
    for command in reply.commands:
        actions += is_action(command)
        run = _refusal(ONE_ACTION, Outcome.REPLY_SEVERAL_ACTIONS) if actions > 1 else _handler(command, scope)
        commands.append(all_or_nothing.Command(command.label, run))
    return commands


def _handler(command: ReplyCommand, scope: Scope) -> all_or_nothing.Action:
    handler = HANDLERS[type(command)]
    return lambda: handler(command, scope)


def _refusal(reason: str, outcome: Outcome) -> all_or_nothing.Action:
    def refuse() -> str:
        raise all_or_nothing.CommandFailed(reason, outcome)

    return refuse


def _refuse(
    ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document, reason: str, outcome: Outcome
) -> Outcome:
    reply_problem(ctx, msg, person_name=person.full_name, reason=reason, document=doc)
    return outcome


def _list_failures(
    ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document, batch: all_or_nothing.BatchResult
) -> None:
    enqueue(
        ctx,
        kind="problem",
        to=msg.sender,
        template="reply_failed",
        reply_to=msg,
        document=doc,
        person_name=person.full_name,
        request_subject=msg.subject,
        results=batch.results,
    )
