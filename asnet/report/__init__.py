"""Paper outputs: tables, figures, the claims check, REPORT.md and model cards (`asnet report`)."""
