//! Vote counting and the early-decision rule (pure).

use crate::backend::Vote;

/// Why an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// The resource is held by another owner (no quorum was possible without it).
    Held,
    /// Nodes were unreachable or erroring, so no verdict could be reached.
    Unavailable,
    /// A quorum was reached but the validity ran out during the attempt.
    Expired,
    /// The caller cancelled the operation.
    Cancelled,
}

/// What the votes so far make certain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    Quorum,
    NoQuorum(FailReason),
}

/// Counts votes of one round over `n` nodes, `quorum` of which decide (Redlock:
/// [`quorum_of`]).
#[derive(Clone, Copy, Debug)]
pub struct Tally {
    n: usize,
    quorum: usize,
    pub yes: usize,
    pub no: usize,
    pub failed: usize,
}

/// Redlock's quorum: a strict majority, `floor(n/2) + 1`.
pub fn quorum_of(n: usize) -> usize {
    n / 2 + 1
}

impl Tally {
    pub fn new(n: usize, quorum: usize) -> Self {
        Tally {
            n,
            quorum,
            yes: 0,
            no: 0,
            failed: 0,
        }
    }

    pub fn quorum(&self) -> usize {
        self.quorum
    }

    pub fn pending(&self) -> usize {
        self.n - self.yes - self.no - self.failed
    }

    /// `Own` counts as a no (nothing written); an error or timeout gave no verdict.
    pub fn add(&mut self, v: &Vote) {
        debug_assert!(self.pending() > 0, "more votes than nodes");
        match v {
            Vote::Yes => self.yes += 1,
            Vote::No | Vote::Own => self.no += 1,
            // A quarantined grant does not count for; like a failure, it gives no verdict.
            Vote::Error(_) | Vote::Timeout | Vote::Quarantined(_) => self.failed += 1,
        }
    }

    /// The verdict as soon as no further vote can change it (outcome and reason), else `None`.
    pub fn settled(&self) -> Option<Settled> {
        let pending = self.pending();
        if self.yes >= self.quorum {
            return Some(Settled::Quorum);
        }
        if self.yes + pending >= self.quorum {
            return None;
        }
        if self.no >= self.quorum {
            return Some(Settled::NoQuorum(FailReason::Held));
        }
        if self.no + pending >= self.quorum {
            return None; // it may still turn out to be held by another owner
        }
        if self.failed > 0 {
            return Some(Settled::NoQuorum(FailReason::Unavailable));
        }
        if pending > 0 {
            return None;
        }
        // Every node answered, none failed, but the votes split between owners.
        Some(Settled::NoQuorum(FailReason::Held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict from the final counts alone (the specification the early rule must match).
    fn final_verdict(yes: usize, no: usize, failed: usize) -> Settled {
        let q = quorum_of(yes + no + failed);
        if yes >= q {
            Settled::Quorum
        } else if no >= q || failed == 0 {
            Settled::NoQuorum(FailReason::Held)
        } else {
            Settled::NoQuorum(FailReason::Unavailable)
        }
    }

    const FAILED: Vote = Vote::Timeout;

    fn all_sequences(n: usize) -> Vec<Vec<Vote>> {
        let kinds = [Vote::Yes, Vote::No, FAILED];
        let mut out = vec![vec![]];
        for _ in 0..n {
            out = out
                .into_iter()
                .flat_map(|s| {
                    kinds.iter().map(move |k| {
                        let mut s = s.clone();
                        s.push(k.clone());
                        s
                    })
                })
                .collect();
        }
        out
    }

    #[test]
    fn quorum_is_a_strict_majority() {
        assert_eq!(
            (1..=6).map(quorum_of).collect::<Vec<_>>(),
            vec![1, 2, 2, 3, 3, 4]
        );
    }

    /// Every order of every mix of votes for N = 1…5: an early decision is never contradicted
    /// by the remaining votes, and once all votes are in a decision always exists.
    #[test]
    fn every_mix_of_votes_for_n_1_to_5() {
        for n in 1..=5 {
            let mut checked = 0;
            for seq in all_sequences(n) {
                let (yes, no, failed) = seq.iter().fold((0, 0, 0), |(y, a, f), v| match v {
                    Vote::Yes => (y + 1, a, f),
                    Vote::No | Vote::Own => (y, a + 1, f),
                    Vote::Error(_) | Vote::Timeout | Vote::Quarantined(_) => (y, a, f + 1),
                });
                let expected = final_verdict(yes, no, failed);
                let mut t = Tally::new(n, quorum_of(n));
                let mut decided_at = None;
                for (i, v) in seq.iter().enumerate() {
                    t.add(v);
                    if let Some(s) = t.settled() {
                        assert_eq!(s, expected, "n={n} seq={seq:?} decided early wrongly");
                        decided_at.get_or_insert(i);
                    }
                }
                assert_eq!(t.settled(), Some(expected), "n={n} seq={seq:?}");
                // As soon as it is certain: a quorum of yes ends the count at once.
                if let Some(pos) = seq
                    .iter()
                    .scan(0, |c, v| {
                        *c += (*v == Vote::Yes) as usize;
                        Some(*c)
                    })
                    .position(|c| c == quorum_of(n))
                {
                    assert_eq!(decided_at, Some(pos), "n={n} seq={seq:?}");
                }
                checked += 1;
            }
            assert_eq!(checked, 3usize.pow(n as u32));
        }
    }

    #[test]
    fn paused_minority_does_not_delay_a_clear_verdict() {
        // 5 nodes, 2 never answer: 3 yes decide; 3 held decide.
        let mut t = Tally::new(5, 3);
        for _ in 0..3 {
            t.add(&Vote::Yes);
        }
        assert_eq!(t.settled(), Some(Settled::Quorum));
        let mut t = Tally::new(5, 3);
        for _ in 0..3 {
            t.add(&Vote::No);
        }
        assert_eq!(t.settled(), Some(Settled::NoQuorum(FailReason::Held)));
        // 3 nodes: one failed, one held, one pending: the pending one could still make it
        // "held", so wait.
        let mut t = Tally::new(3, 2);
        t.add(&FAILED);
        t.add(&Vote::No);
        assert_eq!(t.settled(), None);
        t.add(&FAILED);
        assert_eq!(
            t.settled(),
            Some(Settled::NoQuorum(FailReason::Unavailable))
        );
    }
}
