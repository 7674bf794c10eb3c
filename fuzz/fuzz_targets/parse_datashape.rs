//! Fuzz target for the datashape front end.
//!
//! The input bytes, when valid UTF-8, are parsed as a module (type
//! definitions then at most one datashape) with a fresh environment, and as a
//! lone datashape. Nothing may panic, and:
//! - an error's span lies inside the source and is rendered;
//! - a parsed datashape prints to text that parses back to an equal value,
//!   and printing is stable (LANGUAGE.md 1.3);
//! - the definitions a module adds print (`type Name P = body`) to text that
//!   parses back to the same definitions;
//! - the datashape is expanded and unified with itself and with a few fixed
//!   datashapes, both ways round; a function type is applied with
//!   `Unifier::unify_call`.
//!
//! Run: `cargo +nightly fuzz run parse_datashape -- -max_len=256`.

#![no_main]

use blaze_datashape::{
    parse, parse_module, parse_with, unify, Datashape, Error, Measure, TypeEnv, Unifier,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const ORIGIN: &str = "<fuzz>";

/// Datashapes every parsed value is unified with.
fn fixed() -> &'static [Datashape] {
    static FIXED: OnceLock<Vec<Datashape>> = OnceLock::new();
    FIXED.get_or_init(|| {
        [
            "int32",
            "3 * 1 * float64",
            "var[4] * ?int8",
            "N * M * T",
            "... * bool",
            "Dims... * 2 * complex[float32]",
            "{a: int32, 'b c': ?string}",
            "null",
            "(int8, N * T) -> T",
        ]
        .iter()
        .map(|s| parse(s).expect("fixed datashapes parse"))
        .collect()
    })
}

fn check_error(e: &Error, src: &str) {
    assert!(
        e.span.start <= e.span.end && e.span.end <= src.len(),
        "error span {:?} outside the source ({} bytes): {src:?}: {e}",
        e.span,
        src.len()
    );
    let _ = e.render(src, ORIGIN);
}

/// `parse(print(ds)) == ds` in `env`, and printing is stable.
fn check_round_trip(src: &str, ds: &Datashape, env: &TypeEnv) {
    let printed = ds.to_string();
    let again = match parse_with(&printed, env) {
        Ok(p) => p.datashape,
        Err(e) => panic!(
            "printed form does not parse back\n  input:   {src:?}\n  printed: {printed:?}\n  error:   {e}\n  value:   {ds:?}"
        ),
    };
    assert_eq!(
        &again, ds,
        "print/re-parse changes the value\n  input:   {src:?}\n  printed: {printed:?}"
    );
    assert_eq!(
        again.to_string(),
        printed,
        "printing is not stable: {src:?}"
    );
}

fn exercise_unify(ds: &Datashape, env: &TypeEnv) {
    let _ = env.expand(ds);
    let _ = unify(ds, ds, env);
    for f in fixed() {
        let _ = unify(ds, f, env);
        let _ = unify(f, ds, env);
    }
    if let Measure::Function { params, .. } = &ds.measure {
        let args: Vec<Datashape> = fixed().iter().take(params.len()).cloned().collect();
        let _ = Unifier::new(env).unify_call(&ds.measure, &args);
    }
    for f in fixed() {
        if let Measure::Function { .. } = &f.measure {
            let _ = Unifier::new(env).unify_call(&f.measure, &[ds.clone(), ds.clone()]);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };

    let mut env = TypeEnv::new();
    match parse_module(src, &mut env) {
        Err(e) => {
            check_error(&e, src);
            assert!(env.is_empty(), "a failed module changed the environment");
        }
        Ok(module) => {
            // The definitions, printed, define the same thing again.
            if !module.defined.is_empty() {
                let text: Vec<String> = module
                    .defined
                    .iter()
                    .map(|n| {
                        env.get(n)
                            .expect("defined names are in the env")
                            .to_string()
                    })
                    .collect();
                let text = text.join("\n");
                let mut again = TypeEnv::new();
                if let Err(e) = parse_module(&text, &mut again) {
                    panic!("printed definitions do not parse back\n  input:   {src:?}\n  printed: {text:?}\n  error:   {e}");
                }
                for n in &module.defined {
                    let (a, b) = (env.get(n).unwrap(), again.get(n));
                    assert_eq!(
                        Some((&a.params, &a.body)),
                        b.map(|b| (&b.params, &b.body)),
                        "definition `{n}` changes when printed and parsed back\n  input:   {src:?}\n  printed: {text:?}"
                    );
                }
            }
            if let Some(parsed) = module.datashape {
                check_round_trip(src, &parsed.datashape, &env);
                exercise_unify(&parsed.datashape, &env);
            }
        }
    }

    let empty = TypeEnv::new();
    match parse(src) {
        Ok(ds) => {
            check_round_trip(src, &ds, &empty);
            exercise_unify(&ds, &empty);
        }
        Err(e) => check_error(&e, src),
    }
});
