"""Final reports on public discussions (R17, Annex 1/2): data, files, frozen versions, delivery.

* :mod:`.data` - the report's data, shaped from :func:`submit_api.public.report_rows`;
* :mod:`.render` - CSV, XLSX, PDF and JSON per language (PDF by :mod:`.pdf`, our own writer);
* :mod:`.sign` - the portal's PAdES signature on each PDF, the signed SHA-256 manifest beside
  the other files, and checking a downloaded file;
* :mod:`.store` - generation when a discussion ends, frozen versions, verification;
* :mod:`.mail` - e-mailing each report once to its administrator;
* :mod:`.admin` - what ``ashyq reports`` does: list, regenerate, resend, verify.

Their rows are read and written by :mod:`submit_api.store.reports`.
"""
