use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{TempDir, find_binary, free_port, missing, stop_child, wait_until};

/// A Redis server of its own on a free loopback port, with no persistence, in a
/// temporary directory. It can be stopped and started again on the same port (to test
/// what a client does while Redis is down); stopped for good on drop.
#[derive(Debug)]
pub struct Redis {
    child: Option<Child>,
    binary: PathBuf,
    port: u16,
    dir: TempDir,
}

impl Redis {
    /// Starts a server. `None` when `redis-server` is missing and
    /// `FASTSPRING_REQUIRE_SERVICES` is not `1`.
    ///
    /// # Panics
    /// When the binary is missing and services are required, or when an installed
    /// server fails to start (the panic carries its log).
    pub fn start() -> Option<Self> {
        let Some(binary) = find_binary("redis-server", &[PathBuf::from("/usr/bin")]) else {
            return missing("Redis (redis-server)", "redis-server");
        };
        let dir = TempDir::new("fastspring-redis")
            .unwrap_or_else(|e| panic!("cannot create a folder for Redis: {e}"));
        let mut server = Self {
            child: None,
            binary,
            port: 0,
            dir,
        };
        let mut last = None;
        for _ in 0..3 {
            match free_port().and_then(|port| {
                server.port = port;
                server.spawn()
            }) {
                Ok(()) => return Some(server),
                Err(err) => last = Some(err),
            }
        }
        panic!(
            "Redis is installed but did not start: {}",
            last.map_or_else(String::new, |e| e.to_string())
        );
    }

    fn spawn(&mut self) -> io::Result<()> {
        let log = self.dir.path().join(format!("redis-{}.log", self.port));
        // A restart writes a new log: the old one already says "ready".
        let _ = std::fs::remove_file(&log);
        let mut child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        if let Err(err) = wait_until(&mut child, &log, Duration::from_secs(30), |text| {
            text.contains("Ready to accept connections")
        }) {
            stop_child(&mut child, "-TERM", Duration::from_secs(5));
            return Err(err);
        }
        self.child = Some(child);
        Ok(())
    }

    /// The loopback port the server listens on (the same after [`Redis::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL (`redis://127.0.0.1:PORT/`).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server; connections are refused until [`Redis::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child, "-TERM", Duration::from_secs(5));
        }
    }

    /// Starts the server again on the same port, empty.
    ///
    /// # Panics
    /// When it does not come up (the panic carries its log).
    pub fn restart(&mut self) {
        self.stop();
        if let Err(err) = self.spawn() {
            panic!("Redis did not start again on port {}: {err}", self.port);
        }
    }

    /// Sends one command in Redis's protocol and returns the raw reply (for tests that
    /// look at what a client stored without a client library of their own).
    ///
    /// # Errors
    /// When the server cannot be reached or does not answer within two seconds.
    pub fn command(&self, args: &[&str]) -> io::Result<String> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes())?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf)?;
            reply.extend_from_slice(&buf[..n]);
            if n == 0 || reply.ends_with(b"\r\n") {
                break;
            }
        }
        Ok(String::from_utf8_lossy(&reply).into_owned())
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
