//! Pre-signed inbound requests for a load generator that cannot sign (wrk): creates an
//! `api` shop on a running daemon with the owner's token, then writes `--count` lines
//! `<path>\t<X-Shopmux-Signature>\t<JSON body>`, each a distinct buyer message signed
//! with the shop's ingest secret, to `--out`. `scripts/bench-ingest-vs-reference` feeds
//! them to wrk through `scripts/wrk/presigned.lua`.
//!
//! Run: `cargo run --release --example presign -- --url http://127.0.0.1:3001 --token smx_… --count 200000 --out requests.tsv`

use std::io::Write;

struct Args {
    url: String,
    token: String,
    count: usize,
    out: String,
}

fn parse_args() -> Args {
    let (mut url, mut token, mut count, mut out) = (None, None, 200_000, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => url = Some(value()),
            "--token" => token = Some(value()),
            "--count" => count = value().parse().expect("--count N"),
            "--out" => out = Some(value()),
            other => panic!("unknown option {other}"),
        }
    }
    Args {
        url: url.expect("--url"),
        token: token.expect("--token"),
        count,
        out: out.expect("--out"),
    }
}

/// Creates the bench's shop; returns (shop id, ingest secret).
fn create_shop(url: &str, token: &str) -> (String, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let body = serde_json::json!({"platform": "api", "external_id": format!("bench-{}", uuid::Uuid::now_v7().simple()), "name": "bench"});
        let resp = reqwest::Client::new()
            .post(format!("{url}/api/v1/shops"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the daemon answers");
        assert!(resp.status().is_success(), "shop created: {}", resp.status());
        let shop: serde_json::Value = resp.json().await.unwrap();
        let id = shop["shop"]["id"].as_str().expect("shop id").to_owned();
        (id, shop["ingest_secret"].as_str().expect("ingest secret").to_owned())
    })
}

fn main() {
    let args = parse_args();
    let (shop, secret) = create_shop(args.url.trim_end_matches('/'), &args.token);
    let path = format!("/api/v1/shops/{shop}/inbound");
    let run = uuid::Uuid::now_v7().simple().to_string();
    let file = std::fs::File::create(&args.out).expect("--out is writable");
    let mut out = std::io::BufWriter::new(file);
    for n in 0..args.count {
        // About the reference's body: a ~250-character text, a buyer, a unique id.
        let buyer = (n * 7919) % 20_000;
        let body = format!(
            r#"{{"buyer":{{"external_id":"buyer-{buyer}","nickname":"Buyer {buyer}","language":"en"}},"platform_message_id":"{run}-{n}","content":{{"type":"text","text":"hello is the item still available can you ship tomorrow price discount size color thanks order delivery pickup address payment hello is the item still available can you ship tomorrow price discount size color thanks order delive {n}"}}}}"#
        );
        let signature = shopmux_adapter_api::sign::sign(&secret, body.as_bytes());
        writeln!(out, "{path}\t{signature}\t{body}").expect("write");
    }
    out.flush().expect("write");
}
