"""Final reports on public discussions (R17, Annex 1/2): data, files, frozen versions, delivery.

* :mod:`.data` - the report's data from the database (public data only);
* :mod:`.render` - CSV, XLSX, PDF and JSON per language;
* :mod:`.store` - generation when a discussion ends, frozen versions, verification;
* :mod:`.mail` - e-mailing each report once to its administrator.
"""
from submit_api.reports.data import report_data
from submit_api.reports.mail import (deliver_pending, load_administrator_emails, requeue,
                                     stuck_deliveries)
from submit_api.reports.render import render_report
from submit_api.reports.store import (Mismatch, NoReport, ReportError, StoredReport,
                                      current_report, generate_due_reports, regenerate,
                                      report_files, verify_report)

__all__ = ["Mismatch", "NoReport", "ReportError", "StoredReport", "current_report",
           "deliver_pending", "generate_due_reports", "load_administrator_emails",
           "regenerate", "render_report", "report_data", "report_files", "requeue",
           "stuck_deliveries", "verify_report"]
