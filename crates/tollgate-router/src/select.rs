//! Choosing a deployment for the next attempt.

use rand::Rng;

use crate::route::Deployment;

/// How a model spreads its traffic over its deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Random, in proportion to each deployment's weight.
    #[default]
    Weighted,
    /// The deployment with the fewest calls in flight.
    LeastBusy,
    /// The deployment with the lowest moving average of time to first byte; deployments never
    /// measured go first, so each is tried at least once.
    LowestLatency,
    /// The cheapest deployment per the price catalog; unpriced ones last.
    LowestCost,
}

/// Index of the deployment for the next attempt, or `None` if there is none to try.
///
/// Skips deployments already tried in this call and, unless `allow_cooling`, those cooling down.
/// Ties (and the weighted strategy) are broken by weighted random choice.
pub(crate) fn pick(
    deployments: &[Deployment],
    tried: &[usize],
    strategy: Strategy,
    allow_cooling: bool,
) -> Option<usize> {
    let eligible =
        |i: &usize| !tried.contains(i) && (allow_cooling || !deployments[*i].health.is_cooling());
    let candidates: Vec<usize> = (0..deployments.len()).filter(eligible).collect();
    match candidates.len() {
        0 => None,
        1 => Some(candidates[0]),
        _ => {
            let best = match strategy {
                Strategy::Weighted => candidates,
                Strategy::LeastBusy => keep_min(&candidates, |i| {
                    u64::from(deployments[i].health.in_flight())
                }),
                Strategy::LowestLatency => keep_min(&candidates, |i| {
                    deployments[i]
                        .health
                        .latency()
                        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
                }),
                Strategy::LowestCost => keep_min(&candidates, |i| {
                    deployments[i].cost_rank.unwrap_or(u64::MAX)
                }),
            };
            weighted(deployments, &best)
        }
    }
}

fn keep_min(candidates: &[usize], key: impl Fn(usize) -> u64) -> Vec<usize> {
    let min = candidates.iter().map(|&i| key(i)).min().unwrap_or(0);
    candidates
        .iter()
        .copied()
        .filter(|&i| key(i) == min)
        .collect()
}

fn weighted(deployments: &[Deployment], candidates: &[usize]) -> Option<usize> {
    let total: u64 = candidates
        .iter()
        .map(|&i| u64::from(deployments[i].weight))
        .sum();
    if total == 0 {
        return candidates.first().copied();
    }
    let mut ticket = rand::rng().random_range(0..total);
    for &i in candidates {
        let weight = u64::from(deployments[i].weight);
        if ticket < weight {
            return Some(i);
        }
        ticket -= weight;
    }
    candidates.last().copied()
}
