//! Fuzz target for the DSL front end: parse, check, print, round trip.
//!
//! The input, when valid UTF-8, is parsed as a module and as a bare
//! expression. Nothing may panic or overflow the stack (nesting is bounded
//! by the parser), and:
//! - an error's span lies inside the source and renders;
//! - a parsed expression prints (fully parenthesized) to text that parses
//!   back and prints the same, or, nesting deeper than the source, is
//!   refused as too deep;
//! - a module that checks prints its IR, and the printed IR parses back to
//!   an equal program that prints the same.
//!
//! Run: `cargo +nightly fuzz run dsl --no-default-features -- -max_len=512`.

#![no_main]

use blaze_ir::{check_program, parse_program};
use blaze_syntax::{parse_expression, parse_module_source, Diagnostic};
use libfuzzer_sys::fuzz_target;

fn check_error(e: &Diagnostic, src: &str) {
    assert!(
        e.span.start <= e.span.end && e.span.end <= src.len(),
        "error span {:?} outside the source ({} bytes): {src:?}: {}",
        e.span,
        src.len(),
        e.message
    );
    let _ = e.render(src, "<fuzz>");
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };

    match parse_expression(src) {
        Err(e) => check_error(&e, src),
        Ok(e) => {
            let printed = e.to_string();
            match parse_expression(&printed) {
                // The printed form parenthesizes every operator, so it can
                // nest up to twice as deep as the source: past the parser's
                // limit, it is refused as too deep, not misread.
                Err(err) if err.code == "too_deep" => {}
                Err(err) => panic!(
                    "printed expression does not parse back\n  input:   {src:?}\n  printed: {printed:?}\n  error:   {}",
                    err.message
                ),
                Ok(again) => assert_eq!(
                    again.to_string(),
                    printed,
                    "print/re-parse changes the expression: {src:?}"
                ),
            }
        }
    }

    match parse_module_source(src) {
        Err(e) => check_error(&e, src),
        Ok(module) => match check_program(&module, src) {
            Err(e) => check_error(&e, src),
            Ok(program) => {
                let printed = program.to_string();
                let again = match parse_program(&printed) {
                    Ok(fs) => fs,
                    Err(e) => panic!(
                        "printed IR does not parse back\n  input:   {src:?}\n  printed:\n{printed}\n  error:   {e}"
                    ),
                };
                assert_eq!(
                    again, program.functions,
                    "print/re-parse changes the IR\n  input:   {src:?}\n  printed:\n{printed}"
                );
            }
        },
    }
});
