/** The curated layer's contract and its compilers (Spark SQL for Glue, DuckDB SQL for the local curator). */
export * from "./contract";
export { compileCuration, outputColumns, type CompiledCuration, type CompiledStatement, type Dialect, type Engine } from "./compile";
export { compileDuckDbSql, duckDbCopyStatement, DUCKDB_DIALECT } from "./compile-duckdb";
export { compileSparkSql, SPARK_DIALECT } from "./compile-spark";
