//! Standard output and error for every command: [`outln!`] and
//! [`errln!`] instead of `println!`/`eprintln!`, which panic when the
//! stream is gone. A closed standard output (`blaze graph … | head -1`)
//! ends the process quietly with status 0, as Unix tools do; another write
//! error on it is reported and exits 1; a closed standard error is
//! ignored.

use std::fmt;
use std::io::{self, Write};

/// Writes a line to standard output; see the module documentation for
/// what happens when it cannot be written.
macro_rules! outln {
    () => {
        $crate::out::line(format_args!(""))
    };
    ($($t:tt)*) => {
        $crate::out::line(format_args!($($t)*))
    };
}

/// Writes a line to standard error, ignoring a closed stream.
macro_rules! errln {
    () => {
        $crate::out::err(format_args!("\n"))
    };
    ($($t:tt)*) => {
        $crate::out::err(format_args!("{}\n", format_args!($($t)*)))
    };
}

/// Writes `args` and a newline to standard output.
pub(crate) fn line(args: fmt::Arguments<'_>) {
    let mut o = io::stdout().lock();
    if let Err(e) = o.write_fmt(args).and_then(|()| o.write_all(b"\n")) {
        gone(e)
    }
}

/// Writes `args` to standard error; a failure is ignored (there is nowhere
/// left to report it).
pub(crate) fn err(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Ends the process after standard output failed: quietly with status 0
/// when the reader went away, else with the error and status 1.
fn gone(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    err(format_args!(
        "error[output]: cannot write to standard output: {e}\n"
    ));
    std::process::exit(1)
}
