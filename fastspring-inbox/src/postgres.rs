//! PostgreSQL: a few connections used in turn; every change is one statement (so it is
//! atomic without holding a connection across awaits); workers take events with
//! `FOR UPDATE SKIP LOCKED`.

use std::sync::atomic::{AtomicUsize, Ordering};

use fastspring_api::webhooks::ClaimToken;
use tokio_postgres::{Client, NoTls};

use crate::{ClaimRow, DeadLetter, InboxError, NewEvent};

/// Versioned migrations: `(version, SQL)`, applied in order in one transaction under an
/// advisory lock, so that servers starting together migrate once.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE inbox_deliveries (
        id BIGSERIAL PRIMARY KEY,
        raw_body BYTEA NOT NULL,
        headers TEXT NOT NULL,
        received_at BIGINT NOT NULL
    );
    CREATE TABLE inbox_events (
        event_id TEXT PRIMARY KEY,
        event_type TEXT,
        json TEXT,
        delivery_id BIGINT REFERENCES inbox_deliveries(id),
        received_at BIGINT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        lease_id TEXT,
        lease_until BIGINT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        completed_at BIGINT
    );
    CREATE INDEX inbox_events_pending ON inbox_events (received_at, event_id)
        WHERE state = 'pending';",
)];

/// Advisory lock key of the migration (any constant the app does not use).
const MIGRATION_LOCK: i64 = 0x0046_5349_4e42_4f58;

pub(crate) struct Postgres {
    clients: Vec<Client>,
    next: AtomicUsize,
}

