//! The plan as text: [`StreamPlan::tasks`], the task graph one task a line
//! (what `blaze graph` prints), and `Display`, the plan by parts (what
//! `blaze explain` prints): each pass's block function, its partials and
//! how they combine, the small work between passes, the tail, the blocks.

use super::classify::Merge;
use super::{Pass, Source, StreamPlan};
use blaze_ir::NodeId;
use std::fmt;

impl StreamPlan {
    /// The task graph, one task a line: reads, block computations, combines
    /// of partial results, writes, and the tail. A program of several
    /// passes has a comment line before each (`# pass 1 of 2: …`) and
    /// task names starting with their pass (`p1-A`).
    /// An input of several files comes first, as a comment line with
    /// their count and names.
    pub fn tasks(&self, out: Option<&str>) -> Vec<String> {
        let mut lines: Vec<String> = self
            .described
            .iter()
            .map(|(n, d)| format!("# {n}: {d}"))
            .collect();
        lines.extend(self.tasks_of(out, &|_| true));
        lines
    }

    /// The input rows of block `b`, and the file they are in when blocks
    /// follow the files of an input.
    fn block_range(&self, b: usize) -> (usize, usize, Option<&std::path::Path>) {
        if let Some(pieces) = &self.pieces {
            let (mut at, mut k) = (0usize, b);
            for (path, rows) in pieces {
                let n = rows.div_ceil(self.block);
                if k < n {
                    let r0 = at + k * self.block;
                    let r1 = (r0 + self.block).min(at + rows);
                    return (r0, r1, Some(path));
                }
                k -= n;
                at += rows;
            }
        }
        if let Some(s) = &self.slice {
            let r0 = s
                .start
                .saturating_add(b.saturating_mul(s.chunk(self.block)));
            let r1 = r0
                .saturating_add(s.chunk(self.block))
                .min(s.stop.unwrap_or(usize::MAX));
            return (r0, r1, None);
        }
        (
            b * self.block,
            ((b + 1) * self.block).min(self.rows.unwrap_or(usize::MAX)),
            None,
        )
    }

    /// The prefix of pass `k`'s task names (none for a single pass).
    fn prefix(&self, k: usize) -> String {
        if self.passes.len() > 1 {
            format!("p{}-", k + 1)
        } else {
            String::new()
        }
    }

    /// The task that holds the value of `node` computed by an earlier pass
    /// or between passes.
    fn value_key(&self, node: NodeId, last: &str) -> String {
        for (k, p) in self.passes.iter().enumerate() {
            if p.frontier.iter().any(|(n, _)| *n == node) {
                return format!("('{}%{}-acc', {last})", self.prefix(k), node.0);
            }
            if p.before.as_ref().is_some_and(|t| t.roots.contains(&node)) {
                return format!("('{}%{}',)", self.prefix(k), node.0);
            }
        }
        format!("('%{}',)", node.0)
    }

    /// What pass `k` computes and feeds, in words.
    fn pass_summary(&self, k: usize) -> String {
        let pass = &self.passes[k];
        let what: Vec<String> = pass
            .frontier
            .iter()
            .zip(&pass.labels)
            .map(|((n, m), l)| match m {
                Some(_) => l.clone(),
                None => format!("the rows result %{}", n.0),
            })
            .collect();
        let feeds = if k + 1 < self.passes.len() {
            format!("; feeds pass {}", k + 2)
        } else if self.tail.is_some() {
            "; feeds the tail".into()
        } else {
            String::new()
        };
        format!(
            "pass {} of {}: reads every block, computes {}{feeds}",
            k + 1,
            self.passes.len(),
            what.join(", ")
        )
    }

    /// The tasks of the blocks `keep` accepts, pass by pass; a line `...`
    /// stands for each run of the others.
    fn tasks_of(&self, out: Option<&str>, keep: &dyn Fn(usize) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        let known = self.blocks();
        let last = known.map_or("last".to_string(), |b| (b - 1).to_string());
        for (k, pass) in self.passes.iter().enumerate() {
            let pre = self.prefix(k);
            if self.passes.len() > 1 {
                lines.push(format!("# {}", self.pass_summary(k)));
            }
            if let Some(t) = &pass.before {
                let from: Vec<String> = t
                    .sources
                    .iter()
                    .filter_map(|s| match s {
                        Source::Node(n) => Some(self.value_key(*n, &last)),
                        Source::Param(_) => None,
                    })
                    .collect();
                for (n, l) in t.roots.iter().zip(&t.labels) {
                    lines.push(format!("('{pre}%{}',): {l} <- {}", n.0, from.join(", ")));
                }
            }
            let mut skipped = false;
            for b in 0..known.unwrap_or(2) {
                if keep(b) {
                    lines.extend(self.block_tasks(k, pass, b, out, &last));
                    skipped = false;
                } else if !skipped {
                    lines.push("...".into());
                    skipped = true;
                }
            }
            if known.is_none() {
                lines.push("... one block after another, to the end of the input".into());
            }
        }
        if let Some(t) = &self.tail {
            let accs: Vec<String> = t
                .sources
                .iter()
                .filter_map(|s| match s {
                    Source::Node(n) => Some(self.value_key(*n, &last)),
                    Source::Param(_) => None,
                })
                .collect();
            lines.push(format!("('result',): tail <- {}", accs.join(", ")));
        } else if let Some(o) = out {
            lines.push(format!("('finish',): sync and rename {o}"));
        }
        lines
    }

