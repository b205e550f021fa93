//! What the `record` and hostile-input tests share: a stand-in store on loopback, a
//! scratch folder, and running the built `payload-check` binary.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Serves `app` on a loopback port, in a thread of its own, for as long as the test runs.
pub fn serve_on_loopback(app: axum::Router) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
    });
    addr
}

/// An empty (not yet created) folder under the test target's scratch space.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// How a `payload-check` run ended.
pub struct Run {
    /// The exit code; -1 when the run was killed after 30 s (it hung).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `payload-check` with the FastSpring variables removed plus `env`; a run that
/// takes longer than 30 s is killed (a hang fails the test instead of stalling it).
pub fn payload_check(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_payload-check"));
    command
        .args(args)
        .env_remove("FASTSPRING_API_USERNAME")
        .env_remove("FASTSPRING_API_PASSWORD")
        .env_remove("FASTSPRING_API_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("payload-check starts");
    let started = Instant::now();
    let mut killed = false;
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    Run {
        code: if killed {
            -1
        } else {
            output.status.code().expect("exited normally")
        },
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
