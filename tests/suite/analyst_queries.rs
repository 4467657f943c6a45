//! README's analyst queries (docs/queries/*.sql) run in DuckDB over objects this logger
//! wrote: per-home, per-day completeness and gaps from the readings themselves, and the
//! compaction of a day into Hive-partitioned Parquet. DuckDB is the real engine, from the
//! venv `.ci/analyst-venv` creates; without it the test fails and says so.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use common::FakeClock;
use rainforest_logger::reading::Reading;
use rainforest_logger::store::{SharedStore, Store};
use rainforest_logger::upload::{DirSink, Uploader};

/// The bucket and prefix the queries name, replaced by the test's directory.
const QUERIES_BUCKET: &str = "s3://iseif-rainforest/study-2026/";

fn duckdb_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/analyst-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run .ci/analyst-venv (CI does) to create the DuckDB venv",
        python.display()
    );
    python
}

/// Runs the statements of `docs/queries/{name}` with the bucket replaced by `bucket`.
fn run_query(name: &str, bucket: &Path) -> Vec<serde_json::Value> {
    run_query_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/queries")
            .join(name),
        bucket,
    )
}

/// Runs the statements in the file at `path` with the bucket replaced by `bucket`; returns
/// the last statement's rows as JSON arrays.
fn run_query_file(path: &Path, bucket: &Path) -> Vec<serde_json::Value> {
    let name = path.display();
    let sql = std::fs::read_to_string(path)
        .unwrap()
        .replace(QUERIES_BUCKET, &format!("{}/", bucket.display()));
    let script = "import duckdb, json, sys\n\
        con = duckdb.connect()\n\
        rows = con.execute(sys.stdin.read()).fetchall()\n\
        for row in rows: print(json.dumps([str(v) if not isinstance(v, (int, float)) else v for v in row]))\n";
    let mut child = Command::new(duckdb_python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Uploads `household`'s readings every 6 s over `hours` of 2026-03-07 (UTC) into `bucket`
/// under `study-2026/`, after deleting the rows with `lost_seqs` from its buffer (as pruning
/// a full card would).
async fn upload_day(dir: &Path, bucket: &Path, household: &str, hours: &[i64], lost_seqs: &[i64]) {
    let db = dir.join(format!("{household}.db"));
    let mut store = Store::open(&db).unwrap();
    let day: DateTime<Utc> = "2026-03-07T00:00:00Z".parse().unwrap();
    let readings: Vec<Reading> = hours
        .iter()
        .flat_map(|h| (0..600).map(move |i| day + Duration::hours(*h) + Duration::seconds(6 * i)))
        .map(|time| common::one_kw_reading(time, time))
        .collect();
    store.insert_all(&readings).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    for seq in lost_seqs {
        conn.execute("DELETE FROM readings WHERE seq = ?1", [seq])
            .unwrap();
    }
    drop(conn);
    let hour = std::time::Duration::from_secs(3600);
    let mut uploader = Uploader::new(
        DirSink::new(bucket),
        SharedStore::new(Store::open(&db).unwrap()),
        FakeClock::new(day + Duration::hours(25), true),
        common::s3::policy(household, "study-2026/", hour),
    );
    let report = uploader.cycle(false).await;
    assert!(report.error.is_none(), "{:?}", report.error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readmes_duckdb_queries_find_completeness_gaps_and_compact_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path().join("bucket");
    // h-a: hours 00 and 02 (01 missing), five readings lost on the Pi; h-b: hour 00 whole.
    upload_day(
        dir.path(),
        &bucket,
        "h-a",
        &[0, 2],
        &[101, 102, 103, 104, 105],
    )
    .await;
    upload_day(dir.path(), &bucket, "h-b", &[0], &[]).await;
    let root = bucket.join("study-2026");

    let completeness = run_query("completeness.sql", &root);
    assert_eq!(
        completeness,
        [
            serde_json::json!(["h-a", "2026-03-07", 1195, 14400.0, 0.083, 5, 22]),
            serde_json::json!(["h-b", "2026-03-07", 600, 14400.0, 0.042, 0, 23]),
        ]
    );

    let gaps = run_query("gaps.sql", &root);
    assert_eq!(
        gaps,
        [serde_json::json!([
            "h-a",
            "2026-03-07 00:59:54",
            "2026-03-07 02:00:00",
            "1:00:06"
        ])]
    );

    let compacted = root.join("compacted");
    run_query("compact_duckdb.sql", &root);
    for household in ["h-a", "h-b"] {
        let partition = compacted.join(format!("household={household}/date=2026-03-07"));
        let files: Vec<_> = std::fs::read_dir(&partition).unwrap().collect();
        assert!(!files.is_empty(), "{}", partition.display());
    }
    std::fs::write(
        dir.path().join("count.sql"),
        format!(
            "SELECT household, count(*), max(seq) FROM read_parquet('{}/compacted/*/*/*.parquet', \
             hive_partitioning = true) GROUP BY ALL ORDER BY ALL;",
            QUERIES_BUCKET.trim_end_matches('/')
        ),
    )
    .unwrap();
    let counts = run_query_file(&dir.path().join("count.sql"), &root);
    assert_eq!(
        counts,
        [
            serde_json::json!(["h-a", 1195, 1200]),
            serde_json::json!(["h-b", 600, 600])
        ]
    );
}

#[test]
fn readme_shows_the_tested_queries_verbatim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for name in ["completeness", "gaps", "compact_duckdb", "compact_athena"] {
        let sql = std::fs::read_to_string(root.join(format!("docs/queries/{name}.sql"))).unwrap();
        assert!(
            readme.contains(&format!("```sql\n{}```", sql)),
            "README's S3 section must show docs/queries/{name}.sql as it is"
        );
    }
}
