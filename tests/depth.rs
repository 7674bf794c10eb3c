//! Nesting and long chains: deep programs are refused with an error naming
//! where, long flat chains compile and give the right result, and nothing
//! overflows the stack, on threads with a 256 KiB stack too.

use blaze::datashape::{self, ErrorKind, MAX_NESTING};
use blaze::{compile, compile_expr, input, Engine, Error};
use ndarray::array;

/// A thread stack as small as some C hosts give their threads.
const SMALL_STACK: usize = 256 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn a thread")
        .join()
        .expect("the thread finishes without a panic or overflow")
}

fn parens(n: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(n), ")".repeat(n))
}

fn chain(n: usize) -> String {
    vec!["x"; n].join(" + ")
}

#[test]
fn nesting_past_the_limit_is_an_error_naming_where() {
    let src = parens(400, "x");
    let err = compile_expr(&src, &[("x", "float64")]).unwrap_err();
    let Error::Compile { .. } = &err else {
        panic!("a compile error, not {err:?}");
    };
    let text = err.to_string();
    assert!(
        text.contains(&format!("nesting deeper than {MAX_NESTING}")),
        "{text}"
    );
    // The caret is under the parenthesis one level too deep.
    assert!(text.contains(&format!(":1:{}", MAX_NESTING + 1)), "{text}");

    // The same in a module, and for the other prefix forms.
    let deep = [
        format!("def f(x: float64) = {}", parens(300, "x")),
        format!("def f(x: float64) = {}x", "-".repeat(300)),
        format!("def f(x: bool) = {}x", "not ".repeat(300)),
        format!("def f(x: float64) = {}x", "let a = x in ".repeat(300)),
        format!("def f(x: float64) = x{}", " ** x".repeat(300)),
    ];
    for src in deep {
        let err = compile(&src).unwrap_err();
        assert!(err.to_string().contains("nesting deeper than"), "{err}");
    }
}

#[test]
fn nesting_at_the_limit_works_on_a_small_stack() {
    let v = on_small_stack(|| {
        let k = compile_expr(&parens(MAX_NESTING - 1, "x + 1"), &[("x", "3 * float64")])?;
        let x = array![1.0, 2.0, 3.0];
        k.call_array::<f64>(&[input(&x)])
    })
    .unwrap();
    assert_eq!(v, array![2.0, 3.0, 4.0].into_dyn());

    let err = on_small_stack(|| compile_expr(&parens(400, "x"), &[("x", "float64")]).err());
    assert!(err.is_some_and(|e| e.to_string().contains("nesting deeper than")));
}

#[test]
fn a_chain_of_100000_terms_gives_the_right_result() {
    let n = 100_000;
    let k = compile_expr(&chain(n), &[("x", "3 * float64")]).unwrap();
    let x = array![1.0, 0.5, 0.1];
    let jit = k.call_array::<f64>(&[input(&x)]).unwrap();
    // Summed left to right, as written.
    let expect: Vec<f64> = x
        .iter()
        .map(|v| (1..n).fold(*v, |acc, _| acc + *v))
        .collect();
    assert_eq!(jit.iter().copied().collect::<Vec<_>>(), expect);
    let interp = k
        .with_engine(Engine::Interp)
        .call_array::<f64>(&[input(&x)])
        .unwrap();
    assert_eq!(interp, jit);
}

#[test]
fn long_chains_work_on_a_small_stack() {
    let v = on_small_stack(|| {
        let m = compile(&format!(
            "def f(x: 2 * int64) = {}\ndef g(x: 2 * int64) = -x{}",
            chain(20_000),
            "[0:2]".repeat(2_000)
        ))?;
        let x = array![1i64, 3];
        let f = m.kernel("f")?.call_array::<i64>(&[input(&x)])?;
        let g = m.kernel("g")?.call_array::<i64>(&[input(&x)])?;
        Ok::<_, Error>((f, g))
    })
    .unwrap();
    assert_eq!(v.0, array![20_000i64, 60_000].into_dyn());
    assert_eq!(v.1, array![-1i64, -3].into_dyn());
}

#[test]
fn deeply_nested_datashapes_are_an_error() {
    let records = format!("{}int32{}", "{a: ".repeat(5_000), "}".repeat(5_000));
    let err = datashape::parse(&records).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooDeep);
    assert!(
        err.message.contains("nesting deeper than"),
        "{}",
        err.message
    );
    assert_eq!(err.span.start, 4 * MAX_NESTING);

    let err = compile_expr("x", &[("x", &records)]).unwrap_err();
    assert!(err.to_string().contains("nesting deeper than"), "{err}");

    let err = on_small_stack(move || compile(&format!("def f(x: {records}) = x")).err());
    assert!(err.is_some_and(|e| e.to_string().contains("nesting deeper than")));

    // At the limit, a datashape parses and prints back on a small stack.
    let ok = format!(
        "{}int32{}",
        "{a: ".repeat(MAX_NESTING),
        "}".repeat(MAX_NESTING)
    );
    let printed = on_small_stack(move || datashape::parse(&ok).map(|d| d.to_string()));
    assert!(printed.is_ok_and(|p| p.starts_with("{a: {a: ")));
}
