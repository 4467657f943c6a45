-- Once: the Parquet table (partition columns last), empty.
CREATE TABLE rainforest_compacted
WITH (format = 'PARQUET', external_location = 's3://iseif-rainforest/study-2026/compacted/',
      partitioned_by = ARRAY['household', 'date'])
AS SELECT meter, seq, "time", meter_time, demand_kw, delivered_kwh, received_kwh,
          price, currency, rate_label, tier, clock, household, "date"
   FROM rainforest_readings WITH NO DATA;

-- Every morning: yesterday's hourly objects of every home into it.
INSERT INTO rainforest_compacted
SELECT meter, seq, "time", meter_time, demand_kw, delivered_kwh, received_kwh,
       price, currency, rate_label, tier, clock, household, "date"
FROM rainforest_readings
WHERE "date" = '2026-03-07';
