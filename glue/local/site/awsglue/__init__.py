"""A small stand-in for AWS Glue's `awsglue` Python library, for running glue/eventlake_job.py in local Spark.

Only what the job uses: GlueContext (spark_session, forEachBatch), Job (init, commit) and getResolvedOptions. It is
this project's code, not AWS's: it follows the documented behaviour (
https://docs.aws.amazon.com/glue/latest/dg/glue-etl-scala-apis-glue-gluecontext.html#glue-etl-scala-apis-glue-gluecontext-defs-forEachBatch),
and stops at it. On AWS the real library is on the job's path and this folder is not shipped (stacks/glue.ts
uploads the script and runner/ only).
"""
