# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""18.0.1.2.0: columns of archived tables are archived with them (catalog churn, issue #20).

Before, dropping a table archived the table and left its columns active, so they stayed in
the catalog search's indexes. The partial indexes themselves are made by ``init()``.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """UPDATE ipwb_column c SET active = FALSE
                 FROM ipwb_table t
                WHERE t.id = c.table_id AND NOT t.active AND c.active"""
        )
    )
