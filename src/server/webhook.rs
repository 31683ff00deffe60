//! The DPO's alarm over HTTP: when a gate of the server journals a new block, the finding is
//! POSTed as JSON to the webhook URL of the configuration, once per finding and facts (the
//! gates that alert are the ones that appended the `block` entry, see [`crate::gate::gate`]).
//!
//! The POST is made after the block is durable and off the request path: a worker thread
//! takes the alarms from a queue, in order, each with a short timeout, so a slow or failing
//! receiver never delays or loses a gate's answer. A failed POST is reported on stderr and
//! counted in `/metrics` (`sphere_webhook_posts_total{outcome="failed"}`); the block stays
//! in the journal and `GET /v1/pending` (and `sphere pending`) lists it, so the alarm is not
//! lost. Plain HTTP/1.1 over `std::net::TcpStream`: `http://` URLs only (an
//! `https://` URL is refused when the server starts, with a hint).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// How long a POST may take to connect, to send, and to be answered.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A parsed `http://HOST[:PORT][/PATH]` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// The URL as configured.
    pub url: String,
    host: String,
    port: u16,
    path: String,
}

impl Webhook {
    /// Parses a webhook URL; `at` names where it was given (a configuration's JSON path).
    pub fn parse(at: &str, url: &str) -> Result<Webhook> {
        let bad = |msg: String, hint: &str| {
            Error::new(ErrorKind::Usage, format!("{at}: {msg}")).with_hint(hint.to_string())
        };
        if url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            return Err(bad(
                format!("`{url}`: https is not supported for the webhook"),
                "give an http:// URL on the internal network, or one of a local proxy that forwards to the https receiver",
            ));
        }
        let Some(rest) = url
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("http://"))
            .map(|_| &url[7..])
        else {
            return Err(bad(
                format!("`{url}` is not an http:// URL"),
                "write e.g. \"webhook\": \"http://alerts.internal:8090/sphere\"",
            ));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(bad(
                format!("`{url}` holds credentials"),
                "the configuration holds no secrets in clear: let the receiver accept the server's address instead",
            ));
        }
        // `[v6]:port`, `[v6]`, `host:port`, `host`.
        let split = match authority.strip_prefix('[').and_then(|r| r.split_once(']')) {
            Some((v6, rest)) => (format!("[{v6}]"), rest.strip_prefix(':')),
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            },
        };
        let (host, port) = match split {
            (h, Some(p)) => {
                let port = p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    bad(
                        format!("`{url}`: `{p}` is not a port"),
                        "a port is a number from 1 to 65535",
                    )
                })?;
                (h, port)
            }
            (h, None) => (h, 80),
        };
        if host.is_empty() || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                format!("`{url}` has no host or a path with spaces"),
                "write e.g. \"webhook\": \"http://alerts.internal:8090/sphere\"",
            ));
        }
        Ok(Webhook {
            url: url.to_string(),
            host,
            port,
            path,
        })
    }

    /// POSTs `body` (JSON) and returns the status code of a 2xx answer; anything else is an
    /// error in words.
    pub fn post(&self, body: &str, user_agent: &str) -> std::result::Result<u16, String> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<_> = (host, self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?
            .collect();
        let mut last = format!("{} has no address", self.host);
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = format!("cannot connect to {a}: {e}"),
            }
        }
        let mut s = stream.ok_or(last)?;
        s.set_read_timeout(Some(TIMEOUT))
            .and_then(|()| s.set_write_timeout(Some(TIMEOUT)))
            .map_err(|e| format!("cannot set the timeouts: {e}"))?;
        let host_header = if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {user_agent}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            body.len()
        );
        s.write_all(request.as_bytes())
            .map_err(|e| format!("cannot send: {e}"))?;
        // The status line is all we need; read at most a little.
        let mut head = Vec::new();
        let mut buf = [0u8; 512];
        while !head.contains(&b'\n') && head.len() < 4096 {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
                Err(e) => return Err(format!("no answer: {e}")),
            }
        }
        let line = String::from_utf8_lossy(&head);
        let line = line.lines().next().unwrap_or("");
        let code = line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|_| line.starts_with("HTTP/"))
            .ok_or_else(|| format!("not an HTTP answer: `{}`", line.trim()))?;
        if (200..300).contains(&code) {
            Ok(code)
        } else {
            Err(format!("the receiver answered `{}`", line.trim()))
        }
    }
}

