"""The tutorial's support: what `make tutorial` prints, the helpers the notebooks share, and how the notebooks
are run and checked.

    story.py             `make tutorial` (python -m hostlab.tutorial): run the notebooks, print the story
    resources.py         helpers every platform's track shares: tags, CloudFront, ACM, Route 53, waits,
    cleanup
                         of those (each platform's own helpers: hostlab.platforms.<name>.resources)
    notebook_runner.py   `make notebooks`: re-execute the notebooks in place on a fresh local backend
    pytest_notebooks.py  the nbval plugin (`pytest -p hostlab.tutorial.pytest_notebooks`): a fresh backend per
                         run, the aws tier's guard and cleanup
    nbval_kernels.py     nbval's kernels, each started while the notebook before it runs
    rehearsal.py         the aws tier rehearsed on a fresh local backend (`make rehearse-aws`)
"""