    /// The tasks of block `b` of pass `k`.
    fn block_tasks(
        &self,
        k: usize,
        pass: &Pass,
        b: usize,
        out: Option<&str>,
        last: &str,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        let pre = self.prefix(k);
        let streamed: Vec<&str> = self.streamed_inputs().collect();
        let (r0, r1, file) = self.block_range(b);
        let mut reads: Vec<String> = streamed
            .iter()
            .map(|n| format!("('{pre}{n}', {b})"))
            .collect();
        reads.extend(pass.sources.iter().filter_map(|s| match s {
            Source::Node(n) => Some(self.value_key(*n, last)),
            Source::Param(_) => None,
        }));
        let from = file.map_or(String::new(), |p| {
            let name = p.file_name().unwrap_or(p.as_os_str());
            format!(" ({})", name.to_string_lossy())
        });
        let every = match &self.slice {
            Some(s) if s.step > 1 => format!(", every {}", s.step),
            _ => String::new(),
        };
        for n in &streamed {
            lines.push(format!(
                "('{pre}{n}', {b}): read rows {r0}..{r1}{every}{from}"
            ));
        }
        for ((node, comb), label) in pass.frontier.iter().zip(&pass.labels) {
            lines.push(format!(
                "('{pre}%{}', {b}): {label} <- {}",
                node.0,
                reads.join(", ")
            ));
            match comb {
                Some(c) if b > 0 => lines.push(format!(
                    "('{pre}%{}-acc', {b}): ('{pre}%{}-acc', {}) {} ('{pre}%{}', {b})",
                    node.0,
                    node.0,
                    b - 1,
                    c.name(),
                    node.0
                )),
                Some(_) => {}
                None if self.slice.is_some() => lines.push(format!(
                    "('out', {b}): write the block's rows of the slice to {} <- ('{pre}%{}', {b})",
                    out.unwrap_or("memory"),
                    node.0
                )),
                None => lines.push(format!(
                    "('out', {b}): write rows {r0}..{r1} of {} <- ('{pre}%{}', {b})",
                    out.unwrap_or("memory"),
                    node.0
                )),
            }
        }
        lines
    }
}

impl fmt::Display for StreamPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let streamed: Vec<&str> = self.streamed_inputs().collect();
        let whole: Vec<&str> = self
            .params
            .iter()
            .filter(|(_, s)| !*s)
            .map(|(n, _)| n.as_str())
            .collect();
        let passes = match self.passes.len() {
            1 => "one pass".to_string(),
            n => format!("{n} passes (the inputs are read {n} times)"),
        };
        match (self.rows, self.blocks()) {
            (Some(rows), Some(blocks)) => writeln!(
                f,
                "streamed: {rows} rows in {blocks} blocks of {} rows, {passes}",
                self.block
            )?,
            _ => writeln!(
                f,
                "streamed: rows known at the end of the input, in blocks of {} rows, {passes}",
                self.block
            )?,
        }
        writeln!(f, "read by blocks of rows: {}", streamed.join(", "))?;
        if let Some(s) = &self.slice {
            let stop = s.stop.map_or(String::new(), |e| e.to_string());
            writeln!(
                f,
                "read through the row slice {}:{stop}:{} (only those rows are read)",
                s.start, s.step
            )?;
        }
        if !whole.is_empty() {
            writeln!(f, "read whole: {}", whole.join(", "))?;
        }
        let many = self.passes.len() > 1;
        for (k, pass) in self.passes.iter().enumerate() {
            if let Some(t) = &pass.before {
                writeln!(
                    f,
                    "before pass {} (runs once on the partials of the passes before):",
                    k + 1
                )?;
                for line in t.f.function().to_string().lines() {
                    writeln!(f, "  {line}")?;
                }
            }
            if many {
                writeln!(f, "{}", self.pass_summary(k))?;
            }
            if pass.parallel {
                writeln!(
                    f,
                    "block function (runs on every block; with two threads or more, two blocks at a time on half the threads each):"
                )?;
            } else {
                writeln!(f, "block function (runs on every block):")?;
            }
            for line in pass.block_fn.function().to_string().lines() {
                writeln!(f, "  {line}")?;
            }
            for line in pass.block_fn.to_string().lines() {
                writeln!(f, "  {line}")?;
            }
            for ((node, comb), label) in pass.frontier.iter().zip(&pass.labels) {
                match comb {
                    Some(c @ Merge::Centred { mean }) => writeln!(
                        f,
                        "partial %{}: {label}; each block centred by its own mean %{}, combined across blocks in order with {} (by the means: one pass)",
                        node.0,
                        pass.frontier.get(*mean).map_or(0, |(m, _)| m.0),
                        c.name()
                    )?,
                    Some(c) => writeln!(
                        f,
                        "partial %{}: {label}; combined across blocks in order with {}",
                        node.0,
                        c.name()
                    )?,
                    None => writeln!(
                        f,
                        "rows result %{}: {label}; written block by block",
                        node.0
                    )?,
                }
            }
        }
        if let Some(t) = &self.tail {
            writeln!(f, "tail (runs once on the combined partials):")?;
            for line in t.f.function().to_string().lines() {
                writeln!(f, "  {line}")?;
            }
            for line in t.f.to_string().lines() {
                writeln!(f, "  {line}")?;
            }
        }
        writeln!(f, "tasks (the first two blocks and the last):")?;
        let last = self.blocks().map_or(1, |b| b - 1);
        for line in self.tasks_of(None, &|b| b < 2 || b == last) {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}
