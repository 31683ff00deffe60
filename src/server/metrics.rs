//! The server's metrics in the Prometheus text format (version 0.0.4): requests by route,
//! method and status, request latencies and evaluation times as histograms, and the model's
//! size.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the histogram buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        let s = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += s;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Inner {
    /// (route, method, status) → count.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency.
    latency: BTreeMap<String, Histogram>,
    /// what (`start`, `change`) → evaluation time.
    evaluation: BTreeMap<String, Histogram>,
    /// Alarms POSTed to the webhook (sent, failed), when one is configured.
    webhook: Option<(u64, u64)>,
}

/// The counters, behind one lock (held for microseconds).
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// The size of the model the server holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelSize {
    pub activities: usize,
    pub subjects: usize,
    pub consents: usize,
    pub findings: usize,
    pub input_facts: usize,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters inconsistent in a way that
        // matters: keep counting.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let mut m = self.lock();
        *m.requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        m.latency
            .entry(route.to_string())
            .or_default()
            .observe(took);
    }

    /// A webhook is configured: its counters are shown (from zero).
    pub fn webhook_configured(&self) {
        self.lock().webhook.get_or_insert((0, 0));
    }

    /// An alarm POSTed to the webhook: `sent` when answered 2xx in time, else failed.
    pub fn webhook_post(&self, sent: bool) {
        let mut m = self.lock();
        let (ok, failed) = m.webhook.get_or_insert((0, 0));
        if sent {
            *ok += 1;
        } else {
            *failed += 1;
        }
    }

    pub fn evaluation(&self, what: &str, took: Duration) {
        self.lock()
            .evaluation
            .entry(what.to_string())
            .or_default()
            .observe(took);
    }

    /// The text format.
    pub fn render(&self, size: &ModelSize) -> String {
        let m = self.lock();
        let mut out = String::new();
        out.push_str(
            "# HELP sphere_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE sphere_http_requests_total counter\n");
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "sphere_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP sphere_http_request_duration_seconds Time to answer a request, by route.\n",
        );
        out.push_str("# TYPE sphere_http_request_duration_seconds histogram\n");
        for (route, h) in &m.latency {
            h.write(
                &mut out,
                "sphere_http_request_duration_seconds",
                &format!("route=\"{}\"", escape(route)),
            );
        }
        out.push_str("# HELP sphere_evaluation_seconds Time to evaluate the model (at start, after a change).\n");
        out.push_str("# TYPE sphere_evaluation_seconds histogram\n");
        for (what, h) in &m.evaluation {
            h.write(
                &mut out,
                "sphere_evaluation_seconds",
                &format!("what=\"{what}\""),
            );
        }
        if let Some((sent, failed)) = m.webhook {
            out.push_str("# HELP sphere_webhook_posts_total Alarms POSTed to the webhook, by outcome (failed: no 2xx answer in time; the block stays pending).\n");
            out.push_str("# TYPE sphere_webhook_posts_total counter\n");
            let _ = writeln!(
                out,
                "sphere_webhook_posts_total{{outcome=\"failed\"}} {failed}"
            );
            let _ = writeln!(out, "sphere_webhook_posts_total{{outcome=\"sent\"}} {sent}");
        }
        out.push_str("# HELP sphere_model_objects Objects of the model the server holds.\n");
        out.push_str("# TYPE sphere_model_objects gauge\n");
        for (what, n) in [
            ("activities", size.activities),
            ("subjects", size.subjects),
            ("consents", size.consents),
        ] {
            let _ = writeln!(out, "sphere_model_objects{{section=\"{what}\"}} {n}");
        }
        out.push_str("# HELP sphere_model_input_facts Input facts extracted from the model.\n");
        out.push_str("# TYPE sphere_model_input_facts gauge\n");
        let _ = writeln!(out, "sphere_model_input_facts {}", size.input_facts);
        out.push_str("# HELP sphere_findings Findings of the current model.\n");
        out.push_str("# TYPE sphere_findings gauge\n");
        let _ = writeln!(out, "sphere_findings {}", size.findings);
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
