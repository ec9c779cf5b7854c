"""Running the Glue job on one machine: a local SparkSession, an `awsglue` stand-in and the conformance runner."""
