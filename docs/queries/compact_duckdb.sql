-- One day's hourly objects of every home into Hive-partitioned Parquet (one file per home
-- and day); rerunning a day replaces its files.
COPY (
    SELECT * EXCLUDE (household, "date"), household, "date"
    FROM read_json_auto('s3://iseif-rainforest/study-2026/readings/*/date=2026-03-07/*.ndjson.gz',
                        hive_partitioning = true)
    ORDER BY household, seq
) TO 's3://iseif-rainforest/study-2026/compacted'
  (FORMAT parquet, PARTITION_BY (household, "date"), OVERWRITE_OR_IGNORE);
