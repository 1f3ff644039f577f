"""Hardening: fuzzing, the permission matrix, redelivery, input limits (issue #10)."""
