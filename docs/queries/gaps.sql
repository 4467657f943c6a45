-- Every missing period longer than a minute, per home: from the last reading before it to
-- the first after it.
SELECT household, gap_from, gap_to, gap_to - gap_from AS gap
FROM (
    SELECT household,
           lag("time"::TIMESTAMP) OVER (PARTITION BY household ORDER BY seq) AS gap_from,
           "time"::TIMESTAMP AS gap_to
    FROM read_json_auto('s3://iseif-rainforest/study-2026/readings/*/*/*.ndjson.gz',
                        hive_partitioning = true)
)
WHERE gap_to - gap_from > INTERVAL 1 MINUTE
ORDER BY household, gap_from;
