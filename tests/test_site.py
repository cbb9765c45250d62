"""Static checks of what the Quarto site emits, one per rendering problem found with a real Quarto render.

Quarto cannot be installed here, so the checks work from the site's sources and a real pandoc (the one
pypandoc-binary ships): they know where Quarto puts each page, which files it copies, and what a notebook
view links to. Each check has a control that shows it catching the problem it is for:

1. every link target the site emits exists in _site/ (a rendered page, a notebook view or a resource): the
   notebooks' "Download Notebook" buttons and their links to one another point at .ipynb files that only
   `project: resources:` copies (without it: 11 broken links, the number the Quarto render showed);
2. the post does not list its notebooks under `notebook-view:` (Quarto would queue them without the embeds'
   links and drop the links), so the notebook pages take their titles from the notebooks' own headings;
3. .gitignore holds what a render writes (`**/*.quarto_ipynb`, which Quarto otherwise appends itself);
4. no embedded table shows scientific notation, and the post's price table is the short one;
5. every code block's language is one pandoc highlights (`{.hcl}` is not; `{.terraform}` is), or a diagram;
6. no placeholder site-url is committed; the publish workflow derives it;
7. no page loads MathJax without math: pandoc finds no math in any page, and the site says `plain`;
8. notebook titles: each embedded notebook has one level-1 heading, its title, and nothing else names it.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path

import pypandoc
import pytest
import yaml
from notebook_cells import NOTEBOOKS, cell_with_label, read_notebook

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_quarto.yml"
POSTS = ROOT / "posts"

EMBED = re.compile(r"\{\{<\s*embed\s+(\S+?)#([\w-]+)(?:\s+[^>]*?)?\s*>\}\}")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.S | re.M)
# 1.66667e-05, 1e+06: what Python's :g and pandas write for very small and very large floats.
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e[+-]\d+", re.I)
DIAGRAMS = {"mermaid", "dot"}


def _config() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def _front_matter(path: Path) -> tuple[dict, str]:
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", path.read_text(), re.S)
    return (yaml.safe_load(match.group(1)), match.group(2)) if match else ({}, path.read_text())


@functools.cache
def _pandoc() -> str:
    return pypandoc.get_pandoc_path()


def _pandoc_ast(markdown: str) -> dict:
    run = subprocess.run(
        [_pandoc(), "-f", "markdown", "-t", "json"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout)


def _nodes(tree, kind: str) -> list:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("t") == kind:
                found.append(node.get("c"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return found


@functools.cache
def _highlight_languages() -> frozenset[str]:
    run = subprocess.run(
        [_pandoc(), "--list-highlight-languages"], capture_output=True, text=True, check=True
    )
    return frozenset(run.stdout.split())


# --- what the site contains and what it links to ---


def pages(config: dict) -> list[Path]:
    """The documents Quarto renders, from `project: render:`."""
    found = []
    for pattern in config["project"]["render"]:
        found += sorted(ROOT.glob(pattern))
    return found


def embedded_notebooks() -> dict[Path, list[str]]:
    """Notebook -> labels, for every notebook a rendered page embeds (each gets a notebook view)."""
    found: dict[Path, list[str]] = {}
    for page in pages(_config()):
        for target, label in EMBED.findall(page.read_text()):
            found.setdefault((page.parent / target).resolve(), []).append(label)
    return found


def site_files(config: dict) -> set[str]:
    """Paths (relative to the project) that _site/ will hold: pages, notebook views, feeds, resources, and
    the images the pages use (Quarto copies what a page references)."""
    out = set()
    for page in pages(config):
        rel = page.relative_to(ROOT).with_suffix(".html").as_posix()
        out.add(rel)
        _, body = _front_matter(page)
        for target in LINK.findall(body):
            if not re.match(r"^[a-z]+:|^#", target) and re.search(r"\.(png|svg|jpe?g|gif)$", target):
                out.add((page.parent / target).resolve().relative_to(ROOT).as_posix())
    for notebook in embedded_notebooks():
        out.add(notebook.relative_to(ROOT).as_posix() + ".html")
    if any(_front_matter(p)[0].get("listing", {}).get("feed") for p in pages(config)):
        out.add("index.xml")
    for pattern in config["project"].get("resources", []):
        out |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern) if p.is_file()}
    return out


def emitted_links() -> list[tuple[str, str]]:
    """(where, target relative to the project) for every local link the site emits."""
    links = []
    config = _config()
    for href in (
        item if isinstance(item, str) else item.get("href") for item in config["website"]["navbar"]["right"]
    ):
        links.append(("navbar", str(Path(href).with_suffix(".html")) if href.endswith(".qmd") else href))
    for page in pages(config):
        _, body = _front_matter(page)
        for target in LINK.findall(body):
            if re.match(r"^[a-z]+:|^#", target):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if path.suffix == ".qmd":
                path = path.with_suffix(".html")
            links.append((page.relative_to(ROOT).as_posix(), path.relative_to(ROOT).as_posix()))
    for notebook in embedded_notebooks():
        where = notebook.relative_to(ROOT).as_posix() + ".html"
        # The notebook view's "Download Notebook" button: the .ipynb next to the view.
        links.append((where, notebook.relative_to(ROOT).as_posix()))
        cells = json.loads(notebook.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:|^#", target):
                continue
            path = (notebook.parent / target.split("#")[0]).resolve()
            links.append((where, path.relative_to(ROOT).as_posix()))
    return links


def broken_links(config: dict) -> list[tuple[str, str]]:
    present = site_files(config)
    return [(where, target) for where, target in emitted_links() if target not in present]


def test_every_link_the_site_emits_has_a_target():
    assert broken_links(_config()) == []


def test_link_check_finds_the_broken_links_without_the_notebook_resources():
    """Control: the configuration before the fix (only infra/** as resources) breaks the download button of
    every embedded notebook (seven as the Quarto render showed, five more with the Express track) and the
    links from one notebook to the next (four, and four in the Express track)."""
    config = _config()
    config["project"]["resources"] = ["infra/**"]
    broken = broken_links(config)
    downloads = [b for b in broken if b[0] == b[1] + ".html"]
    assert len(downloads) == len(embedded_notebooks()) == 7 + 5
    assert len(broken) - len(downloads) == 4 + 4
    assert all(target.endswith(".ipynb") for _, target in broken)


# --- notebook links and titles ---


def test_the_post_does_not_list_its_notebooks_under_notebook_view():
    for page in pages(_config()):
        meta, _ = _front_matter(page)
        assert "notebook-view" not in meta, f"{page.name}: notebook-view makes Quarto drop the embed links"
    html = _config()["format"]["html"]
    assert html["notebook-links"] is True
    assert html.get("notebook-view", True) is True


def _title(notebook: Path) -> str:
    first = json.loads(notebook.read_text())["cells"][0]
    assert first["cell_type"] == "markdown", f"{notebook.name}: the first cell must be its title"
    heading = "".join(first["source"]).splitlines()[0]
    assert heading.startswith("# "), f"{notebook.name}: the first line must be a level-1 heading"
    return heading[2:].strip()


@pytest.mark.parametrize("notebook", sorted(embedded_notebooks()), ids=lambda p: p.name)
def test_each_embedded_notebook_has_exactly_one_title(notebook):
    assert _title(notebook)
    cells = json.loads(notebook.read_text())["cells"]
    headings = [
        line
        for cell in cells
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if re.match(r"^# \S", line)
    ]
    assert len(headings) == 1, f"{notebook.name}: more than one level-1 heading: {headings}"


# --- .gitignore ---


def test_gitignore_holds_what_a_render_writes():
    entries = {line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()}
    for entry in ("_site/", "/.quarto/", "**/*.quarto_ipynb", "/_quarto-pages.yml"):
        assert entry in entries, entry


# --- tables ---


def _embedded_outputs() -> list[tuple[str, str]]:
    found = []
    for notebook, labels in embedded_notebooks().items():
        nb = read_notebook(notebook.name)
        for label in labels:
            cell = cell_with_label(nb, label)
            if cell is None:
                continue  # tests/test_post.py reports a missing cell
            for output in cell.outputs:
                data = output.get("data", {})
                for kind in ("text/html", "text/plain", "text/markdown"):
                    if kind in data:
                        found.append((f"{notebook.name}#{label} {kind}", "".join(data[kind])))
    return found


def test_no_embedded_output_uses_scientific_notation():
    outputs = _embedded_outputs()
    assert outputs
    bad = [(where, SCIENTIFIC.findall(text)[:3]) for where, text in outputs if SCIENTIFIC.search(text)]
    assert bad == []


def test_scientific_notation_check_sees_what_pandas_prints():
    """Control: the two numbers the Quarto render showed, as Python formats them."""
    assert SCIENTIFIC.search(f"{0.0000166667:g}") and SCIENTIFIC.search(f"{1_000_000.0:g}")
    assert not SCIENTIFIC.search("0.0000166667 1,000,000 E2ABCDEF1234 4135ea2d-6df8")


def test_the_posts_price_table_is_the_short_summary():
    post = next(POSTS.glob("*/index.qmd"))
    text = post.read_text()
    labels = [label for target, label in EMBED.findall(text) if target.endswith("07-costs.ipynb")]
    assert "costs-summary" in labels and "costs-prices" not in labels
    html = "".join(
        cell_with_label(read_notebook("07-costs.ipynb"), "costs-summary").outputs[0]["data"]["text/html"]
    )
    rows = re.findall(r"<tr", html)
    assert 5 < len(rows) <= 14  # header rows + at most a dozen figures
    assert "https://" not in html  # the sources stay in the notebook's full table


# --- code blocks ---


def _code_block_languages(body: str) -> list[str]:
    languages = []
    for info, _ in FENCE.findall(body):
        info = info.strip()
        match = re.match(r"^\{\.?([\w+-]+)", info) or re.match(r"^([\w+-]+)", info)
        languages.append(match.group(1) if match else "")
    return languages


def test_every_code_block_is_a_language_pandoc_highlights():
    for page in pages(_config()):
        _, body = _front_matter(page)
        for language in _code_block_languages(body):
            assert language in _highlight_languages() or language in DIAGRAMS, f"{page.name}: {{.{language}}}"
        # pandoc's own reading of the same blocks agrees (shortcodes are plain text to it).
        for (_, classes, _), _ in _nodes(_pandoc_ast(body), "CodeBlock"):
            assert classes and (classes[0] in _highlight_languages()), f"{page.name}: {classes}"


def test_highlight_check_knows_terraform_but_not_hcl():
    assert "terraform" in _highlight_languages()
    assert "hcl" not in _highlight_languages()
    assert _code_block_languages('```{.hcl filename="main.tf"}\nx\n```\n') == ["hcl"]


# --- site-url ---


def test_no_placeholder_site_url_is_committed():
    for path in ROOT.glob("_quarto*.yml"):
        url = (yaml.safe_load(path.read_text()).get("website") or {}).get("site-url")
        assert url is None or ("example" not in url and url.startswith("https://")), f"{path.name}: {url}"
    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    assert "GITHUB_REPOSITORY" in workflow and "_quarto-pages.yml" in workflow
    assert "QUARTO_PROFILE: pages" in workflow


# --- MathJax ---


def test_no_page_has_math_so_none_loads_mathjax():
    assert _config()["format"]["html"]["html-math-method"] == "plain"
    for page in pages(_config()):
        meta, body = _front_matter(page)
        math = _nodes(_pandoc_ast(body), "Math")
        if math:
            assert meta.get("html-math-method") in ("mathjax", "katex"), f"{page.name} has math: {math[:2]}"


def test_math_check_sees_math_and_leaves_prices_alone():
    assert _nodes(_pandoc_ast("Energy $E = mc^2$ here."), "Math")
    assert not _nodes(_pandoc_ast("From $0.007 per GB-hour to $0.064 per vCPU-hour."), "Math")


def test_notebook_folder_is_the_one_the_helpers_read():
    assert NOTEBOOKS == ROOT / "notebooks"
