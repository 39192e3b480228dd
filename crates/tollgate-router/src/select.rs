//! Choosing a deployment: weighted random among those not yet tried in this call.

use rand::Rng;

use crate::route::Deployment;

/// Index of the next deployment to try. Prefers ones not in `tried`; once all were tried, picks
/// among all again (a retry on the same deployment beats giving up). `None` only when empty.
pub(crate) fn pick(deployments: &[Deployment], tried: &[usize]) -> Option<usize> {
    if deployments.len() <= 1 {
        return if deployments.is_empty() {
            None
        } else {
            Some(0)
        };
    }
    let fresh = |i: &usize| !tried.contains(i);
    let any_fresh = (0..deployments.len()).any(|i| fresh(&i));
    let candidates = (0..deployments.len()).filter(|i| !any_fresh || fresh(i));
    let total: u64 = candidates
        .clone()
        .map(|i| u64::from(deployments[i].weight))
        .sum();
    if total == 0 {
        return None;
    }
    let mut ticket = rand::rng().random_range(0..total);
    for i in candidates {
        let weight = u64::from(deployments[i].weight);
        if ticket < weight {
            return Some(i);
        }
        ticket -= weight;
    }
    None
}
