"""Performance figures quoted in the README (``make bench``). Scripts, not timed tests: they print
measurements and whether each target was met, and never fail the test run."""
