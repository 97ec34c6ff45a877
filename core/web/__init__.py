"""The web kit: what every package's browser pages share (issue 13), so idp and the web channels have one way.

- :mod:`core.web.pages`: :class:`~core.web.pages.PageKit` (a package's pages: render in the reader's
  language, CSRF, pending cookies, page headers), :func:`~core.web.pages.safe_next`, ``settings_of``.
- :mod:`core.web.render`: the Jinja2 environment of a package's template directories.
- :mod:`core.web.csrf`: double-submit CSRF tokens.
- :mod:`core.web.cookies`: ``__Host-`` cookie names and attributes.
- :mod:`core.web.i18n`: language codes (BCP 47 ``zh-CN`` / ``en``) and message lookup; the catalogs are data
  of their packages.
- :mod:`core.web.security`: security headers on every response, each router declaring where responses must
  not be stored; credentials kept out of the logs.
- :mod:`core.web.qr`: QR codes as inline SVG.
"""
