# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from . import session_store, storage


def post_load():
    # Runs when Odoo imports the module: as a server-wide module (`--load`) at start-up,
    # before any request, which is the only moment the store may be switched.
    session_store.install()
