"""Crocevia: integrated taking-in-charge of vulnerable people."""
