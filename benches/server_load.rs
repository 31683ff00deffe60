//! Load on `sphere serve`'s gate: 16 clients on loopback, each on its own keep-alive
//! connection, together sending 200 gate requests a second (open loop: every request has a
//! scheduled time, and its latency is counted from that time, so a slow answer delays the
//! count of the ones queued behind it instead of hiding them) for a bounded time. Reports
//! p50, p99 and max of the latency, and the answers that were not 200. On the demo model and
//! on a generated model (`SPHERE_LOAD_ACTIVITIES`, default 100,000; `sphere gen --subjects
//! N/10 --activities N --seed 42`). Every gate is a real one: journaled receipt, durable
//! before the answer. Results are recorded in docs/performance.md.
//!
//! `cargo bench --bench server_load` (a plain binary; `SPHERE_LOAD_SECONDS`, default 20).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sphere::server::{hash_token, App, Auth, Limits, Principal, Role, Settings};
use sphere::{KnowledgeBase, Model};

const CLIENTS: usize = 16;
const RATE: f64 = 200.0;
const TOKEN: &str = "load-crm-token";

fn serve(app: Arc<App>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            tx.send(listener.local_addr().expect("an address"))
                .expect("the bench waits");
            axum::serve(listener, app.router()).await.expect("serves");
        });
    });
    rx.recv().expect("the server's address")
}

/// One request on a keep-alive connection; the status.
fn gate(conn: &mut BufReader<TcpStream>, addr: SocketAddr, body: &str) -> u16 {
    let req = format!(
        "POST /v1/gate HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(req.as_bytes()).expect("sends");
    let mut line = String::new();
    conn.read_line(&mut line).expect("a status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).expect("a header");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).expect("the body");
    status
}

fn run(label: &str, model: Model, seconds: f64) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let kb = Arc::new(KnowledgeBase::shipped().expect("the knowledge base"));
    let mut auth = Auth::default();
    auth.insert(
        &hash_token(TOKEN),
        Principal {
            staff: "crm".into(),
            roles: vec![Role::Crm],
        },
    );
    let started = Instant::now();
    let (app, _) = App::start(
        kb,
        model,
        Settings {
            journal: dir.path().join("load.db"),
            auth,
            engine_version: "sphere bench".into(),
            clock: Arc::new(Timestamp::now),
            limits: Limits::default(),
        },
    )
    .expect("starts");
    let load_time = started.elapsed();
    let addr = serve(Arc::clone(&app));
    // Gate the activities with findings (blocked ones included): the gate's full path.
    let doc = findings(addr);
    let mut ids: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["activity"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    ids.truncate(500);
    assert!(!ids.is_empty(), "{label}: no activity with findings");
    let activities = Arc::new(ids);
    let per_client = Duration::from_secs_f64(CLIENTS as f64 / RATE);
    let total = (seconds * RATE) as usize / CLIENTS;
    let t0 = Instant::now() + Duration::from_millis(200);
    let mut handles = Vec::new();
    for c in 0..CLIENTS {
        let activities = Arc::clone(&activities);
        handles.push(std::thread::spawn(move || {
            let mut conn = BufReader::new(TcpStream::connect(addr).expect("connects"));
            conn.get_ref().set_nodelay(true).expect("nodelay");
            let mut lat = Vec::with_capacity(total);
            let mut bad = 0usize;
            // Clients start staggered across one period, so requests are spread evenly.
            let offset = per_client.mul_f64(c as f64 / CLIENTS as f64);
            for i in 0..total {
                let at = t0 + offset + per_client * i as u32;
                if let Some(wait) = at.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let a = &activities[(i * CLIENTS + c) % activities.len()];
                let status = gate(&mut conn, addr, &format!("{{\"activity\": \"{a}\"}}"));
                lat.push(at.elapsed());
                if status != 200 {
                    bad += 1;
                }
            }
            (lat, bad)
        }));
    }
    let mut all = Vec::new();
    let mut bad = 0;
    for h in handles {
        let (l, b) = h.join().expect("a client");
        all.extend(l);
        bad += b;
    }
    let wall = t0.elapsed();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    println!(
        "{label}: start {:.1} s; {} gates over {:.1} s ({:.0}/s) from {CLIENTS} clients, {} activities: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; not 200: {bad}",
        load_time.as_secs_f64(),
        all.len(),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        activities.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
    );
}

/// The findings document, read with a plain request (the CRM's token reads too).
fn findings(addr: SocketAddr) -> serde_json::Value {
    let mut s = TcpStream::connect(addr).expect("connects");
    write!(
        s,
        "GET /v1/findings HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .expect("sends");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("reads");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).expect("JSON")
}

fn main() {
    let seconds: f64 = std::env::var("SPHERE_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0);
    let n: u32 = std::env::var("SPHERE_LOAD_ACTIVITIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let demo = Model::from_files(
        &[concat!(env!("CARGO_MANIFEST_DIR"), "/facts/demo_week.json")],
        today,
    )
    .expect("the demo week");
    run("demo week", demo, seconds);
    let mut text = Vec::new();
    sphere_model::gen::write_model(
        &sphere_model::gen::GenConfig::new((n / 10).max(1), n, 42),
        &mut text,
    )
    .expect("generated");
    let text = String::from_utf8(text).expect("UTF-8");
    let big = Model::from_text("gen.json", &text, today).expect("the generated model");
    drop(text);
    run(&format!("generated {n}"), big, seconds);
}
