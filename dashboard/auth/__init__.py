"""Sign-in, roles, unit scopes, screen tokens and the audit log (issue 6).

- ``model``: roles, principals and which pages each role may open (pure values).
- ``config``: ``AuthConfig`` from the ``[auth]`` section of the settings.
- ``store``: the SQLite user store (users, sessions, screen tokens, audit log), next to the warehouse.
- ``guard``: the Flask ``before_request`` that authenticates every request and refuses pages and
  callbacks a role may not use; the login/logout routes.
- ``cli``: ``vitals users ...``.

``dashboard.access`` reads the principal the guard put in ``flask.g``.
"""
