"""The analyses the post and notebooks 06 and 07 show.

    matrix.py      the policy matrix: every cache / origin request policy combination, probed (notebook 06)
    costs.py       the cost model (notebook 07), from the price file
    costs_plot.py  its plots
    prices.py      the price file data/prices.json: reading and checking it
"""
