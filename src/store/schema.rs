//! The schema, and the ordered list of migrations that builds and upgrades it.
//!
//! A file's `PRAGMA user_version` is the number of migrations applied to it. Opening runs the
//! missing ones, in order, in one transaction that also sets `user_version`, so a power cut
//! mid-upgrade leaves the previous version intact. To change the schema, append a migration to
//! [`MIGRATIONS`]; never edit one that has shipped.
//!
//! A new (empty) file is not built by the chain but by [`NEW_BUFFER_LAYOUT`] (the chain's result
//! with `seq` kept unique without AUTOINCREMENT, which costs every commit a `sqlite_sequence`
//! page on the card); an existing file keeps its own layout, both work (see [`high_water`]).

use std::path::Path;

use rusqlite::Connection;

use super::error::{SqlResultExt, StoreError};

/// `PRAGMA application_id` of a rainforest-logger buffer: "RFLG" in ASCII.
pub const APPLICATION_ID: i32 = 0x5246_4c47;

/// The schema version this build creates and understands (the number of migrations).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Migration `i` upgrades a file from version `i` to version `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// Version 3: the EAGLE's https certificate, trusted on first use (one row at most). A file of
/// version 2 gains an empty table: its EAGLE is trusted on its next https connection.
const V3: &str = "
CREATE TABLE eagle_certificate (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    sha256        TEXT    NOT NULL,
    trusted_at_ms INTEGER NOT NULL
) STRICT;
";

/// Version 2: what the uploader needs.
///
/// - One index on `(uploaded, time_ms)` serves both of its queries: the oldest pending row
///   (`uploaded = 0`, lowest time) and every row of one batch period, uploaded or not (two
///   range scans). It costs one index page write per insert; a second index would cost two.
/// - `time_corrected` marks rows taken before NTP sync whose `time_ms` was rebuilt from the
///   boot-relative clock, so a correction is applied once.
const V2: &str = "
CREATE INDEX readings_by_upload ON readings (uploaded, time_ms);
ALTER TABLE readings ADD COLUMN time_corrected INTEGER NOT NULL DEFAULT 0;
";

