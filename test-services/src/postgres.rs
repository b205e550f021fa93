use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{TempDir, find_binary, free_port, missing, stop_child, wait_until};

/// A PostgreSQL server of its own: a new cluster in a temporary directory, listening on
/// a free loopback port with `trust` authentication for the `postgres` user. Stopped
/// (and its directory removed) on drop.
#[derive(Debug)]
pub struct Postgres {
    child: Child,
    port: u16,
    // Dropped after the server is stopped (fields drop in order after `Drop::drop`).
    _dir: TempDir,
}

impl Postgres {
    /// Starts a server with settings for tests (`fsync=off`: the tests check what a
    /// running server stores, not what survives a power cut). `None` when the binaries
    /// are missing and `FASTSPRING_REQUIRE_SERVICES` is not `1`.
    ///
    /// # Panics
    /// When the binaries are missing and services are required, or when a server that
    /// is installed fails to start (the panic carries its log).
    pub fn start() -> Option<Self> {
        Self::start_with(&[("fsync", "off")])
    }

    /// Starts a server with the given `postgresql.conf` settings (none: PostgreSQL's
    /// defaults, durable commits included, as benchmarks want).
    ///
    /// # Panics
    /// As [`Postgres::start`].
    pub fn start_with(settings: &[(&str, &str)]) -> Option<Self> {
        let Some(bin) = binaries() else {
            return missing("PostgreSQL (initdb, postgres)", "postgresql");
        };
        let mut last = None;
        for _ in 0..3 {
            match Self::try_start(&bin, settings) {
                Ok(server) => return Some(server),
                Err(err) => last = Some(err),
            }
        }
        panic!(
            "PostgreSQL is installed but did not start: {}",
            last.map_or_else(String::new, |e| e.to_string())
        );
    }

    fn try_start(bin: &Path, settings: &[(&str, &str)]) -> io::Result<Self> {
        let dir = TempDir::new("fastspring-pg")?;
        let data = dir.path().join("data");
        let log = dir.path().join("server.log");
        let owner = unprivileged_owner()?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        let initdb = as_owner(Command::new(bin.join("initdb")), owner)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()?;
        if !initdb.status.success() {
            return Err(io::Error::other(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&initdb.stderr)
            )));
        }
        let port = free_port()?;
        let log_file = fs::File::create(&log)?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&log, Some(uid), Some(gid))?;
        }
        let mut command = as_owner(Command::new(bin.join("postgres")), owner);
        command
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(dir.path());
        for (name, value) in settings {
            command.arg("-c").arg(format!("{name}={value}"));
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(log_file)
            .stdin(Stdio::null())
            .spawn()?;
        if let Err(err) = wait_until(&mut child, &log, Duration::from_secs(60), |text| {
            text.contains("ready to accept connections")
        }) {
            stop_child(&mut child, "-INT", Duration::from_secs(5));
            return Err(err);
        }
        Ok(Self {
            child,
            port,
            _dir: dir,
        })
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for the `postgres` database as the `postgres` user.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// A connection URL for another database of this server (create it first).
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's "fast shutdown": sessions are ended, nothing waits.
        stop_child(&mut self.child, "-INT", Duration::from_secs(10));
    }
}

/// The folder with `initdb` and `postgres`: on `PATH`, else Debian's
/// `/usr/lib/postgresql/<version>/bin`, newest version first.
fn binaries() -> Option<PathBuf> {
    let mut fallbacks: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    fallbacks.sort_by_key(|path| {
        let version = path.parent().and_then(Path::file_name);
        std::cmp::Reverse(
            version
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    let initdb = find_binary("initdb", &fallbacks)?;
    let dir = initdb.parent()?.to_path_buf();
    // `initdb` on PATH may be a link into the versioned folder; `postgres` must sit beside it.
    let dir = if dir.join("postgres").is_file() {
        dir
    } else {
        fs::canonicalize(&initdb).ok()?.parent()?.to_path_buf()
    };
    dir.join("postgres").is_file().then_some(dir)
}

/// When this process is root: the uid and gid of the user PostgreSQL runs as
/// (`postgres`, else `nobody`). `None` when already unprivileged.
fn unprivileged_owner() -> io::Result<Option<(u32, u32)>> {
    if fs::metadata("/proc/self")?.uid() != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd")?;
    for wanted in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3
                && fields[0] == wanted
                && let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse())
            {
                return Ok(Some((uid, gid)));
            }
        }
    }
    Err(io::Error::other(
        "running as root and no unprivileged user (postgres or nobody) to run PostgreSQL as",
    ))
}

fn as_owner(mut command: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    // PostgreSQL's tools read their environment; keep the user's locale out of initdb.
    command.env("LC_ALL", "C");
    command
}
