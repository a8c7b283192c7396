"""Clients of the real providers (HTTP and the IQFeed socket) and the live market that routes
each source to the client configured for it."""
