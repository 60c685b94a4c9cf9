//! A TCP proxy between the agent and the server that can take the network away: refuse
//! connections (down), cut every connection after some bytes (flapping), or answer 503.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Up,
    /// Connections are closed as soon as they open; open ones are cut.
    Down,
    /// Each connection is cut after this many bytes towards the server.
    CutAfter(u64),
    /// Every request gets `503 Service Unavailable`.
    Unavailable,
}

pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
    /// Bytes forwarded towards the server.
    pub upstream_bytes: Arc<AtomicU64>,
    pub cuts: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Self {
            addr: listener.local_addr().unwrap(),
            mode: Arc::new(Mutex::new(mode)),
            open: Arc::default(),
            upstream_bytes: Arc::default(),
            cuts: Arc::default(),
        };
        let (mode, open, bytes, cuts) = (
            proxy.mode.clone(),
            proxy.open.clone(),
            proxy.upstream_bytes.clone(),
            proxy.cuts.clone(),
        );
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let current = *mode.lock().unwrap();
                let (bytes, cuts) = (bytes.clone(), cuts.clone());
                let task = tokio::spawn(async move {
                    match current {
                        Mode::Down => drop(client),
                        Mode::Unavailable => answer_503(client).await,
                        Mode::Up => forward(client, upstream, u64::MAX, bytes, cuts).await,
                        Mode::CutAfter(limit) => {
                            forward(client, upstream, limit, bytes, cuts).await
                        }
                    }
                });
                open.lock().unwrap().push(task.abort_handle());
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Switches mode; anything but `Up` also cuts the connections open now.
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        if mode != Mode::Up {
            for task in self.open.lock().unwrap().drain(..) {
                task.abort();
            }
        }
    }
}

async fn answer_503(mut client: TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = client.read(&mut buf).await;
    let _ = client
        .write_all(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
              content-length: 58\r\nconnection: close\r\n\r\n\
              {\"error\":{\"code\":\"unavailable\",\"message\":\"maintenance\"}}",
        )
        .await;
}

async fn forward(
    mut client: TcpStream,
    upstream: SocketAddr,
    limit: u64,
    bytes: Arc<AtomicU64>,
    cuts: Arc<AtomicU64>,
) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let up = async {
        let mut sent = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let allowed = (limit - sent).min(n as u64) as usize;
            if server_write.write_all(&buf[..allowed]).await.is_err() {
                return;
            }
            sent += allowed as u64;
            bytes.fetch_add(allowed as u64, Ordering::Relaxed);
            if sent >= limit {
                cuts.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    };
    let down = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    };
    // Whichever direction ends first ends the connection, like a dropped radio link.
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}