/// The webhook of a configuration file's text (`$.webhook`), when it has one; `name` is the
/// file in every problem. The rest of the file is [`super::Auth::from_text`]'s.
pub fn from_config(name: &str, text: &str) -> Result<Option<Webhook>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::Usage,
            format!("{name}:{}:{}: not valid JSON: {e}", e.line(), e.column()),
        )
    })?;
    match doc.get("webhook") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(url)) => Webhook::parse(&format!("{name}: $.webhook"), url).map(Some),
        Some(other) => Err(Error::new(
            ErrorKind::Usage,
            format!("{name}: $.webhook: expected a URL as a string, found {other}"),
        )
        .with_hint("write e.g. \"webhook\": \"http://alerts.internal:8090/sphere\"")),
    }
}

enum Job {
    /// The finding's id (for the log) and the alarm's JSON.
    Post(String, String),
    /// Answer once every alarm queued before is done.
    Flush(mpsc::Sender<()>),
}

/// The queue of alarms and the worker thread that POSTs them, in order.
pub(crate) struct Alarms {
    queue: Mutex<mpsc::Sender<Job>>,
}

impl Alarms {
    /// Starts the worker; each POST's outcome is counted in `metrics`
    /// (`sphere_webhook_posts_total`).
    pub(crate) fn start(
        hook: Webhook,
        user_agent: String,
        metrics: Arc<super::metrics::Metrics>,
    ) -> Result<Alarms> {
        metrics.webhook_configured();
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sphere-webhook".into())
            .spawn(move || {
                for job in rx {
                    match job {
                        Job::Post(id, body) => {
                            let posted = hook.post(&body, &user_agent);
                            metrics.webhook_post(posted.is_ok());
                            if let Err(e) = posted {
                                eprintln!(
                                    "warning: the webhook {} for {id} failed: {e}\n  hint: the block is recorded; GET /v1/pending and `sphere pending` list it",
                                    hook.url
                                );
                            }
                        }
                        Job::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the thread that sends the webhook's alarms: {e}"),
                )
            })?;
        Ok(Alarms {
            queue: Mutex::new(tx),
        })
    }

    /// Queues one alarm; never waits for the POST.
    pub(crate) fn send(&self, finding_id: &str, doc: &Value) {
        let body = doc.to_string();
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        // The worker lives as long as the queue: a send cannot fail.
        let _ = queue.send(Job::Post(finding_id.to_string(), body));
    }

    /// Waits until every alarm queued so far was POSTed (or failed).
    pub(crate) fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            if queue.send(Job::Flush(tx)).is_err() {
                return;
            }
        }
        let _ = rx.recv();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_and_https_is_refused_with_a_hint() {
        let w = Webhook::parse("$.webhook", "http://alerts.internal:8090/sphere?k=1").expect("ok");
        assert_eq!(
            (w.host.as_str(), w.port, w.path.as_str()),
            ("alerts.internal", 8090, "/sphere?k=1")
        );
        let w = Webhook::parse("$.webhook", "http://127.0.0.1").expect("ok");
        assert_eq!((w.port, w.path.as_str()), (80, "/"));
        let w = Webhook::parse("$.webhook", "http://[::1]:9000/a").expect("ok");
        assert_eq!((w.host.as_str(), w.port), ("[::1]", 9000));
        let e = Webhook::parse("$.webhook", "https://alerts.example/x").expect_err("https");
        assert!(
            e.message().contains("https is not supported"),
            "{}",
            e.message()
        );
        assert!(e.hint().is_some_and(|h| h.contains("http://")));
        for bad in [
            "ftp://x",
            "http://",
            "http://h:99999/",
            "http://u:p@h/",
            "alerts",
        ] {
            let e = Webhook::parse("$.webhook", bad).expect_err(bad);
            assert!(e.message().starts_with("$.webhook: "), "{}", e.message());
        }
    }
}
