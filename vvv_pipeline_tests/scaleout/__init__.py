"""Scale-out tests: steps on a real Celery worker through Redis, ArcticDB on an S3 server."""
