//! The ingest benchmarks' load: HTTP/1.1 connections, each sending distinct, correctly
//! signed buyer messages to an `api` shop's `POST /api/v1/shops/{id}/inbound` one after
//! another, counting acknowledgements and their latency after a warm-up.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Instant;

/// Where one connection sends: `host:port`, the shop and its ingest secret.
#[derive(Clone, Debug)]
pub struct Target {
    /// `host:port`.
    pub addr: String,
    /// The shop's id.
    pub shop: String,
    /// Its ingest secret.
    pub secret: Arc<String>,
}

/// What one connection measured.
pub struct ConnResult {
    /// Acknowledged after the warm-up.
    pub ok: u64,
    /// Refused or failed after the warm-up.
    pub failed: u64,
    /// Acknowledgement latencies after the warm-up, in microseconds.
    pub latencies_us: Vec<u32>,
}

/// Sends messages on one connection (`conn` numbers it) until `stop_at`.
pub async fn run_connection(
    target: Target, conn: usize, warm_until: Instant, stop_at: Instant,
) -> ConnResult {
    let Target { addr, shop, secret } = target;
    let path = format!("/api/v1/shops/{shop}/inbound");
    let stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    stream.set_nodelay(true).ok();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(connection);
    let mut r = ConnResult { ok: 0, failed: 0, latencies_us: Vec::with_capacity(200_000) };
    let mut seq: u64 = 0;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    while Instant::now() < stop_at {
        seq += 1;
        let buyer = (conn as u64 * 7919 + seq) % 20_000;
        let body = format!(
            r#"{{"buyer":{{"external_id":"buyer-{buyer}","nickname":"Buyer {buyer}","language":"en"}},"platform_message_id":"{run_id}-{conn}-{seq}","content":{{"type":"text","text":"Hello, is the blue mug in stock? I would like to order two of them, message {seq}."}}}}"#
        );
        let signature = shopmux_adapter_api::sign::sign(&secret, body.as_bytes());
        let req = Request::post(&path)
            .header("host", &addr)
            .header("content-type", "application/json")
            .header("x-shopmux-signature", signature)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let started = Instant::now();
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let _ = resp.into_body().collect().await;
                status.is_success()
            }
            Err(_) => false,
        };
        if started >= warm_until {
            if ok {
                r.ok += 1;
                r.latencies_us.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
            } else {
                r.failed += 1;
            }
        }
        if !ok && sender.ready().await.is_err() {
            break;
        }
    }
    r
}

/// The `p` quantile of sorted microseconds, in milliseconds.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx] as f64 / 1000.0
}
