"""Reports: pure figure and table builders, and the functions that write them as files."""
