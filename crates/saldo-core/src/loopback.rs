//! The RFC 8252 loopback redirect: a one-shot HTTP listener on 127.0.0.1 that
//! receives the bank's callback in place of the `saldo://` deep link (for the
//! CLI, and when the scheme is not registered). It only hands the URL over;
//! the flow checks it like any callback (R19).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{CoreError, Result};

/// A listener waiting for one callback.
pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
}

const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Saldo</title></head>\
<body style=\"font-family:system-ui;margin:15vh auto;max-width:30em;text-align:center\">\
<h1>Back to Saldo</h1><p>Your bank sent you back. You can close this tab and return to Saldo.</p></body></html>";

impl LoopbackListener {
    /// Listens on a free port of 127.0.0.1.
    pub async fn bind() -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| CoreError::Local(format!("cannot listen on 127.0.0.1 for the bank's callback: {e}")))?;
        let port = listener.local_addr().map_err(|e| CoreError::Local(e.to_string()))?.port();
        Ok(Self { listener, port })
    }

    /// The redirect URL to give the bank.
    pub fn redirect_url(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Waits for the browser to arrive at `/callback` and returns the full
    /// callback URL. Other requests (a favicon) get a 404 and are ignored.
    /// Call again for a bank's further redirects (same URL).
    pub async fn wait(&self, timeout: Duration) -> Result<String> {
        let work = async {
            loop {
                let (mut stream, _) = self.listener.accept().await.map_err(|e| CoreError::Local(e.to_string()))?;
                let mut buf = Vec::with_capacity(2048);
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf);
                let target = head.lines().next().and_then(|l| {
                    let mut parts = l.split_whitespace();
                    (parts.next() == Some("GET")).then(|| parts.next()).flatten().map(str::to_owned)
                });
                match target {
                    Some(t) if t == "/callback" || t.starts_with("/callback?") => {
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
                            PAGE.len()
                        );
                        let _ = stream.write_all(resp.as_bytes()).await;
                        return Ok(format!("http://127.0.0.1:{}{t}", self.port));
                    }
                    _ => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                    }
                }
            }
        };
        tokio::time::timeout(timeout, work).await.map_err(|_| {
            CoreError::Timeout("no callback from the bank in time; start again when you are ready".into())
        })?
    }
}
