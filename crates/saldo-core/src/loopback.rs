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

    /// Waits for the bank's callback of flow `flow_id` and returns the full
    /// callback URL. Only a `GET /callback` whose `flowId` (or `state`)
    /// names this flow and whose `Host` is this listener (`127.0.0.1:PORT`
    /// or `localhost:PORT`) is taken; any other request gets a 404 and
    /// changes nothing. Connections are served side by side, and one that
    /// sends nothing is dropped after a few seconds, so no local process can
    /// hold the listener or consume the flow's callback. Call again for a
    /// bank's further redirects (same URL).
    pub async fn wait(&self, flow_id: &str, timeout: Duration) -> Result<String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1);
        let work = async {
            loop {
                tokio::select! {
                    accepted = self.listener.accept() => {
                        let (stream, _) = accepted.map_err(|e| CoreError::Local(e.to_string()))?;
                        let (tx, port, flow) = (tx.clone(), self.port, flow_id.to_owned());
                        tokio::spawn(async move {
                            if let Some(url) = serve(stream, port, &flow).await {
                                let _ = tx.send(url).await;
                            }
                        });
                    }
                    Some(url) = rx.recv() => return Ok(url),
                }
            }
        };
        tokio::time::timeout(timeout, work).await.map_err(|_| {
            CoreError::Timeout("no callback from the bank in time; start again when you are ready".into())
        })?
    }
}

/// How long a connection may take to send its request head.
const IDLE: Duration = Duration::from_secs(5);

/// Serves one connection: the callback URL if it is this flow's callback.
async fn serve(mut stream: tokio::net::TcpStream, port: u16, flow_id: &str) -> Option<String> {
    let head = tokio::time::timeout(IDLE, async {
        let mut buf = Vec::with_capacity(2048);
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf
    })
    .await
    .ok()?; // idle: dropped without an answer
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let target = lines.next().and_then(|l| {
        let mut parts = l.split_whitespace();
        (parts.next() == Some("GET")).then(|| parts.next()).flatten().map(str::to_owned)
    });
    let host_ok = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .is_some_and(|(_, v)| {
            let v = v.trim();
            v == format!("127.0.0.1:{port}") || v.eq_ignore_ascii_case(&format!("localhost:{port}"))
        });
    let url = target
        .filter(|t| host_ok && (t == "/callback" || t.starts_with("/callback?")))
        .map(|t| format!("http://127.0.0.1:{port}{t}"))
        .filter(|u| crate::connect::identify_callback(u).is_some_and(|(id, _)| id == flow_id));
    let answer = match &url {
        Some(_) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
            PAGE.len()
        ),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
    };
    let _ = stream.write_all(answer.as_bytes()).await;
    url
}
