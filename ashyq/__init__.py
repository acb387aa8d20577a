"""Ashyq: the Open Budgets portal of Kazakhstan.

The ``ashyq`` package holds the pure domain (working days, document types, the clock) shared
by the static-site generator (``generator``) and the submission service (``submit_api``), and
the ``ashyq`` command line.
"""
