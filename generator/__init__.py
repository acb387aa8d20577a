"""The static-site side of Ashyq: content validation, the Pelican plugin, feeds, the manifest
and the build with its atomic swap."""
import logging

import pelican.log  # noqa: F401 - importing it installs Pelican's logger class process-wide

# Pelican's logger class drops repeated messages; keep it to Pelican's own loggers so the
# rest of the process (the API, the EDS checker) logs every warning it means to.
logging.setLoggerClass(logging.Logger)
