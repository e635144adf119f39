"""The homecare rota engine: validation, assignment, Plan B/C cover and measures.

Plain Python over a :class:`~sqlalchemy.orm.Session`; no Textual import (DESIGN.md section 1).

- ``snapshot``: one week loaded into frozen dataclasses (plus the WTR history), no ORM after.
- ``travel``: haversine distance times a road factor, minutes by transport mode.
- ``wtr``: the Working Time Regulations 1998 figures, each with its source.
- ``problems``: the :class:`Problem` record and its codes.
- ``validate``: :class:`RotaState`, full validation and the incremental re-check.
- ``assign``: rank carers for a visit; assign, unassign, swap (audited, with rationale).
- ``plan_b``: a carer absent: ranked replacements, apply the best, Plan C leftovers.
- ``measures``: continuity, unassigned visits, travel, hours against contract.
"""
