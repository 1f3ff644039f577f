"""Reminders: stored in the database, fired by an APScheduler job, delivered by the outbox.

`kinds` says how each kind is rendered and how late it may still go; `sweep` fires the due
ones; `obligations` lists the charter's recurring duties; `scheduler` builds the jobs.
"""
