"""The console toolkit every domain's ``pages.py`` uses (never ``omniretail.web``):

- ``session``: ``ConsoleUser`` (the logged-in user; anonymous visitors go to the login page),
  ``safe_next``/``login_url``;
- ``render``: ``render(request, template, context)``, the one way a page is rendered;
- ``csrf``: ``CsrfProtected`` for state-changing form posts, the token helpers;
- ``locale``: ``request_locale`` and the language cookie;
- ``templating``: the Jinja2 environment over every package's ``templates`` folder;
- ``nav``: the left navigation's sections and role labels;
- ``handlers``: ``install(app)``, the console's exception handlers (the app factory calls it).

The web package keeps the app factory and the shell's own pages and templates.
"""
