//! The `sphere` binary: parse arguments, run the command, map the outcome to an exit code
//! (0 ok, 1 findings that need action, 2 bad input or usage).

use std::process::ExitCode;

fn main() -> ExitCode {
    sphere::cli::main()
}
