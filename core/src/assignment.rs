//! Optimal one-to-one assignment between two sets, the step shared by the tracker (tracks ↔
//! detections) and the tracking metrics (truth ↔ hypotheses, truth trajectories ↔ tracks).
//! Both solve it with the Hungarian method (`pathfinding`'s Kuhn–Munkres); this module hides
//! its shape rule (rows ≤ columns) and the handling of pairs that may not be matched.

use pathfinding::kuhn_munkres::{kuhn_munkres, kuhn_munkres_min};
use pathfinding::matrix::Matrix;

/// Solves on a matrix with the smaller side as rows, as Kuhn–Munkres requires, and returns
/// (row, column) pairs in the caller's orientation.
fn solve(
    rows: usize,
    columns: usize,
    weight: impl Fn(usize, usize) -> i64,
    maximise: bool,
) -> Vec<(usize, usize)> {
    if rows == 0 || columns == 0 {
        return Vec::new();
    }
    let transpose = rows > columns;
    let (r, c) = if transpose {
        (columns, rows)
    } else {
        (rows, columns)
    };
    let weights = Matrix::from_fn(r, c, |(i, j)| {
        if transpose {
            weight(j, i)
        } else {
            weight(i, j)
        }
    });
    let assignment = if maximise {
        kuhn_munkres(&weights).1
    } else {
        kuhn_munkres_min(&weights).1
    };
    assignment
        .into_iter()
        .enumerate()
        .map(|(i, j)| if transpose { (j, i) } else { (i, j) })
        .collect()
}

/// The matching with the most allowed pairs and, among those, the least total cost. `cost`
/// gives a pair's non-negative cost, or `None` when the pair may not be matched.
pub fn min_cost_assignment(
    rows: usize,
    columns: usize,
    cost: impl Fn(usize, usize) -> Option<i64>,
) -> Vec<(usize, usize)> {
    // A forbidden pair costs more than any whole matching of allowed pairs, so the solver only
    // takes one when nothing else is left, and such pairs are dropped afterwards.
    let worst = (0..rows)
        .flat_map(|r| (0..columns).map(move |c| (r, c)))
        .filter_map(|(r, c)| cost(r, c))
        .max()
        .unwrap_or(0);
    let forbidden = worst
        .saturating_add(1)
        .saturating_mul(rows.min(columns) as i64 + 1);
    solve(rows, columns, |r, c| cost(r, c).unwrap_or(forbidden), false)
        .into_iter()
        .filter(|&(r, c)| cost(r, c).is_some())
        .collect()
}

/// The matching with the greatest total weight; pairs of weight zero are left out.
pub fn max_weight_assignment(
    rows: usize,
    columns: usize,
    weight: impl Fn(usize, usize) -> i64,
) -> Vec<(usize, usize)> {
    solve(rows, columns, |r, c| weight(r, c).max(0), true)
        .into_iter()
        .filter(|&(r, c)| weight(r, c) > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_pairs_come_before_the_lowest_cost() {
        // Row 0 could take column 0 cheaply, but then row 1 would go unmatched.
        let costs = [[Some(1), Some(5)], [Some(2), None]];
        let pairs = min_cost_assignment(2, 2, |r, c| costs[r][c]);
        assert_eq!(pairs, vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn forbidden_pairs_are_never_returned_whatever_the_shape() {
        let costs = [[None, Some(3), None], [None, None, None]];
        assert_eq!(min_cost_assignment(2, 3, |r, c| costs[r][c]), vec![(0, 1)]);
        // Transposed: three rows, two columns.
        assert_eq!(min_cost_assignment(3, 2, |r, c| costs[c][r]), vec![(1, 0)]);
        assert!(min_cost_assignment(0, 4, |_, _| Some(1)).is_empty());
    }

    #[test]
    fn the_heaviest_matching_may_have_fewer_pairs() {
        let weights = [[100, 1], [1, 0]];
        assert_eq!(
            max_weight_assignment(2, 2, |r, c| weights[r][c]),
            vec![(0, 0)]
        );
        let weights = [[0, 4, 0], [3, 5, 0], [0, 0, 0]];
        assert_eq!(
            max_weight_assignment(3, 3, |r, c| weights[r][c]),
            vec![(0, 1), (1, 0)]
        );
    }
}
