"""The wiring above both sides: the ``ashyq`` command (:mod:`portal.cli`), the one-origin
demo server (:mod:`portal.web`) and the rebuild worker (:mod:`portal.worker`).

This is the only package that imports both :mod:`generator` (the static side) and
:mod:`submit_api` (the service); the shared core :mod:`ashyq` imports neither.
"""
