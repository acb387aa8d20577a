"""Final reports on public discussions (R17, Annex 1/2): data, files, frozen versions, delivery.

* :mod:`.data` - the report's data, shaped from :func:`submit_api.public.report_rows`;
* :mod:`.render` - CSV, XLSX, PDF and JSON per language;
* :mod:`.store` - generation when a discussion ends, frozen versions, verification;
* :mod:`.mail` - e-mailing each report once to its administrator.

Their rows are read and written by :mod:`submit_api.store.reports`.
"""
