"""What planners see and print: web maps, the review map and every export."""
