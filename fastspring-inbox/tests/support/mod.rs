//! Stores for the tests: SQLite on a temporary file, PostgreSQL from the shared helper.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use fastspring_api::webhooks::ManualClock;
use fastspring_inbox::{Inbox, InboxOptions};
use fastspring_test_services::Postgres;

/// A temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("inbox-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn options(clock: &ManualClock) -> InboxOptions {
    InboxOptions {
        clock: Arc::new(clock.clone()),
        ..InboxOptions::default()
    }
}

pub async fn sqlite(dir: &TempDir, clock: &ManualClock) -> Inbox {
    Inbox::open_sqlite(dir.file("inbox.db"), options(clock))
        .await
        .unwrap()
}

/// A PostgreSQL server and a fresh database on it; `None` (skip) when not installed.
pub async fn postgres_database(name: &str) -> Option<(Postgres, String)> {
    let server = Postgres::start()?;
    let (client, connection) = tokio_postgres::connect(&server.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = server.url_for(name);
    Some((server, url))
}
