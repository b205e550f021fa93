//! Real servers for the workspace's tests: PostgreSQL and Redis from Debian's packages
//! (`apt-get install postgresql redis-server`), each started in a temporary directory on a
//! free loopback port and stopped when its handle is dropped.
//!
//! Where a server's binaries are missing, [`Postgres::start`] and [`Redis::start`] print how
//! to install them and return `None`, so the test skips; with
//! `FASTSPRING_REQUIRE_SERVICES=1` (set by `.ci/run`) they panic instead, so CI never
//! skips silently. No imitation servers: a test that needs PostgreSQL talks to PostgreSQL.
//!
//! PostgreSQL refuses to run as root, so when the tests run as root the data directory
//! is given to an unprivileged user (`postgres` where it exists, else `nobody`) and the
//! server runs as that user.

mod common;
mod postgres;
mod redis;

pub use common::{REQUIRE_ENV, services_required};
pub use postgres::Postgres;
pub use redis::Redis;
