//! Load, change events and a soak on `sphere serve` over loopback. A plain bench binary (the
//! tail is reported, not only the mean); results are recorded in docs/performance.md.
//!
//! **Load** (default): the server in process on a loopback port; 16 clients, each on its own
//! keep-alive connection, together send 200 gate requests a second (open loop: every request
//! has a scheduled time and its latency counts from that time, so a slow answer delays the
//! count of the ones queued behind it instead of hiding them), for `SPHERE_LOAD_SECONDS`
//! (default 20) and bounded in time: what was not sent by 1.5 times that plus 10 s is counted
//! as not sent. Every answer is compared with the library's gate (`gate::gate_model`, what
//! `sphere gate` calls) on the same model and journal. Then change events: one consent
//! withdrawn per request (`POST /v1/model/changes`), one after another; the answer comes once
//! the findings are current. Models: `SPHERE_LOAD_SIZES`, a comma list of `demo` (the demo
//! week) and activity counts of generated models; `SPHERE_LOAD_GATED` activities are gated
//! (default 100, spread over the model) (`sphere gen --subjects N/10 --activities N
//! --seed 42`), default `demo,100000`.
//!
//! **Soak** (`SPHERE_LOAD_MODE=soak`): `sphere serve` as a child process on the demo model
//! (`facts/s12_what_if_consent.json`) for `SPHERE_SOAK_SECONDS` (default 600) of mixed gates,
//! changes and approvals; in the middle the process is killed with SIGKILL and started again
//! on the same journal. Reports the server's memory (VmRSS) at start and end of each process
//! and every 30 s, errors, that every answered journal head is in the journal, that the
//! findings after the restart equal those before the kill, and `sphere journal verify` at the
//! end.
//!
//! `cargo bench --bench server_load`

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::{json, Value};
use sphere::gate::{self, Request};
use sphere::journal::{Config, Journal};
use sphere::server::{hash_token, App, Auth, Limits, Principal, Role, Settings};
use sphere::{EvalOptions, KnowledgeBase, Lang, Model};

const CLIENTS: usize = 16;
const RATE: f64 = 200.0;
const TOKEN: &str = "load-crm-token";
const DPO_TOKEN: &str = "load-dpo-token";
const DPO: &str = "staff-markus-richter";

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

/// One request on a keep-alive connection: the status and the body, or `None` when the
/// connection failed.
fn send(
    conn: &mut BufReader<TcpStream>,
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, Vec<u8>)> {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(req.as_bytes()).ok()?;
    let mut line = String::new();
    if conn.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok())?;
    let mut length = 0usize;
    loop {
        line.clear();
        if conn.read_line(&mut line).ok()? == 0 {
            return None;
        }
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
    conn.read_exact(&mut body).ok()?;
    Some((status, body))
}

fn connect(addr: SocketAddr) -> Option<BufReader<TcpStream>> {
    let s = TcpStream::connect(addr).ok()?;
    s.set_nodelay(true).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(600))).ok()?;
    Some(BufReader::new(s))
}

/// One request on a new connection: status and JSON body.
fn once(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, Value)> {
    let mut c = connect(addr)?;
    let (status, bytes) = send(&mut c, addr, method, path, token, body)?;
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn without_head(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("journal_head");
    }
    v
}

fn quantiles(mut v: Vec<Duration>) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    format!(
        "n={} p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        v.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    )
}

fn auth() -> Auth {
    let mut auth = Auth::default();
    auth.insert(
        &hash_token(TOKEN),
        Principal {
            staff: "crm".into(),
            roles: vec![Role::Crm],
        },
    );
    auth
}

