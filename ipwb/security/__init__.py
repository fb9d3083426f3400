"""Security rules of the engine that need no Odoo: what may never leave Odoo (secrets)."""
