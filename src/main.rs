//! The `sphere` binary: parse arguments, run the command, map the outcome to an exit code
//! (0 ok, 1 findings that need action, 2 bad input or usage).

use std::process::ExitCode;

/// Huge pages for the large tables of an evaluation (see `sphere_engine::alloc`).
#[global_allocator]
static ALLOC: sphere_engine::alloc::HugePages = sphere_engine::alloc::HugePages;

fn main() -> ExitCode {
    sphere::cli::main()
}
