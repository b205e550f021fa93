//! SQLite: one connection, one writer at a time (SQLite's own rule), calls run on
//! tokio's blocking threads. Write-ahead log, `synchronous=FULL`: a stored delivery
//! survives a power cut before it is acknowledged.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fastspring_api::webhooks::ClaimToken;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{ClaimRow, DeadLetter, InboxError, NewEvent};

/// Versioned migrations: `(version, SQL)`, applied in order, each in a transaction.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE inbox_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        raw_body BLOB NOT NULL,
        headers TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE TABLE inbox_events (
        event_id TEXT PRIMARY KEY,
        event_type TEXT,
        json TEXT,
        delivery_id INTEGER REFERENCES inbox_deliveries(id),
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        lease_id TEXT,
        lease_until INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        completed_at INTEGER
    );
    CREATE INDEX inbox_events_pending ON inbox_events (state, received_at)
        WHERE state = 'pending';",
)];

pub(crate) struct Sqlite {
    conn: Arc<Mutex<Connection>>,
}

impl Sqlite {
    pub(crate) async fn open(path: PathBuf) -> Result<Sqlite, InboxError> {
        let conn = blocking(move || {
            let mut conn = Connection::open(path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            migrate(&mut conn)?;
            Ok(conn)
        })
        .await?;
        Ok(Sqlite {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, InboxError> {
        let conn = self.conn.clone();
        blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut conn)
        })
        .await
    }

    pub(crate) async fn schema_version(&self) -> Result<i64, InboxError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM inbox_schema",
                [],
                |r| r.get(0),
            )
        })
        .await
    }

    pub(crate) async fn store(
        &self,
        raw_body: Vec<u8>,
        headers: String,
        events: Vec<NewEvent>,
        now: i64,
    ) -> Result<usize, InboxError> {
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO inbox_deliveries (raw_body, headers, received_at) VALUES (?1, ?2, ?3)",
                params![raw_body, headers, now],
            )?;
            let delivery = tx.last_insert_rowid();
            let mut new = 0;
            {
                // An event claimed directly (no stored JSON yet) gets its JSON; one
                // stored before keeps its row.
                let mut insert = tx.prepare_cached(
                    "INSERT INTO inbox_events (event_id, event_type, json, delivery_id, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (event_id) DO UPDATE SET
                        event_type = excluded.event_type, json = excluded.json,
                        delivery_id = excluded.delivery_id
                     WHERE inbox_events.json IS NULL",
                )?;
                for event in &events {
                    new += insert.execute(params![
                        event.id,
                        event.event_type,
                        event.json,
                        delivery,
                        now
                    ])?;
                }
            }
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    pub(crate) async fn claim(
        &self,
        event_id: &str,
        lease_id: &str,
        until: i64,
        now: i64,
    ) -> Result<ClaimRow, InboxError> {
        let (event_id, lease_id) = (event_id.to_string(), lease_id.to_string());
        self.with(move |conn| {
            let acquired: Option<String> = conn
                .query_row(
                    "INSERT INTO inbox_events (event_id, received_at, lease_id, lease_until, attempts)
                     VALUES (?1, ?4, ?2, ?3, 1)
                     ON CONFLICT (event_id) DO UPDATE SET
                        lease_id = ?2, lease_until = ?3, attempts = inbox_events.attempts + 1
                     WHERE inbox_events.state = 'pending'
                       AND (inbox_events.lease_until IS NULL OR inbox_events.lease_until <= ?4)
                     RETURNING lease_id",
                    params![event_id, lease_id, until, now],
                    |r| r.get(0),
                )
                .optional()?;
            if acquired.is_some() {
                return Ok(ClaimRow::Acquired);
            }
            let state: String = conn.query_row(
                "SELECT state FROM inbox_events WHERE event_id = ?1",
                params![event_id],
                |r| r.get(0),
            )?;
            Ok(if state == "done" {
                ClaimRow::Done
            } else {
                ClaimRow::Busy
            })
        })
        .await
    }

    pub(crate) async fn settle(
        &self,
        token: &ClaimToken,
        done: bool,
        now: i64,
    ) -> Result<bool, InboxError> {
        let (event_id, lease_id) = (token.event_id().to_string(), token.lease_id().to_string());
        self.with(move |conn| {
            let changed = conn.execute(
                "UPDATE inbox_events SET
                    state = CASE WHEN ?3 THEN 'done' ELSE state END,
                    completed_at = CASE WHEN ?3 THEN ?4 ELSE completed_at END,
                    lease_id = NULL, lease_until = NULL
                 WHERE event_id = ?1 AND lease_id = ?2 AND state = 'pending' AND lease_until > ?4",
                params![event_id, lease_id, done, now],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    pub(crate) async fn next(
        &self,
        lease_id: &str,
        until: i64,
        now: i64,
    ) -> Result<Option<(String, String, u32)>, InboxError> {
        let lease_id = lease_id.to_string();
        self.with(move |conn| {
            conn.query_row(
                "UPDATE inbox_events SET lease_id = ?1, lease_until = ?2, attempts = attempts + 1
                 WHERE event_id = (
                    SELECT event_id FROM inbox_events
                    WHERE state = 'pending' AND json IS NOT NULL
                      AND (lease_until IS NULL OR lease_until <= ?3)
                    ORDER BY received_at, event_id LIMIT 1)
                 RETURNING event_id, json, attempts",
                params![lease_id, until, now],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .await
    }

    pub(crate) async fn fail(
        &self,
        token: &ClaimToken,
        error: &str,
        max_attempts: i64,
        now: i64,
    ) -> Result<Option<bool>, InboxError> {
        let (event_id, lease_id) = (token.event_id().to_string(), token.lease_id().to_string());
        let error = error.chars().take(2000).collect::<String>();
        self.with(move |conn| {
            conn.query_row(
                "UPDATE inbox_events SET
                    state = CASE WHEN attempts >= ?4 THEN 'dead' ELSE 'pending' END,
                    last_error = ?3, lease_id = NULL, lease_until = NULL
                 WHERE event_id = ?1 AND lease_id = ?2 AND state = 'pending' AND lease_until > ?5
                 RETURNING state = 'dead'",
                params![event_id, lease_id, error, max_attempts, now],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    pub(crate) async fn dead_letters(&self) -> Result<Vec<DeadLetter>, InboxError> {
        self.with(|conn| {
            let mut query = conn.prepare(
                "SELECT event_id, COALESCE(event_type, ''), attempts, last_error, received_at
                 FROM inbox_events WHERE state = 'dead' ORDER BY received_at, event_id",
            )?;
            let rows = query.query_map([], |r| {
                Ok(DeadLetter {
                    event_id: r.get(0)?,
                    event_type: r.get(1)?,
                    attempts: r.get(2)?,
                    last_error: r.get(3)?,
                    received_at: r.get(4)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    pub(crate) async fn replay(&self, event_id: &str) -> Result<bool, InboxError> {
        let event_id = event_id.to_string();
        self.with(move |conn| {
            let changed = conn.execute(
                "UPDATE inbox_events SET state = 'pending', attempts = 0,
                    lease_id = NULL, lease_until = NULL
                 WHERE event_id = ?1 AND state = 'dead'",
                params![event_id],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    pub(crate) async fn pending(&self) -> Result<u64, InboxError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM inbox_events WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
        })
        .await
    }
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS inbox_schema (
            version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    let current: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM inbox_schema",
        [],
        |r| r.get(0),
    )?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO inbox_schema (version, applied_at) VALUES (?1, strftime('%s','now') * 1000)",
            params![version],
        )?;
    }
    tx.commit()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, rusqlite::Error> + Send + 'static,
) -> Result<T, InboxError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| InboxError::Task(err.to_string()))?
        .map_err(InboxError::from)
}
