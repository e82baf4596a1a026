"""The differentiable front-end (frontend.FrontEnd: log-mel + prosody) and the feature cache (cache.py)."""
