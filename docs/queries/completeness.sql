-- Per home and UTC day, from the readings themselves: readings stored, readings the day
-- should hold (one per median interval between readings: the poll, or the meter's slower
-- update), readings lost on the Pi (gaps in `seq`), and hours with no reading at all.
WITH r AS (
    SELECT household, "date", seq, "time"::TIMESTAMP AS t
    FROM read_json_auto('s3://iseif-rainforest/study-2026/readings/*/*/*.ndjson.gz',
                        hive_partitioning = true)
), step AS (
    SELECT *,
           seq - lag(seq) OVER (PARTITION BY household ORDER BY seq) - 1 AS seq_missing,
           epoch(t - lag(t) OVER (PARTITION BY household ORDER BY seq)) AS interval_s
    FROM r
)
SELECT household, "date",
       count(*) AS readings,
       round(86400 / median(interval_s)) AS expected,
       round(count(*) / (86400 / median(interval_s)), 3) AS completeness,
       coalesce(sum(seq_missing) FILTER (WHERE seq_missing > 0), 0) AS seq_missing,
       24 - count(DISTINCT date_trunc('hour', t)) AS hours_without_readings
FROM step
GROUP BY ALL
ORDER BY ALL;
