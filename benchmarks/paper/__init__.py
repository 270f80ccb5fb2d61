"""Reproduction of the paper's Figs. 1-6 (§5 and supplement A.2) with measured verdicts.

``suite.py`` lists the figures (``TASKS``) and writes ``index.html``; ``cvxdual reproduce`` runs
them. Each figure function ``figure(out, size)`` writes ``<name>.png`` and ``<name>.json`` into
``out`` and returns the JSON-ready result.
"""
