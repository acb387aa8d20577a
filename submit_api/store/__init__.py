"""The service's queries, grouped by what they store. Views, blueprints and the rules' plain
functions call these; only here (and in :mod:`submit_api.db`'s migrations and
:mod:`submit_api.public`, the one way out for public data) is SQL written.

* :mod:`.votes` - votes "for" and "against" (R11): the hot path, one statement per vote;
* :mod:`.proposals` - proposals (R14), their moderation (R15) and answers (R16);
* :mod:`.people` - sign-in challenges, people and sessions (R13);
* :mod:`.staff` - staff roles (R8);
* :mod:`.audit` - the append-only, hash-chained audit log;
* :mod:`.changes` - ``site_changes``, what the rebuild worker renders again;
* :mod:`.reports` - final reports (R17) and their e-mail deliveries.

Write transactions are opened by the caller with :func:`submit_api.db.transaction`.
"""
