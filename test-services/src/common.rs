use std::fs;
use std::io::{self, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment variable that turns a missing server from a skip into a failure.
pub const REQUIRE_ENV: &str = "FASTSPRING_REQUIRE_SERVICES";

/// Whether missing servers must fail the test run (`FASTSPRING_REQUIRE_SERVICES=1`).
pub fn services_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// Says the server is missing: panics when servers are required, otherwise prints the
/// install hint and returns `None` so the caller can skip.
pub(crate) fn missing<T>(what: &str, package: &str) -> Option<T> {
    let hint = format!(
        "{what} not found: install it with `apt-get install {package}` (Debian) to run this test"
    );
    if services_required() {
        panic!("{REQUIRE_ENV}=1 but {hint}");
    }
    eprintln!("skipping: {hint}");
    None
}

/// Finds an executable: on `PATH`, then in the given fallback folders.
pub(crate) fn find_binary(name: &str, fallbacks: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(fallbacks.iter().cloned())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A loopback port that was free a moment ago. Servers that fail to bind it are
/// retried with another one by the callers.
pub(crate) fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A fresh directory under the system's temporary folder, removed on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(prefix: &str) -> io::Result<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(name);
        fs::create_dir(&dir)?;
        Ok(Self(dir))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Waits until `ready` says yes, the child exits, or `limit` passes; on failure the
/// error carries the tail of the server's log.
pub(crate) fn wait_until(
    child: &mut Child,
    log: &Path,
    limit: Duration,
    mut ready: impl FnMut(&str) -> bool,
) -> io::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let text = read_log(log);
        if ready(&text) {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!(
                "server exited ({status}) before it was ready; log:\n{}",
                tail(&text)
            )));
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("server not ready after {limit:?}; log:\n{}", tail(&text)),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn read_log(log: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = fs::File::open(log) {
        let _ = file.read_to_string(&mut text);
    }
    text
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(2_000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[start..]
}

/// Stops a child process: a polite signal first (so the server shuts down cleanly),
/// then a kill if it is still running after `grace`.
pub(crate) fn stop_child(child: &mut Child, signal: &str, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let _ = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}
