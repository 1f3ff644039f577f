"""Delivery: the outbox, its worker, the send pace and the transports (issue 3).

Anything sent to other people, to many people, or later, is written to the outbox in the
transaction of the change that causes it (`bot.delivery.api`); an `OutboxWorker` claims the
rows, paces them within Telegram's limits (`ratelimit`) and sends them through a `Transport`
that an engine provides. What becomes of a row after each attempt is decided in `policy`.
"""
