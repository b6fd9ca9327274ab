"""Streamlit pages. The only package that imports streamlit; all logic lives in planner."""
