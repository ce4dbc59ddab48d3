"""Registrar feed shapes, framework-free: CloudEvents rendering, Standard Webhooks signing, retry schedule."""
