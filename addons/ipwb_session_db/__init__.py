# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from ipwb.errors import ConfigurationError

from . import session_store, storage

_logger = logging.getLogger(__name__)


def post_load():
    # Runs when Odoo imports the module: as a server-wide module (`--load`) at start-up,
    # before any request, which is the only moment the store may be switched.
    try:
        session_store.install()
    except ConfigurationError as error:
        # Odoo logs and ignores a server-wide module's exceptions, which would leave this
        # server on the file store, silently splitting sessions: stop it instead
        _logger.critical("%s", error)
        raise SystemExit(f"ipwb_session_db: {error}") from error
