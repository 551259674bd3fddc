"""The documentation works offline: MathJax comes with the site, and the build
fails when a page would load a script, a style sheet or a font from another host."""

import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "sphinxext"))

from offline_pages import is_remote, remote_resources  # noqa: E402

sphinx_application = pytest.importorskip(
    "sphinx.application", reason="Sphinx comes with numpydoc, a test extra")


@pytest.mark.parametrize("url, remote", [
    ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js", True),
    ("http://example.org/a.css", True),
    ("//cdn.example.org/a.js", True),
    ("_static/mathjax/tex-chtml.js", False),
    ("../_static/pygments.css?v=1", False),
    ("/skmlp_scratch/_static/x.js", False),
    ("data:image/png;base64,iVBORw0KGgo=", False),
])
def test_is_remote(url, remote):
    assert is_remote(url) is remote


def test_remote_resources_are_loads_not_links():
    page = """<html><head>
      <script src="_static/mathjax/tex-chtml.js"></script>
      <script async src="https://cdn.example.org/mathjax.js"></script>
      <link rel="stylesheet" href="//fonts.example.org/font.css">
      <link rel="canonical" href="https://docs.example.org/page.html">
      <link rel="preload" as="font" href="https://fonts.example.org/a.woff2">
    </head><body>
      <a href="https://github.com/skmlp-scratch/skmlp_scratch">source</a>
      <img src="https://img.example.org/badge.svg"><img src="_images/fig.png">
    </body></html>"""
    assert remote_resources(page) == [
        "https://cdn.example.org/mathjax.js", "//fonts.example.org/font.css",
        "https://fonts.example.org/a.woff2", "https://img.example.org/badge.svg"]


def build(tmp_path, body, extra_conf=""):
    """Build a one-page site with the project's offline extension; its warnings."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / 'sphinxext')!r})\n"
        f"extensions = ['offline_pages']\n{extra_conf}", encoding="utf-8")
    (source / "index.rst").write_text(f"Page\n====\n\n{body}\n", encoding="utf-8")
    out = tmp_path / "html"
    warnings = tmp_path / "warnings.txt"
    with open(warnings, "w", encoding="utf-8") as stream:
        app = sphinx_application.Sphinx(
            source, source, out, tmp_path / "doctrees", "html", status=None,
            warning=stream, freshenv=True)
        app.build()
    return out, warnings.read_text(encoding="utf-8")


def test_formulas_are_drawn_by_the_sites_own_mathjax(tmp_path):
    out, warnings = build(tmp_path, ".. math:: \\frac{\\partial L}{\\partial W}\n\n"
                                    "and :math:`\\sigma(z)` inline.")
    assert warnings == ""
    page = (out / "index.html").read_text(encoding="utf-8")
    assert remote_resources(page) == []
    assert '<script defer="defer" src="_static/mathjax/tex-chtml.js' in page
    # the script and the fonts it asks for are in the site
    mathjax = out / "_static" / "mathjax"
    assert (mathjax / "tex-chtml.js").stat().st_size > 100_000
    assert list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))


def test_a_page_loading_a_remote_script_is_reported(tmp_path):
    out, warnings = build(
        tmp_path, "Text.", extra_conf="html_js_files = "
                                      "['https://cdn.example.org/tracker.js']\n")
    assert "index.html loads https://cdn.example.org/tracker.js from another host" \
        in warnings


BUILT = DOCS / "_build" / "html"


@pytest.mark.skipif(not (BUILT / "index.html").is_file(),
                    reason="the documentation has not been built in docs/_build/html "
                           "(.ci/run builds it before the tests)")
def test_the_built_documentation_loads_nothing_from_another_host():
    pages = sorted(BUILT.rglob("*.html"))
    remote = {str(page.relative_to(BUILT)): urls for page in pages
              if (urls := remote_resources(page.read_text(encoding="utf-8")))}
    assert remote == {}
    maths = (BUILT / "user_guide" / "how_it_works.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-chtml.js" in maths
