"""Deliveries: report schedules and KPI alerts, run by one scheduler and sent by email.

`recurrence` (when a schedule is due, DST included), `runs` (one delivery, exactly once),
`scheduler` (the lease and the tick), `tasks` (the same tick on Celery beat), `alerts`
(evaluating conditions), `mailer` and `emails` (SMTP and the messages). No Dash imports.
"""
