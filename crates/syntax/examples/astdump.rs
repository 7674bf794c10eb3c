//! Prints the parsed form of expressions given as arguments, or of a module
//! given with `-f FILE`: a debugging aid for the grammar.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("-f") {
        let Some(path) = args.get(1) else {
            eprintln!("usage: astdump -f FILE | EXPR...");
            std::process::exit(2);
        };
        let src = std::fs::read_to_string(path).unwrap_or_default();
        match blaze_syntax::parse_module_source(&src) {
            Ok(m) => {
                for t in m.types.defs() {
                    println!("{t}");
                }
                for d in &m.defs {
                    let ps: Vec<String> = d
                        .params
                        .iter()
                        .map(|p| format!("{}: {}", p.name, p.ty))
                        .collect();
                    let ret = d
                        .ret
                        .as_ref()
                        .map(|(t, _)| format!(" -> {t}"))
                        .unwrap_or_default();
                    println!("def {}({}){ret} = {}", d.name, ps.join(", "), d.body);
                }
            }
            Err(d) => print!("{}", d.render(&src, path)),
        }
        return;
    }
    for a in args {
        match blaze_syntax::parse_expression(&a) {
            Ok(e) => println!("{a}\n  => {e}"),
            Err(d) => print!("{a}\n{}", d.render(&a, "<expr>")),
        }
    }
}
