"""`make tutorial`'s story (hostlab.tutorial.story), read from the committed notebooks' outputs."""

from __future__ import annotations

import nbformat

from hostlab.tutorial.notebook_runner import NOTEBOOKS
from hostlab.tutorial.story import STORY, TUTORIAL, cell_lines, story


def committed() -> dict[str, nbformat.NotebookNode]:
    return {
        prefix: nbformat.read(next(NOTEBOOKS.glob(f"{prefix}-*.ipynb")), as_version=4) for prefix in TUTORIAL
    }


def test_every_step_of_the_story_finds_its_cell_and_says_something():
    notebooks = committed()
    for prefix, label, title in STORY:
        lines = cell_lines(notebooks[prefix], label)
        assert lines and not lines[0].startswith("(no cell labelled"), f"[{prefix}] {label} ({title})"


def test_a_label_that_is_not_there_says_so():
    assert cell_lines(committed()["03"], "no-such-label") == ["(no cell labelled no-such-label)"]


def test_the_story_tells_the_timeout_and_its_fix():
    text = "\n".join(story(committed()))
    assert "/slow -> 504" in text and "/slow -> 200" in text
    assert text.index("/slow -> 504") < text.index("/slow -> 200")
