"""The differentiable front-end (frontend.FrontEnd: log-mel + prosody)."""
