//! What the bench binaries share: timing statistics and the generated models.

// Each bench binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::time::Duration;

use sphere::Model;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median, p99 and max of a sample, in milliseconds.
pub fn stats(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    (ms(at(0.5)), ms(at(0.99)), ms(at(1.0)))
}

/// Prints a sample's size, median, p99 and max; returns the median.
pub fn report(label: &str, times: Vec<Duration>) -> f64 {
    let n = times.len();
    let (median, p99, max) = stats(times);
    println!("{label}: n={n} median {median:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
    median
}

/// The text of `sphere gen --subjects SUBJECTS --activities ACTIVITIES --seed 42`.
pub fn generated_text(subjects: u32, activities: u32) -> String {
    let mut text = Vec::new();
    sphere_model::gen::write_model(
        &sphere_model::gen::GenConfig::new(subjects, activities, 42),
        &mut text,
    )
    .expect("generated");
    String::from_utf8(text).expect("UTF-8")
}

/// The generated model, loaded.
pub fn generated(subjects: u32, activities: u32, today: sphere::Date) -> Model {
    let text = generated_text(subjects, activities);
    Model::from_text(&format!("gen-{activities}.json"), &text, today).expect("valid")
}
