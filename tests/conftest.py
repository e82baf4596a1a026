"""Progress bars off for the whole suite: tests read stderr for the one-line errors, and tqdm's
bars would sit between them (CI has no ASNET_NO_PROGRESS of its own)."""
import os

os.environ["ASNET_NO_PROGRESS"] = "1"
