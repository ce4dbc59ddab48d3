"""LTI 1.3 Advantage adapters on pylti1p3: tool configuration, login, hardened launch, deep linking."""
