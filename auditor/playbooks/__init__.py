"""Intrusion playbooks: would the audited tenants have seen a known intrusion, step by step?

Each playbook is a data file beside this module (``*.toml``, validated by
``auditor/schemas/playbook.schema.json``): the steps of an intrusion, the events that would
record each, and the rules whose verdicts decide whether those events are recorded, reach
someone and for how many days they can be investigated. ``judge`` turns a Report's findings
into a verdict per step and tenant; it reads rule ids, statuses and evidence only, so it never
imports connectors or rules.

Kept import-free: ``auditor.model`` imports ``auditor.playbooks.results``.
"""
