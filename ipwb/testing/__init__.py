"""Protocol-faithful peers for testing adapters on loopback (shipped so addons' tests and
users checking a configuration can use them; nothing here runs in production code paths)."""
