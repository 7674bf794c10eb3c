//! `blaze demo`: the built-in demonstration. For now it shows the datashape
//! layer on the seed examples; it grows with the project.

use crate::{canonical, Failure};
use blaze::datashape::{parse, parse_module, unify, TypeEnv};

/// The seed's comma spellings and their modern forms.
const SPELLINGS: &[&str] = &[
    "5, 5, int32",
    "300, Record(uid=int32, name=string)",
    "Var(25), Record(uid=int32, name=string)",
    "200, 300, Either(int32, na)",
    "Var, float64",
    "3, 2, Var(10), int32",
];

const DEFINITIONS: &str = "\
type RGBA = {r: uint8, g: uint8, b: uint8, a: uint8}
type Stock = {name: string, open: decimal[18, 4], close: decimal[18, 4], max: int64, min: int64}
type SquareMatrix A = N * N * A
type Mesh A B = 5 * 5 * {x: A, y: B}
type Portfolio R = R * Stock
type Quaternion = 4 * float64";

const USES: &[&str] = &[
    "N * M * 800 * 600 * RGBA",
    "SquareMatrix float32",
    "Mesh int32 float64",
    "Portfolio 100",
    "10 * 10 * Quaternion",
];

const UNIFICATIONS: &[(&str, &str)] = &[
    ("3, 2, Var(10), int32", "1, Var(100), float32"),
    ("N * 1 * int8", "7 * uint8"),
    ("10 * ?int32", "float64"),
    ("var[3] * complex64", "5 * float64"),
];

pub(crate) fn run() -> Result<(), Failure> {
    println!(
        "blaze {} — datashapes: one language for shape and element type\n",
        env!("CARGO_PKG_VERSION")
    );

    println!("The seed's spellings, printed canonically:");
    let mut env = TypeEnv::new();
    for src in SPELLINGS {
        match canonical(src, &mut env) {
            Ok(Some(ds)) => println!("  {src:<42} => {ds}"),
            Ok(None) => {}
            Err(e) => return report(&e.render(src, "<demo>")),
        }
    }

    println!("\nType definitions, applied and expanded:");
    if let Err(e) = parse_module(DEFINITIONS, &mut env) {
        return report(&e.render(DEFINITIONS, "<demo>"));
    }
    for def in env.defs() {
        println!("  {def}");
    }
    for src in USES {
        match canonical(src, &mut env) {
            Ok(Some(ds)) => println!("  {src:<28} => {}", env.expand(&ds)),
            Ok(None) => {}
            Err(e) => return report(&e.render(src, "<demo>")),
        }
    }

    println!("\nUnification (broadcasting + promotion):");
    for (a, b) in UNIFICATIONS {
        let (Ok(x), Ok(y)) = (parse(a), parse(b)) else {
            return report("demo inputs failed to parse");
        };
        match unify(&x, &y, &env) {
            Ok(u) => println!("  {a:<22} ⊔ {b:<22} = {u}"),
            Err(e) => return report(&e.message),
        }
    }

    println!("\nErrors point at the offending text:");
    for bad in [
        "5 * 3",
        "3 * 4, int32",
        "{a: int32, a: float64}",
        "SquareMatrix int32 int32",
    ] {
        if let Err(e) = canonical(bad, &mut env) {
            for line in e.render(bad, "<demo>").lines() {
                println!("  {line}");
            }
        }
    }
    let (Ok(x), Ok(y)) = (parse("3 * 4 * int32"), parse("5 * int32")) else {
        return report("demo inputs failed to parse");
    };
    if let Err(e) = unify(&x, &y, &env) {
        println!("  3 * 4 * int32 ⊔ 5 * int32: {}", e.message);
    }
    println!(
        "\nTry: blaze datashape '3, 2, Var(10), int32'   blaze unify '3 * 1 * int8' '4 * uint8'"
    );
    Ok(())
}

fn report(msg: &str) -> Result<(), Failure> {
    eprintln!("{msg}");
    Err(Failure)
}
