//! Property tests of the ragged kernels: Arrow lists with any offsets
//! (valid or not) never panic, and segmented reductions, slot gathers and
//! the round trip through Arrow agree with plain loops over the rows.

use std::sync::Arc;

use arrow_array::types::Int64Type;
use arrow_array::{make_array, Array as _, ListArray};
use arrow_buffer::{Buffer, NullBuffer};
use arrow_data::ArrayData;
use arrow_schema::{DataType, Field};
use blaze_ir::ops::ReduceFn;
use proptest::prelude::*;

use super::*;
use crate::value::Array;

fn rows_strategy() -> impl Strategy<Value = Vec<Option<Vec<Option<i64>>>>> {
    prop::collection::vec(
        prop::option::weighted(
            0.9,
            prop::collection::vec(prop::option::weighted(0.8, -50i64..50), 0..6),
        ),
        0..12,
    )
}

fn ints(v: &Value) -> (Vec<i64>, Vec<bool>) {
    match v {
        Value::Array {
            data: Array::Int64(a),
            missing,
        } => (
            a.iter().copied().collect(),
            missing
                .as_ref()
                .map_or(vec![false; a.len()], |m| m.iter().copied().collect()),
        ),
        other => panic!("not int64: {other:?}"),
    }
}

proptest! {
    #[test]
    fn reductions_over_rows_match_loops(rows in rows_strategy()) {
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>(rows.clone());
        let r = Ragged::from_arrow(&[rows.len()], &list).unwrap();
        let present: Vec<Vec<i64>> = rows
            .iter()
            .map(|r| r.iter().flatten().flatten().copied().collect())
            .collect();
        let Shaped::Dense(sum) = reduce_ragged(&r, ReduceFn::Sum, Some(&[1]), false, true).unwrap() else {
            panic!("sum kept the ragged axis")
        };
        let want: Vec<i64> = present.iter().map(|r| r.iter().sum()).collect();
        prop_assert_eq!(ints(&sum).0, want);
        let Shaped::Dense(max) = reduce_ragged(&r, ReduceFn::Max, None, false, true).unwrap() else {
            panic!("max kept the ragged axis")
        };
        let all_max = present.iter().flatten().copied().max();
        let (v, m) = ints(&max);
        prop_assert_eq!(m[0], all_max.is_none());
        if let Some(x) = all_max {
            prop_assert_eq!(v[0], x);
        }
        // Round trip through Arrow keeps the rows (null lists become empty).
        let back = r.to_arrow(true).unwrap();
        let again = Ragged::from_arrow(&[rows.len()], back.as_ref()).unwrap();
        prop_assert_eq!(&again, &r);
        // Gathering slots gathers rows.
        let slots: Vec<usize> = (0..rows.len()).rev().collect();
        let t = take_slots(&r, &slots, vec![slots.len()]).unwrap();
        let lens: Vec<usize> = slots.iter().map(|&s| r.row_len(s)).collect();
        prop_assert_eq!(t.row_lens(), lens);
    }

    #[test]
    fn any_offsets_are_read_or_refused_without_panic(
        offsets in prop::collection::vec(-3i32..12, 1..8),
        values in 0usize..10,
        nulls in prop::collection::vec(any::<bool>(), 7),
    ) {
        let n = offsets.len() - 1;
        let child = arrow_array::Int64Array::from((0..values as i64).collect::<Vec<_>>());
        let validity: Vec<bool> = nulls.iter().take(n).map(|b| !b).collect();
        let data = ArrayData::builder(DataType::List(Arc::new(Field::new("item", DataType::Int64, false))))
            .len(n)
            .add_buffer(Buffer::from_slice_ref(&offsets))
            .nulls(Some(NullBuffer::from(validity.clone())))
            .add_child_data(child.into_data());
        // Deliberately unvalidated: offsets as a file or a foreign caller
        // might give them.
        let list = make_array(unsafe { data.build_unchecked() });
        if let Ok(r) = Ragged::from_arrow(&[n], list.as_ref()) {
            prop_assert!(r.check().is_ok());
            let ok = offsets.windows(2).enumerate().all(|(i, w)| {
                !validity.get(i).copied().unwrap_or(true) || (0 <= w[0] && w[0] <= w[1] && w[1] as usize <= values)
            });
            prop_assert!(ok, "accepted bad offsets {:?}", offsets);
            let _ = reduce_ragged(&r, ReduceFn::Mean, Some(&[1]), false, false).unwrap();
        }
    }
}

/// No rows over a child that still holds elements (a list sliced to no
/// rows, or offsets starting past 0): an empty ragged value, not an error.
#[test]
fn no_rows_over_a_non_empty_child_are_empty() {
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![Some(3)]),
    ]);
    for empty in [list.slice(0, 0), list.slice(1, 0), list.slice(2, 0)] {
        let r = Ragged::from_arrow(&[0], &empty).unwrap();
        assert!(r.check().is_ok());
        assert_eq!(r.child_len(), 0);
        let Shaped::Dense(sum) = reduce_ragged(&r, ReduceFn::Sum, Some(&[1]), false, true).unwrap()
        else {
            panic!("sum kept the ragged axis")
        };
        assert_eq!(ints(&sum).0, Vec::<i64>::new());
    }
}
