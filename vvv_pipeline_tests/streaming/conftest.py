"""The streaming tests' shared fixtures."""

from vvv_pipeline_tests.streaming.open_interest import collectors  # noqa: F401
