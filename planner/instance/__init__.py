"""The instance of one run: demand points, candidate sites and their sparse costs
(straight line or road network)."""
