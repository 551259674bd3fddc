"""Pages that work without network: local MathJax, and a check of every page.

The maths pages hold hundreds of formulas, which MathJax draws in the browser.
Sphinx loads MathJax from a CDN by default, so a reader offline (or behind a
firewall) would see raw TeX. This extension sets up the copy of MathJax that
the ``sphinx-mathjax-offline`` package ships (installed by the ``docs``
extra), which the build copies into ``_static/mathjax``, and, once the build
has written its pages, reads every HTML file and reports each script, style
sheet, font or frame it would load from another host. Under ``-W`` such a
report fails the build, so no page can start depending on the network
unnoticed.
"""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from sphinx.util import logging

logger = logging.getLogger(__name__)

# (tag, attribute) pairs whose URL the browser fetches while it shows the page;
# links a reader clicks (<a href>) are not loads and may point anywhere
LOADED = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
          ("source", "src"), ("video", "src"), ("audio", "src"), ("embed", "src")}
# <link rel=...> kinds that fetch nothing (a canonical address, an author page)
NOT_FETCHED = {"canonical", "author", "license", "alternate", "help", "search",
               "index", "next", "prev", "top", "up", "first", "last", "bookmark"}


class _ResourceFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) <= NOT_FETCHED:
            return
        for name, value in attrs.items():
            if (tag, name) in LOADED and value:
                self.urls.append(value)


def is_remote(url):
    """Whether the browser would fetch ``url`` from another host.

    Parameters
    ----------
    url : str
        A ``src`` or ``href`` value as written in the page.

    Returns
    -------
    remote : bool
        True for an absolute URL with a host (``https://...``) or a
        protocol-relative one (``//cdn.example/...``); False for paths
        inside the site and for ``data:`` URLs.
    """
    return bool(urlsplit(url.strip()).netloc)


def remote_resources(html):
    """The URLs of other hosts that a page loads while it is shown.

    Parameters
    ----------
    html : str
        The page's HTML.

    Returns
    -------
    urls : list of str
        In the order they appear; links a reader clicks are not counted.
    """
    finder = _ResourceFinder()
    finder.feed(html)
    return [url for url in finder.urls if is_remote(url)]


def check_pages(app, exc):
    """Report every page of an HTML build that loads something from another host."""
    if exc is not None or app.builder.format != "html":
        return
    for page in sorted(Path(app.outdir).rglob("*.html")):
        for url in remote_resources(page.read_text(encoding="utf-8")):
            logger.warning("%s loads %s from another host; the documentation must "
                           "work offline", page.relative_to(app.outdir), url)


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    # the package's module name has dashes; Sphinx imports it by that name
    app.setup_extension("sphinx-mathjax-offline")
    app.connect("build-finished", check_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
