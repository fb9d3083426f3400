"""Set-up shared by the finance tests that run the pipeline against the test warehouse."""

from ipwb.finance import marts
from ipwb.finance import warehouse as wh
from ipwb.warehouse.connection import connect

from ..services import extract


class EmptyFinanceWarehouseMixin:
    """Each test starts with the finance domain's tables dropped from the test warehouse
    (the pipeline writes its shared schemas) and holds a writer connection to read it."""

    def setUp(self):
        super().setUp()
        self.schemas = wh.FinanceSchemas()
        self.conn = connect(extract.writer_config(self.env))
        marts.drop_domain_tables(self.conn, self.schemas)
        self.conn.commit()
        self.addCleanup(self.conn.close)
        self.addCleanup(self.conn.rollback)

    def _read(self, function, *args):
        """Read the warehouse, then end the read transaction (a pipeline run drops and
        recreates the tables, which would wait for this connection's locks)."""
        try:
            return function(self.conn, self.schemas, *args)
        finally:
            self.conn.rollback()
