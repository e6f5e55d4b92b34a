"""Every bound a fetch holds to by default, in one place (the CLI shows them as defaults).

A site nobody here controls decides how big its pages are, how many there are and how fast
they come: these keep one run of `liveblog fetch` small and finite whatever it decides.
"""

from __future__ import annotations

MAX_BYTES = 20 * 1024 * 1024  # one response, after every layer of decompression
MAX_PAGES = 200  # pages read of one blog in one run (the walk resumes next run)
IDLE_PAGES = 3  # consecutive pages that show nothing new
WALK_BUDGET = 600.0  # seconds for one blog's walk
