"""Recycling Network Planner: siting of recycling stations and sorting centres.

Data flows one way: region pack -> scenario -> instance -> solve -> plan -> views/exports.
This package never imports streamlit; the UI lives in ``planner/ui`` and ``app.py``.
"""

__version__ = "0.1.0"
