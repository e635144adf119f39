"""Registers (section 2): the review queue, people, the person record, registrations,
concerns and review compliance. Domain logic in ``services.registers``, ``services.people``
and ``services.concerns``."""
