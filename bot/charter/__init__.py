"""The charter's rules as plain functions over plain data, each naming its article.

They import neither the database nor any chat platform. Index by article:

- art. 11, 16(6): `membership.door_refusal` — who may apply
- art. 13, 15, 16(5): `membership.has_member_rights` — whose rights are active
- art. 15: `membership.status_after_discipline`
- art. 16(1): `membership.withdrawal_effective_on`
- art. 16(2): `membership.inactivity_deadline`, `membership.inactivity_warning_on`
- art. 14(8): `membership.may_remove_contact`
"""
