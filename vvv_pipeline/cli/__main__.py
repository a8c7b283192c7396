from vvv_pipeline.cli import entry

entry()
