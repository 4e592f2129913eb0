"""Browser tests of the security suite: the e2e fixtures (real server, guarded Chromium pages)."""

from tests.e2e.conftest import *  # noqa: F403
