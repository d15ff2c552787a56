"""Data-subject requests (PIPL arts. 45 and 47; GDPR arts. 15 and 17): export everything held
about one person, or erase it everywhere.

The platform owns the procedure (``service``), the suppression list (``models``, the pipeline
step in ``pipeline``), the scrubbing of analytics files (``files``) and the API, console page
and CLI. The data belongs to the domains: each contributes what it holds about a person in a
module named ``privacy_hooks`` (discovered like ``pipeline`` modules) through
:mod:`omniretail.platform.privacy.registry` — so the platform never imports a domain.
"""