impl Postgres {
    pub(crate) async fn connect(url: &str, connections: usize) -> Result<Postgres, InboxError> {
        let mut clients = Vec::with_capacity(connections);
        for _ in 0..connections {
            let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    tracing::warn!(error = %err, "inbox connection closed");
                }
            });
            clients.push(client);
        }
        migrate(&mut clients[0]).await?;
        Ok(Postgres {
            clients,
            next: AtomicUsize::new(0),
        })
    }

    fn client(&self) -> &Client {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len();
        &self.clients[i]
    }

    pub(crate) async fn schema_version(&self) -> Result<i64, InboxError> {
        let row = self
            .client()
            .query_one("SELECT COALESCE(MAX(version), 0) FROM inbox_schema", &[])
            .await?;
        Ok(row.get(0))
    }

    pub(crate) async fn store(
        &self,
        raw_body: Vec<u8>,
        headers: String,
        events: Vec<NewEvent>,
        now: i64,
    ) -> Result<usize, InboxError> {
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        let jsons: Vec<&str> = events.iter().map(|e| e.json.as_str()).collect();
        // One statement: the delivery and its events are stored together or not at all.
        let new = self
            .client()
            .execute(
                "WITH delivery AS (
                    INSERT INTO inbox_deliveries (raw_body, headers, received_at)
                    VALUES ($1, $2, $3) RETURNING id)
                 INSERT INTO inbox_events (event_id, event_type, json, delivery_id, received_at)
                 SELECT e.id, e.type, e.json, delivery.id, $3
                 FROM delivery, unnest($4::text[], $5::text[], $6::text[]) AS e(id, type, json)
                 ON CONFLICT (event_id) DO UPDATE SET
                    event_type = excluded.event_type, json = excluded.json,
                    delivery_id = excluded.delivery_id
                 WHERE inbox_events.json IS NULL",
                &[&raw_body, &headers, &now, &ids, &types, &jsons],
            )
            .await?;
        Ok(usize::try_from(new).unwrap_or(usize::MAX))
    }

    pub(crate) async fn claim(
        &self,
        event_id: &str,
        lease_id: &str,
        until: i64,
        now: i64,
    ) -> Result<ClaimRow, InboxError> {
        let client = self.client();
        let acquired = client
            .query_opt(
                "INSERT INTO inbox_events (event_id, received_at, lease_id, lease_until, attempts)
                 VALUES ($1, $4, $2, $3, 1)
                 ON CONFLICT (event_id) DO UPDATE SET
                    lease_id = $2, lease_until = $3, attempts = inbox_events.attempts + 1
                 WHERE inbox_events.state = 'pending'
                   AND (inbox_events.lease_until IS NULL OR inbox_events.lease_until <= $4)
                 RETURNING lease_id",
                &[&event_id, &lease_id, &until, &now],
            )
            .await?;
        if acquired.is_some() {
            return Ok(ClaimRow::Acquired);
        }
        let state: String = client
            .query_one(
                "SELECT state FROM inbox_events WHERE event_id = $1",
                &[&event_id],
            )
            .await?
            .get(0);
        Ok(if state == "done" {
            ClaimRow::Done
        } else {
            ClaimRow::Busy
        })
    }

    pub(crate) async fn settle(
        &self,
        token: &ClaimToken,
        done: bool,
        now: i64,
    ) -> Result<bool, InboxError> {
        let changed = self
            .client()
            .execute(
                "UPDATE inbox_events SET
                    state = CASE WHEN $3 THEN 'done' ELSE state END,
                    completed_at = CASE WHEN $3 THEN $4 ELSE completed_at END,
                    lease_id = NULL, lease_until = NULL
                 WHERE event_id = $1 AND lease_id = $2 AND state = 'pending' AND lease_until > $4",
                &[&token.event_id(), &token.lease_id(), &done, &now],
            )
            .await?;
        Ok(changed == 1)
    }

    pub(crate) async fn next(
        &self,
        lease_id: &str,
        until: i64,
        now: i64,
    ) -> Result<Option<(String, String, u32)>, InboxError> {
        let row = self
            .client()
            .query_opt(
                "UPDATE inbox_events SET lease_id = $1, lease_until = $2, attempts = attempts + 1
                 WHERE event_id = (
                    SELECT event_id FROM inbox_events
                    WHERE state = 'pending' AND json IS NOT NULL
                      AND (lease_until IS NULL OR lease_until <= $3)
                    ORDER BY received_at, event_id LIMIT 1
                    FOR UPDATE SKIP LOCKED)
                 RETURNING event_id, json, attempts",
                &[&lease_id, &until, &now],
            )
            .await?;
        Ok(row.map(|row| {
            let attempts: i32 = row.get(2);
            (row.get(0), row.get(1), u32::try_from(attempts).unwrap_or(0))
        }))
    }

    pub(crate) async fn fail(
        &self,
        token: &ClaimToken,
        error: &str,
        max_attempts: i64,
        now: i64,
    ) -> Result<Option<bool>, InboxError> {
        let error: String = error.chars().take(2000).collect();
        let max = i32::try_from(max_attempts).unwrap_or(i32::MAX);
        let row = self
            .client()
            .query_opt(
                "UPDATE inbox_events SET
                    state = CASE WHEN attempts >= $4 THEN 'dead' ELSE 'pending' END,
                    last_error = $3, lease_id = NULL, lease_until = NULL
                 WHERE event_id = $1 AND lease_id = $2 AND state = 'pending' AND lease_until > $5
                 RETURNING state = 'dead'",
                &[&token.event_id(), &token.lease_id(), &error, &max, &now],
            )
            .await?;
        Ok(row.map(|row| row.get(0)))
    }

    pub(crate) async fn dead_letters(&self) -> Result<Vec<DeadLetter>, InboxError> {
        let rows = self
            .client()
            .query(
                "SELECT event_id, COALESCE(event_type, ''), attempts, last_error, received_at
                 FROM inbox_events WHERE state = 'dead' ORDER BY received_at, event_id",
                &[],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| DeadLetter {
                event_id: row.get(0),
                event_type: row.get(1),
                attempts: u32::try_from(row.get::<_, i32>(2)).unwrap_or(0),
                last_error: row.get(3),
                received_at: row.get(4),
            })
            .collect())
    }

    pub(crate) async fn replay(&self, event_id: &str) -> Result<bool, InboxError> {
        let changed = self
            .client()
            .execute(
                "UPDATE inbox_events SET state = 'pending', attempts = 0,
                    lease_id = NULL, lease_until = NULL
                 WHERE event_id = $1 AND state = 'dead'",
                &[&event_id],
            )
            .await?;
        Ok(changed == 1)
    }

    pub(crate) async fn pending(&self) -> Result<u64, InboxError> {
        let row = self
            .client()
            .query_one(
                "SELECT COUNT(*) FROM inbox_events WHERE state = 'pending'",
                &[],
            )
            .await?;
        Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
    }
}

async fn migrate(client: &mut Client) -> Result<(), InboxError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS inbox_schema (
            version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM inbox_schema", &[])
        .await?
        .get(0);
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO inbox_schema (version) VALUES ($1)", &[version])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
