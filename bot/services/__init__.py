"""Use cases: one function each, taking a session and plain values, returning plain results."""
