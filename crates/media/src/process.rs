//! The one subprocess wrapper: every ffmpeg/ffprobe call goes through [`run_tool`].
//!
//! It owns the timeout, kill-on-drop and stderr capture, so a hung or crashing tool can never
//! block a worker or leak a process: if the caller's future is dropped (job cancelled, server
//! shutting down), tokio kills the child.

use crate::error::MediaError;
use std::collections::VecDeque;
use std::ffi::OsStr;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};

/// How much of stderr is kept for error messages (the end is where the reason is).
pub const STDERR_TAIL_BYTES: usize = 4096;

/// Runs `program args…` with stdin closed, returns its stdout when it exits with status 0.
///
/// * binary not found → [`MediaError::ToolMissing`];
/// * runs longer than `timeout` → killed, [`MediaError::Timeout`];
/// * non-zero exit → [`MediaError::Tool`] with the last [`STDERR_TAIL_BYTES`] of stderr.
pub async fn run_tool(
    program: impl AsRef<OsStr>,
    args: &[impl AsRef<OsStr>],
    timeout: Duration,
) -> Result<Vec<u8>, MediaError> {
    let (mut child, name) = spawn(program.as_ref(), args)?;
    let started = Instant::now();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let finished = tokio::time::timeout(timeout, async {
        tokio::join!(read_all(stdout), read_tail(stderr), child.wait())
    })
    .await;
    let Ok((out, err, status)) = finished else {
        // The pipes' readers were dropped with the timed-out future; stop and reap the child.
        return Err(stop_timed_out(child, name, timeout).await);
    };
    exit_result(name, status?, err?, started)?;
    Ok(out?)
}

/// Like [`run_tool`], but hands stdout to `consume` chunk by chunk as it arrives instead of
/// collecting it, so decoding an hour of raw frames needs one chunk of memory, not gigabytes.
/// Same timeout, kill-on-drop and error rules. `consume` runs on the async task: keep it cheap
/// per chunk (chunks are at most [`STREAM_CHUNK_BYTES`]).
pub async fn run_tool_streaming(
    program: impl AsRef<OsStr>,
    args: &[impl AsRef<OsStr>],
    timeout: Duration,
    mut consume: impl FnMut(&[u8]),
) -> Result<(), MediaError> {
    let (mut child, name) = spawn(program.as_ref(), args)?;
    let started = Instant::now();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let finished = tokio::time::timeout(timeout, async {
        let streamed = async {
            if let Some(mut pipe) = stdout {
                let mut chunk = vec![0u8; STREAM_CHUNK_BYTES];
                loop {
                    let n = pipe.read(&mut chunk).await?;
                    if n == 0 {
                        break;
                    }
                    consume(&chunk[..n]);
                }
            }
            Ok::<_, std::io::Error>(())
        };
        tokio::join!(streamed, read_tail(stderr), child.wait())
    })
    .await;
    let Ok((streamed, err, status)) = finished else {
        return Err(stop_timed_out(child, name, timeout).await);
    };
    exit_result(name, status?, err?, started)?;
    Ok(streamed?)
}

/// Largest piece of stdout handed to a [`run_tool_streaming`] consumer at once.
pub const STREAM_CHUNK_BYTES: usize = 64 * 1024;

/// Starts the tool with stdin closed, stdout and stderr piped, killed when dropped.
fn spawn(program: &OsStr, args: &[impl AsRef<OsStr>]) -> Result<(Child, String), MediaError> {
    let name = program.to_string_lossy().into_owned();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    tracing::debug!(program = %name, args = ?args.iter().map(|a| a.as_ref().to_string_lossy()).collect::<Vec<_>>(), "running tool");
    match command.spawn() {
        Ok(child) => Ok((child, name)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(MediaError::ToolMissing { program: name })
        }
        Err(e) => Err(MediaError::Io(e)),
    }
}

/// Kills and reaps a tool that ran out of time.
async fn stop_timed_out(mut child: Child, name: String, timeout: Duration) -> MediaError {
    if let Err(e) = child.start_kill() {
        tracing::warn!(program = %name, error = %e, "could not kill timed-out tool");
    }
    let _ = child.wait().await;
    tracing::warn!(program = %name, ?timeout, "tool timed out");
    MediaError::Timeout {
        program: name,
        after: timeout,
    }
}