fn request() -> Request {
    Request {
        actor: "crm".into(),
        time: Timestamp::now(),
        engine_version: "sphere bench".into(),
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn own_rss_mib() -> f64 {
    rss_kib(std::process::id()) as f64 / 1024.0
}

// --- load ------------------------------------------------------------------------------------

fn run_load(label: &str, text: &str, seconds: f64) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let journal_path = dir.path().join("load.db");
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let kb = Arc::new(KnowledgeBase::shipped().expect("the knowledge base"));
    let served_model = Model::from_text("model.json", text, today).expect("the model");
    let started = Instant::now();
    let (app, _) = App::start(
        Arc::clone(&kb),
        served_model,
        Settings {
            journal: journal_path.clone(),
            auth: auth(),
            engine_version: "sphere bench".into(),
            clock: Arc::new(Timestamp::now),
            limits: Limits::default(),
            eval_limits: sphere::Limits::NONE,
            webhook: None,
        },
    )
    .expect("starts");
    let start_time = started.elapsed();
    let addr = serve(Arc::clone(&app));
    // The library's copy of the same model, for the expected answers and the changes.
    let model = Model::from_text("model.json", text, today).expect("the model");
    let company = model.company().expect("a company model");
    let n = company.activities.len();
    let gated: usize = std::env::var("SPHERE_LOAD_GATED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let step = (n / gated).max(1);
    let ids: Vec<String> = company
        .activities
        .iter()
        .step_by(step)
        .take(gated)
        .map(|a| a.id.clone())
        .collect();
    println!(
        "{label}: {n} activities; server start (evaluation) {:.2} s; bench process RSS {:.0} MiB",
        start_time.as_secs_f64(),
        own_rss_mib()
    );
    // Warm-up: each activity gated once (its blocks alert the DPO once), then the library's
    // gate on the same model and journal gives the expected answer.
    let mut warm = Vec::new();
    {
        let mut c = connect(addr).expect("connects");
        for a in &ids {
            let t = Instant::now();
            let (status, _) = send(
                &mut c,
                addr,
                "POST",
                "/v1/gate",
                TOKEN,
                &json!({"activity": a}).to_string(),
            )
            .expect("answers");
            assert_eq!(status, 200);
            warm.push(t.elapsed());
        }
    }
    println!("{label}: warm-up gates, one at a time: {}", quantiles(warm));
    let mut journal = Journal::open(&journal_path, &Config::create()).expect("the journal");
    let mut expected = BTreeMap::new();
    let mut lib = Vec::new();
    for a in &ids {
        let t = Instant::now();
        let g = gate::gate_model(
            &mut journal,
            &kb,
            &model,
            &EvalOptions::default(),
            a,
            &request(),
        )
        .expect("the library's gate");
        lib.push(t.elapsed());
        expected.insert(
            a.clone(),
            without_head(sphere::render::gate::gated(&g, Lang::En)),
        );
    }
    drop(journal);
    println!(
        "{label}: library gate (gate_model, part of the model): {}",
        quantiles(lib)
    );
    let expected = Arc::new(expected);
    let activities = Arc::new(ids);
    let per_client = Duration::from_secs_f64(CLIENTS as f64 / RATE);
    let total = (seconds * RATE) as usize / CLIENTS;
    let t0 = Instant::now() + Duration::from_millis(200);
    let bound = t0 + Duration::from_secs_f64(seconds * 1.5 + 10.0);
    let mut handles = Vec::new();
    for c in 0..CLIENTS {
        let activities = Arc::clone(&activities);
        let expected = Arc::clone(&expected);
        handles.push(std::thread::spawn(move || {
            let mut conn = connect(addr).expect("connects");
            let mut lat = Vec::with_capacity(total);
            let (mut bad, mut differ, mut unsent) = (0usize, 0usize, 0usize);
            // Clients start staggered across one period, so requests are spread evenly.
            let offset = per_client.mul_f64(c as f64 / CLIENTS as f64);
            for i in 0..total {
                let at = t0 + offset + per_client * i as u32;
                if Instant::now() > bound {
                    unsent += total - i;
                    break;
                }
                if let Some(wait) = at.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let a = &activities[(i * CLIENTS + c) % activities.len()];
                let body = format!("{{\"activity\": \"{a}\"}}");
                match send(&mut conn, addr, "POST", "/v1/gate", TOKEN, &body) {
                    Some((200, bytes)) => {
                        lat.push(at.elapsed());
                        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        if without_head(v) != expected[a] {
                            differ += 1;
                        }
                    }
                    _ => {
                        lat.push(at.elapsed());
                        bad += 1;
                        conn = connect(addr).expect("connects again");
                    }
                }
            }
            (lat, bad, differ, unsent)
        }));
    }
    let (mut all, mut bad, mut differ, mut unsent) = (Vec::new(), 0, 0, 0);
    for h in handles {
        let (l, b, d, u) = h.join().expect("a client");
        all.extend(l);
        bad += b;
        differ += d;
        unsent += u;
    }
    let wall = t0.elapsed();
    println!(
        "{label}: gate load, {CLIENTS} clients, {RATE:.0}/s scheduled for {seconds:.0} s: {} answered in {:.1} s ({:.0}/s), {unsent} not sent within the bound; latency from the scheduled time: {}; not 200: {bad}; answers unlike the library's gate: {differ}",
        all.len(),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        quantiles(all),
    );
    // Change events: one consent withdrawn per request, one after another.
    let max_changes: usize = std::env::var("SPHERE_LOAD_CHANGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if n > 1000 { 10 } else { 40 });
    let as_of = company.as_of.to_string();
    let withdrawals: Vec<String> = company
        .consents
        .iter()
        .filter(|c| c.withdrawn.is_none() && c.given.to_string() <= as_of)
        .take(max_changes)
        .map(|c| c.id.clone())
        .collect();
    let mut changes = Vec::new();
    let mut c = connect(addr).expect("connects");
    for id in &withdrawals {
        let body = json!({"withdraw": [{"consent": id, "date": as_of}]}).to_string();
        let t = Instant::now();
        let (status, bytes) =
            send(&mut c, addr, "POST", "/v1/model/changes", TOKEN, &body).expect("answers");
        changes.push(t.elapsed());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    }
    println!(
        "{label}: change event (one consent withdrawn, answered once the findings are current): {}; bench process RSS {:.0} MiB",
        quantiles(changes),
        own_rss_mib()
    );
}

// --- soak ------------------------------------------------------------------------------------

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path, model: &str, journal: &Path) -> Server {
    let config = dir.join("server.json");
    let tokens = json!([
        {"staff": "crm", "roles": ["crm"], "sha256": hash_token(TOKEN)},
        {"staff": DPO, "roles": ["dpo"], "sha256": hash_token(DPO_TOKEN)},
    ]);
    std::fs::write(
        &config,
        json!({"format": "sphere-server/1", "tokens": tokens}).to_string(),
    )
    .expect("the configuration");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["serve", model, "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--journal")
        .arg(journal)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sphere serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = lines.next().expect("the server starts").expect("a line");
        if let Some(a) = line.strip_prefix("sphere serve: listening on http://") {
            break a.parse().expect("an address");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

fn findings_of(doc: &Value) -> Value {
    json!({"summary": doc["summary"], "findings": doc["findings"]})
}

fn run_soak(seconds: f64) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let journal = dir.path().join("soak.db");
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/facts/s12_what_if_consent.json"
    );
    let server = Arc::new(Mutex::new(start_server(dir.path(), model, &journal)));
    let addr_of = |s: &Arc<Mutex<Server>>| s.lock().expect("lock").addr;
    let first_pid = server.lock().expect("lock").child.id();
    std::thread::sleep(Duration::from_secs(1));
    let rss_start = rss_kib(first_pid);
    let addr = Arc::new(Mutex::new(addr_of(&server)));
    let heads: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let down = Arc::new(AtomicBool::new(false));
    let pause = Arc::new(AtomicBool::new(false));
    let paused = Arc::new(AtomicBool::new(false));
    let counts: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let count = |counts: &Arc<Mutex<BTreeMap<String, usize>>>, k: &str| {
        *counts
            .lock()
            .expect("lock")
            .entry(k.to_string())
            .or_default() += 1;
    };
    let record = |heads: &Arc<Mutex<Vec<(u64, String)>>>, v: &Value| {
        if let (Some(seq), Some(hash)) = (
            v["journal_head"]["seq"].as_u64(),
            v["journal_head"]["hash"].as_str(),
        ) {
            heads.lock().expect("lock").push((seq, hash.to_string()));
        }
    };
    let mut clients = Vec::new();
    // Gates: two clients, 20 a second each.
    for c in 0..2usize {
        let (addr, heads, stop, down, counts) = (
            addr.clone(),
            heads.clone(),
            stop.clone(),
            down.clone(),
            counts.clone(),
        );
        clients.push(std::thread::spawn(move || {
            let acts = ["act-s4-call", "act-s1-collect"];
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
                i += 1;
                let a = *addr.lock().expect("lock");
                let body = json!({"activity": acts[(i + c) % acts.len()]}).to_string();
                match once(a, "POST", "/v1/gate", TOKEN, &body) {
                    Some((200, v)) => {
                        record(&heads, &v);
                        count(&counts, "gate 200");
                    }
                    Some((s, v)) => {
                        count(&counts, &format!("gate {s}"));
                        eprintln!("gate {s}: {v}");
                    }
                    None if down.load(Ordering::SeqCst) => count(&counts, "gate while down"),
                    None => count(&counts, "gate transport error"),
                }
            }
        }));
    }
    // Changes: a consent given, then withdrawn; a planned call added, then removed; the
    // consent removed.
    {
        let (addr, heads, stop, down, counts, pause, paused) = (
            addr.clone(),
            heads.clone(),
            stop.clone(),
            down.clone(),
            counts.clone(),
            pause.clone(),
            paused.clone(),
        );
        clients.push(std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                if pause.load(Ordering::SeqCst) {
                    paused.store(true, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                paused.store(false, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(500));
                let k = i / 5;
                let body = match i % 5 {
                    0 => json!({"consents": [{"id": format!("cns-soak-{k}"), "subject": "subj-karl-kaufmann",
                        "purposes": ["marketing"], "channels": ["email"], "given": "2025-06-01",
                        "form": "double_opt_in", "documented": true, "obtained_by": "org-optik-ag"}]}),
                    1 => json!({"withdraw": [{"consent": format!("cns-soak-{k}"), "date": "2025-06-10"}]}),
                    2 => json!({"activities": [{"id": format!("act-soak-{k}"), "kind": "contact", "date": "2025-06-20",
                        "status": "planned", "by": "staff-sandra-bauer", "system": "sys-crm",
                        "subjects": ["subj-karl-kaufmann"], "categories": ["identity", "contact_phone"],
                        "purpose": "sales", "channel": "phone", "audience": "one_to_one",
                        "identifies_company": true, "promotional": true, "products": ["lenses"]}]}),
                    3 => json!({"remove": [{"section": "activities", "id": format!("act-soak-{k}")}]}),
                    // The withdrawn consent goes too: each cycle of five changes leaves the
                    // model as it found it, so the server's memory should level off.
                    _ => json!({"remove": [{"section": "consents", "id": format!("cns-soak-{k}")}]}),
                };
                let a = *addr.lock().expect("lock");
                match once(a, "POST", "/v1/model/changes", TOKEN, &body.to_string()) {
                    Some((200, v)) => {
                        record(&heads, &v);
                        count(&counts, "change 200");
                        i += 1;
                    }
                    Some((s, v)) => {
                        count(&counts, &format!("change {s}"));
                        eprintln!("change {s}: {v}");
                        // A change in flight at the kill may have been journaled: go on.
                        i += 1;
                    }
                    None if down.load(Ordering::SeqCst) => count(&counts, "change while down"),
                    None => count(&counts, "change transport error"),
                }
            }
        }));
    }
    // The DPO approves what waits, every two seconds.
    {
        let (addr, heads, stop, down, counts) = (
            addr.clone(),
            heads.clone(),
            stop.clone(),
            down.clone(),
            counts.clone(),
        );
        clients.push(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(2));
                let a = *addr.lock().expect("lock");
                let Some((200, pending)) = once(a, "GET", "/v1/pending", DPO_TOKEN, "") else {
                    if !down.load(Ordering::SeqCst) {
                        count(&counts, "pending error");
                    }
                    continue;
                };
                for p in pending.as_array().into_iter().flatten() {
                    if p["in_model"] != true {
                        continue;
                    }
                    let id = p["finding_id"].as_str().unwrap_or_default();
                    match once(
                        a,
                        "POST",
                        &format!("/v1/findings/{id}/approve"),
                        DPO_TOKEN,
                        r#"{"reason": "soak"}"#,
                    ) {
                        Some((200, v)) => {
                            record(&heads, &v);
                            count(&counts, "approve 200");
                        }
                        // The finding changed or vanished with a change in between.
                        Some((404, _)) => count(&counts, "approve 404 (finding gone)"),
                        Some((s, v)) => {
                            count(&counts, &format!("approve {s}"));
                            eprintln!("approve {s}: {v}");
                        }
                        None if down.load(Ordering::SeqCst) => count(&counts, "approve while down"),
                        None => count(&counts, "approve transport error"),
                    }
                }
            }
        }));
    }
    let t0 = Instant::now();
    // The server's memory every 30 s (seconds since the start, MiB), to see whether it levels
    // off while the model grows.
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let sample_until = |until: Duration, pid: u32, samples: &mut Vec<(u64, u64)>| {
        while t0.elapsed() < until {
            samples.push((t0.elapsed().as_secs(), rss_kib(pid) / 1024));
            std::thread::sleep(Duration::from_secs(30).min(until.saturating_sub(t0.elapsed())));
        }
    };
    sample_until(
        Duration::from_secs_f64(seconds / 2.0),
        first_pid,
        &mut samples,
    );
    // The kill: the changes paused so the state before is known, gates and approvals going on.
    pause.store(true, Ordering::SeqCst);
    while !paused.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let a = *addr.lock().expect("lock");
    let (_, before) = once(a, "GET", "/v1/findings", TOKEN, "").expect("findings");
    let rss_before_kill = rss_kib(first_pid);
    down.store(true, Ordering::SeqCst);
    {
        let mut s = server.lock().expect("lock");
        s.child.kill().expect("SIGKILL");
        s.child.wait().expect("gone");
    }
    let restarted = Instant::now();
    let second = start_server(dir.path(), model, &journal);
    let restart_time = restarted.elapsed();
    let second_pid = second.child.id();
    *addr.lock().expect("lock") = second.addr;
    *server.lock().expect("lock") = second;
    down.store(false, Ordering::SeqCst);
    let (_, after) =
        once(second_addr(&server), "GET", "/v1/findings", TOKEN, "").expect("findings");
    let same = findings_of(&before) == findings_of(&after);
    std::thread::sleep(Duration::from_secs(1));
    let rss_after_restart = rss_kib(second_pid);
    pause.store(false, Ordering::SeqCst);
    sample_until(Duration::from_secs_f64(seconds), second_pid, &mut samples);
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("a client");
    }
    let rss_end = rss_kib(second_pid);
    println!(
        "soak: server RSS every 30 s (s: MiB; the restart at {:.0} s): {}",
        seconds / 2.0,
        samples
            .iter()
            .map(|(t, m)| format!("{t}: {m}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    drop(server);
    let j = Journal::open(&journal, &Config::default()).expect("the journal");
    let heads = heads.lock().expect("lock").clone();
    let lost = heads
        .iter()
        .filter(|(seq, hash)| {
            j.entry(*seq)
                .ok()
                .flatten()
                .is_none_or(|e| e.hash.to_hex() != *hash)
        })
        .count();
    let entries = j.head().expect("a head").seq;
    drop(j);
    let verify = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["journal", "verify", "--journal"])
        .arg(&journal)
        .output()
        .expect("verify runs");
    println!(
        "soak: {:.0} s; requests: {:?}; journal: {entries} entries; answered heads: {}, lost: {lost}; findings after the SIGKILL and restart equal those before: {same}; restart (model and journal replay) {:.2} s; server RSS: first process {} MiB at start, {} MiB at the kill; second {} MiB after the restart, {} MiB at the end; journal verify: exit {:?}",
        t0.elapsed().as_secs_f64(),
        counts.lock().expect("lock"),
        heads.len(),
        restart_time.as_secs_f64(),
        rss_start / 1024,
        rss_before_kill / 1024,
        rss_after_restart / 1024,
        rss_end / 1024,
        verify.status.code(),
    );
}

fn second_addr(s: &Arc<Mutex<Server>>) -> SocketAddr {
    s.lock().expect("lock").addr
}

fn main() {
    let mode = std::env::var("SPHERE_LOAD_MODE").unwrap_or_default();
    if mode == "soak" {
        let seconds = std::env::var("SPHERE_SOAK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(600.0);
        run_soak(seconds);
        return;
    }
    let seconds: f64 = std::env::var("SPHERE_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0);
    let sizes = std::env::var("SPHERE_LOAD_SIZES").unwrap_or_else(|_| "demo,100000".into());
    for size in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if size == "demo" {
            let text = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/facts/demo_week.json"
            ))
            .expect("the demo week");
            run_load("demo week", &text, seconds);
            continue;
        }
        let n: u32 = size.parse().expect("an activity count");
        let mut text = Vec::new();
        sphere_model::gen::write_model(
            &sphere_model::gen::GenConfig::new((n / 10).max(1), n, 42),
            &mut text,
        )
        .expect("generated");
        let text = String::from_utf8(text).expect("UTF-8");
        run_load(&format!("generated {n}"), &text, seconds);
    }
}
