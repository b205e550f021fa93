//! The helpers start real servers that answer, and stop them.

use std::net::{Ipv4Addr, TcpStream};
use std::process::Command;

use fastspring_test_services::{Postgres, Redis};

#[test]
fn redis_answers_stops_and_restarts_on_the_same_port() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    assert_eq!(redis.command(&["SET", "k", "v"]).unwrap(), "+OK\r\n");
    assert_eq!(redis.command(&["GET", "k"]).unwrap(), "$1\r\nv\r\n");
    let port = redis.port();
    redis.stop();
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err());
    redis.restart();
    assert_eq!(redis.port(), port);
    // A restarted server is empty: no persistence.
    assert_eq!(redis.command(&["GET", "k"]).unwrap(), "$-1\r\n");
}

#[test]
fn postgres_accepts_queries_and_stops_on_drop() {
    let Some(pg) = Postgres::start() else { return };
    let port = pg.port();
    assert!(pg.url().starts_with("postgres://postgres@127.0.0.1:"));
    // psql ships with the server package; ask the server itself.
    let psql = std::path::Path::new("/usr/bin/psql");
    if psql.exists() {
        let out = Command::new(psql)
            .args(["-X", "-A", "-t", "-c", "select 40 + 2"])
            .arg(pg.url())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42", "{out:?}");
    } else {
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    }
    drop(pg);
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err());
}
