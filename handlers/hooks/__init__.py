"""Wave hooks: running the checks that gate a wave (docs/hooks.md)."""