/// Success, or [`MediaError::Tool`] with the end of stderr.
fn exit_result(
    name: String,
    status: ExitStatus,
    stderr_tail: Vec<u8>,
    started: Instant,
) -> Result<(), MediaError> {
    tracing::debug!(program = %name, %status, elapsed = ?started.elapsed(), "tool finished");
    if status.success() {
        return Ok(());
    }
    Err(MediaError::Tool {
        program: name,
        status,
        stderr_tail: String::from_utf8_lossy(&stderr_tail).trim().to_owned(),
    })
}

async fn read_all(pipe: Option<impl AsyncRead + Unpin>) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut buf).await?;
    }
    Ok(buf)
}

/// Drains the pipe (so the child never blocks on a full pipe) and keeps only the last bytes.
async fn read_tail(pipe: Option<impl AsyncRead + Unpin>) -> std::io::Result<Vec<u8>> {
    let mut tail = VecDeque::with_capacity(STDERR_TAIL_BYTES);
    if let Some(mut pipe) = pipe {
        let mut chunk = [0u8; 8192];
        loop {
            let n = pipe.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            tail.extend(&chunk[..n]);
            let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
            tail.drain(..excess);
        }
    }
    Ok(tail.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_stdout() {
        let out = run_tool("sh", &["-c", "printf hello"], Duration::from_secs(5))
            .await
            .expect("sh runs");
        assert_eq!(out, b"hello");
    }

    #[tokio::test]
    async fn missing_binary_says_how_to_install() {
        let err = run_tool(
            "sightline-no-such-ffmpeg",
            &["-version"],
            Duration::from_secs(5),
        )
        .await
        .expect_err("binary does not exist");
        assert!(matches!(err, MediaError::ToolMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("apt-get install ffmpeg"));
    }

    #[tokio::test]
    async fn failure_keeps_the_end_of_stderr() {
        // 10 000 bytes of noise, then the real reason: only the tail is kept.
        let script = "head -c 10000 /dev/zero | tr '\\0' x >&2; echo ' the reason' >&2; exit 3";
        let err = run_tool("sh", &["-c", script], Duration::from_secs(5))
            .await
            .expect_err("script fails");
        match err {
            MediaError::Tool {
                status,
                stderr_tail,
                ..
            } => {
                assert_eq!(status.code(), Some(3));
                assert!(stderr_tail.ends_with("the reason"));
                assert!(stderr_tail.len() <= STDERR_TAIL_BYTES);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn streaming_hands_over_all_of_stdout_in_bounded_chunks() {
        // 300 000 bytes: several chunks; their concatenation is the whole output.
        let mut seen = Vec::new();
        let mut largest = 0;
        run_tool_streaming(
            "sh",
            &["-c", "head -c 300000 /dev/zero | tr '\\0' y"],
            Duration::from_secs(5),
            |chunk| {
                largest = largest.max(chunk.len());
                seen.extend_from_slice(chunk);
            },
        )
        .await
        .expect("sh runs");
        assert_eq!(seen.len(), 300_000);
        assert!(seen.iter().all(|&b| b == b'y'));
        assert!(largest <= STREAM_CHUNK_BYTES);
    }

    #[tokio::test]
    async fn streaming_reports_failures_and_timeouts() {
        let err = run_tool_streaming(
            "sh",
            &["-c", "echo partial; echo ' the reason' >&2; exit 2"],
            Duration::from_secs(5),
            |_| {},
        )
        .await
        .expect_err("script fails");
        assert!(
            matches!(&err, MediaError::Tool { stderr_tail, .. } if stderr_tail == "the reason"),
            "{err:?}"
        );

        let started = Instant::now();
        let err = run_tool_streaming(
            "sh",
            &["-c", "echo started; sleep 30"],
            Duration::from_millis(300),
            |_| {},
        )
        .await
        .expect_err("outlives the timeout");
        assert!(matches!(err, MediaError::Timeout { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn timeout_kills_the_child() {
        let started = Instant::now();
        let err = run_tool("sleep", &["30"], Duration::from_millis(200))
            .await
            .expect_err("sleep outlives the timeout");
        assert!(matches!(err, MediaError::Timeout { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
