"""asnet: a reproducible, security-aware re-implementation of AudioShieldNet (ASNet)."""

__version__ = "0.1.0"
