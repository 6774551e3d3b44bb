"""REST routes of the api Lambda, one Router per resource, each route naming one operation."""
