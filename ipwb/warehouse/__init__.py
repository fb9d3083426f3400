"""PostgreSQL warehouse access: connections, introspection, guarded execution, export."""
