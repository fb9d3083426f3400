"""Optional external services (n8n, Mattermost, Langfuse, Neo4j).

Each adapter is usable only when configured; unconfigured, it is a no-op that says so,
and a configured but failing service raises :class:`ipwb.errors.IntegrationError`.
"""
