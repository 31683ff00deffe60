//! The `sphere` binary: parse arguments, run the command, map the outcome to an exit code
//! (0 ok, 1 findings that need action, 2 bad input or usage). The command line lives here, in
//! the binary alone; everything it runs is the `sphere` library.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    cli::main()
}
