"""Shared widgets of the leader and analyst pages: labels, the server-paged grid, figure helpers."""
