"""The app's pages: each lays out widgets and calls ``planner`` functions."""
