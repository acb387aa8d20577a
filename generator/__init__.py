"""The static-site side of Ashyq: content validation, the Pelican plugin, feeds, the manifest
and the build with its atomic swap. Pelican is imported by the modules that use it, through
``generator.pelican_logging``: a build with nothing changed never loads it."""