/// Version 1: the readings buffer and the event counters.
///
/// - `seq` uses AUTOINCREMENT so a seq is never reused, even after the newest rows are pruned
///   or the table is emptied: a gap downstream then always means lost or pruned rows.
/// - Decimals are TEXT (`Decimal::to_string`) so the value the EAGLE reported survives exactly.
/// - Times are integers (Unix ms for `time_ms`, Unix s for `meter_time`, the EAGLE's precision).
/// - `uploaded` is 0 until S3 confirmed an object holding the row. Deliberately no index yet:
///   each index adds page writes to every insert on the SD card (see [`MIGRATIONS`]).
/// - STRICT makes SQLite reject a value of the wrong type instead of storing it.
/// - `events` is WITHOUT ROWID so its primary key is its only b-tree.
const V1: &str = "
CREATE TABLE readings (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    meter         TEXT    NOT NULL,
    time_ms       INTEGER NOT NULL,
    meter_time    INTEGER,
    demand_kw     TEXT,
    delivered_kwh TEXT,
    received_kwh  TEXT,
    price         TEXT,
    currency      TEXT,
    rate_label    TEXT,
    tier          INTEGER,
    clock_synced  INTEGER NOT NULL,
    boot_id       TEXT    NOT NULL,
    monotonic_ms  INTEGER NOT NULL,
    uploaded      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE events (
    name          TEXT    PRIMARY KEY,
    count         INTEGER NOT NULL,
    last_message  TEXT,
    message_at_ms INTEGER,
    last_at_ms    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
";

/// The schema of a new buffer: what [`MIGRATIONS`] build, except that `seq` is a plain
/// `INTEGER PRIMARY KEY` and its high-water mark is kept in `seq_mark`, written by a trigger
/// only when a delete removes the newest row (retention emptying the table), so that an insert
/// touches no page beyond the readings leaf and the index leaf. A new buffer of a later
/// version gets its later migrations appended here too (`the_new_buffer_layout_is_the_chains`
/// checks that the two agree).
///
/// Why not migrate posted buffers to it: dropping AUTOINCREMENT means rebuilding the readings
/// table (a copy of every row, then a rename) in one transaction: safe against a power cut,
/// but it writes the whole buffer to the card once, doubles its size on the card meanwhile and
/// holds up the start for as long as that takes on a full buffer. An AUTOINCREMENT buffer keeps
/// working as it is, at one 1 KiB (or 4 KiB) page more per commit.
const NEW_BUFFER_LAYOUT: &str = "
CREATE TABLE readings (
    seq           INTEGER PRIMARY KEY,
    meter         TEXT    NOT NULL,
    time_ms       INTEGER NOT NULL,
    meter_time    INTEGER,
    demand_kw     TEXT,
    delivered_kwh TEXT,
    received_kwh  TEXT,
    price         TEXT,
    currency      TEXT,
    rate_label    TEXT,
    tier          INTEGER,
    clock_synced  INTEGER NOT NULL,
    boot_id       TEXT    NOT NULL,
    monotonic_ms  INTEGER NOT NULL,
    uploaded      INTEGER NOT NULL DEFAULT 0,
    time_corrected INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE events (
    name          TEXT    PRIMARY KEY,
    count         INTEGER NOT NULL,
    last_message  TEXT,
    message_at_ms INTEGER,
    last_at_ms    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX readings_by_upload ON readings (uploaded, time_ms);
CREATE TABLE eagle_certificate (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    sha256        TEXT    NOT NULL,
    trusted_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE seq_mark (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    seq           INTEGER NOT NULL
) STRICT;
CREATE TRIGGER readings_keep_seq_mark AFTER DELETE ON readings
WHEN old.seq > coalesce((SELECT max(seq) FROM readings), 0)
 AND old.seq > coalesce((SELECT seq FROM seq_mark), 0)
BEGIN
    INSERT INTO seq_mark (id, seq) VALUES (1, old.seq)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq;
END;
";

/// The highest seq ever given in the buffer, whichever its layout: the newest row, or above it
/// the mark of rows since deleted (`sqlite_sequence` of an AUTOINCREMENT buffer, `seq_mark` of
/// a new one). The next reading gets the mark plus one, so no seq is ever given twice.
pub(crate) fn high_water(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let has = |table: &str| -> Result<bool, StoreError> {
        conn.prepare_cached("SELECT count(*) FROM sqlite_schema WHERE name = ?1")
            .at(path)?
            .query_row([table], |row| row.get::<_, i64>(0))
            .map(|n| n > 0)
            .at(path)
    };
    let mut marks = vec!["(SELECT max(seq) FROM readings)"];
    if has("sqlite_sequence")? {
        marks.push("(SELECT seq FROM sqlite_sequence WHERE name = 'readings')");
    }
    if has("seq_mark")? {
        marks.push("(SELECT seq FROM seq_mark)");
    }
    let terms: Vec<String> = marks.iter().map(|m| format!("coalesce({m}, 0)")).collect();
    conn.prepare_cached(&format!("SELECT max({}, 0)", terms.join(", ")))
        .at(path)?
        .query_row([], |row| row.get(0))
        .at(path)
}

/// Brings the file at `path` up to [`SCHEMA_VERSION`], claiming it with [`APPLICATION_ID`]; a
/// new file gets [`NEW_BUFFER_LAYOUT`].
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    migrate_with(conn, path, MIGRATIONS, Some(NEW_BUFFER_LAYOUT))
}

/// [`migrate`] with an explicit list, so tests can slot in a later migration; `new_layout`
/// builds a new file in one go (`None`: the list does, as it did for posted buffers).
fn migrate_with(
    conn: &mut Connection,
    path: &Path,
    migrations: &[&str],
    new_layout: Option<&str>,
) -> Result<(), StoreError> {
    let latest = migrations.len() as u32; // a handful of entries: cannot truncate
                                          // Fast path: reopening an up-to-date file (the `status` command while the daemon runs)
                                          // takes no write lock and writes nothing.
    if checked_version(conn, path, latest)? == latest {
        return Ok(());
    }
    let tx = super::write_transaction(conn, path)?;
    // Read again under the write lock: another process may have migrated in the meantime.
    let found = checked_version(&tx, path, latest)?;
    if let (0, Some(layout)) = (found, new_layout) {
        tx.execute_batch(layout).at(path)?;
        log::info!("{}: new buffer, schema version {latest}", path.display());
    }
    let skip = if found == 0 && new_layout.is_some() {
        migrations.len()
    } else {
        found as usize
    };
    for (version, sql) in migrations.iter().enumerate().skip(skip) {
        tx.execute_batch(sql).at(path)?;
        log::info!(
            "{}: schema migrated to version {}",
            path.display(),
            version + 1
        );
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .at(path)?;
    tx.pragma_update(None, "user_version", latest).at(path)?;
    tx.commit().at(path)
}

/// The file's `user_version`, refused if this build (knowing up to `supported`) cannot use it.
pub(crate) fn checked_version(
    conn: &Connection,
    path: &Path,
    supported: u32,
) -> Result<u32, StoreError> {
    let raw: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .at(path)?;
    let found = u32::try_from(raw).map_err(|_| StoreError::Damaged {
        path: path.to_path_buf(),
        detail: format!("user_version {raw} is not a schema version"),
    })?;
    if found > supported {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_v1_file_upgrades_to_v2_keeping_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        migrate_with(&mut conn, path, &[V1], None).unwrap();
        assert_eq!(version(&conn), 1);
        conn.execute(
            "INSERT INTO readings (meter, time_ms, clock_synced, boot_id, monotonic_ms) \
             VALUES ('0x0000000000000001', 1000, 0, 'b', 5)",
            [],
        )
        .unwrap();

        migrate(&mut conn, path).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION as i64);
        let (rows, corrected): (i64, i64) = conn
            .query_row(
                "SELECT count(*), sum(time_corrected) FROM readings",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((rows, corrected), (1, 0));
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'readings_by_upload'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 1);

        // Running the list again must not re-run v2 (CREATE INDEX would fail if it did).
        migrate(&mut conn, path).unwrap();
    }

    #[test]
    fn a_v2_file_upgrades_to_v3_with_no_certificate_kept() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        migrate_with(&mut conn, path, &[V1, V2], None).unwrap();
        conn.execute(
            "INSERT INTO readings (meter, time_ms, clock_synced, boot_id, monotonic_ms) \
             VALUES ('0x0000000000000001', 1000, 0, 'b', 5)",
            [],
        )
        .unwrap();
        migrate(&mut conn, path).unwrap();
        assert_eq!(version(&conn), 3);
        let (readings, certificates): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM readings), (SELECT count(*) FROM eagle_certificate)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((readings, certificates), (1, 0));
        // One row at most.
        let insert =
            "INSERT INTO eagle_certificate (id, sha256, trusted_at_ms) VALUES (?1, 'x', 0)";
        conn.execute(insert, [1]).unwrap();
        assert!(conn.execute(insert, [2]).is_err());
    }

    #[test]
    fn failed_migration_leaves_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        migrate_with(&mut conn, path, &[V1], None).unwrap();
        let bad = "CREATE TABLE extra (x); THIS IS NOT SQL;";
        assert!(migrate_with(&mut conn, path, &[V1, bad], None).is_err());
        assert_eq!(version(&conn), 1);
        let extra: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'extra'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(extra, 0, "the half-applied migration was rolled back");
    }

    #[test]
    fn newer_file_is_refused_by_older_list() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        conn.pragma_update(None, "user_version", 7).unwrap();
        let err = migrate(&mut conn, path).unwrap_err();
        assert!(matches!(
            err,
            StoreError::TooNew {
                found: 7,
                supported: SCHEMA_VERSION,
                ..
            }
        ));
    }

    /// Tables, columns, indexes and their flags, as SQLite reports them, one line each, of
    /// every object but those named in `skip`.
    fn layout(conn: &Connection, skip: &[&str]) -> Vec<String> {
        let lines = |sql: &str, columns: usize| -> Vec<(String, String)> {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| {
                let values: Vec<rusqlite::types::Value> =
                    (0..columns).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                Ok((r.get(0)?, format!("{values:?}")))
            });
            rows.unwrap().map(Result::unwrap).collect()
        };
        let mut all = lines(
            "SELECT l.name, l.type, l.ncol, l.wr, l.strict, c.cid, c.name, c.type, \
             c.\"notnull\", c.dflt_value, c.pk \
             FROM pragma_table_list l, pragma_table_xinfo(l.name) c \
             WHERE l.schema = 'main' ORDER BY l.name, c.cid",
            11,
        );
        all.extend(lines(
            "SELECT m.tbl_name, m.name, i.seqno, i.name \
             FROM sqlite_schema m, pragma_index_info(m.name) i \
             WHERE m.type = 'index' ORDER BY m.name, i.seqno",
            4,
        ));
        all.into_iter()
            .filter(|(table, _)| !skip.contains(&table.as_str()))
            .map(|(_, line)| line)
            .collect()
    }

    /// A new buffer is what the migrations build (a later migration must be added to both),
    /// less AUTOINCREMENT and plus its seq mark.
    #[test]
    fn the_new_buffer_layout_is_the_chains() {
        let path = Path::new(":memory:");
        let mut chained = Connection::open_in_memory().unwrap();
        migrate_with(&mut chained, path, MIGRATIONS, None).unwrap();
        let mut new = Connection::open_in_memory().unwrap();
        migrate(&mut new, path).unwrap();
        assert_eq!(version(&new), SCHEMA_VERSION as i64);
        let skip = [
            "sqlite_sequence",
            "seq_mark",
            "sqlite_schema",
            "sqlite_temp_schema",
        ];
        assert_eq!(layout(&new, &skip), layout(&chained, &skip));
        let autoincrement = |conn: &Connection| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%AUTOINCREMENT%'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!((autoincrement(&new), autoincrement(&chained)), (0, 1));
    }

    /// Whichever the layout, a seq is never given twice, even when retention has emptied
    /// the table; in a new buffer, inserts write no mark (only the delete of the newest row).
    #[test]
    fn no_seq_is_given_twice_in_either_layout() {
        let path = Path::new(":memory:");
        for new_layout in [Some(NEW_BUFFER_LAYOUT), None] {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_with(&mut conn, path, MIGRATIONS, new_layout).unwrap();
            let row = crate::store::journal::tests::reading(1);
            let insert = |conn: &Connection| super::super::readings::insert(conn, path, None, &row);
            assert_eq!(insert(&conn).unwrap(), 1);
            assert_eq!(insert(&conn).unwrap(), 2);
            if new_layout.is_some() {
                let marks: i64 = conn
                    .query_row("SELECT count(*) FROM seq_mark", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(marks, 0, "inserting writes no mark");
            }
            conn.execute("DELETE FROM readings WHERE seq = 1", [])
                .unwrap();
            assert_eq!(high_water(&conn, path).unwrap(), 2);
            conn.execute("DELETE FROM readings", []).unwrap();
            assert_eq!(high_water(&conn, path).unwrap(), 2, "{new_layout:?}");
            assert_eq!(insert(&conn).unwrap(), 3, "{new_layout:?}");
        }
    }
}
