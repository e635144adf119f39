"""Rota (section 5): the week grid, a carer's day, Plan B, the solver's proposals and the
rota dialogs. Domain logic in ``services.rota``."""
