"""The pure parts of the eventlake Glue streaming job (no pyspark, no awsglue, no boto3 imports here).

Everything in this package is plain Python 3.10+ standard library, so it runs under Glue 4.0 (Python 3.10) and is
unit-tested locally with `python3 -m unittest discover -s glue/tests` (no pip, no Spark). The Spark/Glue glue code
lives in glue/eventlake_job.py and only orchestrates: read, register views, run the compiled statements, write.
"""
