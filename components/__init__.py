"""Functions that return Dash components: no I/O, no callbacks. Component ids live in `ids`."""
