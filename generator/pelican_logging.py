"""Pelican, imported with its logger class kept to its own loggers.

Importing ``pelican.log`` installs Pelican's logger class process-wide (it drops repeated
messages); the class is set back at once, so the rest of the process (the API, the EDS checker)
logs every warning it means to. Every module that imports Pelican imports this first.
"""
import logging

import pelican.log  # noqa: F401 - installs Pelican's logger class process-wide

logging.setLoggerClass(logging.Logger)
