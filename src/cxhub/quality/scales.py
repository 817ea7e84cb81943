"""The survey questions and their answer scales (lowest, highest), shared by collection, import and metrics."""

from __future__ import annotations

SCALES: dict[str, tuple[int, int]] = {
    "csat": (1, 5),  # "How satisfied are you ...": top-2-box counts 4 and 5
    "nps": (0, 10),  # "How likely are you to recommend ...": 9-10 promoters, 0-6 detractors
    "ces": (1, 7),  # CES 2.0: "The company made it easy for me to handle my issue"
    "fcr": (0, 1),  # "Was your issue resolved?": 1 yes, 0 no
}
