//! The CSV reader on the shapes of text it must take: quoted cells with
//! commas and doubled quotes, CRLF line ends, blank lines, a last line
//! without a line break, a byte-order mark before the header, invalid
//! UTF-8 (reported on its line), and files large enough to be parsed in
//! parallel parts, whose values, missing cells and error lines must be
//! those of a plain line-by-line reading — in one read and by small blocks.

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::Array as _;
use blaze_datashape::parse;
use blaze_interp::{Array, Value};
use blaze_runtime::io::csv::CsvFile;
use std::fmt::Write as _;
use std::path::Path;

fn field<'a>(v: &'a Value, name: &str) -> &'a Value {
    match v {
        Value::Record(fs) => fs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no field {name}")),
        other => panic!("not a record: {other:?}"),
    }
}

fn strings(v: &Value) -> Vec<Option<String>> {
    match v {
        Value::Column(c) => c
            .array
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(str::to_string))
            .collect(),
        other => panic!("not a column: {other:?}"),
    }
}

fn ints(v: &Value) -> (Vec<i64>, Option<Vec<bool>>) {
    match v {
        Value::Array {
            data: Array::Int64(a),
            missing,
        } => (
            a.iter().copied().collect(),
            missing.as_ref().map(|m| m.iter().copied().collect()),
        ),
        other => panic!("not int64: {other:?}"),
    }
}

fn read(path: &Path, ty: &str) -> Result<Value, String> {
    let ty = parse(ty).unwrap();
    CsvFile::open(path, &ty)
        .and_then(|f| f.read_all())
        .map_err(|e| e.to_string())
}

/// Reads `path` by blocks of `rows` rows and joins the blocks' fields.
fn read_blocks(path: &Path, ty: &str, rows: usize) -> Vec<Value> {
    let ty = parse(ty).unwrap();
    let f = CsvFile::open(path, &ty).unwrap();
    let mut r = f.reader().unwrap();
    let mut blocks = Vec::new();
    while let Some(b) = r.next_block(rows).unwrap() {
        blocks.push(b);
    }
    r.finish().unwrap();
    blocks
}

#[test]
fn quotes_crlf_blank_lines_and_a_last_line_without_a_break() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("q.csv");
    let text = "name,k\r\n\"a, b\",1\r\n\r\n  \"say \"\"hi\"\"\" ,2\r\n\"\",3\r\nplain,4";
    std::fs::write(&path, text).unwrap();
    let v = read(&path, "var * {name: ?string, k: int64}").unwrap();
    assert_eq!(
        strings(field(&v, "name")),
        vec![
            Some("a, b".into()),
            Some("say \"hi\" ".into()),
            None,
            Some("plain".into())
        ]
    );
    assert_eq!(ints(field(&v, "k")).0, vec![1, 2, 3, 4]);
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_header() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("bom.csv");
    std::fs::write(&path, b"\xEF\xBB\xBFa,b\n1,2\n3,4\n").unwrap();
    let v = read(&path, "var * {a: int64, b: int64}").unwrap();
    assert_eq!(ints(field(&v, "a")).0, vec![1, 3]);
    // Without a header, the mark is not part of the first cell either.
    std::fs::write(&path, b"\xEF\xBB\xBF5,6\n").unwrap();
    let v = read(&path, "var * {a: int64, b: int64}").unwrap();
    assert_eq!(ints(field(&v, "a")).0, vec![5]);
}

#[test]
fn invalid_utf8_is_reported_on_its_line() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("u.csv");
    std::fs::write(&path, b"s,k\nok,1\nb\xFFd,2\n").unwrap();
    let e = read(&path, "var * {s: string, k: int64}").unwrap_err();
    assert!(e.contains("u.csv:3:") && e.contains("UTF-8"), "{e}");
}

/// A file of `n` rows, large enough to be split into parallel parts.
fn big(n: usize) -> String {
    let mut s = String::from("id,name,price,k\n");
    for i in 0..n {
        if i % 1000 == 999 {
            s.push('\n'); // a blank line now and then
        }
        let name = if i % 7 == 0 {
            String::new()
        } else {
            format!("\"n,{i}\"")
        };
        let price = if i % 5 == 0 {
            String::new()
        } else {
            format!("{}.{:02}", i / 100, i % 100)
        };
        let k = if i % 11 == 0 {
            "NA".into()
        } else {
            i.to_string()
        };
        writeln!(s, "{i},{name},{price},{k}").unwrap();
    }
    s
}

const BIG: &str = "var * {id: int64, name: ?string, price: ?decimal[12, 2], k: ?int64}";

fn check_big(v: &Value, n: usize) {
    let (id, _) = ints(field(v, "id"));
    assert_eq!(id, (0..n as i64).collect::<Vec<_>>());
    let names = strings(field(v, "name"));
    let prices = match field(v, "price") {
        Value::Column(c) => c.array.as_primitive::<Decimal128Type>().clone(),
        other => panic!("{other:?}"),
    };
    let (k, k_missing) = ints(field(v, "k"));
    let k_missing = k_missing.unwrap();
    for i in 0..n {
        let want = (i % 7 != 0).then(|| format!("n,{i}"));
        assert_eq!(names[i], want, "row {i}");
        assert_eq!(prices.is_null(i), i % 5 == 0, "row {i}");
        if i % 5 != 0 {
            assert_eq!(prices.value(i), i as i128, "row {i}");
        }
        assert_eq!(k_missing[i], i % 11 == 0, "row {i}");
        if i % 11 != 0 {
            assert_eq!(k[i], i as i64, "row {i}");
        }
    }
}

#[test]
fn large_files_read_the_same_in_one_read_and_by_blocks() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("big.csv");
    let n = 60_000;
    std::fs::write(&path, big(n)).unwrap();
    let v = read(&path, BIG).unwrap();
    check_big(&v, n);
    // Blocks of rows: every row once, in order.
    for rows in [1, 999, 25_000] {
        let blocks = read_blocks(&path, BIG, rows);
        let mut ids = Vec::new();
        for b in &blocks {
            ids.extend(ints(field(b, "id")).0);
        }
        assert_eq!(ids, (0..n as i64).collect::<Vec<_>>(), "blocks of {rows}");
        assert_eq!(blocks.len(), n.div_ceil(rows), "blocks of {rows}");
    }
}

#[test]
fn an_error_deep_in_a_large_file_names_its_line() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("bad.csv");
    let n = 60_000;
    let mut text = big(n);
    // Row 50,000 is on line 50,000 + 2 + the blank lines before it (49).
    let needle = "\n50000,";
    let at = text.find(needle).unwrap() + 1;
    text.replace_range(at..at + 5, "5x000");
    std::fs::write(&path, &text).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let e = read(&path, BIG).unwrap_err();
    assert!(
        e.contains(&format!(
            "bad.csv:{line}: field `id`: `5x000` is not an int64"
        )),
        "{e}"
    );
    // The first error in the file is the one reported.
    let early = text.find("\n10,").unwrap() + 1;
    text.replace_range(early..early + 2, "1y");
    std::fs::write(&path, &text).unwrap();
    let e = read(&path, BIG).unwrap_err();
    assert!(
        e.contains("bad.csv:12: field `id`: `1y` is not an int64"),
        "{e}"
    );
}
